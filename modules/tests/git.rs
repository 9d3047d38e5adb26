use crate::common;

use std::path::Path;
use std::process::Command;

use common::Agent;
use serde_json::json;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// An upstream with two commits on main, a tag `v1` on the first, and a branch `dev`.
fn upstream(dir: &Path) -> (String, String) {
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("a.txt"), "one\n").unwrap();
    git(dir, &["add", "a.txt"]);
    git(dir, &["commit", "-qm", "first"]);
    let first = git(dir, &["rev-parse", "HEAD"]);
    git(dir, &["tag", "-a", "v1", "-m", "v1"]);
    git(dir, &["branch", "dev"]);
    std::fs::write(dir.join("a.txt"), "two\n").unwrap();
    git(dir, &["commit", "-qam", "second"]);
    (first, git(dir, &["rev-parse", "HEAD"]))
}

#[test]
fn clone_update_versions_and_local_modifications() {
    let up = tempfile::tempdir().unwrap();
    let (first, second) = upstream(up.path());
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("checkout");
    let mut agent = Agent::start();
    let args = json!({"repo": up.path(), "dest": dest});

    let r = agent.check("git", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["after"], second);
    assert!(!dest.exists(), "check mode cloned nothing");

    let r = agent.run("git", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!((r.outcome.values["before"].clone(), r.outcome.values["after"].clone()), (json!(null), json!(second)));
    assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "two\n");

    let r = agent.run("git", args.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");
    assert_eq!(r.outcome.values["before"], r.outcome.values["after"]);

    // A tag: check predicts the peeled commit, the run moves there.
    let tag = json!({"repo": up.path(), "dest": dest, "version": "v1"});
    let r = agent.check("git", tag.clone());
    assert!(r.outcome.changed && r.outcome.values["after"] == first, "{r:?}");
    assert_eq!(git(&dest, &["rev-parse", "HEAD"]), second);
    let r = agent.run("git", tag.clone());
    assert!(r.outcome.changed && r.outcome.values["after"] == first, "{r:?}");
    assert_eq!(r.outcome.diff[0].before, format!("{second}\n"));
    assert!(!agent.run("git", tag).outcome.changed);

    // New upstream commit on a branch.
    git(up.path(), &["checkout", "-q", "dev"]);
    std::fs::write(up.path().join("b.txt"), "dev\n").unwrap();
    git(up.path(), &["add", "b.txt"]);
    git(up.path(), &["commit", "-qm", "dev work"]);
    let dev = git(up.path(), &["rev-parse", "HEAD"]);
    let branch = json!({"repo": up.path(), "dest": dest, "version": "dev"});
    let r = agent.run("git", branch.clone());
    assert!(r.outcome.changed && r.outcome.values["after"] == dev, "{r:?}");
    assert!(dest.join("b.txt").exists());
    assert!(!agent.run("git", branch.clone()).outcome.changed);

    // A commit by (abbreviated) sha.
    let r = agent.run("git", json!({"repo": up.path(), "dest": dest, "version": &first[..10]}));
    assert!(r.outcome.changed && r.outcome.values["after"] == first, "{r:?}");

    // Local modifications are refused without force, discarded with it.
    std::fs::write(dest.join("a.txt"), "edited\n").unwrap();
    let r = agent.run("git", branch.clone());
    assert!(r.failed && r.outcome.msg.as_deref().unwrap().contains("Local modifications exist"), "{r:?}");
    let mut forced = branch.clone();
    forced["force"] = json!("yes");
    let r = agent.run("git", forced);
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "one\n");

    // update: no reports the checkout as it is.
    let r = agent.run("git", json!({"repo": up.path(), "dest": dest, "version": "main", "update": false}));
    assert!(!r.outcome.changed && r.outcome.values["after"] == dev);
}

#[test]
fn shallow_clone_of_a_branch() {
    let up = tempfile::tempdir().unwrap();
    let (_, second) = upstream(up.path());
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("shallow");
    let mut agent = Agent::start();
    let url = format!("file://{}", up.path().display());
    let r = agent.run("git", json!({"repo": url, "dest": dest, "version": "main", "depth": 1}));
    assert!(!r.failed && r.outcome.values["after"] == second, "{r:?}");
    assert_eq!(git(&dest, &["rev-list", "--count", "HEAD"]), "1");
    assert!(!agent.run("git", json!({"repo": url, "dest": dest, "version": "main", "depth": 1})).outcome.changed);
}

#[test]
fn bad_arguments_and_unknown_versions() {
    let up = tempfile::tempdir().unwrap();
    upstream(up.path());
    let mut agent = Agent::start();
    let r = agent.run("git", json!({"repo": up.path()}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("missing field `dest`"));
    let r = agent.run("git", json!({"repo": up.path(), "dest": "/tmp/x", "version": "--upload-pack=evil"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid version"));
    let r = agent.run("git", json!({"repo": up.path(), "dest": "/tmp/dpctl-never", "version": "nope"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Cannot find version nope"));
    assert!(!Path::new("/tmp/dpctl-never").exists());
}
