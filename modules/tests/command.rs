use crate::common;

use common::Agent;
use serde_json::json;

#[test]
fn free_form_is_split_not_shelled_and_creates_makes_it_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("made");
    let mut agent = Agent::start();
    let line = format!("touch '{}'", marker.display());

    let r = agent.check("command", json!({"_raw_params": line, "creates": marker}));
    assert!(!r.failed && r.outcome.changed, "check predicts a run: {r:?}");
    assert_eq!(r.outcome.msg.as_deref(), Some("Command would have run if not in check mode"));
    assert!(!marker.exists(), "check mode ran nothing");

    let r = agent.run("command", json!({"_raw_params": line, "creates": marker}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["rc"], 0);
    assert_eq!(r.outcome.values["cmd"], json!(["touch", marker.to_str().unwrap()]));
    assert!(marker.exists());
    assert!(r.outcome.values["delta"].as_str().unwrap().starts_with("0:00:"));

    let r = agent.run("command", json!({"_raw_params": line, "creates": marker}));
    assert!(!r.failed && !r.outcome.changed);
    assert_eq!(r.outcome.msg.unwrap(), format!("Did not run command since '{}' exists", marker.display()));

    // No shell: a pipe is just an argument to echo.
    let r = agent.run("command", json!({"cmd": "echo a | wc -l"}));
    assert_eq!(r.outcome.values["stdout"], "a | wc -l");
    assert_eq!(r.outcome.values["stdout_lines"], json!(["a | wc -l"]));
}

#[test]
fn check_mode_without_creates_is_skipped() {
    let mut agent = Agent::start();
    let r = agent.check("command", json!({"argv": ["false"]}));
    assert!(!r.failed && r.outcome.skipped && !r.outcome.changed, "{r:?}");
}

#[test]
fn argv_chdir_stdin_removes_and_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let r = agent.run("command", json!({"argv": ["cat"], "stdin": "hello", "chdir": dir.path()}));
    assert_eq!(r.outcome.values["stdout"], "hello");
    let r = agent.run("command", json!({"argv": ["pwd"], "chdir": dir.path()}));
    assert_eq!(r.outcome.values["stdout"], dir.path().canonicalize().unwrap().to_str().unwrap());
    let r = agent.run("command", json!({"argv": ["sleep", 0], "removes": "nothing-here-*"}));
    assert!(!r.outcome.changed && r.outcome.msg.unwrap().contains("does not exist"));

    let r = agent.run("command", json!({"argv": ["sh", "-c", "echo out; echo err >&2; exit 3"]}));
    assert!(r.failed);
    assert_eq!(r.outcome.msg.as_deref(), Some("non-zero return code"));
    assert_eq!((r.outcome.values["rc"].clone(), r.outcome.values["stderr"].clone()), (json!(3), json!("err")));

    let r = agent.run("command", json!({"argv": ["/no/such/program"]}));
    assert!(r.failed && !r.outcome.changed && r.outcome.values["rc"] == 2);
    assert!(r.outcome.msg.unwrap().starts_with("Error executing command: cannot run /no/such/program"));
}

#[test]
fn env_vars_expand_like_ansible_and_task_environment_applies() {
    let mut agent = Agent::start();
    let req = json!({"id": 99, "module": "command", "args": {"_raw_params": "echo $DPCTL_T ${DPCTL_T}x $NOT_SET_DPCTL"},
        "environment": {"DPCTL_T": "v"}});
    let r = agent.raw(&req.to_string());
    assert_eq!(r.outcome.values["stdout"], "v vx $NOT_SET_DPCTL", "{r:?}");
}

#[test]
fn bad_arguments_are_errors() {
    let mut agent = Agent::start();
    let r = agent.run("command", json!({}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("one of the following is required"));
    let r = agent.run("command", json!({"cmd": "a", "argv": ["b"]}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("mutually exclusive"));
    let r = agent.run("command", json!({"cmd": "echo 'open"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unbalanced"));
    let r = agent.run("command", json!({"cmd": "true", "shell": true}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown field"));
}

#[test]
fn shell_runs_script_as_one_argument() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut agent = Agent::start();
    let script = format!("printf 'a\\nb\\n' | wc -l > {}", out.display());
    let r = agent.check("shell", json!({"cmd": script, "creates": out}));
    assert!(r.outcome.changed && !out.exists());
    let r = agent.run("shell", json!({"_raw_params": script, "creates": out}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["cmd"], json!(script));
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "2");
    let r = agent.run("shell", json!({"_raw_params": script, "creates": out}));
    assert!(!r.outcome.changed);

    let r = agent.run("shell", json!({"cmd": "echo $0", "executable": "/bin/bash"}));
    assert_eq!(r.outcome.values["stdout"], "/bin/bash");
    let r = agent.run("shell", json!({"cmd": "exit 4"}));
    assert!(r.failed && r.outcome.values["rc"] == 4);
    let r = agent.run("shell", json!({"cmd": "true", "argv": ["x"]}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown field"));
}

/// The tasks of `fixtures/ansible_command/tasks.json` give the registered
/// results real Ansible gave (`generate.sh` recorded them, with the play's
/// `environment: {DPCTL_SET: set}`).
#[test]
fn matches_recorded_ansible_results() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_command");
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(fixtures.join("tasks.json")).unwrap()).unwrap();
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("expected_results.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut agent = Agent::start();
    for (i, (task, want)) in tasks.iter().zip(&expected).enumerate() {
        let mut args: serde_json::Value = serde_json::from_str(&task["args"].to_string().replace("@DIR@", d)).unwrap();
        if let Some(free_form) = args.as_str() {
            // A free-form task line reaches the module as `_raw_params`, `key=value` words included.
            args = json!({ "_raw_params": free_form });
        }
        let req = json!({"id": 1000 + i, "module": task["module"], "args": args, "environment": {"DPCTL_SET": "set"}});
        let r = agent.raw(&req.to_string());
        let mut got = r.outcome.values.clone();
        got.insert("changed".into(), json!(r.outcome.changed));
        got.insert("failed".into(), json!(r.failed));
        got.insert("msg".into(), json!(r.outcome.msg.clone().unwrap_or_default()));
        if r.outcome.skipped {
            got.insert("skipped".into(), json!(true));
        }
        let got: serde_json::Value = serde_json::from_str(&serde_json::Value::Object(got).to_string().replace(d, "@DIR@")).unwrap();
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "task {i} {task}: key {k}");
        }
    }
}
