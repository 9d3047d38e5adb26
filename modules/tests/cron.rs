use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::Agent;
use serde_json::{json, Value};

#[test]
fn cron_file_entry_add_idempotent_check_diff_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dpctl-job");
    let mut agent = Agent::start();
    let args = json!({"name": "rotate logs", "minute": 0, "hour": "5", "user": "root", "job": "/usr/bin/true rotate", "cron_file": file});

    let r = agent.check("cron", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!file.exists(), "check mode wrote nothing");
    assert_eq!(r.outcome.diff[0].after, "#Ansible: rotate logs\n0 5 * * * root /usr/bin/true rotate\n");

    let r = agent.run("cron", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "#Ansible: rotate logs\n0 5 * * * root /usr/bin/true rotate\n");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(r.outcome.values["jobs"], json!(["rotate logs"]));
    assert_eq!(r.outcome.diff[0].before, "");
    assert_eq!(r.outcome.diff[0].before_header.as_deref(), Some(file.to_str().unwrap()));

    let r = agent.run("cron", args.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");

    // Changing the schedule rewrites the same entry in place, other lines untouched.
    std::fs::write(&file, format!("MAILTO=\"\"\n{}", std::fs::read_to_string(&file).unwrap())).unwrap();
    let mut disabled = args.clone();
    disabled["disabled"] = json!("yes");
    disabled["special_time"] = json!("daily");
    disabled.as_object_mut().unwrap().remove("minute");
    disabled.as_object_mut().unwrap().remove("hour");
    let r = agent.run("cron", disabled);
    assert!(r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "MAILTO=\"\"\n#Ansible: rotate logs\n#@daily root /usr/bin/true rotate\n");
    assert_eq!(r.outcome.values["envs"], json!(["MAILTO"]));

    // absent removes the job; the file stays while it has other lines.
    let gone = json!({"name": "rotate logs", "state": "absent", "cron_file": file});
    let r = agent.check("cron", gone.clone());
    assert!(r.outcome.changed && std::fs::read_to_string(&file).unwrap().contains("rotate"));
    let r = agent.run("cron", gone.clone());
    assert!(r.outcome.changed);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "MAILTO=\"\"\n");
    assert!(!agent.run("cron", gone).outcome.changed);

    // env lines, and removing the last line removes the file.
    let env = json!({"name": "MAILTO", "env": true, "state": "absent", "cron_file": file});
    let r = agent.run("cron", env.clone());
    assert!(r.outcome.changed && !file.exists(), "{r:?}");
    assert_eq!(r.outcome.diff[0].after_header.as_deref(), Some("/dev/null"));
    assert!(!agent.run("cron", env).outcome.changed);
}

#[test]
fn env_variables_insert_first_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envs");
    std::fs::write(&file, "#Ansible: a\n* * * * * root true\n").unwrap();
    let mut agent = Agent::start();
    let r = agent.run("cron", json!({"name": "PATH", "env": "yes", "job": "/bin", "user": "root", "cron_file": file}));
    assert!(r.outcome.changed);
    let r = agent
        .run("cron", json!({"name": "SHELL", "env": "yes", "job": "/bin/sh", "user": "root", "cron_file": file, "insertafter": "PATH"}));
    assert!(r.outcome.changed);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "PATH=\"/bin\"\nSHELL=\"/bin/sh\"\n#Ansible: a\n* * * * * root true\n");
    let r = agent.run("cron", json!({"name": "PATH", "env": "yes", "job": "/bin", "user": "root", "cron_file": file}));
    assert!(!r.outcome.changed);
}

/// `crontab` is not installed on every host; this stand-in keeps each user's
/// crontab in a directory and answers `-l` like the real one (rc 1 when empty),
/// so the module's read/write protocol is exercised as it is against cron.
fn fake_crontab(dir: &std::path::Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let store = dir.join("spool");
    std::fs::create_dir_all(&store).unwrap();
    let script = format!(
        r#"#!/bin/sh
user=$(id -un)
if [ "$1" = "-u" ]; then user=$2; shift 2; fi
echo "$user $*" >> {store}/calls
if [ "$1" = "-l" ]; then
  [ -f {store}/$user ] || {{ echo "no crontab for $user" >&2; exit 1; }}
  cat {store}/$user; exit 0
fi
cp "$1" {store}/$user
"#,
        store = store.display()
    );
    let path = bin.join("crontab");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn run_with_path(agent: &mut Agent, bin: &std::path::Path, args: Value, check: bool) -> modules::protocol::Reply {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let req = json!({"id": 7, "module": "cron", "args": args, "check": check, "diff": true, "environment": {"PATH": path}});
    agent.raw(&req.to_string())
}

#[test]
fn user_crontab_through_crontab_command() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_crontab(dir.path());
    let spool = dir.path().join("spool");
    let mut agent = Agent::start();
    let args = json!({"name": "backup", "weekday": 1, "job": "echo hi", "user": "dpctltest_cron"});

    let r = run_with_path(&mut agent, &bin, args.clone(), true);
    assert!(r.outcome.changed && !spool.join("dpctltest_cron").exists(), "{r:?}");
    assert_eq!(r.outcome.diff[0].before_header.as_deref(), Some("crontab for user \"dpctltest_cron\""));

    let r = run_with_path(&mut agent, &bin, args.clone(), false);
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(std::fs::read_to_string(spool.join("dpctltest_cron")).unwrap(), "#Ansible: backup\n* * * * 1 echo hi\n");
    let r = run_with_path(&mut agent, &bin, args, false);
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    let calls = std::fs::read_to_string(spool.join("calls")).unwrap();
    assert!(calls.lines().all(|l| l.starts_with("dpctltest_cron ")), "-u names the user: {calls}");
}

#[test]
fn bad_arguments_are_errors() {
    let mut agent = Agent::start();
    let r = agent.run("cron", json!({"name": "x", "job": "true", "cron_file": "/tmp/x"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("must specify user"));
    let r =
        agent.run("cron", json!({"name": "x", "job": "true", "user": "root", "cron_file": "/tmp/x", "special_time": "daily", "hour": 1}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("special_time"));
    let r = agent.run("cron", json!({"name": "x", "job": "true", "special_time": "fortnightly"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
    let r = agent.run("cron", json!({"name": "x", "job": "true", "user": "root", "cron_file": "/etc/crontab"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("/etc/crontab"));
    let r = agent.run("cron", json!({"job": "true"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("missing field `name`"));
}

/// The same tasks as `fixtures/ansible_cron/tasks.json` give the file and the
/// registered results real Ansible gave (`generate.sh` recorded them).
#[test]
fn matches_recorded_ansible_results() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_cron");
    let tasks: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(fixtures.join("tasks.json")).unwrap()).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(fixtures.join("expected_results.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cronfile");
    let mut agent = Agent::start();
    for (task, want) in tasks.iter().zip(&expected) {
        let mut args = task.clone();
        args["cron_file"] = json!(file);
        let r = agent.run("cron", args);
        assert!(!r.failed, "{task}: {r:?}");
        let mut got = serde_json::Map::new();
        got.insert("changed".into(), json!(r.outcome.changed));
        for k in ["jobs", "envs", "state"] {
            if let Some(v) = r.outcome.values.get(k) {
                got.insert(k.into(), v.clone());
            }
        }
        assert_eq!(&Value::Object(got), want, "task {task}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), std::fs::read_to_string(fixtures.join("expected.cron")).unwrap());
}
