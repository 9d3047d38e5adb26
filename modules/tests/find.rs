//! `find` through the agent (read-only: never changed). Pattern semantics
//! (globs on basenames, regexes matched at the start, excludes only with
//! patterns, hidden entries skipped but hidden directories still walked)
//! follow ansible-core 2.19's find.py; the counts below were checked with
//! `ansible localhost -m find` on the same tree.
use crate::common;

use std::fs;
use std::path::Path;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

fn names(r: &modules::protocol::Reply, root: &Path) -> Vec<String> {
    let mut v: Vec<String> = r.outcome.values["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().strip_prefix(&format!("{}/", root.display())).unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// logs/{a.log (10 B), b.txt, .hidden.log, sub/c.log (2 KiB, contains ERROR), .cache/d.log}
fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    fs::create_dir_all(r.join("sub")).unwrap();
    fs::create_dir_all(r.join(".cache")).unwrap();
    fs::write(r.join("a.log"), "0123456789").unwrap();
    fs::write(r.join("b.txt"), "b").unwrap();
    fs::write(r.join(".hidden.log"), "h").unwrap();
    fs::write(r.join("sub/c.log"), format!("INFO x\nERROR boom\n{}", "y".repeat(2048))).unwrap();
    fs::write(r.join(".cache/d.log"), "d").unwrap();
    t
}

#[test]
fn patterns_recurse_hidden_and_types() {
    let t = tree();
    let root = t.path();
    let mut agent = Agent::start();

    let r = agent.run("find", json!({"paths": root, "patterns": "*.log"}));
    assert!(!r.failed && !r.outcome.changed);
    assert_eq!(names(&r, root), ["a.log"]);
    assert_eq!(r.outcome.values["matched"], 1);
    assert_eq!(r.outcome.values["examined"], 5, "entries of the top directory, hidden included");
    assert_eq!(msg(&r), "All paths examined");
    let f = &r.outcome.values["files"][0];
    assert_eq!((f["size"].as_u64(), f["isreg"].as_bool(), f["mode"].as_str()), (Some(10), Some(true), Some("0644")));

    let r = agent.run("find", json!({"paths": [root], "patterns": ["*.log"], "recurse": true}));
    assert_eq!(names(&r, root), vec![".cache/d.log", "a.log", "sub/c.log"], "a hidden directory is walked, only its own entry skipped");
    let r = agent.run("find", json!({"paths": [root], "patterns": ["*.log"], "recurse": true, "hidden": true}));
    assert_eq!(names(&r, root).len(), 4);
    let r = agent.run("find", json!({"paths": [root], "patterns": ["*.log", "*.txt"], "excludes": "a*", "recurse": "yes"}));
    assert_eq!(names(&r, root), vec![".cache/d.log", "b.txt", "sub/c.log"]);
    let r = agent.run("find", json!({"paths": [root], "file_type": "directory", "hidden": true}));
    assert_eq!(names(&r, root), vec![".cache", "sub"]);
    let r = agent.run("find", json!({"paths": [root], "patterns": ["^[ab]\\.(log|txt)$"], "use_regex": true}));
    assert_eq!(names(&r, root), vec!["a.log", "b.txt"]);
    let r = agent.run("find", json!({"paths": [root], "patterns": ["log"], "use_regex": true}));
    assert!(names(&r, root).is_empty(), "regexes match at the start, like re.match");
    let r = agent.run("find", json!({"paths": [root], "recurse": true, "depth": "1"}));
    assert_eq!(names(&r, root), vec!["a.log", "b.txt"]);
}

#[test]
fn size_age_contains_checksum_limit() {
    let t = tree();
    let root = t.path();
    let mut agent = Agent::start();
    let r = agent.run("find", json!({"paths": root, "recurse": true, "size": "1k"}));
    assert_eq!(names(&r, root), vec!["sub/c.log"]);
    let r = agent.run("find", json!({"paths": root, "size": "-1"}));
    assert_eq!(names(&r, root), vec!["b.txt"]);
    let r = agent.run("find", json!({"paths": root, "recurse": true, "contains": "ERROR"}));
    assert_eq!(names(&r, root), vec!["sub/c.log"]);
    let r = agent.run("find", json!({"paths": root, "recurse": true, "contains": "boom"}));
    assert!(names(&r, root).is_empty(), "contains matches at a line's start");
    let r = agent.run("find", json!({"paths": root, "recurse": true, "contains": "boom", "read_whole_file": true}));
    assert_eq!(names(&r, root), vec!["sub/c.log"]);
    let r = agent.run("find", json!({"paths": root, "age": "1d"}));
    assert!(names(&r, root).is_empty(), "nothing is a day old");
    let r = agent.run("find", json!({"paths": root, "age": "-1h"}));
    assert_eq!(names(&r, root), vec!["a.log", "b.txt"]);
    let r = agent.run("find", json!({"paths": root, "patterns": "a.log", "get_checksum": true, "checksum_algorithm": "sha256"}));
    // sha256("0123456789")
    assert_eq!(r.outcome.values["files"][0]["checksum"], "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882");
    let r = agent.run("find", json!({"paths": root, "limit": 1}));
    assert_eq!((r.outcome.values["matched"].as_u64(), msg(&r).as_str()), (Some(1), "Limit of matches reached"));
    let r = agent.check("find", json!({"paths": [root, root.join("nope")]}));
    assert!(!r.failed && !r.outcome.changed);
    assert!(r.outcome.values["skipped_paths"].as_object().unwrap().keys().any(|k| k.ends_with("nope")));
    assert_eq!(msg(&r), "Not all paths examined, check warnings for details");
}

#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let mut agent = Agent::start();
    for (args, want) in [
        (json!({"paths": "/tmp", "pattern": "*", "bogus": 1}), "unknown field `bogus`"),
        (json!({"paths": "/tmp", "file_type": "socket"}), "unknown variant `socket`"),
        (json!({"paths": "/tmp", "age": "3 days"}), "failed to process age"),
        (json!({"paths": "/tmp", "size": "10q"}), "failed to process size"),
        (json!({"paths": "/tmp", "recurse": "deep"}), "boolean"),
        (json!({"paths": "/tmp", "patterns": ["("], "use_regex": true}), "invalid regular expression"),
        (json!({"patterns": "*"}), "missing field `paths`"),
    ] {
        let r = agent.run("find", args.clone());
        assert!(r.failed && msg(&r).contains(want), "{args}: {}", msg(&r));
    }
}

#[test]
fn mode_selects_exactly_or_by_any_shared_bit() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (name, mode) in [("rw-r--r--", 0o644), ("rw-------", 0o600), ("rwxr-xr-x", 0o755)] {
        let p = dir.path().join(name);
        fs::write(&p, "x").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
    let mut agent = Agent::start();
    let mut found = |extra: serde_json::Value| {
        let mut args = json!({"paths": dir.path()});
        args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let r = agent.run("find", args);
        assert!(!r.failed && !r.outcome.changed, "{r:?}");
        names(&r, dir.path())
    };
    assert_eq!(found(json!({"mode": "0644"})), ["rw-r--r--"]);
    assert_eq!(found(json!({"mode": "u=rw,g=r,o=r"})), ["rw-r--r--"], "symbolic, applied to 0000");
    assert_eq!(found(json!({"mode": "0644", "exact_mode": true})), ["rw-r--r--"]);
    assert_eq!(found(json!({"mode": "0044", "exact_mode": false})), ["rw-r--r--", "rwxr-xr-x"], "any shared bit");
    assert_eq!(found(json!({"mode": "o=x", "exact_mode": "no"})), ["rwxr-xr-x"]);
    assert!(found(json!({"mode": "0700"})).is_empty());
    let r = agent.run("find", json!({"paths": dir.path(), "mode": "preserve"}));
    assert!(r.failed && msg(&r).contains("mode cannot be preserve"), "{r:?}");
    let r = agent.run("find", json!({"paths": dir.path(), "mode": "u=banana"}));
    assert!(r.failed, "{r:?}");
}
