//! influxdb_database against a real InfluxDB 1.6 (tests/servers/influxdb.sh, auth on,
//! admin `admin`/`admin-secret`), through the agent and as a Rust library.

use crate::common;
use crate::common::servers as real_server;

use common::Agent;
use modules::pipeline::influxdb_database::InfluxdbDatabase;
use modules::{Context, Module};
use serde_json::{json, Value};

fn args(extra: Value) -> Value {
    let (host, port) = real_server::influxdb();
    let mut a = json!({"hostname": host, "port": port, "username": "admin", "password": "admin-secret"});
    for (k, v) in extra.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

/// Raw `/query` (with admin credentials), for checking what the server really holds.
fn influx(q: &str) -> Value {
    let (host, port) = real_server::influxdb();
    let mut resp = ureq::post(format!("http://{host}:{port}/query"))
        .header("Authorization", "Basic YWRtaW46YWRtaW4tc2VjcmV0")
        .send_form([("q", q)])
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

fn databases() -> Vec<String> {
    let v = influx("SHOW DATABASES");
    v["results"][0]["series"][0]["values"]
        .as_array()
        .map(|rows| rows.iter().map(|r| r[0].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// (duration, replicaN, default) of a retention policy.
fn policy(db: &str, name: &str) -> Option<(String, u64, bool)> {
    let v = influx(&format!("SHOW RETENTION POLICIES ON \"{db}\""));
    let rows = v["results"][0]["series"][0]["values"].as_array()?.clone();
    rows.iter().find(|r| r[0] == name).map(|r| (r[1].as_str().unwrap().to_string(), r[3].as_u64().unwrap(), r[4].as_bool().unwrap()))
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn database_and_retention_policy_check_apply_rerun_alter_drop() {
    influx("DROP DATABASE \"it_monitoring\"");
    let mut agent = Agent::start();
    let task =
        args(json!({"database_name": "it_monitoring", "retention_policy": {"name": "two_weeks", "duration": "14d", "default": true}}));

    let r = agent.check("influxdb_database", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(
        r.outcome.values["queries"],
        json!([
            "CREATE DATABASE \"it_monitoring\"",
            "CREATE RETENTION POLICY \"two_weeks\" ON \"it_monitoring\" DURATION 14d REPLICATION 1 DEFAULT"
        ])
    );
    assert!(!databases().contains(&"it_monitoring".to_string()), "check mode created nothing");

    let r = agent.run("influxdb_database", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(r.outcome.diff[0].before.contains("database it_monitoring: absent"));
    assert!(r.outcome.diff[0].after.contains("retention policy two_weeks on it_monitoring: duration=14d replication=1 default=true"));
    assert!(databases().contains(&"it_monitoring".to_string()));
    assert_eq!(policy("it_monitoring", "two_weeks"), Some(("336h0m0s".into(), 1, true)));

    let r = agent.run("influxdb_database", task.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok (14d == 336h0m0s): {r:?}");

    // A new duration: predicted, then applied.
    let longer =
        args(json!({"database_name": "it_monitoring", "retention_policy": {"name": "two_weeks", "duration": "3w", "default": "yes"}}));
    let r = agent.check("influxdb_database", longer.clone());
    assert_eq!(
        r.outcome.values["queries"],
        json!(["ALTER RETENTION POLICY \"two_weeks\" ON \"it_monitoring\" DURATION 3w REPLICATION 1 DEFAULT"])
    );
    assert!(r.outcome.diff[0].before.contains("duration=336h0m0s"));
    assert_eq!(policy("it_monitoring", "two_weeks").unwrap().0, "336h0m0s");
    assert!(agent.run("influxdb_database", longer.clone()).outcome.changed);
    assert_eq!(policy("it_monitoring", "two_weeks").unwrap().0, "504h0m0s");
    assert!(!agent.run("influxdb_database", longer).outcome.changed);

    // The packaged default policy `autogen` stays; ours is the default.
    assert_eq!(policy("it_monitoring", "autogen").map(|p| p.2), Some(false));

    let gone = args(json!({"database_name": "it_monitoring", "state": "absent"}));
    assert!(agent.check("influxdb_database", gone.clone()).outcome.changed);
    assert!(databases().contains(&"it_monitoring".to_string()));
    assert!(agent.run("influxdb_database", gone.clone()).outcome.changed);
    assert!(!databases().contains(&"it_monitoring".to_string()));
    assert!(!agent.run("influxdb_database", gone).outcome.changed);
}

#[test]
fn refusals_and_bad_arguments() {
    let mut agent = Agent::start();
    let (host, port) = real_server::influxdb();
    let r = agent
        .run("influxdb_database", json!({"database_name": "x", "hostname": host, "port": port, "username": "admin", "password": "wrong"}));
    assert!(r.failed && msg(&r).contains("authentication failed"), "{r:?}");
    let cases = [
        (json!({"database_name": "x", "retention_policy": {"name": "p", "duration": "7 days"}}), "is not a duration"),
        (json!({"database_name": "x", "retention_policy": {"name": "p", "duration": "7d", "replication": 0}}), "at least 1"),
        (json!({"database_name": "x", "state": "absent", "retention_policy": {"name": "p", "duration": "7d"}}), "makes no sense"),
        (json!({"database_name": "x", "retention": "7d"}), "unknown field `retention`"),
        (json!({"database_name": ""}), "must not be empty"),
    ];
    for (extra, want) in cases {
        let r = agent.run("influxdb_database", args(extra.clone()));
        assert!(r.failed && msg(&r).contains(want), "{extra}: {r:?}");
    }
    // https against the plain-HTTP server: a TLS failure naming the https URL, not a hang.
    let r = agent.run("influxdb_database", args(json!({"database_name": "x", "ssl": true, "validate_certs": false, "timeout": 5})));
    assert!(r.failed && msg(&r).contains(&format!("InfluxDB at https://{host}:{port}")), "{r:?}");
    let r = agent.run("influxdb_database", json!({"database_name": "x", "hostname": "127.0.0.1", "port": 1}));
    assert!(r.failed && msg(&r).contains("InfluxDB at http://127.0.0.1:1"), "{r:?}");
}

#[test]
fn usable_as_a_rust_library_with_string_arguments() {
    influx("DROP DATABASE \"it_lib\"");
    let (host, port) = real_server::influxdb();
    // As a `k=v` argument string delivers them: every value a string.
    let task: InfluxdbDatabase = serde_json::from_value(json!({"database_name": "it_lib", "hostname": host, "port": port.to_string(),
        "username": "admin", "password": "admin-secret", "ssl": "no"}))
    .unwrap();
    assert!(task.run(&Context::default()).unwrap().changed);
    assert!(!task.run(&Context::default()).unwrap().changed);
    assert!(databases().contains(&"it_lib".to_string()));
}
