//! `slurp` through the agent (read-only: never changed). Messages as
//! ansible-core 2.19 words them (`File not found: …`, checked with `ansible -m slurp`).
use crate::common;

use std::fs;

use base64::Engine;
use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn slurp_returns_base64_and_fails_clearly() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("bin");
    fs::write(&f, [0u8, 159, 146, 150, b'\n']).unwrap();
    let mut agent = Agent::start();
    let r = agent.run("slurp", json!({"src": f}));
    assert!(!r.failed && !r.outcome.changed);
    assert_eq!(r.outcome.values["encoding"], "base64");
    assert_eq!(r.outcome.values["source"], f.to_string_lossy().as_ref());
    let bytes = base64::engine::general_purpose::STANDARD.decode(r.outcome.values["content"].as_str().unwrap()).unwrap();
    assert_eq!(bytes, fs::read(&f).unwrap());
    assert!(!agent.check("slurp", json!({"path": f})).outcome.changed);

    let r = agent.run("slurp", json!({"src": t.path().join("missing")}));
    assert!(r.failed && msg(&r).contains("File not found") && msg(&r).contains("missing"), "{}", msg(&r));
    let r = agent.run("slurp", json!({"src": t.path()}));
    assert!(r.failed && msg(&r).contains("Source is a directory"), "{}", msg(&r));
    let r = agent.run("slurp", json!({"src": f, "encoding": "utf8"}));
    assert!(r.failed && msg(&r).contains("unknown field `encoding`"), "{}", msg(&r));
}
