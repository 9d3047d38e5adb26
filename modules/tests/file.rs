//! `file` through the agent. State transitions and their refusal messages
//! were checked against ansible-core 2.19 (`ansible localhost -c local -m file`):
//! file→link without force is refused, link over a non-empty directory is
//! refused even with force, symbolic modes give the same bits (see util::attrs).
use crate::common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use common::Agent;
use serde_json::json;

fn mode(p: &std::path::Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn directory_created_with_parents_then_ok_and_check_mode_predicts() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("a/b/c");
    let mut agent = Agent::start();
    let args = json!({"path": d, "state": "directory", "mode": "0750"});

    let c = agent.check("file", args.clone());
    assert!(!c.failed && c.outcome.changed, "{:?}", c.outcome);
    assert!(!t.path().join("a").exists(), "check mode created something");
    assert!(c.outcome.diff[0].before.contains(r#""state": "absent""#) && c.outcome.diff[0].after.contains(r#""state": "directory""#));

    let r = agent.run("file", args.clone());
    assert!(!r.failed && r.outcome.changed, "{:?}", r.outcome);
    assert_eq!(mode(&d), 0o750);
    assert_eq!(mode(&t.path().join("a")), 0o750, "parents get the mode too, as in Ansible");
    assert_eq!(r.outcome.values["mode"], "0750");
    assert_eq!(r.outcome.values["state"], "directory");

    let again = agent.run("file", args);
    assert!(!again.failed && !again.outcome.changed);
    assert!(!agent.check("file", json!({"path": d, "state": "directory", "mode": "0750"})).outcome.changed);
}

#[test]
fn mode_octal_and_symbolic_with_diff() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("x");
    fs::write(&f, "x").unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
    let mut agent = Agent::start();

    let c = agent.check("file", json!({"path": f, "mode": "u=rwx,g=rx,o="}));
    assert!(c.outcome.changed);
    assert_eq!(mode(&f), 0o644, "check mode left mode alone");
    assert!(
        c.outcome.diff[0].before.contains(r#""mode": "0644""#) && c.outcome.diff[0].after.contains(r#""mode": "0750""#),
        "{:?}",
        c.outcome.diff
    );

    let r = agent.run("file", json!({"path": f, "mode": "u=rwx,g=rx,o="}));
    assert!(r.outcome.changed && mode(&f) == 0o750);
    assert!(!agent.run("file", json!({"path": f, "mode": "u=rwx,g=rx,o="})).outcome.changed);
    // 420 is what YAML 1.1 makes of `mode: 0644`.
    assert!(agent.run("file", json!({"path": f, "mode": 420})).outcome.changed);
    assert_eq!(mode(&f), 0o644);
    assert!(agent.run("file", json!({"path": f, "mode": "a+x"})).outcome.changed);
    assert_eq!(mode(&f), 0o755);
    let missing = agent.run("file", json!({"path": t.path().join("nope"), "mode": "0644"}));
    assert!(missing.failed && msg(&missing).contains("is absent, cannot continue"), "{}", msg(&missing));
}

#[test]
fn touch_link_hard_absent_transitions() {
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let f = t.path().join("f");
    let r = agent.run("file", json!({"path": f, "state": "touch", "mode": "0600"}));
    assert!(r.outcome.changed && f.is_file() && mode(&f) == 0o600);
    let r = agent.run("file", json!({"path": f, "state": "touch", "modification_time": "preserve", "access_time": "preserve"}));
    assert!(!r.outcome.changed, "touch with preserved times is ok");
    let r = agent.run("file", json!({"path": f, "state": "touch", "modification_time": "202001021304.05"}));
    assert!(r.outcome.changed);
    let r = agent.run("file", json!({"path": f, "state": "file", "modification_time": "202001021304.05", "access_time": "preserve"}));
    assert!(!r.outcome.changed, "same timestamp again is ok: {:?}", r.outcome);

    let l = t.path().join("l");
    let c = agent.check("file", json!({"path": l, "src": "f", "state": "link"}));
    assert!(c.outcome.changed && fs::symlink_metadata(&l).is_err());
    let r = agent.run("file", json!({"path": l, "src": "f", "state": "link"}));
    assert!(r.outcome.changed && fs::read_link(&l).unwrap() == std::path::Path::new("f"));
    assert_eq!(r.outcome.values["src"], "f");
    // As ansible-core 2.19 reports a new link: its own (lstat) mode and state.
    assert_eq!((r.outcome.values["state"].as_str(), r.outcome.values["mode"].as_str()), (Some("link"), Some("0777")));
    assert!(!agent.run("file", json!({"path": l, "src": "f", "state": "link"})).outcome.changed);

    // A regular file is not silently replaced by a link.
    let g = t.path().join("g");
    fs::write(&g, "g").unwrap();
    let r = agent.run("file", json!({"path": g, "src": "f", "state": "link"}));
    assert!(r.failed && msg(&r).contains("refusing to convert from file to symlink"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": g, "src": "f", "state": "link", "force": "yes"}));
    assert!(!r.failed && r.outcome.changed && fs::read_link(&g).is_ok());

    let r = agent.run("file", json!({"path": t.path().join("dangling"), "src": "nope", "state": "link"}));
    assert!(r.failed && msg(&r).contains("src file does not exist"), "{}", msg(&r));

    let h = t.path().join("h");
    let r = agent.run("file", json!({"path": h, "src": f, "state": "hard"}));
    assert!(r.outcome.changed);
    assert_eq!(fs::metadata(&h).unwrap().ino(), fs::metadata(&f).unwrap().ino());
    assert!(!agent.run("file", json!({"path": h, "src": f, "state": "hard"})).outcome.changed);

    let d = t.path().join("tree");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("sub/x"), "x").unwrap();
    let r = agent.run("file", json!({"path": d, "src": "f", "state": "link", "force": true}));
    assert!(r.failed && msg(&r).contains("is not empty, refusing to convert it"), "{}", msg(&r));
    let c = agent.check("file", json!({"path": d, "state": "absent"}));
    assert!(c.outcome.changed && d.exists());
    let r = agent.run("file", json!({"path": d, "state": "absent"}));
    assert!(r.outcome.changed && !d.exists());
    assert_eq!(r.outcome.values["state"], "absent");
    assert!(r.outcome.diff[0].before.contains(r#""state": "directory""#));
    assert!(!agent.run("file", json!({"path": d, "state": "absent"})).outcome.changed);
}

#[test]
fn recurse_sets_modes_below_and_owner_by_name() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("r");
    fs::create_dir_all(d.join("s")).unwrap();
    fs::write(d.join("s/file"), "x").unwrap();
    fs::set_permissions(d.join("s/file"), fs::Permissions::from_mode(0o600)).unwrap();
    let mut agent = Agent::start();
    let args = json!({"path": d, "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o=rX", "owner": "nobody", "group": 0});
    let c = agent.check("file", args.clone());
    assert!(c.outcome.changed && mode(&d.join("s/file")) == 0o600);
    let r = agent.run("file", args.clone());
    assert!(!r.failed && r.outcome.changed, "{:?}", r.outcome);
    assert_eq!(mode(&d.join("s/file")), 0o644, "X adds no execute bit to a plain file");
    assert_eq!(mode(&d.join("s")), 0o755);
    assert_eq!(fs::metadata(d.join("s/file")).unwrap().uid(), 65534);
    assert!(!agent.run("file", args).outcome.changed);
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let mut agent = Agent::start();
    let r = agent.run("file", json!({"path": "/tmp/x", "bogus": 1}));
    assert!(r.failed && msg(&r).contains("unknown field `bogus`"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": "/tmp/x", "state": "folder"}));
    assert!(r.failed && msg(&r).contains("unknown variant `folder`"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": "/tmp/x", "mode": "u=rwz"}));
    assert!(r.failed && msg(&r).contains("bad symbolic permission"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": "/tmp/x", "recurse": "maybe"}));
    assert!(r.failed && msg(&r).contains("boolean"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": "/tmp/x", "state": "file", "recurse": true}));
    assert!(r.failed && msg(&r).contains("recurse option requires state to be 'directory'"), "{}", msg(&r));
    let r = agent.run("file", json!({"path": "/tmp/dpctl-no-such-x", "state": "directory", "owner": "no_such_user_dpctl"}));
    assert!(r.failed && msg(&r).contains("no_such_user_dpctl"), "{}", msg(&r));
}
