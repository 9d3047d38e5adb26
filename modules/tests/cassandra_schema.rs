//! `cassandra_schema` against a real Apache Cassandra 5.0 node (embedded CassandraDaemon, started by
//! tests/servers/cassandra.sh). What the module did is verified by querying `system_schema` and
//! the tables with the driver, not by trusting the module's own report.

use crate::common;
use crate::common::servers;

use std::collections::BTreeMap;

use common::Agent;
use modules::pipeline::cassandra_schema::{CassandraSchema, KeyPart, KeyspaceArgs, ReplicationArgs, TableArgs, TypeArgs};
use modules::{Context, Module};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use serde_json::json;

/// The test node runs PasswordAuthenticator with Cassandra's default superuser.
const USER: &str = "cassandra";
const PASSWORD: &str = "cassandra";

const FIXTURE: &str = include_str!("fixtures/cassandra/data_pipeline.cql");

/// Keyspace names unique to this test process, so reruns against a long-lived node start clean.
fn prefix(tag: &str) -> String {
    format!("t{}_{tag}", std::process::id())
}

/// Queries the node directly; retries the first connection while the node finishes starting.
/// The session lives on its own runtime (the driver's connections are tasks of that runtime).
struct Cql {
    rt: tokio::runtime::Runtime,
    session: Session,
}

impl Cql {
    fn connect(addr: &str) -> Cql {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let session = rt.block_on(async {
            let mut last = None;
            for _ in 0..60 {
                match SessionBuilder::new().known_node(addr).user(USER, PASSWORD).build().await {
                    Ok(s) => match s.query_unpaged("SELECT release_version FROM system.local", &[]).await {
                        Ok(_) => return s,
                        Err(e) => last = Some(e.to_string()),
                    },
                    Err(e) => last = Some(e.to_string()),
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            panic!("Cassandra at {addr} does not answer: {last:?}");
        });
        Cql { rt, session }
    }

    fn strings(&self, cql: &str) -> Vec<Vec<String>> {
        self.rt.block_on(async {
            let rows = self.session.query_unpaged(cql, &[]).await.unwrap().into_rows_result().unwrap();
            rows.rows::<scylla::value::Row>()
                .unwrap()
                .map(|r| {
                    r.unwrap()
                        .columns
                        .into_iter()
                        .map(|c| c.map(|v| v.as_text().cloned().unwrap_or_else(|| format!("{v:?}"))).unwrap_or_default())
                        .collect()
                })
                .collect()
        })
    }

    fn exec(&self, cql: &str) {
        self.rt.block_on(self.session.query_unpaged(cql, &[])).unwrap();
    }

    fn keyspace_exists(&self, ks: &str) -> bool {
        !self.strings(&format!("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = '{ks}'")).is_empty()
    }

    /// column → type
    fn columns(&self, ks: &str, table: &str) -> BTreeMap<String, String> {
        self.strings(&format!(
            "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = '{ks}' AND table_name = '{table}'"
        ))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
    }

    fn tables(&self, ks: &str) -> Vec<String> {
        self.strings(&format!("SELECT table_name FROM system_schema.tables WHERE keyspace_name = '{ks}'"))
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    }
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

fn statements(r: &modules::protocol::Reply) -> Vec<String> {
    r.outcome.values["statements"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[test]
fn the_data_pipeline_schema_applies_once_then_is_ok_and_refuses_a_type_change() {
    let addr = servers::cassandra();
    let db = Cql::connect(&addr);
    // docs/pipeline-cassandra-yarn.md says these paths were verified against Cassandra 5.0, not a stand-in.
    let version = db.strings("SELECT release_version FROM system.local");
    assert!(version[0][0].starts_with("5.0."), "{version:?}");
    let p = prefix("");
    let cql = FIXTURE.replace("dev_", &p);
    let (device, platform) = (format!("{p}device_db"), format!("{p}platform_db"));
    let mut agent = Agent::start();

    // Check mode: the exact CQL, and nothing created.
    let r = agent.check("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": cql}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let planned = statements(&r);
    assert!(planned.contains(&format!(
        "CREATE KEYSPACE IF NOT EXISTS {platform} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': '1'}}"
    )));
    assert!(planned.iter().any(|s| s.starts_with(&format!("CREATE TYPE IF NOT EXISTS {platform}.requests ("))));
    assert_eq!(planned.iter().filter(|s| s.starts_with("INSERT INTO")).count(), 4, "the four seed rows would be inserted");
    assert!(msg(&r).starts_with("would run:\nCREATE KEYSPACE IF NOT EXISTS"), "{}", msg(&r));
    assert!(!r.outcome.diff.is_empty());
    assert!(!db.keyspace_exists(&device) && !db.keyspace_exists(&platform), "check mode created nothing");

    // First run creates everything.
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": cql}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(statements(&r), planned, "ran what check mode predicted");
    assert_eq!(r.outcome.values["seeds_inserted"], 4);
    let profile = db.columns(&device, "device_profile");
    assert_eq!(profile["user_declared_district"], "text");
    assert_eq!(profile["uaspec"], "map<text, text>");
    assert_eq!(db.columns(&platform, "request_recos")["requests"], "list<frozen<requests>>");
    assert_eq!(db.tables(&format!("{p}learner_db")).len(), 6);
    assert_eq!(db.tables(&device).len(), 5);
    let seeds = db.strings(&format!("SELECT config_key, config_value FROM {platform}.job_config WHERE category = 'data-exhaust'"));
    assert_eq!(seeds.len(), 2);
    assert!(r.outcome.diff[0].after.contains("user_declared_district text"));

    // Second run: ok, nothing to run, seed rows not rewritten.
    db.exec(&format!(
        "UPDATE {platform}.recommendation_config SET config_value = '[\"edited\"]' WHERE config_key = 'device_reco_blacklist'"
    ));
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": cql}));
    assert!(!r.failed && !r.outcome.changed, "{}", msg(&r));
    assert_eq!(statements(&r), Vec::<String>::new());
    let row = db.strings(&format!("SELECT config_value FROM {platform}.recommendation_config WHERE config_key = 'device_reco_blacklist'"));
    assert_eq!(row[0][0], "[\"edited\"]", "an existing seed row is left as it is");

    // A deleted seed row comes back, alone.
    db.exec(&format!("DELETE FROM {platform}.job_config WHERE category = 'data-exhaust' AND config_key = 'max_iterations'"));
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": cql}));
    assert!(!r.failed && r.outcome.changed);
    assert_eq!(statements(&r).len(), 1);
    assert!(statements(&r)[0].contains("'max_iterations'"), "{:?}", statements(&r));

    // An added column: check mode predicts exactly it, the run adds it, a rerun is ok.
    let more = format!("{cql}\nALTER TABLE {device}.device_profile ADD firmware_version text;");
    let r = agent.check("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": more}));
    assert_eq!(statements(&r), [format!("ALTER TABLE {device}.device_profile ADD firmware_version text")]);
    assert!(!db.columns(&device, "device_profile").contains_key("firmware_version"));
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": more}));
    assert!(r.outcome.changed && db.columns(&device, "device_profile")["firmware_version"] == "text");
    assert!(!agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": more})).outcome.changed);

    // A type change is refused with names and types, and nothing else in that run happens either.
    let changed = more.replace("first_access timestamp", "first_access bigint")
        + &format!("\nCREATE TABLE {device}.never_created (id text PRIMARY KEY);");
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": changed}));
    assert!(r.failed);
    assert!(msg(&r).contains(&format!("{device}.device_profile.first_access: column type is timestamp, wanted bigint")), "{}", msg(&r));
    assert!(msg(&r).contains("nothing was changed"));
    assert_eq!(db.columns(&device, "device_profile")["first_access"], "timestamp");
    assert!(!db.tables(&device).contains(&"never_created".to_string()));
    // Check mode refuses the same way.
    assert!(agent.check("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": changed})).failed);
}

#[test]
fn structured_keyspaces_from_rust() {
    let addr = servers::cassandra();
    let db = Cql::connect(&addr);
    let ks = prefix("structured");
    let mut columns = serde_json::Map::new();
    columns.insert("channel".into(), json!("text"));
    columns.insert("day".into(), json!("date"));
    columns.insert("counts".into(), json!("map<text, bigint>"));
    columns.insert("last".into(), json!("frozen<scan>"));
    let mut fields = serde_json::Map::new();
    fields.insert("code".into(), json!("text"));
    fields.insert("at".into(), json!("timestamp"));
    let mut args = CassandraSchema {
        hosts: vec![addr.clone()],
        username: Some(USER.into()),
        password: Some(PASSWORD.into()),
        keyspaces: vec![KeyspaceArgs {
            name: ks.clone(),
            replication: Some(ReplicationArgs {
                class: "SimpleStrategy".into(),
                replication_factor: Some(1),
                datacenters: BTreeMap::new(),
            }),
            durable_writes: None,
            types: vec![TypeArgs { name: "scan".into(), fields }],
            tables: vec![TableArgs {
                name: "dialcode_scans".into(),
                columns,
                primary_key: vec![KeyPart::One("channel".into()), KeyPart::One("day".into())],
                clustering_order: BTreeMap::from([("day".to_string(), "DESC".to_string())]),
                indexes: vec![],
            }],
        }],
        ..CassandraSchema::default()
    };
    let run = Context { check_mode: false, diff: false };
    let first = args.run(&run).unwrap();
    assert!(first.changed);
    assert_eq!(db.columns(&ks, "dialcode_scans")["last"], "frozen<scan>");
    let order = db.strings(&format!(
        "SELECT clustering_order FROM system_schema.columns WHERE keyspace_name = '{ks}' AND table_name = 'dialcode_scans' AND column_name = 'day'"
    ));
    assert_eq!(order[0][0], "desc");
    assert!(!args.run(&run).unwrap().changed, "second run is ok");

    // Add an index and a column in check mode: predicted, not made.
    args.keyspaces[0].tables[0].columns.insert("region".into(), json!("text"));
    args.keyspaces[0].tables[0].indexes.push("region".into());
    let check = args.run(&Context { check_mode: true, diff: true }).unwrap();
    assert_eq!(
        check.values["statements"],
        json!([
            format!("ALTER TABLE {ks}.dialcode_scans ADD region text"),
            format!("CREATE INDEX IF NOT EXISTS dialcode_scans_region_idx ON {ks}.dialcode_scans (region)")
        ])
    );
    assert!(!db.columns(&ks, "dialcode_scans").contains_key("region"));
    assert!(args.run(&run).unwrap().changed);
    assert_eq!(db.strings(&format!("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = '{ks}'")).len(), 1);
    assert!(!args.run(&run).unwrap().changed);

    // A primary key change is refused.
    args.keyspaces[0].tables[0].primary_key = vec![KeyPart::Many(vec!["channel".into(), "day".into()])];
    let err = args.run(&run).unwrap_err().to_string();
    assert!(err.contains(&format!("table {ks}.dialcode_scans: primary key is ((channel), day DESC), wanted ((channel, day))")), "{err}");
}

#[test]
fn drops_and_replication_changes_need_allow_destructive() {
    let addr = servers::cassandra();
    let db = Cql::connect(&addr);
    let ks = prefix("drops");
    let base = format!(
        "CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}};
         CREATE TABLE {ks}.t (id text PRIMARY KEY, legacy int, keep text);"
    );
    let mut agent = Agent::start();
    // The first run reads the CQL from a file on the host.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.cql");
    std::fs::write(&file, &base).unwrap();
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql_file": file}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(db.tables(&ks), ["t"]);

    let dropping = format!("{base}\nALTER TABLE {ks}.t DROP legacy;");
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": dropping}));
    assert!(r.failed && msg(&r).contains(&format!("refusing to drop column {ks}.t.legacy")), "{}", msg(&r));
    assert!(db.columns(&ks, "t").contains_key("legacy"));

    let r = agent.run(
        "cassandra_schema",
        json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": dropping, "allow_destructive": true}),
    );
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(statements(&r), [format!("ALTER TABLE {ks}.t DROP legacy")]);
    assert!(!db.columns(&ks, "t").contains_key("legacy"));
    assert!(
        !agent
            .run(
                "cassandra_schema",
                json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": dropping, "allow_destructive": true})
            )
            .outcome
            .changed
    );

    // A live column the input does not mention is reported, not dropped.
    let r = agent
        .run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": base.replace(", keep text", "")}));
    assert!(!r.failed, "{}", msg(&r));
    assert!(r.outcome.values["warnings"][0].as_str().unwrap().contains(&format!("{ks}.t.keep exists")));

    let rf2 = dropping.replace("'replication_factor': 1", "'replication_factor': 2");
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": rf2}));
    assert!(r.failed && msg(&r).contains(&format!("keyspace {ks}: replication is")), "{}", msg(&r));
    let r = agent
        .run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": PASSWORD, "cql": rf2, "allow_destructive": true}));
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    let cql = format!("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = '{ks}'");
    let rows = db.rt.block_on(db.session.query_unpaged(cql, &[])).unwrap().into_rows_result().unwrap();
    let (repl,) = rows.single_row::<(std::collections::HashMap<String, String>,)>().unwrap();
    assert_eq!(repl["replication_factor"], "2");
}

#[test]
fn logging_in_is_required_and_a_wrong_password_is_reported() {
    let addr = servers::cassandra();
    let cql = format!("CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}};", prefix("auth"));
    let mut agent = Agent::start();
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "cql": cql}));
    assert!(r.failed && msg(&r).contains(&format!("cannot connect to Cassandra at {addr}")), "{}", msg(&r));
    assert!(msg(&r).contains("Authentication is required"), "{}", msg(&r));
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "password": "wrong", "cql": cql}));
    assert!(r.failed && msg(&r).contains("Provided username cassandra and/or password are incorrect"), "{}", msg(&r));
    let r = agent.run("cassandra_schema", json!({"hosts": [addr], "username": USER, "cql": cql}));
    assert!(r.failed && msg(&r).contains("username and password go together"), "{}", msg(&r));
    assert!(!Cql::connect(&addr).keyspace_exists(&prefix("auth")));
}

#[test]
fn bad_input_fails_before_connecting() {
    let mut agent = Agent::start();
    let r = agent
        .run("cassandra_schema", json!({"hosts": ["127.0.0.1:9"], "cql": "CREATE TABLE ks.t (a int PRIMARY KEY);\nDELETE FROM ks.t;"}));
    assert!(r.failed && msg(&r).contains("CQL line 2: unsupported statement starting with `DELETE`"), "{}", msg(&r));
    let r = agent.run("cassandra_schema", json!({"hosts": ["127.0.0.1:9"], "cql": "CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};"}));
    assert!(r.failed && msg(&r).contains("cannot connect to Cassandra at 127.0.0.1:9"), "{}", msg(&r));
    let r = agent.run("cassandra_schema", json!({"hosts": ["127.0.0.1:9"]}));
    assert!(r.failed && msg(&r).contains("exactly one of `cql`, `cql_file` or `keyspaces`"), "{}", msg(&r));
}
