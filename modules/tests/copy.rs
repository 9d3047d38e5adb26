//! `copy` through the agent: content, content_base64, remote_src files and
//! directories, force, backup, validate, mode/owner, return values.
use crate::common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn content_first_run_changes_second_is_ok_check_predicts_diff_shows() {
    let t = tempfile::tempdir().unwrap();
    let dest = t.path().join("app.conf");
    let mut agent = Agent::start();
    let args = json!({"dest": dest, "content": "a=1\n", "mode": "0640"});

    let c = agent.check("copy", args.clone());
    assert!(!c.failed && c.outcome.changed, "{:?}", c.outcome);
    assert!(!dest.exists(), "check mode wrote the file");
    assert_eq!(c.outcome.diff[0].after, "a=1\n");
    assert_eq!(c.outcome.diff[0].before, "");

    let r = agent.run("copy", args.clone());
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "a=1\n");
    assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o640);
    let v = &r.outcome.values;
    // sha1("a=1\n"), as `sha1sum` prints it.
    let sha1 = String::from_utf8(std::process::Command::new("sha1sum").arg(&dest).output().unwrap().stdout).unwrap();
    assert_eq!(v["checksum"], sha1.split_whitespace().next().unwrap());
    assert_eq!((v["size"].as_u64(), v["mode"].as_str(), v["state"].as_str()), (Some(4), Some("0640"), Some("file")));
    assert_eq!(v["dest"], dest.to_string_lossy().as_ref());

    let again = agent.run("copy", args);
    assert!(!again.failed && !again.outcome.changed);
    assert!(again.outcome.diff.is_empty());

    let c = agent.check("copy", json!({"dest": dest, "content": "a=2\n", "mode": "0640"}));
    assert!(c.outcome.changed);
    assert_eq!((c.outcome.diff[0].before.as_str(), c.outcome.diff[0].after.as_str()), ("a=1\n", "a=2\n"));
    assert_eq!(fs::read_to_string(&dest).unwrap(), "a=1\n");

    // Only the mode differs: an attribute change, content left alone.
    let r = agent.run("copy", json!({"dest": dest, "content": "a=1\n", "mode": "u=rw,g=,o="}));
    assert!(r.outcome.changed && r.outcome.diff[0].after.contains(r#""mode": "0600""#), "{:?}", r.outcome.diff);
}

#[test]
fn backup_validate_force_and_owner() {
    let t = tempfile::tempdir().unwrap();
    let dest = t.path().join("sudoers");
    fs::write(&dest, "old\n").unwrap();
    let mut agent = Agent::start();

    let r = agent.run("copy", json!({"dest": dest, "content": "bad\n", "validate": "grep -q ^good %s"}));
    assert!(r.failed && msg(&r).starts_with("failed to validate: rc:1"), "{}", msg(&r));
    assert_eq!(fs::read_to_string(&dest).unwrap(), "old\n", "a failed validate leaves the file alone");
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1, "no temp file left");

    let r =
        agent.run("copy", json!({"dest": dest, "content": "good\n", "validate": "grep -q ^good %s", "backup": true, "owner": "nobody"}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let backup = r.outcome.values["backup_file"].as_str().unwrap().to_string();
    assert_eq!(fs::read_to_string(&backup).unwrap(), "old\n");
    assert!(backup.starts_with(&format!("{}.", dest.display())) && backup.ends_with('~'));
    assert_eq!(fs::metadata(&dest).unwrap().uid(), 65534);
    assert_eq!(r.outcome.values["owner"], "nobody");

    // The replaced file keeps its owner when none is asked for.
    let r = agent.run("copy", json!({"dest": dest, "content": "good2\n"}));
    assert!(r.outcome.changed && fs::metadata(&dest).unwrap().uid() == 65534);

    let r = agent.run("copy", json!({"dest": dest, "content": "other\n", "force": "no"}));
    assert!(!r.failed && !r.outcome.changed);
    assert!(r.outcome.values.get("checksum").is_none(), "like Ansible, only dest is reported: {:?}", r.outcome.values);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "good2\n");
}

#[test]
fn binary_content_base64_and_remote_src_file_and_directory() {
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let bin = t.path().join("blob");
    let r = agent.run("copy", json!({"dest": bin, "content_base64": "AAEC/w=="}));
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(fs::read(&bin).unwrap(), [0, 1, 2, 255]);
    assert!(r.outcome.diff[0].after.contains("binary"));
    assert!(!agent.run("copy", json!({"dest": bin, "content_base64": "AAEC/w=="})).outcome.changed);

    // remote_src file into an existing directory: dest/basename(src), mode preserved on request.
    let src = t.path().join("script.sh");
    fs::write(&src, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o750)).unwrap();
    let out_dir = t.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let args = json!({"src": src, "dest": out_dir, "remote_src": true, "mode": "preserve"});
    let r = agent.run("copy", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let copied = out_dir.join("script.sh");
    assert_eq!(fs::metadata(&copied).unwrap().permissions().mode() & 0o777, 0o750);
    assert!(!agent.run("copy", args).outcome.changed);

    // Directory copy: without a trailing slash the directory itself, with it the contents.
    let tree = t.path().join("tree");
    fs::create_dir_all(tree.join("sub")).unwrap();
    fs::write(tree.join("sub/a.txt"), "A").unwrap();
    fs::write(tree.join("top.txt"), "T").unwrap();
    let target = t.path().join("target");
    fs::create_dir(&target).unwrap();
    let args = json!({"src": tree, "dest": target, "remote_src": true});
    let c = agent.check("copy", args.clone());
    assert!(c.outcome.changed && !target.join("tree").exists());
    fs::set_permissions(tree.join("top.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    let r = agent.run("copy", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(fs::read_to_string(target.join("tree/sub/a.txt")).unwrap(), "A");
    // Checked with ansible-core 2.19: files keep their mode, new directories get 0755, and the
    // result describes the destination directory.
    assert_eq!(fs::metadata(target.join("tree/top.txt")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(target.join("tree/sub")).unwrap().permissions().mode() & 0o777, 0o755);
    let v = &r.outcome.values;
    assert_eq!(
        (v["state"].as_str(), v["mode"].as_str(), v["dest"].as_str()),
        (Some("directory"), Some("0755"), target.join("tree").to_str())
    );
    assert!(v["checksum"].is_null());
    assert!(!agent.run("copy", args.clone()).outcome.changed);
    fs::write(tree.join("sub/a.txt"), "A2").unwrap();
    assert!(agent.check("copy", args.clone()).outcome.changed);
    assert!(agent.run("copy", args).outcome.changed);
    assert_eq!(fs::read_to_string(target.join("tree/sub/a.txt")).unwrap(), "A2");

    // dest ending in `/` that does not exist yet: created, file lands inside.
    let r = agent
        .run("copy", json!({"src": src, "dest": format!("{}/new/dir/", t.path().display()), "remote_src": true, "directory_mode": "0700"}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(fs::read_to_string(t.path().join("new/dir/script.sh")).unwrap(), "#!/bin/sh\n");
    assert_eq!(fs::metadata(t.path().join("new/dir")).unwrap().permissions().mode() & 0o777, 0o700);

    let contents = t.path().join("contents");
    let r = agent.run("copy", json!({"src": format!("{}/", tree.display()), "dest": contents, "remote_src": true}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(fs::read_to_string(contents.join("top.txt")).unwrap(), "T");
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "content": "x", "bogus": true}));
    assert!(r.failed && msg(&r).contains("unknown field `bogus`"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "content": "x", "force": "sometimes"}));
    assert!(r.failed && msg(&r).contains("boolean"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "content": "x", "mode": "0999"}));
    assert!(r.failed && msg(&r).contains("mode"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path(), "content": "x"}));
    assert!(r.failed && msg(&r).contains("can not use content with a dir as dest"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "src": "files/x.conf"}));
    assert!(r.failed && msg(&r).contains("remote_src"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "src": "/nonexistent/dpctl", "remote_src": true}));
    assert!(r.failed && msg(&r).contains("/nonexistent/dpctl"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "content_base64": "!!"}));
    assert!(r.failed && msg(&r).contains("base64"), "{}", msg(&r));
    let r = agent.run("copy", json!({"dest": t.path().join("x"), "content": "x", "checksum": "0000"}));
    assert!(r.failed && msg(&r).contains("checksum"), "{}", msg(&r));
    assert!(!t.path().join("x").exists());
}

#[test]
fn local_follow_copies_what_links_point_at() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("real.txt"), "data\n").unwrap();
    std::fs::create_dir(src.path().join("sub")).unwrap();
    std::fs::write(src.path().join("sub/x"), "x\n").unwrap();
    std::os::unix::fs::symlink("real.txt", src.path().join("link.txt")).unwrap();
    std::os::unix::fs::symlink("sub", src.path().join("linkdir")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (followed, kept) = (out.path().join("followed"), out.path().join("kept"));
    let mut agent = Agent::start();
    let src_arg = format!("{}/", src.path().display());

    let args = json!({"src": src_arg, "dest": followed, "remote_src": true, "local_follow": true});
    let r = agent.run("copy", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let link = std::fs::symlink_metadata(followed.join("link.txt")).unwrap();
    assert!(link.is_file(), "a regular file, not a link");
    assert_eq!(std::fs::read_to_string(followed.join("link.txt")).unwrap(), "data\n");
    assert!(std::fs::symlink_metadata(followed.join("linkdir")).unwrap().is_dir());
    assert_eq!(std::fs::read_to_string(followed.join("linkdir/x")).unwrap(), "x\n");
    assert!(!agent.run("copy", args).outcome.changed, "second run is ok");

    let r = agent.run("copy", json!({"src": src_arg, "dest": kept, "remote_src": true}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_link(kept.join("link.txt")).unwrap(), std::path::Path::new("real.txt"), "unset: links stay links");
    assert_eq!(std::fs::read_link(kept.join("linkdir")).unwrap(), std::path::Path::new("sub"));

    let r = agent.run("copy", json!({"src": src_arg, "dest": kept, "remote_src": true, "local_follow": "maybe"}));
    assert!(r.failed, "{r:?}");
}
