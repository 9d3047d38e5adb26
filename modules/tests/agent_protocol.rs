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

fn msg(r: &modules::protocol::Reply) -> &str {
    r.outcome.msg.as_deref().unwrap_or("")
}

#[test]
fn every_kind_of_bad_request_gets_an_error_reply_and_the_agent_keeps_serving() {
    let mut agent = Agent::start_with(&["--max-request-bytes", "4096"]);
    let cases: Vec<(Vec<u8>, u64, &str)> = vec![
        // wrong types in the request itself and in the module's arguments
        (br#"{"id":"one","module":"ping"}"#.to_vec(), 0, "malformed request"),
        (br#"{"id":3,"module":["ping"]}"#.to_vec(), 0, "malformed request"),
        (br#"{"id":4,"module":"ping","args":{"data":["x"]}}"#.to_vec(), 4, "invalid type"),
        (br#"{"id":5,"module":"file","args":{"path":"/tmp/x","mode":{"a":1}}}"#.to_vec(), 5, "file"),
        (br#"{"id":6,"module":"ping","args":"data=x"}"#.to_vec(), 6, "ping"),
        // not a request at all
        (br#"[1,2,3]"#.to_vec(), 0, "malformed request"),
        (br#"{"id":7,"module":"ping","surprise":true}"#.to_vec(), 0, "unknown field `surprise`"),
        (b"\xff\xfe{}".to_vec(), 0, "not UTF-8"),
        // a module the agent must not run, and a protocol it does not speak
        (br#"{"id":8,"module":"set_fact","args":{"a":1}}"#.to_vec(), 8, "runs in the executor"),
        (br#"{"id":9,"module":"ping","protocol":999}"#.to_vec(), 9, "protocol 999"),
        // longer than the limit: skipped without being buffered
        (
            format!(r#"{{"id":10,"module":"ping","args":{{"data":"{}"}}}}"#, "x".repeat(100_000)).into_bytes(),
            0,
            "longer than the agent's limit of 4096",
        ),
    ];
    for (line, id, expected) in &cases {
        let r = agent.raw_bytes(line);
        assert!(r.failed, "{}: {r:?}", String::from_utf8_lossy(&line[..line.len().min(80)]));
        assert_eq!(r.id, *id, "{r:?}");
        assert!(msg(&r).contains(expected), "expected {expected:?} in {:?}", msg(&r));
        // every bad line leaves the agent answering the next good one
        assert_eq!(agent.run("ping", json!({"data": "ok"})).outcome.values["ping"], "ok");
    }
    let r = agent.raw(r#"{"id":11,"module":"ping","protocol":1}"#);
    assert!(!r.failed && r.id == 11, "the current protocol is accepted: {r:?}");
}
