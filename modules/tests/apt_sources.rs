//! apt_key and apt_repository against temp directories: keyrings and `.list`
//! files are written where the test says (absolute `keyring`, `sources_dir`),
//! never into the host's apt configuration.
use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::Agent;
use serde_json::json;

/// A fresh signing key in a throwaway GnuPG home: (armored public key, fingerprint).
fn make_key(home: &Path) -> (String, String) {
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg").arg("--batch").arg("--homedir").arg(home).args(args).output().unwrap();
        assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    gpg(&["--passphrase", "", "--quick-gen-key", "dpctl test <t@example.invalid>", "ed25519", "sign", "never"]);
    let armored = gpg(&["--armor", "--export"]);
    let fpr =
        gpg(&["--with-colons", "--list-keys"]).lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_string();
    (armored, fpr)
}

#[test]
fn apt_key_keyring_from_data_and_file() {
    let gh = tempfile::tempdir().unwrap();
    let (armored, fpr) = make_key(gh.path());
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("keyrings/example.gpg");
    let mut agent = Agent::start();
    let args = json!({"keyring": keyring, "data": armored, "id": &fpr[fpr.len() - 16..]});

    let r = agent.check("apt_key", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!keyring.exists());
    assert_eq!(r.outcome.diff[0].after, format!("{fpr}\n"));

    let r = agent.run("apt_key", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["fp"], fpr);
    // The stored keyring is binary (what signed-by wants), and gpg reads it.
    let bytes = std::fs::read(&keyring).unwrap();
    assert!(!bytes.starts_with(b"-----BEGIN"));
    let shown = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(gh.path())
        .args(["--with-colons", "--show-keys"])
        .arg(&keyring)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&fpr));
    assert_eq!(std::fs::metadata(&keyring).unwrap().permissions().mode() & 0o777, 0o644);
    assert!(!agent.run("apt_key", args.clone()).outcome.changed, "second run is ok");

    // The same key from a binary file on the host is the same keyring.
    let bin = dir.path().join("key.bin");
    std::fs::write(&bin, &bytes).unwrap();
    assert!(!agent.run("apt_key", json!({"keyring": keyring, "file": bin})).outcome.changed);

    let r = agent.run("apt_key", json!({"keyring": keyring, "data": armored, "id": "DEADBEEFDEADBEEF"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("does not match"));
    let gone = json!({"keyring": keyring, "state": "absent"});
    assert!(agent.check("apt_key", gone.clone()).outcome.changed && keyring.exists());
    assert!(agent.run("apt_key", gone.clone()).outcome.changed);
    assert!(!keyring.exists());
    assert!(!agent.run("apt_key", gone).outcome.changed);

    let r = agent.run("apt_key", json!({"keyring": keyring, "url": "https://example.invalid/key.asc"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("get_url"));
    let r = agent.run("apt_key", json!({"keyring": keyring, "data": "not a key"}));
    assert!(r.failed, "{r:?}");
    let r = agent.run("apt_key", json!({"data": armored}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("one of keyring or id"));
}

#[test]
fn apt_repository_lines_in_list_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = "deb [signed-by=/etc/apt/keyrings/example.gpg] http://apt.example.com/debian stable main";
    let file = d.join("apt_example_com_debian.list");
    let mut agent = Agent::start();
    let args = json!({"repo": repo, "sources_dir": d, "update_cache": false});

    let r = agent.check("apt_repository", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!file.exists());
    assert_eq!(r.outcome.diff[0].after, format!("{repo}\n"));

    let r = agent.run("apt_repository", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format!("{repo}\n"));
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
    assert!(!agent.run("apt_repository", args.clone()).outcome.changed, "second run is ok");
    // Extra spaces do not make it another line.
    let spaced = json!({"repo": repo.replace(" stable", "   stable"), "sources_dir": d, "update_cache": false});
    assert!(!agent.run("apt_repository", spaced).outcome.changed);

    // A commented-out copy elsewhere is re-enabled instead of adding a second line.
    let other = d.join("other.list");
    std::fs::write(&other, "# keep me\n# deb http://mirror.example.org/debian bookworm main\n").unwrap();
    let r = agent.run("apt_repository", json!({"repo": "deb http://mirror.example.org/debian bookworm main", "sources_dir": d, "update_cache": false, "filename": "mirror"}));
    assert!(r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "# keep me\ndeb http://mirror.example.org/debian bookworm main\n");
    assert!(!d.join("mirror.list").exists());

    // absent removes the line; an emptied file is removed.
    let gone = json!({"repo": repo, "sources_dir": d, "state": "absent", "update_cache": false});
    let r = agent.check("apt_repository", gone.clone());
    assert!(r.outcome.changed && file.exists());
    let r = agent.run("apt_repository", gone.clone());
    assert!(r.outcome.changed && !file.exists(), "{r:?}");
    assert!(!agent.run("apt_repository", gone).outcome.changed);

    let r = agent.run("apt_repository", json!({"repo": "ppa:someone/thing", "sources_dir": d}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Invalid repository string"));
    let r = agent.run("apt_repository", json!({"repo": repo, "sources_dir": d, "mode": "rw-r--r--"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid mode"));
    let r = agent.run("apt_repository", json!({"repo": repo, "codename": "x"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown field"));
}
