//! tests/ansible_compat/compat.yml under dpctl must leave the same files
//! (type, mode, size, content) and the same registered key fields as under
//! ansible-playbook 2.19, whose results generate.sh recorded in expected/:
//! file, copy, template, lineinfile, blockinfile, replace, command, stat,
//! cron, unarchive and user, then the executor-side modules.
//! Needs root (the user module creates and removes `dpctlcompat`).

mod support;

use std::path::Path;

use sha2::{Digest, Sha256};
use support::{dpctl, repo_root, stderr, stdout};

/// The same digest as tests/ansible_compat/digest.py.
fn digest(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            use std::os::unix::fs::PermissionsExt;
            let mode = format!("{:o}", meta.permissions().mode() & 0o7777);
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap().display().to_string().replace(&root.display().to_string(), "ROOT");
                out.push(format!("l {rel} -> {target}"));
            } else if meta.is_dir() {
                out.push(format!("d {mode} {rel}"));
                walk(root, &p, out);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                let hash = format!("{:x}", Sha256::digest(&bytes));
                out.push(format!("f {mode} {} {} {rel}", bytes.len(), &hash[..16]));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out.join("\n") + "\n"
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/ansible_compat/expected").join(name)).unwrap()
}

fn run(root: &Path) {
    let out = dpctl(
        &repo_root().join("tests/ansible_compat"),
        &["playbook", "compat.yml", "-i", "localhost,", "-c", "local", "-e", &format!("root={}", root.display())],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn files_and_results_match_ansible_on_first_and_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    run(root);
    assert_eq!(std::fs::read_to_string(root.join("results.json")).unwrap(), expected("results-first.json"));
    assert_eq!(std::fs::read_to_string(root.join("users.json")).unwrap(), expected("users.json"));
    assert_eq!(std::fs::read_to_string(root.join("controller.json")).unwrap(), expected("controller.json"));
    assert_eq!(std::fs::read_to_string(root.join("include_vars.json")).unwrap(), expected("include_vars.json"));
    assert_eq!(digest(root), expected("tree-first.txt"));
    assert!(!root.join("after_end_play").exists(), "meta: end_play ends the play");
    run(root);
    assert_eq!(std::fs::read_to_string(root.join("results.json")).unwrap(), expected("results-second.json"));
    // generate.sh checked that Ansible's second run gives the same as its first for these.
    assert_eq!(std::fs::read_to_string(root.join("users.json")).unwrap(), expected("users.json"));
    assert_eq!(std::fs::read_to_string(root.join("controller.json")).unwrap(), expected("controller.json"));
    assert_eq!(std::fs::read_to_string(root.join("include_vars.json")).unwrap(), expected("include_vars.json"));
}
