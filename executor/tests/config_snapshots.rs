//! Snapshots of every file the roles render, for every host of every example inventory, and of the
//! task list of every job playbook. A change to a template, a role default or an inventory variable
//! shows up here as a reviewable snapshot diff (`cargo insta review`).

mod support;

use std::path::{Path, PathBuf};

use support::cli::{dpctl, repo_root, stderr, stdout};

const INVENTORIES: &[&str] = &["local", "example-dev", "example-prod"];

/// example-dev keeps its secrets.yml vault-encrypted with this example password
/// (the other inventories have nothing vaulted: the password is simply not used).
const VAULT_PASSWORD_FILE: &str = "inventories/example-dev/vault-password.example.txt";

/// Every regular file under `dir`, sorted, as paths relative to `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// A stable, readable snapshot name: `<inventory>__<host>__<path with / as _>`.
fn snapshot_name(inventory: &str, rel: &Path) -> String {
    let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
    let host = parts.next().unwrap();
    let path: Vec<String> = parts.collect();
    format!("{inventory}__{host}__{}", path.join("_"))
}

fn render_inventory(inventory: &str) -> (tempfile::TempDir, Vec<PathBuf>) {
    let out = tempfile::tempdir().unwrap();
    let inv = format!("inventories/{inventory}");
    let o = dpctl(
        &repo_root(),
        &[
            "render",
            "playbooks/site.yml",
            "playbooks/admin/bootstrap.yml",
            "-i",
            &inv,
            "-o",
            out.path().to_str().unwrap(),
            "--vault-password-file",
            VAULT_PASSWORD_FILE,
        ],
    );
    assert!(o.status.success(), "render {inventory} failed:\n{}\n{}", stdout(&o), stderr(&o));
    let files = files_under(out.path());
    (out, files)
}

fn snapshot_inventory(inventory: &str) {
    let (out, files) = render_inventory(inventory);
    assert!(!files.is_empty(), "nothing rendered for {inventory}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/config");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for rel in &files {
            let text = std::fs::read_to_string(out.path().join(rel)).unwrap();
            let name = snapshot_name(inventory, rel);
            insta::assert_snapshot!(name, text, &rel.display().to_string());
        }
    });
}

#[test]
fn rendered_configs_local() {
    snapshot_inventory("local");
}

#[test]
fn rendered_configs_example_dev() {
    snapshot_inventory("example-dev");
}

#[test]
fn rendered_configs_example_prod() {
    snapshot_inventory("example-prod");
}

/// Every template of every role is rendered for at least one host of every inventory
/// (none is left out of the snapshots).
#[test]
fn every_role_template_is_rendered_in_every_inventory() {
    let roles = repo_root().join("roles");
    let templates: Vec<PathBuf> =
        files_under(&roles).into_iter().filter(|p| p.components().nth(1).is_some_and(|c| c.as_os_str() == "templates")).collect();
    assert!(templates.len() > 40, "expected the roles' templates, found {}", templates.len());
    for inventory in INVENTORIES {
        let (_out, files) = render_inventory(inventory);
        let rendered: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        for t in &templates {
            let stem = t.file_name().unwrap().to_string_lossy().trim_end_matches(".j2").to_string();
            let used = rendered.iter().any(|r| r.ends_with(&format!("/{stem}")) || renders_as(&stem, r));
            assert!(used, "{} is not rendered for any host of {inventory}", t.display());
        }
    }
}

/// The templates whose destination name is computed (from `env`, the host's role or the job).
fn renders_as(template_stem: &str, rendered: &str) -> bool {
    let env_conf = rendered.ends_with("/dev.conf") || rendered.ends_with("/prod.conf");
    match template_stem {
        "api.conf" => env_conf && rendered.contains("/api/"),
        "env.conf" => env_conf && rendered.contains("/models-2.0/"),
        "yarn.service" => rendered.ends_with("/yarn-resourcemanager.service") || rendered.ends_with("/yarn-nodemanager.service"),
        "data_pipeline.cql" => rendered.ends_with("_data_pipeline.cql"),
        "placeholders.properties" => rendered.ends_with(".placeholders.properties"),
        _ => false,
    }
}

/// The task list of every job playbook, as `dpctl playbook … --check --list-tasks` prints it.
#[test]
fn task_lists_of_every_job() {
    let root = repo_root();
    let mut playbooks: Vec<PathBuf> = vec![PathBuf::from("playbooks/admin/bootstrap.yml")];
    for dir in ["playbooks/provision", "playbooks/deploy"] {
        playbooks.extend(files_under(&root.join(dir)).into_iter().map(|p| Path::new(dir).join(p)));
    }
    assert_eq!(playbooks.len(), 24, "one playbook per documented job: {playbooks:?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/tasks");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for pb in &playbooks {
            let pb = pb.to_str().unwrap();
            let o = dpctl(
                &root,
                &["playbook", pb, "-i", "inventories/example-dev", "--vault-password-file", VAULT_PASSWORD_FILE, "--check", "--list-tasks"],
            );
            assert!(o.status.success(), "--list-tasks {pb} failed:\n{}\n{}", stdout(&o), stderr(&o));
            let name = pb.trim_start_matches("playbooks/").trim_end_matches(".yml").replace('/', "__");
            insta::assert_snapshot!(name, stdout(&o), pb);
        }
    });
}
