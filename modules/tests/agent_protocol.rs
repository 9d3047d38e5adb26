use crate::common;

use common::Agent;
use serde_json::json;

#[test]
fn ping_answers_and_bad_requests_get_error_replies() {
    let mut agent = Agent::start();
    let r = agent.run("ping", json!({}));
    assert!(!r.failed && !r.outcome.changed);
    assert_eq!(r.outcome.values["ping"], "pong");

    let r = agent.run("ansible.builtin.ping", json!({"data": "x"}));
    assert_eq!(r.outcome.values["ping"], "x");

    let r = agent.run("ping", json!({"bogus": 1}));
    assert!(r.failed);
    assert!(r.outcome.msg.as_deref().unwrap_or("").contains("unknown field `bogus`"), "{:?}", r.outcome.msg);

    let r = agent.run("no_such_module", json!({}));
    assert!(r.failed && r.outcome.msg.as_deref().unwrap_or("").contains("unknown module"));

    let r = agent.raw("{not json");
    assert!(r.failed && r.outcome.msg.as_deref().unwrap_or("").contains("malformed request"));

    // still alive after the bad ones
    assert_eq!(agent.run("ping", json!({})).outcome.values["ping"], "pong");
}
