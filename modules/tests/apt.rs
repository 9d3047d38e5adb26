//! Installs and removes the harmless Debian package `hello` (from the
//! configured Debian mirror) and a locally built `dpctltest-deb`. Needs root.
use crate::common;

use std::os::unix::fs::PermissionsExt;
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

fn refresh_lists(agent: &mut Agent) {
    // Refresh the lists only when they are missing or older than a day.
    let r = agent.run("apt", json!({"update_cache": true, "cache_valid_time": 86400}));
    assert!(!r.failed, "{r:?}");
}

/// apt's own answer to a simulated run, to compare the module's prediction with.
fn simulate(args: &[&str]) -> String {
    let out = Command::new("apt-get").args(["-q", "--simulate"]).args(args).env("LANG", "C").env("LC_ALL", "C").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn only_upgrade_upgrade_and_autoclean_for_real() {
    require_root();
    let _lock = APT.lock().unwrap_or_else(|e| e.into_inner());
    purge("hello");
    let _cleanup = Purge("hello");
    let mut agent = Agent::start();
    refresh_lists(&mut agent);

    // only_upgrade: a package that is not installed stays so, and that is `ok`.
    let r = agent.run("apt", json!({"name": "hello", "state": "latest", "only_upgrade": true}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("hello"), None);
    let r = agent.run("apt", json!({"name": "hello", "only_upgrade": false}));
    assert!(!r.failed && r.outcome.changed && installed_version("hello").is_some(), "{r:?}");

    // upgrade in check mode is apt's simulation: same verdict, nothing installed or removed.
    let before = Command::new("dpkg-query").args(["-W"]).output().unwrap().stdout;
    for (mode, apt_args) in [(json!("dist"), vec!["dist-upgrade"]), (json!(true), vec!["upgrade", "--with-new-pkgs"])] {
        let expected = !simulate(&apt_args).contains("\n0 upgraded, 0 newly installed, 0 to remove");
        let r = agent.check("apt", json!({"upgrade": mode}));
        assert!(!r.failed, "{r:?}");
        assert_eq!(r.outcome.changed, expected, "upgrade {mode}: {r:?}");
        assert!(r.outcome.values["stdout"].as_str().unwrap().contains(" upgraded, "), "{r:?}");
    }
    assert_eq!(Command::new("dpkg-query").args(["-W"]).output().unwrap().stdout, before, "check mode changed no package");

    // autoclean in check mode: changed exactly when apt would delete an archive.
    let expected = simulate(&["autoclean"]).lines().any(|l| l.starts_with("Del "));
    let r = agent.check("apt", json!({"autoclean": true}));
    assert!(!r.failed && r.outcome.changed == expected, "{r:?}");

    let r = agent.run("apt", json!({"upgrade": "sideways"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("upgrade must be one of dist, full, no, safe, yes"), "{r:?}");
    let r = agent.run("apt", json!({"upgrade": "dist", "name": "hello"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("mutually exclusive: deb|package|upgrade"), "{r:?}");
}

fn build_deb(dir: &std::path::Path, version: &str) -> std::path::PathBuf {
    let root = dir.join(format!("pkg-{version}"));
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!("Package: dpctltest-deb\nVersion: {version}\nArchitecture: all\nMaintainer: dpctl tests <t@example.invalid>\nDescription: throwaway package for dpctl tests\n"),
    )
    .unwrap();
    let deb = dir.join(format!("dpctltest-deb_{version}_all.deb"));
    assert!(Command::new("dpkg-deb").args(["--build", "--root-owner-group"]).arg(&root).arg(&deb).output().unwrap().status.success());
    deb
}

#[test]
fn allow_downgrade_replaces_a_higher_version() {
    require_root();
    let _lock = APT.lock().unwrap_or_else(|e| e.into_inner());
    let _cleanup = Purge("dpctltest-deb");
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (build_deb(dir.path(), "1.0-1"), build_deb(dir.path(), "2.0-1"));
    let mut agent = Agent::start();
    assert!(!agent.run("apt", json!({"deb": new})).failed);
    assert_eq!(installed_version("dpctltest-deb").as_deref(), Some("2.0-1"));

    let r = agent.run("apt", json!({"deb": old}));
    assert!(r.failed, "apt-get refuses a downgrade without allow_downgrade: {r:?}");
    assert_eq!(installed_version("dpctltest-deb").as_deref(), Some("2.0-1"));
    let r = agent.run("apt", json!({"deb": old, "allow_downgrade": true}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(installed_version("dpctltest-deb").as_deref(), Some("1.0-1"));
    assert!(!agent.run("apt", json!({"deb": old, "allow-downgrades": "yes"})).outcome.changed);
}

/// What cannot be shown safely for real (unauthenticated sources, dpkg options,
/// a real dist-upgrade): a fake `apt-get` (and `dpkg-query`) on the task's PATH
/// records the argv each argument produces.
#[test]
fn apt_get_argv_for_each_argument() {
    use modules::util::command::with_task_env;
    use modules::Module;
    require_root();
    let _lock = APT.lock().unwrap_or_else(|e| e.into_inner());
    // The module asks the real apt-cache for hello's candidate.
    refresh_lists(&mut Agent::start());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("argv.log");
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write(
        "apt-get",
        &format!(
            "echo \"$*\" >> {}\necho 'Del foo 1.0 [1 kB]'\necho '1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.'",
            log.display()
        ),
    );
    // hello at an old version, as far as the module can tell.
    write("dpkg-query", "case \"$*\" in *Package*) echo 'hello\tii \t0.0-dpctl';; *) exit 1;; esac");
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
    let run = |args: serde_json::Value, check_mode: bool| {
        let _ = std::fs::remove_file(&log);
        let apt: modules::core::apt::Apt = serde_json::from_value(args).unwrap();
        let ctx = modules::Context { check_mode, diff: false };
        let o = with_task_env(vec![("PATH".into(), path.clone())], || apt.run(&ctx)).unwrap();
        (o.changed, std::fs::read_to_string(&log).unwrap_or_default())
    };
    const BASE: &str = "-y -q -o DPkg::Lock::Timeout=300";
    let defaults = format!("{BASE} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold");

    let (changed, argv) = run(json!({"name": "hello", "state": "latest", "only_upgrade": true}), false);
    assert!(changed);
    assert_eq!(argv, format!("{defaults} install --only-upgrade hello\n"));
    let (_, argv) = run(
        json!({"name": "hello", "state": "latest", "dpkg_options": "force-confnew,force-unsafe-io", "allow_unauthenticated": true, "default_release": "stable"}),
        false,
    );
    assert_eq!(argv, format!("{BASE} -o Dpkg::Options::=--force-confnew -o Dpkg::Options::=--force-unsafe-io install -t stable --allow-unauthenticated hello\n"));
    let (_, argv) = run(json!({"name": "hello", "state": "latest", "allow_downgrade": true}), false);
    assert_eq!(argv, format!("{defaults} install --allow-downgrades hello\n"));
    let (_, argv) = run(json!({"name": "hello", "state": "latest", "force": true}), false);
    assert_eq!(argv, format!("{defaults} install --allow-downgrades --allow-unauthenticated hello\n"));

    let (changed, argv) = run(json!({"upgrade": "full", "autoremove": true, "allow_unauthenticated": true}), false);
    assert!(changed);
    assert_eq!(argv, format!("{defaults} --allow-unauthenticated dist-upgrade --auto-remove\n"));
    let (_, argv) = run(json!({"upgrade": "safe"}), true);
    assert_eq!(argv, format!("{defaults} --simulate upgrade --with-new-pkgs\n"));
    let (_, argv) = run(json!({"upgrade": "yes", "default_release": "stable"}), false);
    assert_eq!(argv, format!("{defaults} upgrade --with-new-pkgs -t stable\n"));

    let (changed, argv) = run(json!({"autoclean": true, "purge": true}), false);
    assert!(changed, "a `Del ` line means autoclean deleted something");
    assert_eq!(argv, format!("{defaults} --purge autoclean\n"));
    let (_, argv) = run(json!({"autoclean": true}), true);
    assert_eq!(argv, format!("{defaults} autoclean --simulate\n"));
    let (changed, argv) = run(json!({"upgrade": "no", "update_cache": false, "autoremove": true}), true);
    assert!(!changed, "nothing REMOVED in the fake's output");
    assert_eq!(argv, format!("{defaults} autoremove --simulate\n"));
}
