//! Creates and removes throwaway accounts named `dpctltest_*`; needs root.
use crate::common;

use std::process::Command;

use common::Agent;
use serde_json::json;

/// useradd/groupadd lock /etc/passwd and /etc/group: one test at a time.
static ACCOUNTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn require_root() {
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(uid.trim(), "0", "user/group tests create real accounts and must run as root");
}

/// Removes the throwaway accounts even when an assertion fails.
struct Cleanup(&'static [&'static str], &'static [&'static str]);
impl Drop for Cleanup {
    fn drop(&mut self) {
        for u in self.0 {
            let _ = Command::new("userdel").args(["-r", u]).output();
        }
        for g in self.1 {
            let _ = Command::new("groupdel").arg(g).output();
        }
    }
}

fn passwd_line(name: &str) -> Option<String> {
    std::fs::read_to_string("/etc/passwd").unwrap().lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_string)
}

fn group_line(name: &str) -> Option<String> {
    std::fs::read_to_string("/etc/group").unwrap().lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_string)
}

#[test]
fn group_create_modify_remove() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&[], &["dpctltest_g1"]);
    let mut agent = Agent::start();
    let r = agent.check("group", json!({"name": "dpctltest_g1", "gid": 45671}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").is_none(), "{r:?}");
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": 45671}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(group_line("dpctltest_g1").unwrap(), "dpctltest_g1:x:45671:");
    assert_eq!(r.outcome.values["gid"], 45671);
    assert!(!agent.run("group", json!({"name": "dpctltest_g1", "gid": 45671})).outcome.changed);
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": "many"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid integer"), "gid must be a number");
    // A templated number arrives as text; Ansible converts it, so do we.
    let r = agent.run("group", json!({"name": "dpctltest_g1", "gid": "45672"}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").unwrap().contains(":45672:"));
    let r = agent.check("group", json!({"name": "dpctltest_g1", "state": "absent"}));
    assert!(r.outcome.changed && group_line("dpctltest_g1").is_some());
    assert!(agent.run("group", json!({"name": "dpctltest_g1", "state": "absent"})).outcome.changed);
    assert!(group_line("dpctltest_g1").is_none());
    assert!(!agent.run("group", json!({"name": "dpctltest_g1", "state": "absent"})).outcome.changed);
    let r = agent.run("group", json!({"name": "dpctltest_g1", "state": "gone"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
}

#[test]
fn user_create_modify_groups_and_remove() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_u1"], &["dpctltest_ug1", "dpctltest_ug2"]);
    let mut agent = Agent::start();
    for g in ["dpctltest_ug1", "dpctltest_ug2"] {
        assert!(agent.run("group", json!({"name": g})).outcome.changed);
    }
    let args = json!({"name": "dpctltest_u1", "shell": "/bin/sh", "comment": "test account", "groups": "dpctltest_ug1",
        "home": "/tmp/dpctltest_u1_home", "password": "$6$salt$abc"});
    let r = agent.check("user", args.clone());
    assert!(r.outcome.changed && passwd_line("dpctltest_u1").is_none(), "{r:?}");

    let r = agent.run("user", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let line = passwd_line("dpctltest_u1").unwrap();
    assert!(line.ends_with(":test account:/tmp/dpctltest_u1_home:/bin/sh"), "{line}");
    assert!(std::path::Path::new("/tmp/dpctltest_u1_home").is_dir());
    assert!(group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1"));
    assert_eq!(r.outcome.values["password"], "NOT_LOGGING_PASSWORD");
    assert_eq!(r.outcome.values["uid"].as_u64().unwrap().to_string(), line.split(':').nth(2).unwrap());

    let r = agent.run("user", args.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");

    // append adds without removing; a plain list replaces.
    let r = agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "append": "yes"}));
    assert!(r.outcome.changed);
    assert!(
        group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1") && group_line("dpctltest_ug2").unwrap().ends_with(":dpctltest_u1")
    );
    assert!(!agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "append": true})).outcome.changed);
    let r = agent.check("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "shell": "/bin/bash"}));
    assert!(r.outcome.changed && group_line("dpctltest_ug1").unwrap().ends_with(":dpctltest_u1"), "check changed nothing");
    assert!(agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_ug2"], "shell": "/bin/bash"})).outcome.changed);
    assert!(!group_line("dpctltest_ug1").unwrap().contains("dpctltest_u1"));
    assert!(passwd_line("dpctltest_u1").unwrap().ends_with(":/bin/bash"));

    let r = agent.run("user", json!({"name": "dpctltest_u1", "groups": ["dpctltest_nogroup"]}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Group dpctltest_nogroup does not exist"));
    let r = agent.run("user", json!({"name": "dpctltest_u1", "uid": "many"}));
    assert!(r.failed);

    let gone = json!({"name": "dpctltest_u1", "state": "absent", "remove": true});
    assert!(agent.check("user", gone.clone()).outcome.changed && passwd_line("dpctltest_u1").is_some());
    let r = agent.run("user", gone.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(passwd_line("dpctltest_u1").is_none() && !std::path::Path::new("/tmp/dpctltest_u1_home").exists());
    assert!(!agent.run("user", gone).outcome.changed);
}

/// Refused while the arguments are read: no account is looked up or touched.
#[test]
fn user_and_group_bad_arguments() {
    let mut agent = Agent::start();
    for (module, args, want) in [
        ("user", json!({"name": "dpctltest_bad", "shel": "/bin/sh"}), "unknown field `shel`"),
        ("user", json!({"name": "dpctltest_bad", "state": "gone"}), "unknown variant `gone`"),
        ("user", json!({"name": "dpctltest_bad", "uid": "many"}), "invalid integer"),
        ("user", json!({"shell": "/bin/sh"}), "missing field `name`"),
        ("group", json!({"name": "dpctltest_bad", "system": "maybe"}), "boolean"),
        ("group", json!({"name": "dpctltest_bad", "members": ["x"]}), "unknown field `members`"),
    ] {
        let r = agent.run(module, args.clone());
        assert!(r.failed && r.outcome.msg.clone().unwrap_or_default().contains(want), "{module} {args}: {r:?}");
        assert!(passwd_line("dpctltest_bad").is_none() && group_line("dpctltest_bad").is_none());
    }
}

/// The tasks of `fixtures/ansible_user/tasks.json` give the registered results
/// real Ansible gave (`generate.sh` recorded them; fixed ids, so they compare).
#[test]
fn matches_recorded_ansible_results() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_cu1"], &["dpctltest_cu1", "dpctltest_cg1", "dpctltest_cg2"]);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_user");
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(fixtures.join("tasks.json")).unwrap()).unwrap();
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("expected_results.json")).unwrap()).unwrap();
    let mut agent = Agent::start();
    for (i, (task, want)) in tasks.iter().zip(&expected).enumerate() {
        let r = agent.run(task["module"].as_str().unwrap(), task["args"].clone());
        assert!(!r.failed, "task {i}: {r:?}");
        let mut got = r.outcome.values.clone();
        got.insert("changed".into(), json!(r.outcome.changed));
        let want = want.as_object().unwrap();
        for (k, v) in want {
            assert_eq!(got.get(k), Some(v), "task {i} {task}: key {k}");
        }
        for k in ["groups", "append", "system", "remove"] {
            assert_eq!(got.contains_key(k), want.contains_key(k), "task {i} {task}: key {k} present in one result only");
        }
    }
}

fn shadow_fields(name: &str) -> Vec<String> {
    let shadow = std::fs::read_to_string("/etc/shadow").unwrap();
    shadow.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap().split(':').map(str::to_string).collect()
}

#[test]
fn user_expires_and_password_lock() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_u2"], &[]);
    let mut agent = Agent::start();
    // 2030-01-01T00:00:00Z is day 21915 of the epoch.
    let args =
        json!({"name": "dpctltest_u2", "create_home": false, "expires": 1893456000, "password": "$6$salt$abc", "password_lock": true});
    let r = agent.run("user", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let f = shadow_fields("dpctltest_u2");
    assert_eq!((f[1].as_str(), f[7].as_str()), ("!$6$salt$abc", "21915"), "created locked, expiring 2030-01-01");
    assert!(!agent.run("user", args).outcome.changed, "second run is ok");
    // Only the day counts; a float or a string is a number too.
    let r = agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": "1893459600.5"}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");

    let r = agent.check("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": 1893542400}));
    assert!(r.outcome.changed && shadow_fields("dpctltest_u2")[7] == "21915", "check mode changed nothing");
    assert!(agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": 1893542400})).outcome.changed);
    assert_eq!(shadow_fields("dpctltest_u2")[7], "21916");
    assert!(agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": -1})).outcome.changed);
    assert_eq!(shadow_fields("dpctltest_u2")[7], "", "a negative expires clears it");
    assert!(!agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": -1})).outcome.changed);

    let r = agent.check("user", json!({"name": "dpctltest_u2", "create_home": false, "password_lock": false}));
    assert!(r.outcome.changed && shadow_fields("dpctltest_u2")[1].starts_with('!'));
    assert!(agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "password_lock": false})).outcome.changed);
    assert_eq!(shadow_fields("dpctltest_u2")[1], "$6$salt$abc", "unlocked");
    assert!(!agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "password_lock": "no"})).outcome.changed);
    assert!(agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "password_lock": true})).outcome.changed);
    assert_eq!(shadow_fields("dpctltest_u2")[1], "!$6$salt$abc", "locked with usermod -L");
    // A new hash and the lock in one usermod.
    assert!(
        agent
            .run("user", json!({"name": "dpctltest_u2", "create_home": false, "password": "$6$salt$def", "password_lock": true}))
            .outcome
            .changed
    );
    assert_eq!(shadow_fields("dpctltest_u2")[1], "!$6$salt$def");
    assert!(
        !agent
            .run("user", json!({"name": "dpctltest_u2", "create_home": false, "password": "$6$salt$def", "password_lock": true}))
            .outcome
            .changed
    );

    let r = agent.run("user", json!({"name": "dpctltest_u2", "create_home": false, "expires": "soon"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("not a number"), "{r:?}");
}

#[test]
fn user_generate_ssh_key() {
    require_root();
    let _lock = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let _c = Cleanup(&["dpctltest_u3"], &[]);
    let _ = std::fs::remove_dir_all("/tmp/dpctltest_u3_home");
    let mut agent = Agent::start();
    let args = json!({"name": "dpctltest_u3", "home": "/tmp/dpctltest_u3_home", "generate_ssh_key": true,
        "ssh_key_type": "ed25519", "ssh_key_comment": "dpctl test key"});
    let r = agent.check("user", args.clone());
    assert!(r.outcome.changed && r.outcome.values["ssh_key_file"] == "/tmp/dpctltest_u3_home/.ssh/id_ed25519", "{r:?}");
    assert!(passwd_line("dpctltest_u3").is_none(), "check mode created nothing");

    let r = agent.run("user", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let key = std::path::Path::new("/tmp/dpctltest_u3_home/.ssh/id_ed25519");
    let public = std::fs::read_to_string("/tmp/dpctltest_u3_home/.ssh/id_ed25519.pub").unwrap();
    assert!(public.starts_with("ssh-ed25519 ") && public.trim_end().ends_with(" dpctl test key"), "{public}");
    assert_eq!(r.outcome.values["ssh_public_key"], public.trim());
    assert!(r.outcome.values["ssh_fingerprint"].as_str().unwrap().contains("(ED25519)"), "{r:?}");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let uid: u32 = passwd_line("dpctltest_u3").unwrap().split(':').nth(2).unwrap().parse().unwrap();
    let ssh_dir = std::fs::metadata("/tmp/dpctltest_u3_home/.ssh").unwrap();
    assert_eq!((ssh_dir.permissions().mode() & 0o777, ssh_dir.uid(), std::fs::metadata(key).unwrap().uid()), (0o700, uid, uid));

    let r = agent.run("user", args.clone());
    assert!(!r.failed && !r.outcome.changed, "an existing key is kept: {r:?}");
    assert_eq!(std::fs::read_to_string("/tmp/dpctltest_u3_home/.ssh/id_ed25519.pub").unwrap(), public);
    let mut forced = args.clone();
    forced["force"] = json!(true);
    assert!(agent.check("user", forced.clone()).outcome.changed);
    assert_eq!(std::fs::read_to_string("/tmp/dpctltest_u3_home/.ssh/id_ed25519.pub").unwrap(), public, "check mode kept the key");
    assert!(agent.run("user", forced).outcome.changed);
    assert_ne!(std::fs::read_to_string("/tmp/dpctltest_u3_home/.ssh/id_ed25519.pub").unwrap(), public, "force made a new key");

    // rsa with a size, a relative file and a passphrase.
    let r = agent.run(
        "user",
        json!({"name": "dpctltest_u3", "generate_ssh_key": true, "ssh_key_bits": 3072, "ssh_key_file": "keys/deploy", "ssh_key_passphrase": "s3cret"}),
    );
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(r.outcome.values["ssh_fingerprint"].as_str().unwrap().starts_with("3072 "), "{r:?}");
    let rsa = "/tmp/dpctltest_u3_home/keys/deploy";
    assert!(r.outcome.values["ssh_public_key"].as_str().unwrap().starts_with("ssh-rsa "));
    assert!(r.outcome.values["ssh_public_key"].as_str().unwrap().contains(" ansible-generated on "), "default comment");
    let unlock = |pass: &str| Command::new("ssh-keygen").args(["-y", "-P", pass, "-f", rsa]).output().unwrap().status.success();
    assert!(unlock("s3cret") && !unlock(""), "the key needs its passphrase");

    let r = agent.run("user", json!({"name": "dpctltest_u3", "generate_ssh_key": true, "ssh_key_type": "nosuchtype"}));
    assert!(r.failed, "{r:?}");
    let _ = std::fs::remove_dir_all("/tmp/dpctltest_u3_home");
}
