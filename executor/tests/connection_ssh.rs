//! Connections over real sshd instances on loopback (see `support/sshd.rs`).
//! Needs `/usr/sbin/sshd` (openssh-server) and a built `dpctl-agent`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use dpctl::connection::{AgentBinary, ConnError, ConnOptions, ConnParams, Pool};
use modules::protocol::Request;
use serde_json::json;
use support::sshd::Fleet;

fn ping(id: u64, data: &str) -> Request {
    Request::new(id, "ping", json!({ "data": data }))
}

fn opts_with(agent: &Path) -> ConnOptions {
    ConnOptions { agent_path: Some(agent.to_path_buf()), ..ConnOptions::default() }
}

fn params(fleet: &Fleet, i: usize, opts: &ConnOptions) -> ConnParams {
    ConnParams::from_host_vars(&fleet.hosts[i].name, &fleet.host_vars(i), opts).unwrap()
}

fn pong(reply: &modules::protocol::Reply) -> &str {
    assert!(!reply.failed, "reply failed: {reply:?}");
    reply.outcome.values["ping"].as_str().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_once_then_a_second_pool_reuses_the_cached_agent() {
    let fleet = Fleet::start(1);
    let agent = support::agent_binary();
    let opts = opts_with(&agent);
    let p = params(&fleet, 0, &opts);

    let pool = Pool::new(opts.clone());
    let reply = pool.call(&p, None, ping(7, "hello")).await.unwrap();
    assert_eq!((reply.id, pong(&reply)), (7, "hello"));
    for i in 0..5 {
        pool.call(&p, None, ping(100 + i, "again")).await.unwrap();
    }
    let c = pool.counts();
    assert_eq!((c.ssh_connects, c.agent_uploads, c.agent_cache_hits, c.agents_started), (1, 1, 0, 1));

    let dir = fleet.hosts[0].home.join(".cache/dpctl/agents");
    let cached = dir.join(AgentBinary::load(&agent).unwrap().cache_name());
    assert_eq!(std::fs::read(&cached).unwrap(), std::fs::read(&agent).unwrap());
    assert_eq!((mode(&dir), mode(&cached)), (0o700, 0o700));
    use std::os::unix::fs::MetadataExt;
    let me = support::uid_of(&support::sshd::current_user());
    assert_eq!((std::fs::metadata(&dir).unwrap().uid(), std::fs::metadata(&cached).unwrap().uid()), (me, me), "owned by the login user");
    let hello = pool.agent_hello(&p, None).await.unwrap();
    assert_eq!(std::fs::read_link(format!("/proc/{}/exe", hello.pid)).unwrap(), cached, "the agent runs from the cache");
    pool.close_all().await;

    let again = Pool::new(opts);
    assert_eq!(pong(&again.call(&p, None, ping(1, "x")).await.unwrap()), "x");
    let c = again.counts();
    assert_eq!((c.agent_uploads, c.agent_cache_hits), (0, 1), "second run finds the agent cached");
    again.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_or_damaged_agent_is_uploaded_again() {
    let fleet = Fleet::start(1);
    let tmp = tempfile::tempdir().unwrap();
    let first = support::tagged_agent(tmp.path(), "one");
    let second = support::tagged_agent(tmp.path(), "two");

    let pool = Pool::new(opts_with(&first));
    pool.call(&params(&fleet, 0, pool.options()), None, ping(1, "a")).await.unwrap();
    assert_eq!(pool.counts().agent_uploads, 1);
    pool.close_all().await;

    let pool = Pool::new(opts_with(&second));
    pool.call(&params(&fleet, 0, pool.options()), None, ping(1, "b")).await.unwrap();
    assert_eq!(pool.counts().agent_uploads, 1, "a different agent hash is uploaded");
    pool.close_all().await;

    // A cached copy whose bytes no longer match its name is replaced.
    let cached = fleet.hosts[0].home.join(".cache/dpctl/agents").join(AgentBinary::load(&second).unwrap().cache_name());
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes.push(b'!');
    // Replace rather than rewrite: the previous agent may still be exiting (ETXTBSY).
    std::fs::remove_file(&cached).unwrap();
    std::fs::write(&cached, bytes).unwrap();
    std::fs::set_permissions(&cached, std::fs::Permissions::from_mode(0o700)).unwrap();
    let pool = Pool::new(opts_with(&second));
    pool.call(&params(&fleet, 0, pool.options()), None, ping(1, "c")).await.unwrap();
    assert_eq!((pool.counts().agent_uploads, pool.counts().agent_cache_hits), (1, 0));
    assert_eq!(std::fs::read(&cached).unwrap(), std::fs::read(&second).unwrap());
    pool.close_all().await;

    // A cached file swapped for a working impostor (it would leave a mark, then run the real
    // agent, so the run would succeed) is never executed: its hash is wrong, so it is replaced.
    let mark = tmp.path().join("impostor-ran");
    std::fs::remove_file(&cached).unwrap();
    std::fs::write(&cached, format!("#!/bin/sh\ntouch {}\nexec {} \"$@\"\n", mark.display(), second.display())).unwrap();
    std::fs::set_permissions(&cached, std::fs::Permissions::from_mode(0o700)).unwrap();
    let pool = Pool::new(opts_with(&second));
    let p = params(&fleet, 0, pool.options());
    assert_eq!(pong(&pool.call(&p, None, ping(1, "d")).await.unwrap()), "d");
    assert_eq!((pool.counts().agent_uploads, pool.counts().agent_cache_hits), (1, 0));
    assert!(!mark.exists(), "the tampered agent was executed");
    assert_eq!(std::fs::read(&cached).unwrap(), std::fs::read(&second).unwrap());
    let hello = pool.agent_hello(&p, None).await.unwrap();
    assert_eq!(std::fs::read_link(format!("/proc/{}/exe", hello.pid)).unwrap(), cached);
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_hosts_in_parallel_and_pipelined_calls_get_their_own_replies() {
    let fleet = Fleet::start(10);
    let pool = Arc::new(Pool::new(opts_with(&support::agent_binary())));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let p = params(&fleet, i, pool.options());
        let pool = pool.clone();
        tasks.spawn(async move {
            for n in 0..5u64 {
                let data = format!("{}-{n}", p.inventory_hostname);
                let reply = pool.call(&p, None, ping(n, &data)).await.unwrap();
                assert_eq!((reply.id, pong(&reply)), (n, data.as_str()));
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let c = pool.counts();
    assert_eq!((c.ssh_connects, c.agents_started, c.agent_uploads), (10, 10, 10));

    // 50 concurrent callers on one host share one agent.
    let p = params(&fleet, 3, pool.options());
    let pid = pool.agent_hello(&p, None).await.unwrap().pid;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50u64 {
        let (pool, p) = (pool.clone(), p.clone());
        tasks.spawn(async move {
            let reply = pool.call(&p, None, ping(1000 + n, &format!("c{n}"))).await.unwrap();
            assert_eq!((reply.id, pong(&reply).to_string()), (1000 + n, format!("c{n}")));
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_eq!(pool.agent_hello(&p, None).await.unwrap().pid, pid);
    assert_eq!(pool.counts().agents_started, 10);
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_key_is_refused_naming_the_known_hosts_file() {
    let fleet = Fleet::start(1);
    let empty = fleet.dir.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let mut vars = fleet.host_vars(0);
    vars.insert("ansible_ssh_common_args".into(), json!(format!("-o UserKnownHostsFile={}", empty.display())));
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    let err = pool.call(&p, None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::HostKey { .. }), "{err:?}");
    assert!(err.is_unreachable());
    let msg = err.to_string();
    assert!(msg.contains(&empty.display().to_string()) && msg.contains(&format!("[127.0.0.1]:{}", fleet.hosts[0].port)), "{msg}");
    assert_eq!(std::fs::read_to_string(&empty).unwrap(), "", "nothing is recorded without opt-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_refused_naming_file_and_line() {
    let fleet = Fleet::start(2);
    // host1's port recorded with host2's key, on line 2.
    let kh = fleet.dir.path().join("wrong_known_hosts");
    std::fs::write(&kh, format!("# comment\n[127.0.0.1]:{} {}\n", fleet.hosts[0].port, fleet.hosts[1].host_key_pub)).unwrap();
    let mut vars = fleet.host_vars(0);
    vars.insert("ansible_ssh_common_args".into(), json!(format!("-o UserKnownHostsFile={}", kh.display())));
    let opts = ConnOptions { accept_new_host_keys: true, ..opts_with(&support::agent_binary()) };
    let pool = Pool::new(opts);
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    let err = pool.call(&p, None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::HostKey { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("{}:2", kh.display())) && msg.contains("CHANGED"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_new_records_the_key_and_checking_off_connects() {
    let fleet = Fleet::start(1);
    let kh = fleet.dir.path().join("new_known_hosts");
    let mut vars = fleet.host_vars(0);
    vars.insert("ansible_ssh_common_args".into(), json!(format!("-o UserKnownHostsFile={}", kh.display())));

    // Checking off is ssh's StrictHostKeyChecking=no (what Ansible passes): a changed key is
    // tolerated and left alone, an unknown one recorded.
    let off_kh = fleet.dir.path().join("off_known_hosts");
    let mut off_vars = vars.clone();
    off_vars.insert("ansible_ssh_common_args".into(), json!(format!("-o UserKnownHostsFile={}", off_kh.display())));
    let other_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL3J+X7jy/oo8JYoaZHCFLtFQNkJpxre8Olg+ipSeybo";
    let changed = format!("[127.0.0.1]:{} {other_key}\n", fleet.hosts[0].port);
    std::fs::write(&off_kh, &changed).unwrap();
    let off = Pool::new(ConnOptions { host_key_checking: false, ..opts_with(&support::agent_binary()) });
    let p = ConnParams::from_host_vars("host1", &off_vars, off.options()).unwrap();
    assert_eq!(pong(&off.call(&p, None, ping(1, "off")).await.unwrap()), "off");
    off.close_all().await;
    assert_eq!(std::fs::read_to_string(&off_kh).unwrap(), changed, "a changed key is not overwritten");
    std::fs::remove_file(&off_kh).unwrap();
    let off = Pool::new(ConnOptions { host_key_checking: false, ..opts_with(&support::agent_binary()) });
    assert_eq!(pong(&off.call(&p, None, ping(1, "off")).await.unwrap()), "off");
    off.close_all().await;
    assert_eq!(std::fs::read_to_string(&off_kh).unwrap(), format!("[127.0.0.1]:{} {}\n", fleet.hosts[0].port, fleet.hosts[0].host_key_pub));

    let accept = Pool::new(ConnOptions { accept_new_host_keys: true, ..opts_with(&support::agent_binary()) });
    let p = ConnParams::from_host_vars("host1", &vars, accept.options()).unwrap();
    assert_eq!(pong(&accept.call(&p, None, ping(1, "new")).await.unwrap()), "new");
    accept.close_all().await;
    let text = std::fs::read_to_string(&kh).unwrap();
    assert_eq!(text, format!("[127.0.0.1]:{} {}\n", fleet.hosts[0].port, fleet.hosts[0].host_key_pub));

    let strict = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host1", &vars, strict.options()).unwrap();
    assert_eq!(pong(&strict.call(&p, None, ping(1, "strict")).await.unwrap()), "strict", "the recorded key is trusted afterwards");
    strict.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_whose_sshd_dies_becomes_unreachable_while_others_keep_working() {
    let mut fleet = Fleet::start(3);
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let ps: Vec<_> = (0..3).map(|i| params(&fleet, i, pool.options())).collect();
    for p in &ps {
        pool.call(p, None, ping(1, "up")).await.unwrap();
    }
    fleet.kill(1);
    let err = pool.call(&ps[1], None, ping(2, "down")).await.unwrap_err();
    assert!(matches!(err, ConnError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().starts_with("host2: unreachable"), "{err}");
    for p in [&ps[0], &ps[2]] {
        assert_eq!(pong(&pool.call(p, None, ping(3, "still")).await.unwrap()), "still");
    }
    let err = pool.call(&ps[1], None, ping(4, "down")).await.unwrap_err();
    assert!(
        err.is_unreachable() && err.to_string().contains("Failed to connect to the host via ssh"),
        "a reconnect is tried and refused: {err}"
    );
    assert_eq!(pool.counts().ssh_connects, 3, "the healthy hosts kept their connection");
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_with_nothing_listening_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let vars = json!({"ansible_host": "127.0.0.1", "ansible_port": port});
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("ghost", vars.as_object().unwrap(), pool.options()).unwrap();
    let err = pool.call(&p, None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("connect to host 127.0.0.1 port {port}: Connection refused")), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_key_is_an_auth_failure() {
    let fleet = Fleet::start(1);
    let other = fleet.dir.path().join("other_key");
    let st = std::process::Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&other).status().unwrap();
    assert!(st.success());
    let mut vars = fleet.host_vars(0);
    vars.insert("ansible_ssh_private_key_file".into(), json!(other));
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    let err = pool.call(&p, None, ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Auth { .. }) && err.is_unreachable(), "{err:?}");
    assert!(err.to_string().contains(&other.display().to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_jump_reaches_a_host_through_another() {
    let fleet = Fleet::start(2);
    let mut vars = fleet.host_vars(1);
    let args = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o ProxyJump={}@127.0.0.1:{}",
        fleet.known_hosts.display(),
        support::sshd::current_user(),
        fleet.hosts[0].port
    );
    vars.insert("ansible_ssh_common_args".into(), json!(args));
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host2", &vars, pool.options()).unwrap();
    assert_eq!(pong(&pool.call(&p, None, ping(1, "jumped")).await.unwrap()), "jumped");
    // The agent landed in host2's cache, not host1's.
    assert!(fleet.hosts[1].home.join(".cache/dpctl/agents").is_dir());
    assert!(!fleet.hosts[0].home.join(".cache/dpctl").exists());
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn become_starts_a_second_agent_as_that_user_on_the_same_connection() {
    let Some((user, _)) = support::become_user() else { return };
    let fleet = Fleet::start(1);
    let tmp = tempfile::tempdir().unwrap();
    // A unique agent, so its copy in the become user's real home is ours to remove.
    let agent = support::tagged_agent(tmp.path(), "become");
    let pool = Pool::new(opts_with(&agent));
    let p = params(&fleet, 0, pool.options());

    assert_eq!(pong(&pool.call(&p, Some(user), ping(5, "as-other")).await.unwrap()), "as-other");
    assert_eq!(pong(&pool.call(&p, None, ping(6, "as-login")).await.unwrap()), "as-login");
    let other = pool.agent_hello(&p, Some(user)).await.unwrap();
    let login = pool.agent_hello(&p, None).await.unwrap();
    assert_eq!(support::process_uid(other.pid), support::uid_of(user));
    assert_eq!(support::process_uid(login.pid), support::uid_of(&support::sshd::current_user()));
    let c = pool.counts();
    assert_eq!((c.ssh_connects, c.agents_started, c.agent_uploads), (1, 2, 2), "one connection, one agent (and cache) per user");
    pool.close_all().await;

    let cached = Path::new("/home").join(user).join(".cache/dpctl/agents").join(AgentBinary::load(&agent).unwrap().cache_name());
    assert_eq!(support::process_uid(std::process::id()), 0);
    let meta = std::fs::metadata(&cached).unwrap();
    assert_eq!((std::os::unix::fs::MetadataExt::uid(&meta), meta.permissions().mode() & 0o777), (support::uid_of(user), 0o700));
    std::fs::remove_file(&cached).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sudo_asking_for_a_password_is_a_become_failure() {
    let Some((user, password)) = support::become_user() else { return };
    let fleet = Fleet::start(1);
    // Log in as the unprivileged user, who may not sudo at all.
    let mut vars = fleet.host_vars(0);
    vars.insert("ansible_user".into(), json!(user));
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    let err = pool.call(&p, Some("root"), ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Become { .. }) && !err.is_unreachable(), "{err:?}");
    assert!(err.to_string().contains("password is required"), "{err}");

    // With the password, sudo's prompt is answered; sudo then refuses because
    // the user is not in sudoers (which proves the password got through).
    vars.insert("ansible_become_password".into(), json!(password));
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    let err = pool.call(&p, Some("root"), ping(1, "x")).await.unwrap_err();
    assert!(matches!(err, ConnError::Become { .. }), "{err:?}");
    assert!(err.to_string().contains("sudoers"), "{err}");
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_agent_is_an_agent_failure_and_is_restarted_on_the_same_connection() {
    let fleet = Fleet::start(1);
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = params(&fleet, 0, pool.options());
    let pid = pool.agent_hello(&p, None).await.unwrap().pid;
    let st = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(st.success());
    // The call right after the kill either sees the dead agent (an Agent
    // error, not "unreachable") or, when the channel's close arrived first,
    // already runs on a restarted one; both are correct, which one depends on timing.
    match pool.call(&p, None, ping(1, "x")).await {
        Err(err) => assert!(matches!(err, ConnError::Agent { .. }) && !err.is_unreachable(), "{err:?}"),
        Ok(reply) => assert_eq!(pong(&reply), "x"),
    }
    assert_eq!(pong(&pool.call(&p, None, ping(2, "back")).await.unwrap()), "back");
    assert_ne!(pool.agent_hello(&p, None).await.unwrap().pid, pid);
    let c = pool.counts();
    assert_eq!((c.ssh_connects, c.agents_started, c.agent_uploads, c.agent_cache_hits), (1, 2, 1, 1));
    pool.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_known_hosts_written_by_ssh_keygen_are_understood() {
    let fleet = Fleet::start(1);
    let hashed = fleet.dir.path().join("hashed_known_hosts");
    std::fs::copy(&fleet.known_hosts, &hashed).unwrap();
    let st =
        std::process::Command::new("ssh-keygen").arg("-H").arg("-f").arg(&hashed).stdout(std::process::Stdio::null()).status().unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(&hashed).unwrap();
    assert!(text.starts_with("|1|") && !text.contains("127.0.0.1"), "{text}");
    let mut vars = fleet.host_vars(0);
    vars.insert(
        "ansible_ssh_common_args".into(),
        json!(format!("-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes", hashed.display())),
    );
    let pool = Pool::new(opts_with(&support::agent_binary()));
    let p = ConnParams::from_host_vars("host1", &vars, pool.options()).unwrap();
    assert_eq!(pong(&pool.call(&p, None, ping(1, "hashed")).await.unwrap()), "hashed");
    pool.close_all().await;
}
