//! postgres_db against a real PostgreSQL 15 (tests/servers/postgres.sh), through
//! the agent and as a Rust library. Each test uses its own database and roles.

use crate::common;
use crate::common::servers as real_server;

use common::Agent;
use modules::pipeline::postgres_db::PostgresDb;
use modules::{Context, Module};
use serde_json::{json, Value};

fn login() -> Value {
    let (host, port) = real_server::postgres();
    json!({"login_host": host, "login_port": port, "login_user": "postgres"})
}

/// `login()` merged with the task's own arguments.
fn args(extra: Value) -> Value {
    let mut a = login();
    for (k, v) in extra.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

fn client(db: &str) -> postgres::Client {
    let (host, port) = real_server::postgres();
    postgres::Config::new().host(&host).port(port).user("postgres").dbname(db).connect(postgres::NoTls).unwrap()
}

fn one<T: for<'a> postgres::types::FromSql<'a>>(db: &str, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> T {
    client(db).query_one(sql, params).unwrap().get(0)
}

fn db_owner(name: &str) -> Option<String> {
    client("postgres")
        .query_opt("SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .map(|r| r.get(0))
}

fn role_exists(name: &str) -> bool {
    one::<bool>("postgres", "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", &[&name])
}

/// Leftovers of an earlier run against the same server must not decide this one.
fn fresh(dbs: &[&str], roles: &[&str]) {
    let mut c = client("postgres");
    for db in dbs {
        c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).unwrap();
    }
    for role in roles {
        c.batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\"")).unwrap();
    }
}

fn queries(r: &modules::protocol::Reply) -> Vec<String> {
    r.outcome.values["queries"].as_array().unwrap().iter().map(|q| q.as_str().unwrap().to_string()).collect()
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn database_with_owner_check_apply_rerun_alter_and_drop() {
    fresh(&["pt_db1"], &["pt_owner1"]);
    let mut agent = Agent::start();
    let task = args(json!({"name": "pt_db1", "owner": "pt_owner1", "encoding": "UTF8",
                          "users": [{"name": "pt_owner1", "password": "Owner-pw1", "createdb": true}]}));

    let r = agent.check("postgres_db", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let q = queries(&r);
    assert_eq!(q[0], "CREATE ROLE \"pt_owner1\" WITH LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD '********'");
    assert_eq!(q[1], "CREATE DATABASE \"pt_db1\" OWNER \"pt_owner1\" ENCODING 'UTF8'");
    assert!(db_owner("pt_db1").is_none() && !role_exists("pt_owner1"), "check mode changed nothing");

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(queries(&r).len(), 2);
    let diff = &r.outcome.diff[0];
    assert!(diff.before.contains("database pt_db1: absent") && diff.after.contains("database pt_db1: owner=pt_owner1"), "{diff:?}");
    assert!(!diff.after.contains("Owner-pw1") && !format!("{r:?}").contains("Owner-pw1"), "the password is never echoed");
    assert_eq!(db_owner("pt_db1").as_deref(), Some("pt_owner1"));
    let stored: String = one("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'pt_owner1'", &[]);
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    // The role really logs in with that password (the test cluster demands SCRAM for it).
    let (host, port) = real_server::postgres();
    let mut c = postgres::Config::new()
        .host(&host)
        .port(port)
        .user("pt_owner1")
        .password("Owner-pw1")
        .dbname("pt_db1")
        .connect(postgres::NoTls)
        .unwrap();
    assert_eq!(c.query_one("SELECT current_user::text", &[]).unwrap().get::<_, String>(0), "pt_owner1");
    drop(c);

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");
    assert!(r.outcome.diff.is_empty() && queries(&r).is_empty());

    // Owner change: predicted, then applied once.
    let moved = args(json!({"name": "pt_db1", "owner": "postgres"}));
    let r = agent.check("postgres_db", moved.clone());
    assert_eq!(queries(&r), vec!["ALTER DATABASE \"pt_db1\" OWNER TO \"postgres\""]);
    assert_eq!(db_owner("pt_db1").as_deref(), Some("pt_owner1"));
    assert!(agent.run("postgres_db", moved.clone()).outcome.changed);
    assert_eq!(db_owner("pt_db1").as_deref(), Some("postgres"));
    assert!(!agent.run("postgres_db", moved).outcome.changed);

    // Encoding cannot change on an existing database: refused, nothing changed.
    let r = agent.run("postgres_db", args(json!({"name": "pt_db1", "encoding": "SQL_ASCII", "owner": "pt_owner1"})));
    assert!(r.failed && msg(&r).contains("exists with encoding UTF8, wanted SQL_ASCII"), "{r:?}");
    assert_eq!(db_owner("pt_db1").as_deref(), Some("postgres"), "the owner change in the refused task was not applied");

    // Drop database, then role.
    let gone = args(json!({"name": "pt_db1", "state": "absent", "users": [{"name": "pt_owner1", "state": "absent"}]}));
    let r = agent.check("postgres_db", gone.clone());
    assert_eq!(queries(&r), vec!["DROP DATABASE \"pt_db1\"", "DROP ROLE \"pt_owner1\""]);
    assert!(db_owner("pt_db1").is_some());
    assert!(agent.run("postgres_db", gone.clone()).outcome.changed);
    assert!(db_owner("pt_db1").is_none() && !role_exists("pt_owner1"));
    assert!(!agent.run("postgres_db", gone).outcome.changed);
}

#[test]
fn passwords_are_compared_not_reset() {
    fresh(&[], &["pt_pw_user"]);
    let mut agent = Agent::start();
    let user = |pw: &str| args(json!({"users": [{"name": "pt_pw_user", "password": pw}]}));
    assert!(agent.run("postgres_db", user("first")).outcome.changed);
    let before: String = one("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'pt_pw_user'", &[]);
    let r = agent.run("postgres_db", user("first"));
    assert!(!r.failed && !r.outcome.changed, "same password: ok {r:?}");
    let after: String = one("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'pt_pw_user'", &[]);
    assert_eq!(before, after, "verifier untouched");
    let r = agent.check("postgres_db", user("second"));
    assert_eq!(queries(&r), vec!["ALTER ROLE \"pt_pw_user\" PASSWORD '********'"]);
    assert!(agent.run("postgres_db", user("second")).outcome.changed);
    let (host, port) = real_server::postgres();
    let login = |pw: &str| {
        postgres::Config::new().host(&host).port(port).user("pt_pw_user").password(pw).dbname("postgres").connect(postgres::NoTls)
    };
    assert!(login("second").is_ok());
    assert!(login("first").is_err());
    // attributes alone
    let r = agent.run("postgres_db", args(json!({"users": [{"name": "pt_pw_user", "createrole": "yes"}]})));
    assert_eq!(queries(&r), vec!["ALTER ROLE \"pt_pw_user\" WITH CREATEROLE"]);
    assert!(one::<bool>("postgres", "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'pt_pw_user'", &[]));
}

#[test]
fn migrations_apply_once_and_a_changed_one_is_refused_without_changing_anything() {
    fresh(&["pt_db2"], &[]);
    let mut agent = Agent::start();
    let m1 = json!({"name": "001_events", "sql": "CREATE TABLE events (id bigint PRIMARY KEY, body text)"});
    let m2 = json!({"name": "002_seed", "sql": "INSERT INTO events VALUES (1, 'one'), (2, 'two')"});
    let task = args(json!({"name": "pt_db2", "migrations": [m1, m2]}));

    let r = agent.check("postgres_db", task.clone());
    assert!(r.outcome.changed && queries(&r).len() == 3, "create db + 2 migrations: {r:?}");
    assert!(db_owner("pt_db2").is_none());

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(r.outcome.diff[0].before.contains("migration 001_events: pending"));
    assert_eq!(one::<i64>("pt_db2", "SELECT count(*) FROM events", &[]), 2);
    assert_eq!(one::<i64>("pt_db2", "SELECT count(*) FROM dpctl_migrations", &[]), 2);
    let sum1: String = one("pt_db2", "SELECT checksum FROM dpctl_migrations WHERE name = '001_events'", &[]);

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    assert_eq!(one::<i64>("pt_db2", "SELECT count(*) FROM events", &[]), 2, "not applied twice");

    // 001 edited, plus a new 003: the whole task is refused and 003 is not applied.
    let edited = json!({"name": "001_events", "sql": "CREATE TABLE events (id bigint PRIMARY KEY, body text, extra int)"});
    let m3 = json!({"name": "003_more", "sql": "CREATE TABLE more_events (id int)"});
    let refused = args(json!({"name": "pt_db2", "migrations": [edited.clone(), m2, m3]}));
    for r in [agent.check("postgres_db", refused.clone()), agent.run("postgres_db", refused)] {
        assert!(r.failed, "{r:?}");
        let m = msg(&r);
        assert!(m.contains("migration \"001_events\"") && m.contains(&sum1) && m.contains("rerun: true"), "{m}");
    }
    assert!(!one::<bool>("pt_db2", "SELECT to_regclass('more_events') IS NOT NULL", &[]), "003 not applied");
    assert_eq!(one::<String>("pt_db2", "SELECT checksum FROM dpctl_migrations WHERE name = '001_events'", &[]), sum1);

    // rerun: true applies the edited text (here after dropping the table, as a real rerun would).
    let rerun = args(json!({"name": "pt_db2", "migrations": [
        {"name": "000_drop", "sql": "DROP TABLE events"},
        {"name": "001_events", "sql": edited["sql"], "rerun": true}]}));
    let r = agent.run("postgres_db", rerun.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(one::<bool>(
        "pt_db2",
        "SELECT count(*) = 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'extra'",
        &[]
    ));
    assert_ne!(one::<String>("pt_db2", "SELECT checksum FROM dpctl_migrations WHERE name = '001_events'", &[]), sum1);
    assert!(!agent.run("postgres_db", rerun).outcome.changed);

    // A failing migration: error names it, and its partial effect is rolled back.
    let bad = args(
        json!({"name": "pt_db2", "migrations": [{"name": "004_bad", "sql": "CREATE TABLE half (id int); SELECT no_such_function()"}]}),
    );
    let r = agent.run("postgres_db", bad);
    assert!(r.failed && msg(&r).contains("migration \"004_bad\" failed") && msg(&r).contains("no_such_function"), "{r:?}");
    assert!(!one::<bool>("pt_db2", "SELECT to_regclass('half') IS NOT NULL", &[]));
    assert!(!one::<bool>("pt_db2", "SELECT EXISTS (SELECT 1 FROM dpctl_migrations WHERE name = '004_bad')", &[]));
}

#[test]
fn privileges_follow_the_catalog_including_tables_made_by_migrations() {
    fresh(&["pt_db3"], &["pt_reader"]);
    let mut agent = Agent::start();
    let grants = json!([
        {"role": "pt_reader", "type": "database", "privs": "CONNECT"},
        {"role": "pt_reader", "type": "schema", "objs": "public", "privs": ["USAGE"]},
        {"role": "pt_reader", "type": "table", "objs": ["reports"], "privs": "select"}
    ]);
    let task = args(json!({"name": "pt_db3", "users": [{"name": "pt_reader", "password": "r"}],
                          "migrations": [{"name": "001", "sql": "CREATE TABLE reports (id int)"}], "privileges": grants}));
    let r = agent.check("postgres_db", task.clone());
    assert!(!r.failed, "check mode plans grants on a table that does not exist yet: {r:?}");
    assert!(queries(&r).iter().any(|q| q == "GRANT SELECT ON TABLE \"public\".\"reports\" TO \"pt_reader\""), "{:?}", queries(&r));

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(one::<bool>("pt_db3", "SELECT has_table_privilege('pt_reader', 'reports', 'SELECT')", &[]));
    assert!(!one::<bool>("pt_db3", "SELECT has_table_privilege('pt_reader', 'reports', 'INSERT')", &[]));
    let r = agent.run("postgres_db", task);
    assert!(!r.failed && !r.outcome.changed, "{r:?}");

    let revoke = args(
        json!({"name": "pt_db3", "privileges": [{"role": "pt_reader", "type": "table", "objs": "reports", "privs": "ALL", "state": "revoke"}]}),
    );
    let r = agent.run("postgres_db", revoke.clone());
    assert_eq!(queries(&r), vec!["REVOKE SELECT ON TABLE \"public\".\"reports\" FROM \"pt_reader\""]);
    assert!(!one::<bool>("pt_db3", "SELECT has_table_privilege('pt_reader', 'reports', 'SELECT')", &[]));
    assert!(!agent.run("postgres_db", revoke).outcome.changed);

    let r = agent.run(
        "postgres_db",
        args(json!({"name": "pt_db3", "privileges": [{"role": "pt_reader", "type": "table", "objs": "nope", "privs": "SELECT"}]})),
    );
    assert!(r.failed && msg(&r).contains("table nope does not exist"), "{r:?}");
}

#[test]
fn consumer_channel_mapping_upserts_and_reports_only_real_changes() {
    let mut agent = Agent::start();
    fresh(&["pt_db4"], &[]);
    let row = |status: u8| {
        args(json!({"name": "pt_db4",
            "consumer_channel_mapping": {"env": "dev", "consumer_id": "c-1", "channel": "ch-9", "status": status, "created_by": "jenkins"}}))
    };
    let r = agent.run("postgres_db", row(1));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let q = "SELECT status, created_by, created_on = updated_on FROM dev_consumer_channel_mapping WHERE consumer_id = 'c-1' AND channel = 'ch-9'";
    let get = || {
        let r = client("pt_db4").query_one(q, &[]).unwrap();
        (r.get::<_, i16>(0), r.get::<_, String>(1), r.get::<_, bool>(2))
    };
    assert_eq!(get(), (1, "jenkins".to_string(), true));
    assert!(!agent.run("postgres_db", row(1)).outcome.changed, "same status: ok");

    let r = agent.check("postgres_db", row(0));
    assert!(r.outcome.changed && r.outcome.diff[0].before.contains("status=1") && r.outcome.diff[0].after.contains("status=0"), "{r:?}");
    assert_eq!(get().0, 1, "check mode left the row alone");
    assert!(agent.run("postgres_db", row(0)).outcome.changed);
    let (status, by, same_times) = get();
    assert_eq!((status, by.as_str(), same_times), (0, "jenkins", false), "status and updated_on changed, created_by kept");
    assert_eq!(one::<i64>("pt_db4", "SELECT count(*) FROM dev_consumer_channel_mapping", &[]), 1);
}

#[test]
fn generic_upsert_into_a_table_made_by_a_migration() {
    fresh(&["pt_db7"], &[]);
    let mut agent = Agent::start();
    let table = "CREATE TABLE dev_consumer_channel_mapping (consumer_id text, channel text, status smallint, created_by text, \
                 created_on timestamptz, updated_on timestamptz, PRIMARY KEY (consumer_id, channel))";
    let task = |status: Value| {
        args(json!({"name": "pt_db7", "migrations": [{"name": "001_mapping", "sql": table}],
            "upsert": {"table": "dev_consumer_channel_mapping", "key": {"consumer_id": "c-7", "channel": "ch-1"},
                       "values": {"status": status, "created_by": "jenkins"},
                       "update_on_conflict": ["status", "updated_on"], "now_on_insert": ["created_on"]}}))
    };
    let r = agent.check("postgres_db", task(json!(1)));
    assert!(
        !r.failed
            && r.outcome.changed
            && queries(&r).iter().any(|q| q.starts_with("INSERT INTO \"public\".\"dev_consumer_channel_mapping\"")),
        "{r:?}"
    );
    assert!(db_owner("pt_db7").is_none());

    let r = agent.run("postgres_db", task(json!(1)));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let row = || {
        let r = client("pt_db7")
            .query_one("SELECT status, created_by, created_on IS NOT NULL, updated_on IS NOT NULL, created_on = updated_on FROM dev_consumer_channel_mapping", &[])
            .unwrap();
        (r.get::<_, i16>(0), r.get::<_, String>(1), r.get::<_, bool>(2), r.get::<_, bool>(3), r.get::<_, bool>(4))
    };
    assert_eq!(row(), (1, "jenkins".into(), true, true, true));
    let r = agent.run("postgres_db", task(json!("1")));
    assert!(!r.failed && !r.outcome.changed, "1 and \"1\" are the same smallint: {r:?}");

    let r = agent.run("postgres_db", task(json!(2)));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(r.outcome.diff[0].before.contains("status=1") && r.outcome.diff[0].after.contains("status=2"), "{:?}", r.outcome.diff);
    assert_eq!(row(), (2, "jenkins".into(), true, true, false), "updated_on moved, created_on and created_by kept");
    assert_eq!(one::<i64>("pt_db7", "SELECT count(*) FROM dev_consumer_channel_mapping", &[]), 1);

    let bad = args(
        json!({"name": "pt_db7", "upsert": {"table": "dev_consumer_channel_mapping", "key": {"consumer_id": "c"}, "values": {"stat": 1}}}),
    );
    let r = agent.run("postgres_db", bad);
    assert!(r.failed && msg(&r).contains("no column stat"), "{r:?}");
    let r = agent.run("postgres_db", args(json!({"name": "pt_db7", "upsert": {"table": "nope", "key": {"a": 1}}})));
    assert!(r.failed && msg(&r).contains("upsert into nope: the table does not exist"), "{r:?}");
}

#[test]
fn tls_modes_against_the_test_clusters_certificate() {
    fresh(&["pt_db8"], &[]);
    let ca = format!("{}/postgres/ca.crt", std::env::var("DPCTL_SERVERS_DIR").unwrap_or_else(|_| "/tmp/dpctl-servers".into()));
    let mut agent = Agent::start();
    // Each mode records, through a migration on its own connection, whether that connection was TLS.
    let mut seen = |mode: &str, extra: Value| {
        let mut a = args(json!({"name": "pt_db8", "ssl_mode": mode, "migrations": [{"name": format!("tls-{mode}"),
            "sql": format!("CREATE TABLE IF NOT EXISTS tls_seen (mode text, ssl bool); \
                            INSERT INTO tls_seen SELECT '{mode}', ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")}]}));
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        agent.run("postgres_db", a)
    };
    for (mode, extra, want_tls) in [
        ("disable", json!({}), false),
        ("prefer", json!({}), true),
        ("require", json!({}), true),
        ("verify-full", json!({"ssl_rootcert": ca}), true),
    ] {
        let r = seen(mode, extra);
        assert!(!r.failed && r.outcome.changed, "{mode}: {r:?}");
        let tls: bool = one("pt_db8", "SELECT ssl FROM tls_seen WHERE mode = $1", &[&mode]);
        assert_eq!(tls, want_tls, "{mode}");
    }
    // verify-full without our CA: the server is not trusted.
    let r = seen("verify-full", json!({"name": "pt_db8_x"}));
    assert!(r.failed && msg(&r).contains("cannot connect") && msg(&r).contains("UnknownIssuer"), "{r:?}");
    // verify-full checks the host name: the certificate is for 127.0.0.1, not localhost.
    let r = seen("verify-full", json!({"name": "pt_db8_x", "ssl_rootcert": ca, "login_host": "localhost"}));
    assert!(r.failed && msg(&r).contains("certificate not valid for name \"localhost\""), "{r:?}");
    let r = seen("verify-ca", json!({}));
    assert!(r.failed && msg(&r).contains("verify-ca") && msg(&r).contains("use verify-full"), "{r:?}");
    assert!(db_owner("pt_db8_x").is_none());
}

#[test]
fn bad_arguments_are_refused_with_clear_messages() {
    let mut agent = Agent::start();
    let cases = [
        (json!({"ssl_mode": "verify-full", "ssl_rootcert": "/nonexistent/ca.pem"}), "ssl_rootcert /nonexistent/ca.pem"),
        (json!({"nme": "x"}), "unknown field `nme`"),
        (json!({"owner": "x"}), "owner needs name"),
        (json!({"name": "x", "state": "absent", "migrations": [{"name": "a", "sql": "select 1"}]}), "state=absent drops the database"),
        (json!({"privileges": [{"role": "r", "type": "schema", "privs": "USAGE"}]}), "objs is required"),
        (json!({"privileges": [{"role": "r", "type": "schema", "objs": "public", "privs": "SELECT"}]}), "SELECT is not a SCHEMA privilege"),
        (json!({"migrations": [{"name": "a"}]}), "exactly one of sql and sql_file"),
        (json!({"login_port": "not-a-port"}), "expected a non-negative integer"),
    ];
    for (extra, want) in cases {
        let r = agent.run("postgres_db", args(extra.clone()));
        assert!(r.failed && msg(&r).contains(want), "{extra}: {r:?}");
    }
    let r = agent.run("postgres_db", json!({"login_host": "127.0.0.1", "login_port": 1, "name": "x"}));
    assert!(r.failed && msg(&r).contains("cannot connect to 127.0.0.1:1"), "{r:?}");
}

#[test]
fn string_arguments_as_from_k_equals_v_and_the_unix_socket() {
    fresh(&["pt_db5"], &[]);
    let (_, port) = real_server::postgres();
    let socket_dir = format!("{}/postgres/sock", std::env::var("DPCTL_SERVERS_DIR").unwrap_or_else(|_| "/tmp/dpctl-servers".into()));
    let mut agent = Agent::start();
    // The values a `-a 'name=… login_port=…'` string delivers: all strings.
    let a =
        json!({"name": "pt_db5", "owner": "postgres", "login_host": "127.0.0.1", "login_port": port.to_string(), "login_user": "postgres"});
    assert!(agent.run("postgres_db", a.clone()).outcome.changed);
    assert!(!agent.run("postgres_db", a).outcome.changed);
    if std::path::Path::new(&socket_dir).exists() {
        let r = agent.run("postgres_db", json!({"name": "pt_db5", "login_unix_socket": socket_dir, "login_port": port}));
        assert!(!r.failed && !r.outcome.changed, "{r:?}");
    }
}

#[test]
fn usable_as_a_rust_library() {
    fresh(&["pt_db6"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("002.sql");
    std::fs::write(&file, "INSERT INTO t VALUES (1), (2), (3);").unwrap();
    let task: PostgresDb = serde_json::from_value(args(json!({"name": "pt_db6", "migrations": [
        {"name": "1", "sql": "CREATE TABLE t (x int)"}, {"name": "2", "sql_file": file}]})))
    .unwrap();
    let first = task.run(&Context { check_mode: false, diff: true }).unwrap();
    assert!(first.changed);
    assert_eq!(one::<i64>("pt_db6", "SELECT sum(x) FROM t", &[]), 6);
    let second = task.run(&Context::default()).unwrap();
    assert!(!second.changed);
    assert_eq!(second.values["db"], "pt_db6");
    // The file is what is checksummed: editing it is a changed migration.
    std::fs::write(&file, "INSERT INTO t VALUES (4);").unwrap();
    let e = task.run(&Context::default()).unwrap_err().to_string();
    assert!(e.contains("migration \"2\" was applied with checksum"), "{e}");
    assert_eq!(one::<i64>("pt_db6", "SELECT sum(x) FROM t", &[]), 6);
}

#[test]
fn template_encoding_and_locale_at_creation_then_fixed() {
    fresh(&["pt_db9"], &["pt_owner9"]);
    let mut agent = Agent::start();
    // The test cluster has only the C locales; LATIN1 needs template0 (template1 is UTF8).
    let task = args(json!({"name": "pt_db9", "template": "template0", "encoding": "LATIN1", "lc_collate": "C", "lc_ctype": "C"}));
    let r = agent.check("postgres_db", task.clone());
    assert_eq!(queries(&r), vec!["CREATE DATABASE \"pt_db9\" TEMPLATE \"template0\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"]);
    assert!(db_owner("pt_db9").is_none(), "check mode created nothing");

    let r = agent.run("postgres_db", task.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let row = client("postgres")
        .query_one(
            "SELECT pg_encoding_to_char(encoding)::text, datcollate::text, datctype::text FROM pg_database WHERE datname = 'pt_db9'",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, String>(1), row.get::<_, String>(2)), ("LATIN1".into(), "C".into(), "C".into()));
    let r = agent.run("postgres_db", task);
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");

    // A locale cannot change after creation: refused in check mode and for real, naming both values.
    // The new role and owner in the same task are not applied either.
    let other = args(json!({"name": "pt_db9", "owner": "pt_owner9", "lc_collate": "C.UTF-8", "users": [{"name": "pt_owner9"}]}));
    for r in [agent.check("postgres_db", other.clone()), agent.run("postgres_db", other)] {
        assert!(r.failed && msg(&r).contains("exists with lc_collate C, wanted C.UTF-8"), "{r:?}");
    }
    assert_eq!(db_owner("pt_db9").as_deref(), Some("postgres"));
    assert!(!role_exists("pt_owner9"));
}

#[test]
fn database_and_schema_privileges_are_granted_then_revoked() {
    fresh(&["pt_db10"], &["pt_user10"]);
    let mut agent = Agent::start();
    let privs = |state: &str| {
        args(json!({"name": "pt_db10", "users": [{"name": "pt_user10", "password": "u"}], "privileges": [
            {"role": "pt_user10", "type": "database", "privs": ["CONNECT", "TEMPORARY"], "state": state},
            {"role": "pt_user10", "type": "schema", "objs": "public", "privs": "CREATE,USAGE", "state": state}]}))
    };
    let has = |sql: &str| one::<bool>("pt_db10", sql, &[]);
    // The objects' own ACLs: PUBLIC holds CONNECT and TEMPORARY on every database by default.
    let db_acl = "SELECT coalesce(datacl::text, '') LIKE '%pt_user10=Tc/%' FROM pg_database WHERE datname = 'pt_db10'";
    let schema_acl = "SELECT coalesce(nspacl::text, '') LIKE '%pt_user10=UC/%' FROM pg_namespace WHERE nspname = 'public'";

    let r = agent.run("postgres_db", privs("grant"));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(has(db_acl) && has(schema_acl));
    assert!(!agent.run("postgres_db", privs("grant")).outcome.changed, "second grant is ok");

    let r = agent.check("postgres_db", privs("revoke"));
    let q = queries(&r);
    assert!(q.iter().any(|q| q.starts_with("REVOKE") && q.contains("ON DATABASE \"pt_db10\" FROM \"pt_user10\"")), "{q:?}");
    assert!(q.iter().any(|q| q.starts_with("REVOKE") && q.contains("ON SCHEMA \"public\" FROM \"pt_user10\"")), "{q:?}");
    assert!(has(db_acl) && has(schema_acl), "check mode revoked nothing");

    let r = agent.run("postgres_db", privs("revoke"));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!has(db_acl) && !has(schema_acl));
    assert!(!has("SELECT coalesce(datacl::text, '') || coalesce((SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'), '') LIKE '%pt_user10=%' FROM pg_database WHERE datname = 'pt_db10'"));
    assert!(!agent.run("postgres_db", privs("revoke")).outcome.changed, "second revoke is ok");
}
