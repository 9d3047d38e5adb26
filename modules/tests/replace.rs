//! `replace` through the agent: run/ok/check/diff, backup, sections.
//! Regex and section semantics are compared with recorded ansible-core 2.19
//! results in `ansible_compat_edits.rs`.
use crate::common;

use std::fs;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn replace_cycle_with_backrefs_backup_and_diff() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("spark-defaults.conf");
    fs::write(&p, "spark.master local\nspark.driver.memory 1g\n").unwrap();
    let mut agent = Agent::start();
    let args = json!({"path": p, "regexp": "^(spark\\.driver\\.memory) \\d+g$", "replace": "\\1 4g", "backup": true});
    let c = agent.check("replace", args.clone());
    assert!(c.outcome.changed && msg(&c) == "1 replacements made");
    assert_eq!(c.outcome.diff[0].after, "spark.master local\nspark.driver.memory 4g\n");
    assert_eq!(fs::read_to_string(&p).unwrap(), "spark.master local\nspark.driver.memory 1g\n");
    let r = agent.run("replace", args.clone());
    assert!(r.outcome.changed);
    assert_eq!(fs::read_to_string(&p).unwrap(), "spark.master local\nspark.driver.memory 4g\n");
    assert!(fs::read_to_string(r.outcome.values["backup_file"].as_str().unwrap()).unwrap().contains("1g"));
    let again = agent.run("replace", args);
    assert!(!again.outcome.changed && !again.failed);

    let r = agent.run("replace", json!({"path": p, "regexp": "x", "after": "NOPE"}));
    assert!(!r.failed && !r.outcome.changed && msg(&r).contains("did not match"));
}

#[test]
fn bad_arguments_and_missing_file() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("f");
    fs::write(&p, "x\n").unwrap();
    let mut agent = Agent::start();
    let r = agent.run("replace", json!({"path": p}));
    assert!(r.failed && msg(&r).contains("missing field `regexp`"), "{}", msg(&r));
    let r = agent.run("replace", json!({"path": p, "regexp": "x", "replacement": "y"}));
    assert!(r.failed && msg(&r).contains("unknown field `replacement`"), "{}", msg(&r));
    let r = agent.run("replace", json!({"path": p, "regexp": "[x"}));
    assert!(r.failed && msg(&r).contains("invalid regular expression"), "{}", msg(&r));
    let r = agent.run("replace", json!({"path": p, "regexp": "x", "backup": "often"}));
    assert!(r.failed && msg(&r).contains("boolean"), "{}", msg(&r));
    let r = agent.run("replace", json!({"path": t.path().join("none"), "regexp": "x"}));
    assert!(r.failed && msg(&r).contains("does not exist"), "{}", msg(&r));
    assert_eq!(fs::read_to_string(&p).unwrap(), "x\n");
}
