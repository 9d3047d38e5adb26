//! Manages the keys of a throwaway account `dpctltest_ak` (home under /tmp); needs root.
use crate::common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;

use common::Agent;
use serde_json::json;

const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOne alice@laptop";
const K2: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQKeyTwo bob@desk";

struct Cleanup;
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-r", "dpctltest_ak"]).output();
    }
}

#[test]
fn keys_added_replaced_exclusive_and_removed() {
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(uid.trim(), "0", "authorized_key tests create a real account and must run as root");
    let _c = Cleanup;
    let home = "/tmp/dpctltest_ak_home";
    let _ = Command::new("userdel").args(["-r", "dpctltest_ak"]).output();
    assert!(Command::new("useradd").args(["-m", "-d", home, "dpctltest_ak"]).status().unwrap().success());
    let file = format!("{home}/.ssh/authorized_keys");
    let mut agent = Agent::start();

    let args = json!({"user": "dpctltest_ak", "key": format!("{K1}\n{K2}\n")});
    let r = agent.check("authorized_key", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!std::path::Path::new(&file).exists(), "check mode wrote nothing");
    assert_eq!(r.outcome.diff[0].after, format!("{K1}\n{K2}\n"));

    let r = agent.run("authorized_key", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{K1}\n{K2}\n"));
    let meta = std::fs::metadata(&file).unwrap();
    let owner = std::fs::metadata(home).unwrap().uid();
    assert_eq!((meta.permissions().mode() & 0o777, meta.uid()), (0o600, owner));
    assert_eq!(std::fs::metadata(format!("{home}/.ssh")).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(r.outcome.values["keyfile"], file);
    assert!(!agent.run("authorized_key", args).outcome.changed, "second run is ok");

    // Same key with options: replaced in place, order kept, a hand-written comment line kept.
    std::fs::write(&file, format!("# managed\n{K1}\n{K2}\n")).unwrap();
    let with_opts = json!({"user": "dpctltest_ak", "key": K1, "key_options": "no-pty,from=\"10.0.0.1,10.0.0.2\""});
    let r = agent.run("authorized_key", with_opts.clone());
    assert!(r.outcome.changed);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("# managed\nno-pty,from=\"10.0.0.1,10.0.0.2\" {K1}\n{K2}\n"));
    assert_eq!(r.outcome.diff[0].before, format!("# managed\n{K1}\n{K2}\n"));
    assert!(!agent.run("authorized_key", with_opts).outcome.changed);

    // exclusive drops the other key.
    let r = agent.run("authorized_key", json!({"user": "dpctltest_ak", "key": K2, "exclusive": "yes"}));
    assert!(r.outcome.changed);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("# managed\n{K2}\n"));

    let gone = json!({"user": "dpctltest_ak", "key": K2, "state": "absent"});
    assert!(agent.check("authorized_key", gone.clone()).outcome.changed);
    assert!(agent.run("authorized_key", gone.clone()).outcome.changed);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# managed\n");
    assert!(!agent.run("authorized_key", gone).outcome.changed);

    let r = agent.run("authorized_key", json!({"user": "dpctltest_ak", "key": "not a key"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid key specified"));
    let r = agent.run("authorized_key", json!({"user": "dpctltest_nobody_here", "key": K1}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Failed to lookup user"));
    let r = agent.run("authorized_key", json!({"user": "dpctltest_ak"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("missing field `key`"));
}

#[test]
fn explicit_path_without_manage_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys");
    let mut agent = Agent::start();
    let args = json!({"user": "root", "key": K1, "path": path, "manage_dir": false});
    assert!(agent.run("authorized_key", args.clone()).outcome.changed);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{K1}\n"));
    assert!(!agent.run("authorized_key", args).outcome.changed);
    let r = agent.run("authorized_key", json!({"user": "root", "key": K1, "path": dir.path().join("no/such/keys"), "manage_dir": false}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("manage_dir is false"));
}
