//! `yarn_app` against a real ResourceManager and NodeManager (Hadoop's MiniYARNCluster, started by
//! tests/servers/yarn.sh). The applications are real: a tiny application master that registers
//! with the RM, submitted through the REST API or through the YARN client (as Samza's run-job.sh).

use crate::common;
use crate::common::servers;

use std::path::PathBuf;

use common::Agent;
use modules::pipeline::yarn_app::{state_file_for, AppState, RestSubmit, RmClient, Submit, YarnApp};
use modules::{Context, Module};
use serde_json::{json, Value};

/// Names unique to this test process, so reruns against a long-lived cluster do not collide.
fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

fn active_ids(rm: &RmClient, name: &str) -> Vec<String> {
    rm.active_apps().unwrap().into_iter().filter(|a| a.name == name).map(|a| a.id).collect()
}

fn rest_submit() -> Value {
    json!({"rest": {"am_command": servers::yarn_am_command(), "memory_mb": 128}})
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn exact_name_matching_submit_ok_check_and_stop_through_the_agent() {
    let url = servers::yarn();
    let rm = RmClient::new(&url);
    // `DeDuplication_1…` is a substring of `DerivedDeDuplication_1…`: the original grep killed both.
    let dedup = unique("DeDuplication_1");
    let derived = format!("Derived{dedup}");
    let mut agent = Agent::start();
    let args = |name: &str, state: &str| json!({"name": name, "state": state, "resourcemanager": url, "submit": rest_submit(), "wait_timeout": 120});

    // Check mode predicts the submit and submits nothing.
    let r = agent.check("yarn_app", args(&dedup, "running"));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(r.outcome.values["actions"], json!(["submit"]));
    assert!(!r.outcome.diff.is_empty(), "diff shown");
    assert!(active_ids(&rm, &dedup).is_empty(), "check mode submitted nothing");

    let r = agent.run("yarn_app", args(&derived, "running"));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let derived_id = r.outcome.values["application_id"].as_str().unwrap().to_string();

    let r = agent.run("yarn_app", args(&dedup, "running"));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(r.outcome.values["state"], "RUNNING");
    let dedup_id = r.outcome.values["application_id"].as_str().unwrap().to_string();
    assert_eq!(rm.app(&dedup_id).unwrap().state, "RUNNING");
    assert_ne!(dedup_id, derived_id);

    // Second run: nothing to do, same application.
    let r = agent.run("yarn_app", args(&dedup, "running"));
    assert!(!r.failed && !r.outcome.changed, "{}", msg(&r));
    assert_eq!(r.outcome.values["application_id"], json!(dedup_id));
    assert_eq!(r.outcome.values["actions"], json!([]));

    // Check mode for stopped predicts the kill of exactly that application and kills nothing.
    let r = agent.check("yarn_app", args(&dedup, "stopped"));
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(r.outcome.values["actions"], json!([format!("kill {dedup_id}")]));
    assert_eq!(rm.app(&dedup_id).unwrap().state, "RUNNING");

    let r = agent.run("yarn_app", args(&dedup, "stopped"));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(rm.app(&dedup_id).unwrap().state, "KILLED");
    assert_eq!(rm.app(&derived_id).unwrap().state, "RUNNING", "the similarly named application is untouched");
    assert_eq!(active_ids(&rm, &derived), vec![derived_id.clone()]);

    let r = agent.run("yarn_app", args(&dedup, "stopped"));
    assert!(!r.failed && !r.outcome.changed, "stopping a stopped application is ok: {}", msg(&r));

    let r = agent.run("yarn_app", args(&derived, "stopped"));
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(rm.app(&derived_id).unwrap().state, "KILLED");
}

fn direct(name: &str, url: &str, state: AppState, checksum: Option<&str>, state_dir: &std::path::Path) -> YarnApp {
    YarnApp {
        name: name.into(),
        state,
        resourcemanager: url.into(),
        submit: Some(Submit {
            rest: Some(RestSubmit {
                am_command: servers::yarn_am_command(),
                queue: "default".into(),
                memory_mb: 128,
                vcores: 1,
                max_app_attempts: 1,
                tags: vec!["dpctl-test".into()],
            }),
            ..Submit::default()
        }),
        package_checksum: checksum.map(Into::into),
        state_dir: Some(state_dir.to_path_buf()),
        wait_timeout: 120,
        application_type: Some("DPCTL-TEST".into()),
    }
}

#[test]
fn restart_when_the_package_checksum_changes_from_rust() {
    let url = servers::yarn();
    let rm = RmClient::new(&url);
    let name = unique("TelemetryValidator_1");
    let dir = tempfile::tempdir().unwrap();
    let ctx = Context { check_mode: false, diff: true };

    let first = direct(&name, &url, AppState::Running, Some("sha256:aaa"), dir.path()).run(&ctx).unwrap();
    assert!(first.changed);
    let id1 = first.values["application_id"].as_str().unwrap().to_string();
    let recorded = std::fs::read_to_string(state_file_for(dir.path(), &name)).unwrap();
    assert!(recorded.contains("sha256:aaa") && recorded.contains(&id1), "{recorded}");
    assert_eq!(rm.app(&id1).unwrap().application_type.to_ascii_uppercase(), "DPCTL-TEST");

    let again = direct(&name, &url, AppState::Running, Some("sha256:aaa"), dir.path()).run(&ctx).unwrap();
    assert!(!again.changed, "same package: ok");

    // A new package: check mode predicts kill + submit and changes nothing.
    let check =
        direct(&name, &url, AppState::Running, Some("sha256:bbb"), dir.path()).run(&Context { check_mode: true, diff: true }).unwrap();
    assert!(check.changed);
    assert_eq!(check.values["actions"], json!([format!("kill {id1}"), "submit"]));
    assert!(check.diff[0].before.contains("sha256:aaa") && check.diff[0].after.contains("sha256:bbb"), "{:?}", check.diff);
    assert_eq!(rm.app(&id1).unwrap().state, "RUNNING");

    let restarted = direct(&name, &url, AppState::Running, Some("sha256:bbb"), dir.path()).run(&ctx).unwrap();
    assert!(restarted.changed);
    let id2 = restarted.values["application_id"].as_str().unwrap().to_string();
    assert_ne!(id1, id2);
    assert_eq!(rm.app(&id1).unwrap().state, "KILLED");
    assert_eq!(active_ids(&rm, &name), vec![id2.clone()]);
    assert!(std::fs::read_to_string(state_file_for(dir.path(), &name)).unwrap().contains("sha256:bbb"));

    // `restarted` always restarts.
    let forced = direct(&name, &url, AppState::Restarted, None, dir.path()).run(&ctx).unwrap();
    let id3 = forced.values["application_id"].as_str().unwrap().to_string();
    assert!(forced.changed && id3 != id2);
    assert_eq!(rm.app(&id2).unwrap().state, "KILLED");

    direct(&name, &url, AppState::Stopped, None, dir.path()).run(&ctx).unwrap();
    assert!(active_ids(&rm, &name).is_empty());
}

#[test]
fn submit_with_a_command_like_samza_run_job() {
    let url = servers::yarn();
    let rm = RmClient::new(&url);
    let name = unique("DeviceProfileUpdater_1");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/servers/yarn.sh");
    let mut agent = Agent::start();
    let args = json!({
        "name": name,
        "resourcemanager": url,
        "application_type": "samza",
        "submit": {"command": ["bash", script.to_str().unwrap(), "run-job", name], "chdir": "/"},
        "wait_timeout": 120,
    });
    let r = agent.run("yarn_app", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let id = r.outcome.values["application_id"].as_str().unwrap().to_string();
    assert_eq!(rm.app(&id).unwrap().state, "RUNNING");
    assert_eq!(rm.app(&id).unwrap().application_type.to_ascii_lowercase(), "samza");

    let r = agent.run("yarn_app", args);
    assert!(!r.failed && !r.outcome.changed, "{}", msg(&r));

    // A failing submit command is reported with its output.
    let r = agent.run(
        "yarn_app",
        json!({"name": unique("Broken_1"), "resourcemanager": url, "submit": {"command": ["sh", "-c", "echo no such config >&2; exit 3"]}}),
    );
    assert!(r.failed);
    assert!(msg(&r).contains("exited with 3") && msg(&r).contains("no such config"), "{}", msg(&r));

    let r = agent.run("yarn_app", json!({"name": name, "state": "stopped", "resourcemanager": url}));
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(rm.app(&id).unwrap().state, "KILLED");
}

#[test]
fn an_application_that_never_registers_times_out_with_its_state() {
    let url = servers::yarn();
    let rm = RmClient::new(&url);
    let name = unique("NeverRegisters_1");
    let mut agent = Agent::start();
    // A bare `sleep` AM runs but never registers with the RM, so the application stays ACCEPTED.
    let r = agent.run(
        "yarn_app",
        json!({"name": name, "resourcemanager": url, "wait_timeout": 4,
               "submit": {"rest": {"am_command": "sleep 300", "memory_mb": 64}}}),
    );
    assert!(r.failed);
    assert!(msg(&r).contains("not RUNNING within 4s") && msg(&r).contains("ACCEPTED"), "{}", msg(&r));

    let ids = active_ids(&rm, &name);
    assert_eq!(ids.len(), 1);
    let r = agent.run("yarn_app", json!({"name": name, "state": "stopped", "resourcemanager": url}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(rm.app(&ids[0]).unwrap().state, "KILLED");
}

#[test]
fn unreachable_resourcemanager_and_bad_args_fail_clearly() {
    let mut agent = Agent::start();
    let r = agent.run("yarn_app", json!({"name": "X", "state": "stopped", "resourcemanager": "http://127.0.0.1:9"}));
    assert!(r.failed);
    assert!(msg(&r).contains("GET http://127.0.0.1:9/ws/v1/cluster/apps"), "{}", msg(&r));

    let r = agent.run("yarn_app", json!({"name": "X", "resourcemanager": "http://127.0.0.1:9"}));
    assert!(r.failed && msg(&r).contains("needs `submit`"), "{}", msg(&r));
}
