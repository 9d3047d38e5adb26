//! `cassandra_schema`: keyspaces, user types, tables, indexes and seed rows are as a CQL file (or
//! structured arguments) describes them, changed only by additions.
//!
//! The original job piped a CQL file into `cqlsh` and ignored every error, so a changed column
//! type failed silently on each run. This module parses the DDL, reads the live schema from
//! `system_schema.*`, plans the exact statements to run, and refuses, before running anything,
//! any change that would lose data or that Cassandra cannot make: a column or field type change,
//! a primary key change, an explicit DROP, or a replication change (the last two run only with
//! `allow_destructive: true`). Seed rows are `INSERT … IF NOT EXISTS` and run only when their row
//! is missing, so a rerun is `ok`. A live column the input does not mention is left alone and
//! reported in `warnings`.
//!
//! From Rust:
//! ```no_run
//! use modules::cassandra_schema::CassandraSchema;
//! use modules::{Context, Module};
//! let schema = CassandraSchema {
//!     hosts: vec!["127.0.0.1:9042".into()],
//!     cql: Some("CREATE KEYSPACE IF NOT EXISTS dev_device_db WITH replication = \
//!                {'class': 'SimpleStrategy', 'replication_factor': 1};".into()),
//!     ..CassandraSchema::default()
//! };
//! let outcome = schema.run(&Context { check_mode: true, diff: false })?;
//! println!("{:?}", outcome.values["statements"]);
//! # Ok::<(), modules::ModuleError>(())
//! ```

pub mod apply;
pub mod cql_parse;
pub mod live_schema;
pub mod plan;
pub mod schema;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use self::cql_parse::{parse, parse_type};
use self::live_schema::CqlError;
use self::plan::Plan;
use self::schema::{Column, Index, Order, Schema, Table, Udt};
use crate::module::Diff;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Make a Cassandra schema match a CQL file or structured arguments, additively.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CassandraSchema {
    /// Contact points, `host:port` each.
    #[serde(alias = "contact_points")]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The CQL text (DDL and `INSERT … IF NOT EXISTS` seed rows).
    #[serde(default)]
    pub cql: Option<String>,
    /// A CQL file on the host.
    #[serde(default)]
    pub cql_file: Option<PathBuf>,
    /// The schema as structured arguments instead of CQL.
    #[serde(default)]
    pub keyspaces: Vec<KeyspaceArgs>,
    /// Run explicit DROPs and replication changes (type and key changes stay refused).
    #[serde(default)]
    pub allow_destructive: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyspaceArgs {
    pub name: String,
    /// Omit to manage tables in a keyspace that must exist already.
    #[serde(default)]
    pub replication: Option<ReplicationArgs>,
    #[serde(default)]
    pub durable_writes: Option<bool>,
    #[serde(default)]
    pub types: Vec<TypeArgs>,
    #[serde(default)]
    pub tables: Vec<TableArgs>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationArgs {
    #[serde(default = "simple_strategy")]
    pub class: String,
    #[serde(default)]
    pub replication_factor: Option<u32>,
    /// For NetworkTopologyStrategy: data centre → replicas.
    #[serde(default)]
    pub datacenters: BTreeMap<String, u32>,
}

fn simple_strategy() -> String {
    "SimpleStrategy".into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeArgs {
    pub name: String,
    /// Field name → CQL type, in order.
    pub fields: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableArgs {
    pub name: String,
    /// Column name → CQL type, in order.
    pub columns: serde_json::Map<String, Value>,
    /// The partition key (a name, or a list of names for a composite key) followed by the
    /// clustering columns: `[[a, b], c]` is `PRIMARY KEY ((a, b), c)`.
    pub primary_key: Vec<KeyPart>,
    /// Clustering column → `ASC` / `DESC`.
    #[serde(default)]
    pub clustering_order: BTreeMap<String, String>,
    /// Columns with a secondary index.
    #[serde(default)]
    pub indexes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum KeyPart {
    One(String),
    Many(Vec<String>),
}

fn bad(msg: String) -> ModuleError {
    ModuleError::BadArgs(format!("cassandra_schema: {msg}"))
}

fn type_of(owner: &str, v: &Value) -> Result<schema::CqlType, ModuleError> {
    let text = v.as_str().ok_or_else(|| bad(format!("{owner}: the type must be a string, got {v}")))?;
    parse_type(text).map_err(|e| bad(format!("{owner}: {e}")))
}

fn structured(keyspaces: &[KeyspaceArgs]) -> Result<Schema, ModuleError> {
    let mut s = Schema::default();
    for k in keyspaces {
        let ks = s.keyspace_mut(&k.name);
        if let Some(r) = &k.replication {
            let mut m = BTreeMap::new();
            m.insert("class".to_string(), r.class.clone());
            if let Some(rf) = r.replication_factor {
                m.insert("replication_factor".to_string(), rf.to_string());
            }
            for (dc, n) in &r.datacenters {
                m.insert(dc.clone(), n.to_string());
            }
            ks.replication = Some(m);
        }
        ks.durable_writes = k.durable_writes;
        for t in &k.types {
            let mut fields = Vec::new();
            for (f, v) in &t.fields {
                fields.push((f.clone(), type_of(&format!("{}.{}.{f}", k.name, t.name), v)?));
            }
            ks.types.push(Udt { name: t.name.clone(), fields });
        }
        for t in &k.tables {
            let name = format!("{}.{}", k.name, t.name);
            let mut columns = Vec::new();
            for (c, v) in &t.columns {
                columns.push(Column { name: c.clone(), ty: type_of(&format!("{name}.{c}"), v)?, is_static: false });
            }
            let mut parts = t.primary_key.iter();
            let partition_key = match parts.next() {
                Some(KeyPart::One(c)) => vec![c.clone()],
                Some(KeyPart::Many(cs)) if !cs.is_empty() => cs.clone(),
                _ => return Err(bad(format!("table {name}: primary_key is empty"))),
            };
            let mut clustering = Vec::new();
            for p in parts {
                let KeyPart::One(c) = p else { return Err(bad(format!("table {name}: only the first primary_key entry may be a list"))) };
                let order = match t.clustering_order.get(c).map(|o| o.to_ascii_uppercase()) {
                    None => Order::Asc,
                    Some(o) if o == "ASC" => Order::Asc,
                    Some(o) if o == "DESC" => Order::Desc,
                    Some(o) => return Err(bad(format!("table {name}: clustering_order of {c} is {o}, not ASC or DESC"))),
                };
                clustering.push((c.clone(), order));
            }
            let table = Table { name: t.name.clone(), columns, partition_key, clustering, options: vec![], declared: true };
            for key in table.partition_key.iter().chain(table.clustering.iter().map(|(c, _)| c)) {
                if table.column(key).is_none() {
                    return Err(bad(format!("table {name}: primary key column {key} is not in columns")));
                }
            }
            for c in &t.indexes {
                if table.column(c).is_none() {
                    return Err(bad(format!("table {name}: index on {c}, which is not in columns")));
                }
                ks.indexes.push(Index {
                    name: Index::default_name(&t.name, c),
                    table: t.name.clone(),
                    target: schema::ident(c),
                    using: None,
                    options: None,
                });
            }
            ks.tables.push(table);
        }
    }
    Ok(s)
}

impl CassandraSchema {
    /// The wanted schema from whichever input was given.
    pub fn wanted(&self) -> Result<Schema, ModuleError> {
        let given = [self.cql.is_some(), self.cql_file.is_some(), !self.keyspaces.is_empty()].iter().filter(|x| **x).count();
        if given != 1 {
            return Err(bad("give exactly one of `cql`, `cql_file` or `keyspaces`".into()));
        }
        if let Some(cql) = &self.cql {
            return parse(cql).map_err(|e| bad(e.to_string()));
        }
        if let Some(path) = &self.cql_file {
            let text = std::fs::read_to_string(path).map_err(|e| ModuleError::io(format!("reading {}", path.display()), e))?;
            return parse(&text).map_err(|e| bad(format!("{}: {e}", path.display())));
        }
        structured(&self.keyspaces)
    }

    fn credentials(&self) -> Result<Option<(&str, &str)>, ModuleError> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => Ok(Some((u.as_str(), p.as_str()))),
            (None, None) => Ok(None),
            _ => Err(bad("username and password go together".into())),
        }
    }
}

/// The keyspaces whose live schema matters for this input.
fn concerned(wanted: &Schema) -> Vec<String> {
    let mut names: Vec<String> = wanted.keyspaces.iter().map(|k| k.name.clone()).collect();
    for d in &wanted.drops {
        let k = match d {
            schema::DropTarget::Keyspace(k)
            | schema::DropTarget::Table(k, _)
            | schema::DropTarget::Type(k, _)
            | schema::DropTarget::Index(k, _)
            | schema::DropTarget::Column(k, _, _) => k,
        };
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    names
}

/// The live objects of the concerned keyspaces, as CQL, for `--diff`.
fn render(s: &Schema) -> String {
    let mut out = String::new();
    for k in &s.keyspaces {
        out.push_str(&format!("{};\n", k.create_cql()));
        for t in &k.types {
            out.push_str(&format!("{};\n", t.create_cql(&k.name)));
        }
        for t in &k.tables {
            out.push_str(&format!("{};\n", t.create_cql(&k.name)));
        }
        for i in &k.indexes {
            out.push_str(&format!("{};\n", i.create_cql(&k.name)));
        }
    }
    out
}

struct Done {
    plan: Plan,
    seeds: Vec<String>,
    before: String,
    after: Option<String>,
}

fn cql_err(e: CqlError) -> ModuleError {
    ModuleError::Failed(format!("cassandra_schema: {e}"))
}

async fn converge(args: &CassandraSchema, wanted: &Schema, check: bool) -> Result<Done, ModuleError> {
    let session = apply::connect(&args.hosts, args.credentials()?).await.map_err(cql_err)?;
    let names = concerned(wanted);
    let live = live_schema::read(&session, &names).await.map_err(cql_err)?;
    let plan = plan::plan(wanted, &live, args.allow_destructive);
    if !plan.refusals.is_empty() {
        return Err(ModuleError::Failed(format!("cassandra_schema: refused, nothing was changed:\n- {}", plan.refusals.join("\n- "))));
    }
    let before = render(&live);
    if check {
        let missing = apply::missing_seeds(&session, &plan.seeds, false).await.map_err(cql_err)?;
        return Ok(Done { seeds: missing.into_iter().map(|s| s.cql).collect(), plan, before, after: None });
    }
    apply::run_ddl(&session, &plan.statements).await.map_err(cql_err)?;
    let missing = apply::missing_seeds(&session, &plan.seeds, true).await.map_err(cql_err)?;
    apply::insert_seeds(&session, &missing).await.map_err(cql_err)?;
    let after =
        if plan.statements.is_empty() { before.clone() } else { render(&live_schema::read(&session, &names).await.map_err(cql_err)?) };
    Ok(Done { seeds: missing.into_iter().map(|s| s.cql).collect(), plan, before, after: Some(after) })
}

impl Module for CassandraSchema {
    const NAME: &'static str = "cassandra_schema";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.hosts.is_empty() {
            return Err(bad("`hosts` is empty".into()));
        }
        let wanted = self.wanted()?;
        // The agent is synchronous; the driver is async, so it gets a runtime of its own per run.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ModuleError::io("starting the CQL driver runtime", e))?;
        let done = rt.block_on(converge(self, &wanted, ctx.check_mode))?;

        let mut statements = done.plan.statements.clone();
        statements.extend(done.seeds.iter().cloned());
        let changed = !statements.is_empty();
        let listing = statements.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join("\n");
        let msg = match (changed, ctx.check_mode) {
            (false, _) => "schema is up to date".to_string(),
            (true, true) => format!("would run:\n{listing}"),
            (true, false) => format!("ran:\n{listing}"),
        };
        let mut out = Outcome::changed(changed)
            .with("statements", statements.clone())
            .with("warnings", done.plan.warnings.clone())
            .with("seeds_inserted", if ctx.check_mode { 0 } else { done.seeds.len() })
            .with_msg(msg);
        if ctx.diff && changed {
            // Check mode has no real "after": it shows the live schema followed by what would run.
            let after = done.after.unwrap_or_else(|| format!("{}-- would run:\n{listing}\n", done.before));
            out.diff.push(Diff {
                before_header: Some("live schema".into()),
                after_header: Some(if ctx.check_mode { "planned".into() } else { "live schema after".into() }),
                before: done.before,
                after,
            });
        }
        Ok(out)
    }
}

register_module!(CassandraSchema);
