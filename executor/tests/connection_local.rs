//! `ansible_connection: local`: the agent is a child process of the executor.

mod support;

use std::path::Path;

use dpctl::connection::{ConnError, ConnOptions, ConnParams, Pool};
use modules::protocol::Request;
use serde_json::json;

fn ping(id: u64, data: &str) -> Request {
    Request::new(id, "ping", json!({ "data": data }))
}

fn pool_with(agent: &Path) -> Pool {
    Pool::new(ConnOptions { agent_path: Some(agent.to_path_buf()), ..ConnOptions::default() })
}

fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[tokio::test]
async fn one_resident_agent_answers_a_hundred_sequential_requests() {
    let pool = pool_with(&support::agent_binary());
    let p = ConnParams::implicit_localhost(pool.options());
    let pid = pool.agent_hello(&p, None).await.unwrap().pid;
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    for i in 0..100u64 {
        let reply = pool.call(&p, None, ping(i, &format!("n{i}"))).await.unwrap();
        assert!(!reply.failed, "{reply:?}");
        assert_eq!((reply.id, reply.outcome.values["ping"].as_str().unwrap().to_string()), (i, format!("n{i}")));
    }
    assert_eq!(pool.agent_hello(&p, None).await.unwrap().pid, pid, "the same process served every request");
    let c = pool.counts();
    assert_eq!((c.agents_started, c.ssh_connects, c.agent_uploads), (1, 0, 0));

    // Module failures come back as failed replies on the same agent.
    let reply = pool.call(&p, None, ping(500, "crash")).await.unwrap();
    assert!(reply.failed && reply.outcome.msg.as_deref() == Some("boom"), "{reply:?}");
    pool.close_all().await;
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z")
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("agent {pid} still running after close_all");
}

#[tokio::test]
async fn an_agent_with_another_protocol_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fake = script(dir.path(), "old-agent", r#"echo '{"agent":"0.0.1","protocol":999,"pid":1}'; cat >/dev/null"#);
    let pool = pool_with(&fake);
    let err = pool.call(&ConnParams::implicit_localhost(pool.options()), None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Agent { .. }) && !err.is_unreachable(), "{err:?}");
    assert!(err.to_string().contains("protocol 999"), "{err}");
}

#[tokio::test]
async fn an_agent_that_dies_is_an_agent_error_with_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let fake =
        script(dir.path(), "dying-agent", r#"echo '{"agent":"x","protocol":1,"pid":1}'; read line; echo 'agent fell over' >&2; exit 3"#);
    let pool = pool_with(&fake);
    let p = ConnParams::implicit_localhost(pool.options());
    let err = pool.call(&p, None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Agent { .. }), "{err:?}");
    assert!(err.to_string().contains("agent fell over"), "{err}");
    // The next call starts a fresh agent.
    let _ = pool.call(&p, None, ping(2, "x")).await;
    assert_eq!(pool.counts().agents_started, 2);
}

#[tokio::test]
async fn a_missing_agent_binary_says_where_it_looked() {
    let pool = pool_with(Path::new("/nonexistent/dpctl-agent"));
    let err = pool.call(&ConnParams::implicit_localhost(pool.options()), None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::AgentBinary { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/dpctl-agent"), "{err}");
}

#[tokio::test]
async fn local_become_runs_the_agent_as_that_user() {
    let Some((user, _)) = support::become_user() else { return };
    let pool = pool_with(&support::agent_binary());
    let p = ConnParams::implicit_localhost(pool.options());
    let hello = pool.agent_hello(&p, Some(user)).await.unwrap();
    assert_eq!(support::process_uid(hello.pid), support::uid_of(user));
    let reply = pool.call(&p, Some(user), ping(1, "sudo")).await.unwrap();
    assert_eq!(reply.outcome.values["ping"], "sudo");
    pool.close_all().await;
}
