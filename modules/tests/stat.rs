//! `stat` through the agent (read-only: never changed).
//! Field names and the `"0644"` mode string were checked against
//! ansible-core 2.19's `stat` output for the same file.
use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

fn tool(cmd: &str, p: &std::path::Path) -> String {
    let out = std::process::Command::new(cmd).arg(p).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

#[test]
fn stat_file_dir_link_and_missing() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("f.txt");
    fs::write(&f, "hello\n").unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).unwrap();
    let l = t.path().join("l");
    std::os::unix::fs::symlink(&f, &l).unwrap();
    let mut agent = Agent::start();

    let r = agent.run("stat", json!({"path": f}));
    assert!(!r.failed && !r.outcome.changed);
    let s = &r.outcome.values["stat"];
    assert_eq!(s["exists"], true);
    assert_eq!(s["isreg"], true);
    assert_eq!(s["isdir"], false);
    assert_eq!(s["mode"], "0640");
    assert_eq!(s["size"], 6);
    assert_eq!(s["uid"], 0);
    assert_eq!(s["pw_name"], "root");
    assert_eq!(s["gr_name"], "root");
    assert_eq!((s["rusr"].as_bool(), s["roth"].as_bool()), (Some(true), Some(false)));
    assert_eq!(s["checksum"], tool("sha1sum", &f));
    assert!(s["mtime"].as_f64().unwrap() > 1.6e9);

    let r = agent.run("stat", json!({"path": f, "checksum_algorithm": "sha256"}));
    assert_eq!(r.outcome.values["stat"]["checksum"], tool("sha256sum", &f));
    let r = agent.run("stat", json!({"path": f, "get_checksum": "no", "get_mime": false}));
    assert!(r.outcome.values["stat"].get("checksum").is_none());

    let r = agent.run("stat", json!({"path": l}));
    let s = &r.outcome.values["stat"];
    assert_eq!((s["islnk"].as_bool(), s["isreg"].as_bool()), (Some(true), Some(false)));
    assert_eq!(s["lnk_source"], f.to_string_lossy().as_ref());
    let r = agent.run("stat", json!({"path": l, "follow": true}));
    assert_eq!(r.outcome.values["stat"]["isreg"], true);

    let r = agent.check("stat", json!({"path": t.path()}));
    assert_eq!(r.outcome.values["stat"]["isdir"], true);

    let r = agent.run("stat", json!({"path": t.path().join("nope")}));
    assert!(!r.failed && !r.outcome.changed);
    assert_eq!(r.outcome.values["stat"], json!({"exists": false}));
}

#[test]
fn stat_bad_arguments() {
    let mut agent = Agent::start();
    let r = agent.run("stat", json!({"path": "/tmp", "get_md5": true}));
    assert!(r.failed && msg(&r).contains("unknown field `get_md5`"), "{}", msg(&r));
    let r = agent.run("stat", json!({"path": "/tmp", "checksum_algorithm": "crc32"}));
    assert!(r.failed && msg(&r).contains("unknown variant `crc32`"), "{}", msg(&r));
    let r = agent.run("stat", json!({}));
    assert!(r.failed && msg(&r).contains("missing field `path`"), "{}", msg(&r));
}
