//! The runner over the local connection: a playbook using modules through
//! the agent, templates, handlers, register/when, loops, block/rescue and
//! include_tasks. The expected PLAY RECAP counts are what ansible-playbook
//! 2.19 printed for the same playbook and inventory (first run: ok=14
//! changed=8 rescued=1; rerun: ok=12 changed=0 skipped=1 rescued=1).

mod support;

use std::path::Path;

use support::{dpctl, recap, repo_root, stderr, stdout};

fn run(sandbox: &Path, extra: &[&str]) -> (String, i32) {
    let dir = repo_root().join("tests/playbooks/local_run");
    let sandbox_arg = format!("sandbox={}", sandbox.display());
    let mut args = vec!["playbook", "site.yml", "-i", "inventory.ini", "-e", &sandbox_arg];
    args.extend_from_slice(extra);
    let out = dpctl(&dir, &args);
    let text = stdout(&out);
    assert!(text.contains("PLAY RECAP") || text.contains("\"event\":\"recap\""), "no recap; stdout:\n{text}\nstderr:\n{}", stderr(&out));
    (text, out.status.code().unwrap_or(-1))
}

#[test]
fn first_run_changes_second_run_is_idempotent() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, code) = run(sandbox.path(), &[]);
    assert_eq!(code, 0, "{out}");
    for host in ["app1", "app2", "app3"] {
        assert_eq!(recap(&out, host), "ok=14 changed=8 unreachable=0 failed=0 skipped=0 rescued=1 ignored=0", "{out}");
    }
    let etc = sandbox.path().join("app2/etc");
    assert_eq!(
        std::fs::read_to_string(etc.join("app.properties")).unwrap(),
        "# Ansible managed\napp.name=app2\napp.heap=512\ntopic.raw=4\ntopic.valid=8\n"
    );
    assert_eq!(std::fs::read_to_string(etc.join("jvm.options")).unwrap(), "-Xmx512m\n");
    assert_eq!(std::fs::read_to_string(etc.join("valid.topic")).unwrap(), "8\n");
    assert_eq!(std::fs::read_to_string(etc.join("static.txt")).unwrap(), "static content\n");
    assert_eq!(std::fs::read_to_string(sandbox.path().join("app2/included")).unwrap(), "app2\n");
    assert!(sandbox.path().join("app3/restarted").exists(), "the handler ran");

    let (out, code) = run(sandbox.path(), &[]);
    assert_eq!(code, 0, "{out}");
    for host in ["app1", "app2", "app3"] {
        assert_eq!(recap(&out, host), "ok=12 changed=0 unreachable=0 failed=0 skipped=1 rescued=1 ignored=0", "{out}");
    }
}

#[test]
fn check_mode_changes_nothing_and_predicts_changes() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, _) = run(sandbox.path(), &["--check"]);
    assert!(std::fs::read_dir(sandbox.path()).unwrap().next().is_none(), "check mode created files:\n{out}");
    let line = recap(&out, "app1");
    assert!(line.contains("changed=") && !line.contains("changed=0"), "check mode should predict changes: {line}\n{out}");
}

#[test]
fn json_output_has_one_event_per_line() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, code) = run(sandbox.path(), &["--output", "json"]);
    assert_eq!(code, 0);
    let events: Vec<serde_json::Value> = out.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.first().unwrap()["event"], "play");
    let recap = events.iter().find(|e| e["event"] == "recap").expect("recap event");
    assert_eq!(recap["hosts"]["app1"]["changed"], 8);
    assert!(events.iter().any(|e| e["event"] == "result" && e["status"] == "changed" && e["duration_ms"].is_number()));
}
