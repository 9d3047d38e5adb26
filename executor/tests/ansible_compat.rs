//! tests/ansible_compat/compat.yml under dpctl must leave the same files
//! (type, mode, size, content) and the same registered key fields as under
//! ansible-playbook 2.19, whose results generate.sh recorded in expected/:
//! file, copy, template, lineinfile, blockinfile, replace, command, stat,
//! cron, unarchive and user, then the executor-side modules.
//! Needs root (the user module creates and removes `dpctlcompat`).
//!
//! tests/ansible_compat/keywords/: play and task keywords (sections and handler order, listen, environment,
//! run_once, delegate_to, with_* loops, loop_control, until/retries/delay, failed_when, ignore_errors,
//! changed_when, check_mode, async/poll, block vars/rescue/always, include_vars, import/include tasks and roles,
//! import_playbook, vars_files with inventory_dir, serial, strategy free, any_errors_fatal,
//! max_fail_percentage, args, k=v arguments, tags with --tags/--skip-tags, always and never) must leave the
//! files and exit codes ansible-playbook left (its generate.sh).

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

/// Every file under `root` as `== path` and its content, in byte order of the paths (as generate.sh lists them).
fn listing(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    files.into_iter().map(|(rel, text)| format!("== {rel}\n{text}")).collect()
}

#[test]
fn play_and_task_keywords_leave_what_ansible_leaves() {
    let dir = repo_root().join("tests/ansible_compat/keywords");
    let root = tempfile::tempdir().unwrap();
    let mut got = String::new();
    for run in ["keywords.yml", "fatal.yml", "maxfail.yml", "tags.yml --tags deploy --skip-tags skipme", "check.yml --check --diff"] {
        let root_arg = format!("root={}", root.path().display());
        let mut args = vec!["playbook", "-i", "inventory.ini", "-e", &root_arg];
        args.extend(run.split(' '));
        let out = dpctl(&dir, &args);
        got.push_str(&format!("{run} exit {}\n", out.status.code().unwrap_or(-1)));
        if run == "keywords.yml" {
            assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
        }
    }
    got.push_str(&listing(root.path()));
    let want = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    assert_eq!(got, want);
}

/// A temporary directory holding copies of these files of
/// tests/ansible_compat/output (paths may name subdirectories).
fn output_fixture(files: &[&str]) -> tempfile::TempDir {
    let src = repo_root().join("tests/ansible_compat/output");
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(f), to).unwrap();
    }
    dir
}

/// tests/ansible_compat/output/: output.yml, diff.yml with `--check --diff`
/// and with `-v`, and stop.yml (every host fails: the playbook ends), print line for line what ansible-playbook 2.19
/// printed (its generate.sh; times blanked, the playbook's directory written
/// DIR, copy's staging path and 2.19's `[ERROR]` excerpts dropped): templated
/// play and task names, one line per loop item with Python-style labels,
/// `when` per item, `FAILED - RETRYING` lines, results as sorted one-line
/// JSON, `included:` lines, handlers, diff blocks and headers, assert's
/// results, `-v` details and the recap.
#[test]
fn output_reads_line_for_line_as_ansible_playbook() {
    let src = repo_root().join("tests/ansible_compat/output");
    let dir = output_fixture(&["output.yml", "diff.yml", "stop.yml", "included.yml", "roles/r/tasks/main.yml"]);
    let work = dir.path();
    std::fs::write(work.join("inventory.ini"), "localhost ansible_connection=local\n").unwrap();
    std::fs::write(work.join("ansible.cfg"), "").unwrap();
    support::ensure_agent();
    let times = regex::Regex::new(r#""(start|end|delta)": "[^"]*""#).unwrap();
    let out_arg = format!("out={}", work.join("out").display());
    for (args, expected) in [
        (&["output.yml"][..], "expected.txt"),
        (&["diff.yml", "--check", "--diff"][..], "expected-check-diff.txt"),
        (&["diff.yml", "-v"][..], "expected-verbose.txt"),
        (&["stop.yml"][..], "expected-stop.txt"),
    ] {
        let _ = std::fs::remove_dir_all(work.join("out"));
        let mut all = vec!["playbook", "-i", "inventory.ini", "-e", &out_arg];
        all.extend_from_slice(args);
        let out = dpctl(work, &all);
        let want_code = if args[0] == "stop.yml" { 2 } else { 0 };
        assert_eq!(out.status.code(), Some(want_code), "{args:?}\n{}\n{}", stdout(&out), stderr(&out));
        let got = times.replace_all(&stdout(&out).replace(&work.display().to_string(), "DIR"), r#""$1": "T""#).into_owned();
        let want = std::fs::read_to_string(src.join(expected)).unwrap();
        assert_eq!(got, want, "{args:?}");
    }
}

/// Several hosts' results under one banner in a fixed order (Ansible prints
/// them as they finish), as tests/ansible_compat/output/normalize.py
/// `--sort-results` orders them.
fn sorted_results(text: &str) -> String {
    let mut paragraphs = Vec::new();
    for para in text.split("\n\n") {
        let mut head: Vec<String> = Vec::new();
        let mut records: Vec<Vec<String>> = Vec::new();
        for line in para.split('\n') {
            let mut line = line.to_string();
            if line.starts_with("included: ") && !line.contains(" => ") {
                if let Some((what, hosts)) = line.rsplit_once(" for ") {
                    let mut hosts: Vec<&str> = hosts.split(", ").collect();
                    hosts.sort();
                    line = format!("{what} for {}", hosts.join(", "));
                }
            }
            if records.is_empty() && ["TASK [", "PLAY [", "RUNNING HANDLER ["].iter().any(|p| line.starts_with(p)) {
                head.push(line);
            } else if !records.is_empty() && [" ", "}", "..."].iter().any(|p| line.starts_with(p)) {
                records.last_mut().unwrap().push(line);
            } else {
                records.push(vec![line]);
            }
        }
        records.sort();
        head.extend(records.into_iter().flatten());
        paragraphs.push(head.join("\n"));
    }
    paragraphs.join("\n\n")
}

/// tests/ansible_compat/output/multi.yml on two local hosts and one that
/// cannot be reached: hosts in lock step, one `included:` line for the hosts
/// that included the same file (and its tasks run once for both), one per
/// host for per-host files, Ansible's unreachable message, the recap; and
/// `--list-tasks`. As ansible-playbook 2.19 printed them (generate.sh).
#[test]
fn several_hosts_read_as_ansible_playbook() {
    let src = repo_root().join("tests/ansible_compat/output");
    let dir = output_fixture(&["multi.yml", "included.yml", "per-w1.yml", "per-w2.yml"]);
    let work = dir.path();
    // Port 1 on loopback: nothing listens there.
    std::fs::write(
        work.join("inventory-multi.ini"),
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n[web:vars]\ngvar=G\n\
         [db]\nd1 ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh\n",
    )
    .unwrap();
    support::ensure_agent();
    let out_arg = format!("out={}", work.join("out").display());
    let run = |extra: &[&str]| {
        let mut all = vec!["playbook", "multi.yml", "-i", "inventory-multi.ini", "-e", &out_arg];
        all.extend_from_slice(extra);
        let out = dpctl(work, &all);
        (out.status.code(), stdout(&out).replace(&work.display().to_string(), "DIR"))
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(4), "unreachable host: exit code 4 as ansible-playbook\n{text}");
    assert_eq!(sorted_results(&text), std::fs::read_to_string(src.join("expected-multi.txt")).unwrap());
    let (code, text) = run(&["--list-tasks"]);
    assert_eq!(code, Some(0));
    assert_eq!(text, std::fs::read_to_string(src.join("expected-list-tasks.txt")).unwrap());
}

/// Ad hoc commands print what `ansible localhost -m …` printed (generate.sh):
/// sorted JSON indented by four, the debug view, and command/shell's
/// `| rc=N >>` form.
#[test]
fn ad_hoc_commands_read_as_ansible() {
    let src = repo_root().join("tests/ansible_compat/output");
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    std::fs::write(work.join("inventory.ini"), "localhost ansible_connection=local\n").unwrap();
    support::ensure_agent();
    let dir_arg = format!("path={}/adhoc state=directory mode=0750", work.display());
    let mut got = String::new();
    for (module, args) in [
        ("ping", None),
        ("command", Some("echo hi")),
        ("command", Some("false")),
        ("shell", Some("echo out; echo err >&2")),
        ("debug", Some("msg=hello")),
        ("file", Some(dir_arg.as_str())),
    ] {
        let mut all = vec!["run", "localhost", "-i", "inventory.ini", "-m", module];
        all.extend(args.map(|a| ["-a", a]).into_iter().flatten());
        got.push_str(&stdout(&dpctl(work, &all)));
    }
    let got = got.replace(&work.display().to_string(), "DIR");
    assert_eq!(got, std::fs::read_to_string(src.join("expected-adhoc.txt")).unwrap());
}
