//! `influxdb_database`: an InfluxDB 1.x database and, optionally, one of its
//! retention policies, over the HTTP `/query` API (community.general's
//! `influxdb_database` arguments plus a `retention_policy`).
//!
//! ```no_run
//! use modules::influxdb_database::InfluxdbDatabase;
//! use modules::{Context, Module};
//!
//! let task: InfluxdbDatabase = serde_json::from_value(serde_json::json!({
//!     "database_name": "monitoring_events", "hostname": "127.0.0.1", "port": 8086,
//!     "retention_policy": {"name": "two_weeks", "duration": "14d", "default": true},
//! }))?;
//! let outcome = task.run(&Context::default())?;
//! assert!(outcome.values["queries"].is_array());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use super::influxdb::client::{quote_ident, Client, Series, Tls};
use super::influxdb::duration;
use super::lenient;
use super::state::Presence;
use crate::module::Diff;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Ensure an InfluxDB database (and a retention policy on it) exists, or is absent.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InfluxdbDatabase {
    pub database_name: String,
    #[serde(default = "localhost")]
    pub hostname: String,
    #[serde(default = "default_port", deserialize_with = "lenient::u16")]
    #[schemars(with = "u16")]
    pub port: u16,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Use https (rustls; the server certificate is verified against the web PKI roots).
    #[serde(default, deserialize_with = "lenient::bool")]
    #[schemars(with = "bool")]
    pub ssl: bool,
    /// With `ssl`: verify the server's certificate. Turn off only for self-signed test servers.
    #[serde(default = "yes", deserialize_with = "lenient::bool")]
    #[schemars(with = "bool")]
    pub validate_certs: bool,
    /// Seconds per HTTP request.
    #[serde(default = "default_timeout", deserialize_with = "lenient::u64")]
    #[schemars(with = "u64")]
    pub timeout: u64,
    #[serde(default)]
    pub state: Presence,
    #[serde(default)]
    pub retention_policy: Option<RetentionPolicy>,
}

/// A retention policy on the database.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    pub name: String,
    /// An InfluxQL duration (`7d`, `1h30m`) or `INF`.
    pub duration: String,
    #[serde(default = "one", deserialize_with = "lenient::u32")]
    #[schemars(with = "u32")]
    pub replication: u32,
    /// Make it the database's default policy. `false` leaves the default as it is
    /// (InfluxDB has no "un-default"; make another policy the default instead).
    #[serde(default, deserialize_with = "lenient::bool")]
    #[schemars(with = "bool")]
    pub default: bool,
    #[serde(default)]
    pub shard_group_duration: Option<String>,
}

fn localhost() -> String {
    "localhost".into()
}
fn default_port() -> u16 {
    8086
}
fn default_timeout() -> u64 {
    30
}
fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

/// A retention policy as `SHOW RETENTION POLICIES` reports it.
#[derive(Debug, Clone, PartialEq)]
struct RpState {
    duration_ns: u64,
    shard_ns: u64,
    replication: u32,
    default: bool,
    duration: String,
}

fn rp_line(db: &str, name: &str, s: Option<&RpState>) -> String {
    match s {
        None => format!("retention policy {name} on {db}: absent"),
        Some(s) => format!("retention policy {name} on {db}: duration={} replication={} default={}", s.duration, s.replication, s.default),
    }
}

fn read_rps(series: &[Series], name: &str) -> Result<Option<RpState>, ModuleError> {
    let Some(s) = series.first() else { return Ok(None) };
    let col = |c: &str| s.column(c).ok_or_else(|| ModuleError::Failed(format!("SHOW RETENTION POLICIES answered without a {c} column")));
    let (n, d, sg, r, def) = (col("name")?, col("duration")?, col("shardGroupDuration")?, col("replicaN")?, col("default")?);
    for row in &s.values {
        if row.get(n).and_then(|v| v.as_str()) == Some(name) {
            let dur = row.get(d).and_then(|v| v.as_str()).unwrap_or("0s").to_string();
            return Ok(Some(RpState {
                duration_ns: duration::parse(&dur)?,
                shard_ns: duration::parse(row.get(sg).and_then(|v| v.as_str()).unwrap_or("0s"))?,
                replication: row.get(r).and_then(|v| v.as_u64()).unwrap_or(1) as u32,
                default: row.get(def).and_then(|v| v.as_bool()).unwrap_or(false),
                duration: dur,
            }));
        }
    }
    Ok(None)
}

/// A planned statement with its before/after lines.
struct Change {
    q: String,
    before: String,
    after: String,
}

impl InfluxdbDatabase {
    fn client(&self) -> Client {
        let tls = self.ssl.then_some(Tls { validate_certs: self.validate_certs });
        Client::new(&self.hostname, self.port, tls, self.username.as_deref(), self.password.as_deref(), Duration::from_secs(self.timeout))
    }

    fn plan(&self, client: &Client) -> Result<Vec<Change>, ModuleError> {
        let db = &self.database_name;
        let qdb = quote_ident(db);
        let dbs = client.read("SHOW DATABASES")?;
        let exists = dbs.iter().flat_map(|s| s.values.iter()).any(|row| row.first().and_then(|v| v.as_str()) == Some(db.as_str()));
        let mut changes = vec![];
        if self.state == Presence::Absent {
            if exists {
                changes.push(Change {
                    q: format!("DROP DATABASE {qdb}"),
                    before: format!("database {db}: present"),
                    after: format!("database {db}: absent"),
                });
            }
            return Ok(changes);
        }
        if !exists {
            changes.push(Change {
                q: format!("CREATE DATABASE {qdb}"),
                before: format!("database {db}: absent"),
                after: format!("database {db}: present"),
            });
        }
        if let Some(rp) = &self.retention_policy {
            let want_ns = duration::parse(&rp.duration)?;
            let want_shard = rp.shard_group_duration.as_deref().map(duration::parse).transpose()?;
            let current = if exists { read_rps(&client.read(&format!("SHOW RETENTION POLICIES ON {qdb}"))?, &rp.name)? } else { None };
            let mut clause = format!("DURATION {} REPLICATION {}", rp.duration, rp.replication);
            if let Some(sg) = &rp.shard_group_duration {
                clause.push_str(&format!(" SHARD DURATION {sg}"));
            }
            if rp.default {
                clause.push_str(" DEFAULT");
            }
            let want = RpState {
                duration_ns: want_ns,
                shard_ns: 0,
                replication: rp.replication,
                default: rp.default,
                duration: rp.duration.clone(),
            };
            let verb = match &current {
                None => Some("CREATE"),
                Some(c) => {
                    let differs = c.duration_ns != want_ns
                        || c.replication != rp.replication
                        || (rp.default && !c.default)
                        || want_shard.is_some_and(|s| s != c.shard_ns);
                    differs.then_some("ALTER")
                }
            };
            if let Some(verb) = verb {
                let after = RpState { default: rp.default || current.as_ref().is_some_and(|c| c.default), ..want };
                changes.push(Change {
                    q: format!("{verb} RETENTION POLICY {} ON {qdb} {clause}", quote_ident(&rp.name)),
                    before: rp_line(db, &rp.name, current.as_ref()),
                    after: rp_line(db, &rp.name, Some(&after)),
                });
            }
        }
        Ok(changes)
    }
}

impl Module for InfluxdbDatabase {
    const NAME: &'static str = "influxdb_database";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.database_name.is_empty() {
            return Err(ModuleError::BadArgs("influxdb_database: database_name must not be empty".into()));
        }
        if let Some(rp) = &self.retention_policy {
            duration::parse(&rp.duration)?;
            if let Some(sg) = &rp.shard_group_duration {
                duration::parse(sg)?;
            }
            if rp.replication == 0 {
                return Err(ModuleError::BadArgs("influxdb_database: retention_policy.replication must be at least 1".into()));
            }
            if self.state == Presence::Absent {
                return Err(ModuleError::BadArgs(
                    "influxdb_database: state=absent drops the database; retention_policy makes no sense with it".into(),
                ));
            }
        }
        let client = self.client();
        let changes = self.plan(&client)?;
        if !ctx.check_mode {
            for c in &changes {
                client.write(&c.q)?;
            }
        }
        let changed = !changes.is_empty();
        let mut out = Outcome::changed(changed)
            .with("queries", changes.iter().map(|c| c.q.clone()).collect::<Vec<_>>())
            .with("database_name", self.database_name.clone());
        if ctx.diff && changed {
            out.diff.push(Diff {
                before_header: Some(format!("influxdb {} (before)", self.database_name)),
                after_header: Some(format!("influxdb {} (after)", self.database_name)),
                before: changes.iter().map(|c| format!("{}\n", c.before)).collect(),
                after: changes.iter().map(|c| format!("{}\n", c.after)).collect(),
            });
        }
        Ok(out)
    }
}

register_module!(InfluxdbDatabase);
