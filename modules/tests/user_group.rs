//! Creates and removes throwaway accounts named `dpctltest_*`; needs root.
use crate::common;

use std::process::Command;

use common::Agent;
use serde_json::json;

/// useradd/groupadd lock /etc/passwd and /etc/group: one test at a time.
static ACCOUNTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn require_root() {
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(uid.trim(), "0", "user/group tests create real accounts and must run as root");
}

/// Removes the throwaway accounts even when an assertion fails.
struct Cleanup(&'static [&'static str], &'static [&'static str]);
impl Drop for Cleanup {
    fn drop(&mut self) {
        for u in self.0 {
            let _ = Command::new("userdel").args(["-r", u]).output();
        }
        for g in self.1 {
            let _ = Command::new("groupdel").arg(g).output();
        }
    }
}

fn passwd_line(name: &str) -> Option<String> {
    std::fs::read_to_string("/etc/passwd").unwrap().lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_string)
}

fn group_line(name: &str) -> Option<String> {
    std::fs::read_to_string("/etc/group").unwrap().lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_string)
}

#[test]
fn group_create_modify_remove() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&[], &["dpctltest_g1"]);
    let mut agent = Agent::start();
    let r = agent.check("group", json!({"name": "dpctltest_g1", "gid": 45671}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").is_none(), "{r:?}");
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": 45671}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(group_line("dpctltest_g1").unwrap(), "dpctltest_g1:x:45671:");
    assert_eq!(r.outcome.values["gid"], 45671);
    assert!(!agent.run("group", json!({"name": "dpctltest_g1", "gid": 45671})).outcome.changed);
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": "many"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid integer"), "gid must be a number");
    // A templated number arrives as text; Ansible converts it, so do we.
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": "45672"}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").unwrap().contains(":45672:"));
    let r = agent.check("group", json!({"name": "dpctltest_g1", "state": "absent"}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").is_some());
    assert!(agent.run("group", json!({"name": "dpctltest_g1", "state": "absent"})).outcome.changed);
    assert!(group_line("dpctltest_g1").is_none());
    assert!(!agent.run("group", json!({"name": "dpctltest_g1", "state": "absent"})).outcome.changed);
    let r = agent.run("group", json!({"name": "dpctltest_g1", "state": "gone"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
}

#[test]
fn user_create_modify_groups_and_remove() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_u1"], &["dpctltest_ug1", "dpctltest_ug2"]);
    let mut agent = Agent::start();
    for g in ["dpctltest_ug1", "dpctltest_ug2"] {
        assert!(agent.run("group", json!({"name": g})).outcome.changed);
    }
    let args = json!({"name": "dpctltest_u1", "shell": "/bin/sh", "comment": "test account", "groups": "dpctltest_ug1",
        "home": "/tmp/dpctltest_u1_home", "password": "$6$salt$abc"});
    let r = agent.check("user", args.clone());
    assert!(r.outcome.changed && passwd_line("dpctltest_u1").is_none(), "{r:?}");

    let r = agent.run("user", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let line = passwd_line("dpctltest_u1").unwrap();
    assert!(line.ends_with(":test account:/tmp/dpctltest_u1_home:/bin/sh"), "{line}");
    assert!(std::path::Path::new("/tmp/dpctltest_u1_home").is_dir());
    assert!(group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1"));
    assert_eq!(r.outcome.values["password"], "NOT_LOGGING_PASSWORD");
    assert_eq!(r.outcome.values["uid"].as_u64().unwrap().to_string(), line.split(':').nth(2).unwrap());

    let r = agent.run("user", args.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");

    // append adds without removing; a plain list replaces.
    let r = agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "append": "yes"}));
    assert!(r.outcome.changed);
    assert!(
        group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1") && group_line("dpctltest_ug2").unwrap().ends_with(":dpctltest_u1")
    );
    assert!(!agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "append": true})).outcome.changed);
    let r = agent.check("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "shell": "/bin/bash"}));
    assert!(r.outcome.changed && group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1"), "check changed nothing");
    assert!(agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "shell": "/bin/bash"})).outcome.changed);
    assert!(!group_line("dpctltest_ug1").unwrap().contains("dpctltest_u1"));
    assert!(passwd_line("dpctltest_u1").unwrap().ends_with(":/bin/bash"));

    let r = agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_nogroup"]}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Group dpctltest_nogroup does not exist"));
    let r = agent.run("user", json!({"name": "dpctltest_u1", "uid": "many"}));
    assert!(r.failed);

    let gone = json!({"name": "dpctltest_u1", "state": "absent", "remove": true});
    assert!(agent.check("user", gone.clone()).outcome.changed && passwd_line("dpctltest_u1").is_some());
    let r = agent.run("user", gone.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(passwd_line("dpctltest_u1").is_none() && !std::path::Path::new("/tmp/dpctltest_u1_home").exists());
    assert!(!agent.run("user", gone).outcome.changed);
}

/// Refused while the arguments are read: no account is looked up or touched.
#[test]
fn user_and_group_bad_arguments() {
    let mut agent = Agent::start();
    for (module, args, want) in [
        ("user", json!({"name": "dpctltest_bad", "shel": "/bin/sh"}), "unknown field `shel`"),
        ("user", json!({"name": "dpctltest_bad", "state": "gone"}), "unknown variant `gone`"),
        ("user", json!({"name": "dpctltest_bad", "uid": "many"}), "invalid integer"),
        ("user", json!({"shell": "/bin/sh"}), "missing field `name`"),
        ("group", json!({"name": "dpctltest_bad", "system": "maybe"}), "boolean"),
        ("group", json!({"name": "dpctltest_bad", "members": ["x"]}), "unknown field `members`"),
    ] {
        let r = agent.run(module, args.clone());
        assert!(r.failed && r.outcome.msg.clone().unwrap_or_default().contains(want), "{module} {args}: {r:?}");
        assert!(passwd_line("dpctltest_bad").is_none() && group_line("dpctltest_bad").is_none());
    }
}

/// The tasks of `fixtures/ansible_user/tasks.json` give the registered results
/// real Ansible gave (`generate.sh` recorded them; fixed ids, so they compare).
#[test]
fn matches_recorded_ansible_results() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_cu1"], &["dpctltest_cu1", "dpctltest_cg1", "dpctltest_cg2"]);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_user");
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(fixtures.join("tasks.json")).unwrap()).unwrap();
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("expected_results.json")).unwrap()).unwrap();
    let mut agent = Agent::start();
    for (i, (task, want)) in tasks.iter().zip(&expected).enumerate() {
        let r = agent.run(task["module"].as_str().unwrap(), task["args"].clone());
        assert!(!r.failed, "task {i}: {r:?}");
        let mut got = r.outcome.values.clone();
        got.insert("changed".into(), json!(r.outcome.changed));
        let want = want.as_object().unwrap();
        for (k, v) in want {
            assert_eq!(got.get(k), Some(v), "task {i} {task}: key {k}");
        }
        for k in ["groups", "append", "system", "remove"] {
            assert_eq!(got.contains_key(k), want.contains_key(k), "task {i} {task}: key {k} present in one result only");
        }
    }
}
