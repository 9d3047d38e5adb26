//! Snapshots of every file the roles render, for every host of every example inventory, and of the
//! task list of every job playbook. A change to a template, a role default or an inventory variable
//! shows up here as a reviewable snapshot diff (`cargo insta review`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
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

/// Templates that legitimately render on only some of the hosts their role runs on, and why.
const PARTIAL_TEMPLATES: &[(&str, &str)] =
    &[("roles/hadoop_yarn/templates/samza-file-server.service.j2", "the job-package file server runs on the yarn-master only")];

/// Copy `src` (a directory tree) to `dst`.
fn copy_tree(src: &Path, dst: &Path) {
    for rel in files_under(src) {
        let to = dst.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&rel), to).unwrap();
    }
}

/// The marker appended to a template so that its output can be traced back to it.
fn template_marker(template: &str) -> String {
    format!("@@dpctl-template {template}@@")
}

/// For one inventory: which hosts each template (marked by `template_marker`) was rendered for.
fn template_hosts(repo: &Path, inventory: &str) -> BTreeMap<String, BTreeSet<String>> {
    let out = tempfile::tempdir().unwrap();
    let inv = format!("inventories/{inventory}");
    let args = ["render", "playbooks/site.yml", "playbooks/admin/bootstrap.yml", "-i", &inv, "-o", out.path().to_str().unwrap()];
    let o = dpctl(repo, &[&args[..], &["--vault-password-file", VAULT_PASSWORD_FILE]].concat());
    assert!(o.status.success(), "render {inventory} failed:\n{}\n{}", stdout(&o), stderr(&o));
    let mut hosts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rel in files_under(out.path()) {
        let host = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&std::fs::read(out.path().join(&rel)).unwrap()).into_owned();
        for piece in text.split("@@dpctl-template ").skip(1) {
            let template = piece.split("@@").next().unwrap().to_string();
            hosts.entry(template).or_default().insert(host.clone());
        }
    }
    hosts
}

/// Every template of every role is rendered, in every inventory, for every host its role runs on
/// (the hosts any template of that role is rendered for), so each one is in the snapshots.
/// Each template gets a unique trailing marker in a copy of the repository; the rendered files say
/// exactly which template produced them, whatever their destination name.
#[test]
fn every_role_template_is_rendered_for_every_host_of_its_role() {
    let root = repo_root();
    let copy = tempfile::tempdir().unwrap();
    for dir in ["roles", "playbooks", "inventories"] {
        copy_tree(&root.join(dir), &copy.path().join(dir));
    }
    std::fs::copy(root.join("ansible.cfg"), copy.path().join("ansible.cfg")).unwrap();
    let templates: Vec<String> = files_under(&root.join("roles"))
        .into_iter()
        .filter(|p| p.components().nth(1).is_some_and(|c| c.as_os_str() == "templates"))
        .map(|p| format!("roles/{}", p.display()))
        .collect();
    assert!(templates.len() > 40, "expected the roles' templates, found {}", templates.len());
    for t in &templates {
        let mut text = std::fs::read_to_string(copy.path().join(t)).unwrap();
        text.push_str(&format!("\n{}\n", template_marker(t)));
        std::fs::write(copy.path().join(t), text).unwrap();
    }
    let role_of = |t: &str| t.split('/').nth(1).unwrap().to_string();
    let mut problems = vec![];
    for inventory in INVENTORIES {
        let hosts = template_hosts(copy.path(), inventory);
        let mut role_hosts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (t, h) in &hosts {
            role_hosts.entry(role_of(t)).or_default().extend(h.iter().cloned());
        }
        for t in &templates {
            let Some(rendered) = hosts.get(t) else {
                problems.push(format!("{inventory}: {t} is rendered for no host"));
                continue;
            };
            let missing: Vec<&String> = role_hosts[&role_of(t)].difference(rendered).collect();
            if !missing.is_empty() && !PARTIAL_TEMPLATES.iter().any(|(p, _)| p == t) {
                problems.push(format!("{inventory}: {t} is not rendered for {missing:?}, where its role runs"));
            }
        }
    }
    assert!(problems.is_empty(), "templates missing from the snapshots:\n{}", problems.join("\n"));
}

/// Each Secor host gets the 14 documented processes × 5 property files, one of them the upload backend's (secor_conf renders them;
/// under `dp_root` in the sandbox).
#[test]
fn every_secor_host_has_the_70_property_files() {
    // The upload backend's file is secor.<azure|s3|gs>.properties.
    const SECOR_FILES: [&str; 7] = [
        "secor.azure.properties",
        "secor.s3.properties",
        "secor.gs.properties",
        "secor.common.properties",
        "secor.properties",
        "secor.partition.properties",
        "log4j.properties",
    ];
    for inventory in INVENTORIES {
        let inv = format!("inventories/{inventory}");
        let o = dpctl(&repo_root(), &["inventory", "-i", &inv, "--list", "--vault-password-file", VAULT_PASSWORD_FILE]);
        assert!(o.status.success(), "inventory {inventory}: {}", stderr(&o));
        let list: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let secor_hosts: Vec<String> = list["secor"]["hosts"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect();
        assert!(!secor_hosts.is_empty(), "{inventory} has no secor host");
        let (_out, files) = render_inventory(inventory);
        for host in &secor_hosts {
            let props: Vec<&PathBuf> = files
                .iter()
                .filter(|p| {
                    let s = p.to_string_lossy();
                    s.starts_with(&format!("{host}/"))
                        && s.contains("/mount/")
                        && SECOR_FILES.iter().any(|f| s.ends_with(&format!("-backup/{f}")))
                })
                .collect();
            assert_eq!(props.len(), 70, "{inventory}/{host}: secor property files {props:?}");
        }
    }
}

/// No snapshot is left behind for a file that is no longer rendered or a job that no longer exists
/// (insta only fails on a changed snapshot, never on a stale one).
#[test]
fn no_stale_snapshots() {
    let snapshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for inventory in INVENTORIES {
        let (_out, files) = render_inventory(inventory);
        expected.extend(files.iter().map(|rel| format!("config/{}.snap", snapshot_name(inventory, rel))));
    }
    expected.extend(job_playbooks().iter().map(|pb| format!("tasks/{}.snap", task_snapshot_name(pb))));
    let mut stale = vec![];
    for dir in ["config", "tasks"] {
        for rel in files_under(&snapshots.join(dir)) {
            let name = format!("{dir}/{}", rel.display());
            if name.ends_with(".snap") && !expected.contains(&name) {
                stale.push(name);
            }
        }
    }
    assert!(stale.is_empty(), "stale snapshots (delete them): {stale:?}");
}

/// The 24 Admin/Provision/Deploy job playbooks.
fn job_playbooks() -> Vec<String> {
    let root = repo_root();
    let mut playbooks = vec!["playbooks/admin/bootstrap.yml".to_string()];
    for dir in ["playbooks/provision", "playbooks/deploy"] {
        playbooks.extend(files_under(&root.join(dir)).into_iter().map(|p| format!("{dir}/{}", p.display())));
    }
    playbooks
}

fn task_snapshot_name(playbook: &str) -> String {
    playbook.trim_start_matches("playbooks/").trim_end_matches(".yml").replace('/', "__")
}

/// The task list of every job playbook, as `dpctl playbook … --check --list-tasks` prints it.
#[test]
fn task_lists_of_every_job() {
    let root = repo_root();
    let playbooks = job_playbooks();
    assert_eq!(playbooks.len(), 24, "one playbook per documented job: {playbooks:?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/tasks");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for pb in &playbooks {
            let o = dpctl(
                &root,
                &["playbook", pb, "-i", "inventories/example-dev", "--vault-password-file", VAULT_PASSWORD_FILE, "--check", "--list-tasks"],
            );
            assert!(o.status.success(), "--list-tasks {pb} failed:\n{}\n{}", stdout(&o), stderr(&o));
            insta::assert_snapshot!(task_snapshot_name(pb), stdout(&o), pb.as_str());
        }
    });
}

/// Every role has its parts (defaults, tasks, meta, README; handlers when a task notifies one) and a
/// README whose Variables table names every default and that shows an example.
#[test]
fn every_role_has_its_parts_and_documents_every_default() {
    let roles = repo_root().join("roles");
    let mut names: Vec<_> = std::fs::read_dir(&roles).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    names.sort();
    assert!(names.len() >= 20, "expected the pipeline roles, found {names:?}");
    let mut problems = vec![];
    for role in &names {
        let name = role.file_name().unwrap().to_string_lossy().into_owned();
        for part in ["defaults/main.yml", "tasks/main.yml", "meta/main.yml", "README.md"] {
            if !role.join(part).is_file() {
                problems.push(format!("{name}: no {part}"));
            }
        }
        let notifies = files_under(&role.join("tasks"))
            .iter()
            .any(|t| std::fs::read_to_string(role.join("tasks").join(t)).unwrap().contains("notify:"));
        if notifies && !role.join("handlers/main.yml").is_file() {
            problems.push(format!("{name}: tasks notify handlers but there is no handlers/main.yml"));
        }
        let Ok(readme) = std::fs::read_to_string(role.join("README.md")) else { continue };
        for section in ["## Variables", "## Example"] {
            if !readme.contains(section) {
                problems.push(format!("{name}: README.md has no `{section}`"));
            }
        }
        let (_, node) = dpctl::yaml::load_file(&role.join("defaults/main.yml")).unwrap();
        let defaults = node.map(|n| n.to_value()).unwrap_or_default();
        for key in defaults.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if !readme.contains(&format!("| `{key}` |")) {
                problems.push(format!("{name}: README.md's Variables table does not list `{key}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The documented jobs (Data Pipeline documentation, release-2.8.0), in their documented order,
/// with the playbook each one maps to.
const JOBS: &[(&str, &str, &str)] = &[
    ("Admin", "Bootstrap", "playbooks/admin/bootstrap.yml"),
    ("Provision", "AnalyticsApi", "playbooks/provision/analytics_api.yml"),
    ("Provision", "AnalyticsSecor", "playbooks/provision/analytics_secor.yml"),
    ("Provision", "AnalyticsSpark", "playbooks/provision/analytics_spark.yml"),
    ("Provision", "Postgres", "playbooks/provision/postgres.yml"),
    ("Provision", "Yarn", "playbooks/provision/yarn.yml"),
    ("Provision", "Influxdb", "playbooks/provision/influxdb.yml"),
    ("Provision", "Zookeeper", "playbooks/provision/zookeeper.yml"),
    ("Provision", "Kafka", "playbooks/provision/kafka.yml"),
    ("Provision", "Redis", "playbooks/provision/redis.yml"),
    ("Deploy", "AnalyticsCore", "playbooks/deploy/analytics_core.yml"),
    ("Deploy", "AnalyticsPopulatePSQLConsumerChannelMapping", "playbooks/deploy/analytics_populate_psql_consumer_channel_mapping.yml"),
    ("Deploy", "AnalyticsReplayJobs", "playbooks/deploy/analytics_replay_jobs.yml"),
    ("Deploy", "AnalyticsService", "playbooks/deploy/analytics_service.yml"),
    ("Deploy", "AnalyticsStartJobManager", "playbooks/deploy/analytics_start_job_manager.yml"),
    ("Deploy", "AnalyticsSubmitJobs", "playbooks/deploy/analytics_submit_jobs.yml"),
    ("Deploy", "ApiModule", "playbooks/deploy/api_module.yml"),
    ("Deploy", "CassandraDbUpdate", "playbooks/deploy/cassandra_db_update.yml"),
    ("Deploy", "CoreDataProducts", "playbooks/deploy/core_data_products.yml"),
    ("Deploy", "KafkaIndexer", "playbooks/deploy/kafka_indexer.yml"),
    ("Deploy", "KafkaSetup", "playbooks/deploy/kafka_setup.yml"),
    ("Deploy", "SamzaTelemetrySchemas", "playbooks/deploy/samza_telemetry_schemas.yml"),
    ("Deploy", "Secor", "playbooks/deploy/secor.yml"),
    ("Deploy", "Yarn", "playbooks/deploy/yarn.yml"),
];

/// The Build jobs: they produce artifacts, no playbook.
const BUILD_JOBS: &[&str] = &["AnalyticsCore", "Analytics Service", "Core Data Product", "Data pipeline", "DataReplay", "ETLJobs", "Secor"];

/// The on-demand Deploy jobs that need parameters; deploy.yml leaves them out (docs/jobs.md says so).
const ON_DEMAND: &[&str] =
    &["AnalyticsPopulatePSQLConsumerChannelMapping", "AnalyticsReplayJobs", "AnalyticsStartJobManager", "AnalyticsSubmitJobs"];

/// `- import_playbook: X` targets of a playbook, in order.
fn imports(playbook: &str) -> Vec<String> {
    std::fs::read_to_string(repo_root().join(playbook))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- import_playbook:"))
        .map(|p| p.trim().to_string())
        .collect()
}

/// Every one of the 24 jobs has its playbook and a row in docs/jobs.md; every Build job has a row;
/// provision.yml, deploy.yml and site.yml import the jobs in the documented order.
#[test]
fn every_job_has_a_playbook_a_docs_row_and_its_place_in_the_sequence() {
    let root = repo_root();
    let docs = std::fs::read_to_string(root.join("docs/jobs.md")).unwrap();
    assert_eq!(JOBS.len(), 24);
    let mut listed: Vec<String> = JOBS.iter().map(|(_, _, pb)| pb.to_string()).collect();
    listed.sort();
    let mut found = job_playbooks();
    found.sort();
    assert_eq!(found, listed, "playbooks/{{admin,provision,deploy}} hold exactly one playbook per documented job");
    for (section, job, playbook) in JOBS {
        assert!(root.join(playbook).is_file(), "{section} {job}: no {playbook}");
        let row = format!("| {section} · {job} | `{playbook}` |");
        assert!(docs.contains(&row), "docs/jobs.md has no row starting `{row}`");
    }
    for job in BUILD_JOBS {
        assert!(docs.contains(&format!("\n| {job} | ")), "docs/jobs.md has no Build row for {job}");
    }
    let in_dir = |section: &str, dir: &str| -> Vec<String> {
        JOBS.iter()
            .filter(|(s, job, _)| *s == section && !ON_DEMAND.contains(job))
            .map(|(_, _, pb)| pb.trim_start_matches(dir).to_string())
            .collect()
    };
    assert_eq!(imports("playbooks/provision.yml"), in_dir("Provision", "playbooks/"), "provision.yml: the 9 jobs in documented order");
    assert_eq!(imports("playbooks/deploy.yml"), in_dir("Deploy", "playbooks/"), "deploy.yml: the Deploy jobs in documented order");
    assert_eq!(imports("playbooks/site.yml"), ["provision.yml", "deploy.yml"]);
    let deploy_yml = std::fs::read_to_string(root.join("playbooks/deploy.yml")).unwrap();
    for (_, job, pb) in JOBS.iter().filter(|(_, job, _)| ON_DEMAND.contains(job)) {
        let file = pb.trim_start_matches("playbooks/");
        assert!(
            deploy_yml.contains(&format!("#   {file}")) || deploy_yml.contains(&format!("and {file}")),
            "deploy.yml does not say why {job} ({file}) is left out"
        );
    }
    assert!(
        docs.contains("on-demand jobs (PopulatePSQL, ReplayJobs, StartJobManager, SubmitJobs)"),
        "docs/jobs.md explains which jobs deploy.yml leaves out"
    );
}

/// The on-demand jobs (left out of site.yml, so out of the rendered snapshots) write no file that
/// would escape the snapshots: rendered with their parameters, they produce nothing.
#[test]
fn on_demand_jobs_render_no_files() {
    let params = [
        "-e",
        "consumer_id=c1",
        "-e",
        "channel=ch1",
        "-e",
        "job_type=replay",
        "-e",
        "job_id=wfs",
        "-e",
        "start_date=2020-01-01",
        "-e",
        "end_date=2020-01-07",
    ];
    for inventory in INVENTORIES {
        let out = tempfile::tempdir().unwrap();
        let inv = format!("inventories/{inventory}");
        let mut args: Vec<&str> = vec!["render"];
        let playbooks: Vec<String> = JOBS.iter().filter(|(_, job, _)| ON_DEMAND.contains(job)).map(|(_, _, pb)| pb.to_string()).collect();
        args.extend(playbooks.iter().map(String::as_str));
        args.extend(["-i", &inv, "-o", out.path().to_str().unwrap(), "--vault-password-file", VAULT_PASSWORD_FILE]);
        args.extend(params);
        let o = dpctl(&repo_root(), &args);
        assert!(o.status.success(), "render {inventory} failed:\n{}\n{}", stdout(&o), stderr(&o));
        assert_eq!(files_under(out.path()), Vec::<PathBuf>::new(), "{inventory}: on-demand jobs rendered files");
    }
}
