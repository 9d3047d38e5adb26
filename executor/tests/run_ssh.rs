//! The scheduler over real sshd instances on loopback: many hosts, linear
//! and free strategies, handlers, run_once, delegate_to, serial, check mode,
//! idempotence, failed / unreachable / lost hosts, and host keys.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::sshd::Fleet;
use support::{dpctl, ensure_agent, recap, repo_root, stderr, stdout};

fn fixture() -> PathBuf {
    repo_root().join("tests/playbooks/fleet")
}

/// An inventory for the fleet (plus any extra lines), written into `dir`.
fn inventory(fleet: &Fleet, dir: &Path, extra: &str) -> String {
    let path = dir.join("inventory.ini");
    let mut text = fleet.inventory_ini();
    // hosts first, then [fleet:vars]: extra host lines go in the group
    if let Some(i) = text.find("\n[fleet:vars]") {
        text.insert_str(i, &format!("\n{extra}"));
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn play(fleet: &Fleet, sandbox: &Path, playbook: &str, extra: &[&str]) -> (String, String, i32) {
    let inv = inventory(fleet, sandbox, "");
    let sb = format!("sandbox={}", sandbox.display());
    let mut args = vec!["playbook", playbook, "-i", &inv, "-e", &sb];
    args.extend_from_slice(extra);
    let out = dpctl(&fixture(), &args);
    (stdout(&out), stderr(&out), out.status.code().unwrap_or(-1))
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn ten_hosts_linear_and_free_handlers_run_once_delegate_check_and_rerun() {
    let fleet = Fleet::start(10);
    let sandbox = tempfile::tempdir().unwrap();
    let sb = sandbox.path();

    // check mode first: predicts, writes nothing on any host
    let (out, err, code) = play(&fleet, sb, "site.yml", &["--check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!sb.join("host1").exists() && !sb.join("host10").exists(), "check mode wrote files:\n{out}");
    assert!(!recap(&out, "host5").contains("changed=0"), "{out}");

    let (out, err, code) = play(&fleet, sb, "site.yml", &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    for i in 1..=10 {
        let host = format!("host{i}");
        // root, config, lineinfile, marker, delegated copy, handler; the run_once task only counts on host1
        assert!(recap(&out, &host).starts_with("ok=9 changed=6 unreachable=0 failed=0"), "{host}: {}\n{out}", recap(&out, &host));
        assert_eq!(lines(&sb.join(&host).join("handler.log")).len(), 1, "handler once per host, though notified twice");
        assert_eq!(std::fs::read_to_string(sb.join(format!("delegated-{host}"))).unwrap(), format!("{host}\n"));
    }
    assert_eq!(lines(&sb.join("run_once.log")), ["host1"], "run_once runs on the first host only");
    assert!(out.contains("[host1 -> localhost]"), "delegation is shown:\n{out}");

    // rerun with the free strategy: nothing changes, the handler does not run
    let (out, err, code) = play(&fleet, sb, "site.yml", &["-e", "dp_strategy=free"]);
    assert_eq!(code, 0, "{out}\n{err}");
    for i in 1..=10 {
        let host = format!("host{i}");
        assert!(recap(&out, &host).starts_with("ok=8 changed=0 unreachable=0 failed=0"), "{host}: {}\n{out}", recap(&out, &host));
        assert_eq!(lines(&sb.join(&host).join("handler.log")).len(), 1);
    }
}

#[test]
fn a_failed_an_unreachable_and_a_lost_host_do_not_stop_the_others() {
    let mut fleet = Fleet::start(4);
    let sandbox = tempfile::tempdir().unwrap();
    let sb = sandbox.path().to_path_buf();
    // a host whose port has nothing listening
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let inv = inventory(&fleet, &sb, &format!("ghost ansible_host=127.0.0.1 ansible_port={closed_port}\n"));
    ensure_agent();
    let child = Command::new(support::dpctl_bin())
        .args(["playbook", "failures.yml", "-i", &inv, "-e", &format!("sandbox={}", sb.display())])
        .current_dir(fixture())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // once host3 got past "reached", take its sshd (and its sessions) away
    let deadline = Instant::now() + Duration::from_secs(120);
    while !sb.join("host3/reached").exists() {
        assert!(Instant::now() < deadline, "host3 never reached the wait");
        std::thread::sleep(Duration::from_millis(50));
    }
    fleet.kill(2);
    std::fs::write(sb.join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(4), "unreachable hosts give exit code 4:\n{text}\n{}", stderr(&out));
    assert!(recap(&text, "host2").contains("failed=1"), "{text}");
    assert!(recap(&text, "ghost").contains("unreachable=1"), "{text}");
    assert!(recap(&text, "host3").contains("unreachable=1"), "{text}");
    for h in ["host1", "host4"] {
        assert!(recap(&text, h).contains("failed=0") && recap(&text, h).contains("unreachable=0"), "{text}");
        assert!(sb.join(h).join("after").exists(), "{h} finished the play");
    }
    assert!(!sb.join("host2/reached").exists(), "a failed host stops");
    assert!(!sb.join("host3/after").exists());
}

#[test]
fn serial_runs_batches_in_order() {
    let fleet = Fleet::start(4);
    let sandbox = tempfile::tempdir().unwrap();
    let (out, err, code) = play(&fleet, sandbox.path(), "serial.yml", &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.matches("TASK [batch task]").count(), 2, "two batches of two:\n{out}");
    let order = lines(&sandbox.path().join("order.log"));
    let pos = |h: &str| order.iter().position(|x| x == h).unwrap();
    assert!(pos("host1").max(pos("host2")) < pos("host3").min(pos("host4")), "batch 1 before batch 2: {order:?}");
}

#[test]
fn a_changed_host_key_is_refused() {
    let fleet = Fleet::start(2);
    let sandbox = tempfile::tempdir().unwrap();
    // give host1's entry the key of host2
    let kh = std::fs::read_to_string(&fleet.known_hosts).unwrap();
    let key2 = fleet.hosts[1].host_key_pub.clone();
    let tampered: String = kh
        .lines()
        .map(|l| {
            if l.starts_with(&format!("[127.0.0.1]:{} ", fleet.hosts[0].port)) {
                format!("[127.0.0.1]:{} {key2}", fleet.hosts[0].port)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&fleet.known_hosts, tampered + "\n").unwrap();
    let (out, err, code) = play(&fleet, sandbox.path(), "serial.yml", &[]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(recap(&out, "host1").contains("unreachable=1"), "{out}");
    assert!(recap(&out, "host2").contains("unreachable=0"), "{out}");
    assert!(out.contains(&fleet.known_hosts.display().to_string()), "the message names the known_hosts file:\n{out}");
    let line = kh.lines().position(|l| l.starts_with(&format!("[127.0.0.1]:{} ", fleet.hosts[0].port))).unwrap() + 1;
    assert!(out.contains(&format!("{}:{line}", fleet.known_hosts.display())), "the message names the line:\n{out}");

    // --accept-new-host-keys is for unknown hosts only: a changed key stays refused.
    let (out, err, code) = play(&fleet, sandbox.path(), "serial.yml", &["--accept-new-host-keys"]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(recap(&out, "host1").contains("unreachable=1") && out.contains("CHANGED"), "{out}");
}

/// An inventory for the fleet that names `known_hosts` and no StrictHostKeyChecking: the
/// policy comes from dpctl's defaults, flags and ansible.cfg alone.
fn inventory_with_known_hosts(fleet: &Fleet, dir: &Path, known_hosts: &Path) -> String {
    let path = dir.join("inventory.ini");
    let text = fleet.inventory_ini().replace(
        &format!("-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes", fleet.known_hosts.display()),
        &format!("-o UserKnownHostsFile={}", known_hosts.display()),
    );
    assert!(text.contains(&known_hosts.display().to_string()), "{text}");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run_with(fleet: &Fleet, sandbox: &Path, known_hosts: &Path, extra: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let inv = inventory_with_known_hosts(fleet, sandbox, known_hosts);
    let sb = format!("sandbox={}", sandbox.display());
    let mut args = vec!["playbook", "serial.yml", "-i", &inv, "-e", &sb];
    args.extend_from_slice(extra);
    ensure_agent();
    let mut cmd = Command::new(support::dpctl_bin());
    cmd.args(&args).current_dir(fixture()).env_remove("ANSIBLE_HOST_KEY_CHECKING").env("ANSIBLE_CONFIG", sandbox.join("none.cfg"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (format!("{}\n{}", stdout(&out), stderr(&out)), out.status.code().unwrap_or(-1))
}

/// `[127.0.0.1]:PORT key` of every host, sorted.
fn expected_lines(fleet: &Fleet) -> Vec<String> {
    let mut v: Vec<String> = fleet.hosts.iter().map(|h| format!("[127.0.0.1]:{} {}", h.port, h.host_key_pub)).collect();
    v.sort();
    v
}

#[test]
fn unknown_hosts_are_refused_until_accept_new_records_them_then_checking_is_strict() {
    let fleet = Fleet::start(2);
    let sandbox = tempfile::tempdir().unwrap();
    let kh = sandbox.path().join("known_hosts");

    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[]);
    assert_eq!(code, 4, "{out}");
    assert!(recap(&out, "host1").contains("unreachable=1") && recap(&out, "host2").contains("unreachable=1"), "{out}");
    assert!(out.contains("not a known host") && out.contains(&kh.display().to_string()), "{out}");
    assert!(!kh.exists(), "nothing is recorded by default");

    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &["--accept-new-host-keys"], &[]);
    assert_eq!(code, 0, "{out}");
    let mut recorded = lines(&kh);
    recorded.sort();
    assert_eq!(recorded, expected_lines(&fleet), "each new key is written once");

    // Now known: the default (strict) run connects and adds nothing.
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines(&kh).len(), 2);

    // And strict still means strict: a key that changes afterwards is refused.
    std::fs::write(&kh, format!("[127.0.0.1]:{} {}\n", fleet.hosts[0].port, fleet.hosts[1].host_key_pub)).unwrap();
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &["--limit", "host1"], &[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("{}:1", kh.display())), "{out}");
}

#[test]
fn host_key_checking_false_in_ansible_cfg_or_env_accepts_and_records_like_ansible() {
    let fleet = Fleet::start(1);
    let sandbox = tempfile::tempdir().unwrap();

    // ansible.cfg `host_key_checking = False` → OpenSSH's StrictHostKeyChecking=no: connect, record the key.
    let cfg = sandbox.path().join("ansible.cfg");
    std::fs::write(&cfg, "[defaults]\nhost_key_checking = False\n").unwrap();
    let kh = sandbox.path().join("kh_cfg");
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[("ANSIBLE_CONFIG", cfg.to_str().unwrap())]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines(&kh), expected_lines(&fleet));
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[]);
    assert_eq!(code, 0, "a second, strict run trusts the recorded key:\n{out}");

    let kh = sandbox.path().join("kh_env");
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[("ANSIBLE_HOST_KEY_CHECKING", "False")]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines(&kh), expected_lines(&fleet));
    let (out, code) = run_with(&fleet, sandbox.path(), &kh, &[], &[]);
    assert_eq!(code, 0, "{out}");
}
