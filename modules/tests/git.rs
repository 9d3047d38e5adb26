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

/// A request through the agent with a task `environment:`.
fn run_env(agent: &mut Agent, args: serde_json::Value, env: serde_json::Value, check: bool) -> modules::protocol::Reply {
    let mut req = modules::protocol::Request::new(1000, "git", args);
    req.environment = env.as_object().cloned();
    req.check = check;
    agent.raw(&serde_json::to_string(&req).unwrap())
}

/// The ssh options reach ssh: a fake `ssh` (named so, so git treats it as OpenSSH)
/// records its arguments one per line and serves the repository locally. No
/// connection is made anywhere.
#[test]
fn ssh_options_reach_ssh() {
    use std::os::unix::fs::PermissionsExt;
    let up = tempfile::tempdir().unwrap();
    let (_, second) = upstream(up.path());
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("argv.log");
    let ssh = tools.path().join("ssh");
    std::fs::write(
        &ssh,
        format!("#!/bin/sh\nfor a; do echo \"[$a]\"; done >> {}\nfor last; do :; done\nexec sh -c \"$last\"\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = json!({"GIT_SSH_COMMAND": ssh});
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("over-ssh");
    let url = format!("ssh://127.0.0.1{}", up.path().display());
    let mut agent = Agent::start();

    let args =
        json!({"repo": url, "dest": dest, "accept_newhostkey": true, "key_file": "/tmp/dpctl key", "ssh_opts": "-o ConnectTimeout=5"});
    let r = run_env(&mut agent, args, env.clone(), false);
    assert!(!r.failed && r.outcome.values["after"] == second, "{r:?}");
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("[-o]\n[ConnectTimeout=5]\n[-o]\n[StrictHostKeyChecking=accept-new]\n[-o]\n[BatchMode=yes]\n[-i]\n[/tmp/dpctl key]\n[-o]\n[IdentitiesOnly=yes]\n"),
        "{argv}"
    );
    assert!(!argv.contains("StrictHostKeyChecking=no"), "{argv}");

    std::fs::remove_file(&log).unwrap();
    let r = run_env(&mut agent, json!({"repo": url, "dest": dest, "accept_hostkey": "yes"}), env.clone(), false);
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(argv.contains("[-o]\n[StrictHostKeyChecking=no]\n[-o]\n[BatchMode=yes]\n") && !argv.contains("IdentitiesOnly"), "{argv}");

    let r = run_env(&mut agent, json!({"repo": url, "dest": dest, "accept_hostkey": true, "accept_newhostkey": true}), env, false);
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("mutually exclusive: accept_hostkey|accept_newhostkey"), "{r:?}");
}

/// A superproject with one submodule `lib` (file transport allowed for both).
#[test]
fn submodules_recursive_and_tracked() {
    let file_ok = ["-c", "protocol.file.allow=always"];
    let sub = tempfile::tempdir().unwrap();
    git(sub.path(), &["init", "-q"]);
    std::fs::write(sub.path().join("s.txt"), "s1\n").unwrap();
    git(sub.path(), &["add", "s.txt"]);
    git(sub.path(), &["commit", "-qm", "s1"]);
    let sup = tempfile::tempdir().unwrap();
    git(sup.path(), &["init", "-q"]);
    git(sup.path(), &[&file_ok[..], &["submodule", "add", "-q", sub.path().to_str().unwrap(), "lib"]].concat());
    git(sup.path(), &["commit", "-qm", "with lib"]);
    let env = json!({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always"});
    let work = tempfile::tempdir().unwrap();
    let (dest, flat) = (work.path().join("rec"), work.path().join("flat"));
    let mut agent = Agent::start();

    let r = run_env(&mut agent, json!({"repo": sup.path(), "dest": dest}), env.clone(), false);
    assert!(!r.failed && r.outcome.values["submodules_changed"] == true, "{r:?}");
    assert_eq!(std::fs::read_to_string(dest.join("lib/s.txt")).unwrap(), "s1\n", "recursive is the default");
    let r = run_env(&mut agent, json!({"repo": sup.path(), "dest": flat, "recursive": false}), env.clone(), false);
    assert!(!r.failed, "{r:?}");
    assert!(flat.join("lib").is_dir() && !flat.join("lib/s.txt").exists(), "recursive: false skips submodules");

    // The submodule's upstream moves on: by default the recorded commit stays.
    std::fs::write(sub.path().join("s.txt"), "s2\n").unwrap();
    git(sub.path(), &["commit", "-qam", "s2"]);
    let r = run_env(&mut agent, json!({"repo": sup.path(), "dest": dest}), env.clone(), false);
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    let tracked = json!({"repo": sup.path(), "dest": dest, "track_submodules": true});
    let r = run_env(&mut agent, tracked.clone(), env.clone(), true);
    assert!(!r.failed && r.outcome.changed, "check mode predicts the tracked move: {r:?}");
    assert_eq!(std::fs::read_to_string(dest.join("lib/s.txt")).unwrap(), "s1\n", "check mode moved nothing");
    let r = run_env(&mut agent, tracked.clone(), env.clone(), false);
    assert!(!r.failed && r.outcome.changed && r.outcome.values["submodules_changed"] == true, "{r:?}");
    assert_eq!(std::fs::read_to_string(dest.join("lib/s.txt")).unwrap(), "s2\n", "track_submodules follows the remote");
    // The superproject now records another commit than its submodule has: that is a
    // local modification, and ansible-core 2.19 fails the next run the same way.
    let r = run_env(&mut agent, tracked, env, false);
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("Local modifications exist"), "{r:?}");
}

#[test]
fn umask_applies_to_the_checkout() {
    use std::os::unix::fs::PermissionsExt;
    let up = tempfile::tempdir().unwrap();
    upstream(up.path());
    let work = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut agent = Agent::start();
    let (private, open) = (work.path().join("private"), work.path().join("open"));
    let r = agent.run("git", json!({"repo": up.path(), "dest": private, "umask": "0077"}));
    assert!(!r.failed, "{r:?}");
    assert_eq!((mode(&private.join("a.txt")), mode(&private.join(".git"))), (0o600, 0o700));
    let r = agent.run("git", json!({"repo": up.path(), "dest": open, "umask": "0022"}));
    assert!(!r.failed, "{r:?}");
    assert_eq!(mode(&open.join("a.txt")), 0o644);
    let r = agent.run("git", json!({"repo": up.path(), "dest": work.path().join("x"), "umask": "0999"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("umask must be an octal integer"), "{r:?}");
    let r = agent.run("git", json!({"repo": up.path(), "dest": work.path().join("x"), "umask": 18}));
    assert!(r.failed, "a number (what YAML makes of an unquoted 0022) is refused, as Ansible does: {r:?}");
}
