//! `blockinfile` through the agent: run/ok/check/diff, backup, removal.
//! Marker handling and placement are compared with recorded ansible-core 2.19
//! results in `ansible_compat_edits.rs`.
use crate::common;

use std::fs;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn block_cycle_update_and_remove() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("zoo.cfg");
    fs::write(&p, "tickTime=2000\n").unwrap();
    let mut agent = Agent::start();
    let args =
        json!({"path": p, "block": "server.1=a:2888:3888\nserver.2=b:2888:3888", "marker": "# {mark} dpctl servers", "backup": true});

    let c = agent.check("blockinfile", args.clone());
    assert!(c.outcome.changed && msg(&c) == "Block inserted");
    assert_eq!(fs::read_to_string(&p).unwrap(), "tickTime=2000\n");
    assert_eq!(
        c.outcome.diff[0].after,
        "tickTime=2000\n# BEGIN dpctl servers\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n# END dpctl servers\n"
    );

    let r = agent.run("blockinfile", args.clone());
    assert!(r.outcome.changed);
    assert_eq!(fs::read_to_string(&p).unwrap(), c.outcome.diff[0].after);
    assert_eq!(fs::read_to_string(r.outcome.values["backup_file"].as_str().unwrap()).unwrap(), "tickTime=2000\n");
    let again = agent.run("blockinfile", args);
    assert!(!again.outcome.changed && msg(&again).is_empty());

    let r = agent.run("blockinfile", json!({"path": p, "block": "server.1=c:2888:3888", "marker": "# {mark} dpctl servers"}));
    assert!(r.outcome.changed);
    assert_eq!(fs::read_to_string(&p).unwrap(), "tickTime=2000\n# BEGIN dpctl servers\nserver.1=c:2888:3888\n# END dpctl servers\n");

    let r = agent.run("blockinfile", json!({"path": p, "state": "absent", "marker": "# {mark} dpctl servers"}));
    assert!(r.outcome.changed && msg(&r) == "Block removed");
    assert_eq!(fs::read_to_string(&p).unwrap(), "tickTime=2000\n");
    assert!(!agent.run("blockinfile", json!({"path": p, "state": "absent", "marker": "# {mark} dpctl servers"})).outcome.changed);
}

#[test]
fn bad_arguments_and_missing_file() {
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let p = t.path().join("none");
    let r = agent.run("blockinfile", json!({"path": p, "block": "x"}));
    assert!(r.failed && msg(&r).contains("does not exist") && msg(&r).contains("none"), "{}", msg(&r));
    let r = agent.run("blockinfile", json!({"path": p, "block": "x", "markers": "x"}));
    assert!(r.failed && msg(&r).contains("unknown field `markers`"), "{}", msg(&r));
    let r = agent.run("blockinfile", json!({"path": p, "block": "x", "state": "maybe"}));
    assert!(r.failed && msg(&r).contains("unknown variant"), "{}", msg(&r));
    let r = agent.run("blockinfile", json!({"path": p, "block": "x", "create": true, "insertafter": "("}));
    assert!(r.failed && msg(&r).contains("invalid regular expression"), "{}", msg(&r));
    assert!(!p.exists());
}
