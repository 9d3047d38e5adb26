//! `lineinfile` through the agent: the run/ok/check/diff cycle, backup,
//! validate, create, attributes. Line placement (insertafter/insertbefore,
//! BOF/EOF, firstmatch, backrefs, search_string, absent) is compared with
//! recorded ansible-core 2.19 results in `ansible_compat_edits.rs`.
use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn replace_line_cycle_with_diff_backup_and_mode() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("server.properties");
    fs::write(&p, "broker.id=0\nlog.dirs=/tmp\n").unwrap();
    let mut agent = Agent::start();
    let args = json!({"path": p, "regexp": "^log\\.dirs=", "line": "log.dirs=/data/kafka", "backup": "yes", "mode": "0600"});

    let c = agent.check("lineinfile", args.clone());
    assert!(!c.failed && c.outcome.changed, "{:?}", c.outcome);
    assert_eq!(msg(&c), "line replaced and ownership, perms or SE linux context changed");
    assert_eq!(fs::read_to_string(&p).unwrap(), "broker.id=0\nlog.dirs=/tmp\n");
    assert_eq!(c.outcome.diff[0].before, "broker.id=0\nlog.dirs=/tmp\n");
    assert_eq!(c.outcome.diff[0].after, "broker.id=0\nlog.dirs=/data/kafka\n");
    assert!(c.outcome.diff[1].after.contains(r#""mode": "0600""#));

    let r = agent.run("lineinfile", args.clone());
    assert!(r.outcome.changed);
    assert_eq!(fs::read_to_string(&p).unwrap(), "broker.id=0\nlog.dirs=/data/kafka\n");
    assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    let backup = r.outcome.values["backup"].as_str().unwrap();
    assert_eq!(fs::read_to_string(backup).unwrap(), "broker.id=0\nlog.dirs=/tmp\n");

    let again = agent.run("lineinfile", args);
    assert!(!again.failed && !again.outcome.changed);
    assert_eq!(again.outcome.values["backup"], "");
}

#[test]
fn create_with_parents_validate_and_absent() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("new/dir/hosts");
    let mut agent = Agent::start();
    let c = agent.check("lineinfile", json!({"path": p, "line": "127.0.0.1 kafka", "create": true}));
    assert!(c.outcome.changed && !t.path().join("new").exists());
    let r = agent.run("lineinfile", json!({"dest": p, "line": "127.0.0.1 kafka", "create": true}));
    assert!(r.outcome.changed && msg(&r) == "line added");
    assert_eq!(fs::read_to_string(&p).unwrap(), "127.0.0.1 kafka\n");

    let r = agent.run("lineinfile", json!({"path": p, "line": "broken", "validate": "grep -q kafka-never %s"}));
    assert!(r.failed && msg(&r).contains("failed to validate"));
    assert_eq!(fs::read_to_string(&p).unwrap(), "127.0.0.1 kafka\n");

    let r = agent.run("lineinfile", json!({"path": p, "regexp": "kafka", "state": "absent"}));
    assert!(r.outcome.changed && msg(&r) == "1 line(s) removed" && r.outcome.values["found"] == 1);
    assert!(!agent.run("lineinfile", json!({"path": p, "regexp": "kafka", "state": "absent"})).outcome.changed);
    let r = agent.run("lineinfile", json!({"path": t.path().join("none"), "regexp": "x", "state": "absent"}));
    assert!(!r.failed && !r.outcome.changed && msg(&r) == "file not present");
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("f");
    fs::write(&p, "x\n").unwrap();
    let mut agent = Agent::start();
    for (args, want) in [
        (json!({"path": p, "line": "a", "nope": 1}), "unknown field `nope`"),
        (json!({"path": p, "line": "a", "state": "gone"}), "unknown variant `gone`"),
        (json!({"path": p, "line": "a", "create": "perhaps"}), "boolean"),
        (json!({"path": p, "regexp": "(", "line": "a"}), "invalid regular expression"),
        (json!({"path": p}), "line is required with state=present"),
        (json!({"path": p, "line": "a", "backrefs": true}), "regexp is required with backrefs=true"),
        (json!({"path": p, "line": "a", "insertafter": "x", "insertbefore": "y"}), "mutually exclusive"),
        (json!({"path": t.path(), "line": "a"}), "is a directory"),
    ] {
        let r = agent.run("lineinfile", args.clone());
        assert!(r.failed && msg(&r).contains(want), "{args}: {}", msg(&r));
    }
    assert_eq!(fs::read_to_string(&p).unwrap(), "x\n");
}
