use crate::common;

use std::io::Write;
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use common::Agent;
use serde_json::json;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn port_started_after_a_while_and_banner_regex() {
    let port = free_port();
    let server = thread::spawn(move || {
        thread::sleep(Duration::from_millis(1200));
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        for _ in 0..2 {
            let (mut s, _) = l.accept().unwrap();
            let _ = s.write_all(b"hello\nSERVER-1.0 build=42\n");
        }
    });
    let mut agent = Agent::start();
    let r = agent.run("wait_for", json!({"port": port.to_string(), "timeout": "10"}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    assert!(r.outcome.values["elapsed"].as_u64().unwrap() >= 1);
    assert_eq!((r.outcome.values["state"].clone(), r.outcome.values["port"].clone()), (json!("started"), json!(port)));
    let r = agent.run(
        "wait_for",
        json!({"host": "localhost", "port": port, "search_regex": r"^SERVER-(\d+)\.\d+ build=(?P<build>\d+)$", "timeout": 5}),
    );
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.outcome.values["match_groups"], json!(["1", "42"]));
    assert_eq!(r.outcome.values["match_groupdict"], json!({"build": "42"}));
    server.join().unwrap();
}

#[test]
fn port_stopped_and_timeout_failure() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut agent = Agent::start();
    let r = agent.run("wait_for", json!({"port": port, "state": "stopped", "timeout": 1}));
    assert!(r.failed, "{r:?}");
    assert_eq!(r.outcome.msg.unwrap(), format!("Timeout when waiting for 127.0.0.1:{port} to stop."));
    assert!(r.outcome.values["elapsed"].as_u64().unwrap() >= 1);
    let closer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(800));
        drop(l);
    });
    let r = agent.run("wait_for", json!({"port": port, "state": "stopped", "timeout": 10}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    closer.join().unwrap();
    let r = agent.run("wait_for", json!({"port": port, "timeout": 1, "msg": "nobody listens"}));
    assert!(r.failed && r.outcome.msg.as_deref() == Some("nobody listens"));
}

#[test]
fn drained_counts_established_connections() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut agent = Agent::start();
    let r = agent.run("wait_for", json!({"port": port, "state": "drained", "timeout": 5}));
    assert!(!r.failed, "a port without connections is drained: {r:?}");
    let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (_server_side, _) = l.accept().unwrap();
    let r = agent.run("wait_for", json!({"port": port, "state": "drained", "timeout": 1}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("to drain"), "an open connection keeps it busy");
    let r = agent.run("wait_for", json!({"port": port, "state": "drained", "timeout": 1, "exclude_hosts": ["127.0.0.1"]}));
    assert!(!r.failed, "excluded peers do not count: {r:?}");
    drop(client);
}

#[test]
fn path_present_regex_and_absent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.log");
    let writer = {
        let file = file.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(700));
            std::fs::write(&file, "starting\nlistening on port 9092\n").unwrap();
        })
    };
    let mut agent = Agent::start();
    let r = agent.run("wait_for", json!({"path": file, "search_regex": r"listening on port (\d+)", "timeout": 10}));
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.outcome.values["match_groups"], json!(["9092"]));
    assert_eq!(r.outcome.values["path"], file.to_str().unwrap());
    // Like Ansible, a result with a path carries the file's attributes and type.
    assert_eq!((r.outcome.values["state"].clone(), r.outcome.values["owner"].clone()), (json!("file"), json!("root")));
    assert_eq!(r.outcome.values["size"], "starting\nlistening on port 9092\n".len());
    writer.join().unwrap();

    let r = agent.run("wait_for", json!({"path": file, "search_regex": "never there", "timeout": 1}));
    assert!(r.failed);
    assert_eq!(r.outcome.msg.unwrap(), format!("Timeout when waiting for search string never there in {}", file.display()));

    let r = agent.run("wait_for", json!({"path": file, "state": "absent", "timeout": 1}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("to be absent"));
    std::fs::remove_file(&file).unwrap();
    let r = agent.run("wait_for", json!({"path": file, "state": "absent", "timeout": 1}));
    assert!(!r.failed && r.outcome.values["state"] == "absent", "{r:?}");
}

#[test]
fn check_mode_skips_and_bad_arguments_fail() {
    let mut agent = Agent::start();
    let r = agent.check("wait_for", json!({"port": 1, "timeout": 1}));
    assert!(!r.failed && r.outcome.skipped && !r.outcome.changed);
    let r = agent.run("wait_for", json!({"port": 1, "path": "/tmp"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("can not both be passed"));
    let r = agent.run("wait_for", json!({"path": "/tmp", "search_regex": "(unclosed"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Invalid regular expression"));
    let r = agent.run("wait_for", json!({"port": 70000}));
    assert!(r.failed);
    let r = agent.run("wait_for", json!({"port": 1, "state": "drained", "active_connection_states": ["BOGUS"]}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown active_connection_state"));
}
