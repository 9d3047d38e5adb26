//! Installs and removes the harmless Debian package `hello` (from the
//! configured Debian mirror) and a locally built `dpctltest-deb`. Needs root.
use crate::common;

use std::process::Command;
use std::sync::Mutex;

use common::Agent;
use serde_json::json;

static APT: Mutex<()> = Mutex::new(());

fn require_root() {
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(uid.trim(), "0", "apt tests install packages and must run as root");
}

fn installed_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query").args(["-W", "-f=${db:Status-Abbrev}|${Version}", pkg]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    s.strip_prefix("ii |").map(str::to_string)
}

fn purge(pkg: &str) {
    let _ = Command::new("apt-get")
        .args(["-y", "-q", "-o", "DPkg::Lock::Timeout=300", "purge", pkg])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output();
}

struct Purge(&'static str);
impl Drop for Purge {
    fn drop(&mut self) {
        purge(self.0);
    }
}

#[test]
fn hello_install_idempotent_latest_and_purge() {
    require_root();
    let _lock = APT.lock().unwrap_or_else(|e| e.into_inner());
    purge("hello");
    let _cleanup = Purge("hello");
    let mut agent = Agent::start();
    // Refresh the lists only when they are missing or older than a day.
    let r = agent.run("apt", json!({"update_cache": true, "cache_valid_time": 86400}));
    assert!(!r.failed, "{r:?}");
    let candidate = String::from_utf8(Command::new("apt-cache").args(["policy", "hello"]).output().unwrap().stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("Candidate:").map(|v| v.trim().to_string()))
        .unwrap();

    let r = agent.check("apt", json!({"name": "hello", "state": "present"}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), None, "check mode installed nothing");
    assert_eq!(r.outcome.diff[0].before, "hello: not installed\n");
    assert_eq!(r.outcome.diff[0].after, format!("hello: {candidate}\n"));

    let r = agent.run("apt", json!({"name": "hello", "install_recommends": false}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), Some(candidate.clone()));
    let r = agent.run("apt", json!({"name": ["hello"], "state": "installed"}));
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");
    let r = agent.run("apt", json!({"pkg": "hello", "state": "latest", "cache_valid_time": 315360000}));
    assert!(!r.failed && !r.outcome.changed && r.outcome.values["cache_updated"] == false, "{r:?}");
    let r = agent.run("apt", json!({"name": format!("hello={candidate}")}));
    assert!(!r.outcome.changed, "pinned to the installed version: {r:?}");
    let r = agent.run("package", json!({"name": "hello", "state": "present"}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");

    let gone = json!({"name": "hello", "state": "absent", "purge": true});
    let r = agent.check("apt", gone.clone());
    assert!(r.outcome.changed && installed_version("hello").is_some());
    let r = agent.run("apt", gone.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), None);
    assert!(!agent.run("apt", gone).outcome.changed);

    // `package` (apt backend) goes through the same cycle on its own.
    let present = json!({"name": "hello", "state": "present"});
    let r = agent.check("package", present.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), None, "check mode installed nothing");
    assert_eq!(
        (r.outcome.diff[0].before.as_str(), r.outcome.diff[0].after.clone()),
        ("hello: not installed\n", format!("hello: {candidate}\n"))
    );
    let r = agent.run("package", present.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), Some(candidate));
    assert!(!agent.run("package", present).outcome.changed, "second run is ok");
    let absent = json!({"name": "hello", "state": "absent"});
    assert!(agent.check("package", absent.clone()).outcome.changed && installed_version("hello").is_some());
    assert!(agent.run("package", absent.clone()).outcome.changed);
    assert_eq!(installed_version("hello"), None);
    assert!(!agent.run("package", absent).outcome.changed);
}

#[test]
fn local_deb_install() {
    require_root();
    let _lock = APT.lock().unwrap_or_else(|e| e.into_inner());
    let _cleanup = Purge("dpctltest-deb");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pkg");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/doc/dpctltest-deb")).unwrap();
    std::fs::write(root.join("usr/share/doc/dpctltest-deb/README"), "test\n").unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: dpctltest-deb\nVersion: 1.0-1\nArchitecture: all\nMaintainer: dpctl tests <t@example.invalid>\nDescription: throwaway package for dpctl tests\n",
    )
    .unwrap();
    let deb = dir.path().join("dpctltest-deb_1.0-1_all.deb");
    assert!(Command::new("dpkg-deb").args(["--build", "--root-owner-group"]).arg(&root).arg(&deb).output().unwrap().status.success());

    let mut agent = Agent::start();
    let r = agent.check("apt", json!({"deb": deb}));
    assert!(r.outcome.changed && installed_version("dpctltest-deb").is_none(), "{r:?}");
    let r = agent.run("apt", json!({"deb": deb}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("dpctltest-deb").as_deref(), Some("1.0-1"));
    assert!(!agent.run("apt", json!({"deb": deb})).outcome.changed);
    assert!(agent.run("apt", json!({"name": "dpctltest-deb", "state": "absent"})).outcome.changed);
    assert!(installed_version("dpctltest-deb").is_none());
}

#[test]
fn bad_arguments_and_unknown_packages() {
    let mut agent = Agent::start();
    let r = agent.run("apt", json!({"name": "dpctltest-no-such-package", "state": "present"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("No package matching 'dpctltest-no-such-package' is available"));
    let r = agent.run("apt", json!({"name": "hello", "state": "newest"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
    let r = agent.run("apt", json!({"name": "hello", "deb": "/tmp/x.deb"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("mutually exclusive"));
    let r = agent.run("apt", json!({}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("one of the following is required"));
    let r = agent.run("package", json!({"name": "hello", "state": "present", "use": "yum"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("not supported"));
    let r = agent.run("package", json!({"name": "hello"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("missing field `state`"));
}
