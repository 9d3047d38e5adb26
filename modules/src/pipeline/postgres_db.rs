//! `postgres_db`: a PostgreSQL database with its roles, privileges, named
//! migrations and the consumer-channel mapping row, in one idempotent task.
//!
//! Every run first plans every change from the catalog (refusing, before
//! anything is touched, what it must not do: a changed migration, a new
//! encoding for an existing database); check mode stops there and reports
//! the plan (`queries`, and a before/after diff). A real run then applies
//! phase by phase — roles, database, migrations, rows (`consumer_channel_mapping`,
//! `upsert`), privileges —
//! re-reading the catalog before each phase, so privileges on tables created
//! by a migration of the same run are granted correctly.
//!
//! From Rust:
//!
//! ```no_run
//! use modules::postgres_db::PostgresDb;
//! use modules::{Context, Module};
//!
//! let task: PostgresDb = serde_json::from_value(serde_json::json!({
//!     "login_host": "127.0.0.1", "login_port": 5432, "login_user": "postgres",
//!     "name": "analytics", "owner": "analytics",
//!     "users": [{"name": "analytics", "password": "s3cret"}],
//!     "migrations": [{"name": "001_events", "sql": "CREATE TABLE events (id bigint PRIMARY KEY)"}],
//! }))?;
//! let outcome = task.run(&Context { check_mode: false, diff: true })?;
//! println!("changed: {} queries: {:?}", outcome.changed, outcome.values.get("queries"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;

use super::lenient;
use super::postgres::connect::{Login, SslMode};
use super::postgres::database::{self, WantedDb};
use super::postgres::mapping::{self, MappingSpec};
use super::postgres::migrations::{self, MigrationSpec};
use super::postgres::privileges::{self, ObjType, PrivilegeSpec};
use super::postgres::role::{self, Presence, UserSpec};
use super::postgres::step::{Step, Target};
use super::postgres::upsert::{self, Upserts};
use crate::module::Diff;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Ensure a PostgreSQL database, its roles, privileges, migrations and mapping row.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresDb {
    /// Host name or address, or the directory of the server's unix socket.
    #[serde(default = "default_host")]
    pub login_host: String,
    /// A unix socket directory; when set it is used instead of `login_host`.
    #[serde(default)]
    pub login_unix_socket: Option<String>,
    #[serde(default = "default_port", deserialize_with = "lenient::u16")]
    #[schemars(with = "u16")]
    pub login_port: u16,
    #[serde(default = "default_user")]
    pub login_user: String,
    #[serde(default)]
    pub login_password: Option<String>,
    /// The database to connect to for cluster-wide work.
    #[serde(default = "default_db")]
    pub login_db: String,
    /// libpq's `sslmode`: `disable`, `allow`/`prefer` (TLS when the server offers it), `require`
    /// (TLS, server not authenticated), `verify-full` (TLS, chain and host name verified).
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// PEM file of the CA(s) `verify-full` trusts (community.postgresql's `ca_cert`); default: web PKI roots.
    #[serde(default, alias = "ca_cert")]
    pub ssl_rootcert: Option<std::path::PathBuf>,

    /// The database to manage; without it, roles/privileges/migrations work in `login_db`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub lc_collate: Option<String>,
    #[serde(default)]
    pub lc_ctype: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    /// `absent` drops the database (and only it; listed users are handled by their own `state`).
    #[serde(default)]
    pub state: Presence,

    #[serde(default)]
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub privileges: Vec<PrivilegeSpec>,
    #[serde(default)]
    pub migrations: Vec<MigrationSpec>,
    #[serde(default)]
    pub consumer_channel_mapping: Option<MappingSpec>,
    /// One row (or a list of rows) to insert or update in the managed database.
    #[serde(default)]
    pub upsert: Option<Upserts>,
}

fn default_host() -> String {
    "/var/run/postgresql".into()
}
fn default_port() -> u16 {
    5432
}
fn default_user() -> String {
    "postgres".into()
}
fn default_db() -> String {
    "postgres".into()
}

/// The order in which work is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Roles,
    Database,
    Migrations,
    Mapping,
    Privileges,
}

/// The cluster connection and, once the managed database exists, one to it.
struct Conns {
    cluster: Client,
    db: Option<Client>,
    /// No `name`: the cluster connection is the database connection.
    same: bool,
}

impl Conns {
    fn target(&mut self) -> Option<&mut Client> {
        if self.same {
            Some(&mut self.cluster)
        } else {
            self.db.as_mut()
        }
    }
}

impl PostgresDb {
    fn login(&self) -> Login {
        Login {
            host: self.login_unix_socket.clone().unwrap_or_else(|| self.login_host.clone()),
            port: self.login_port,
            user: self.login_user.clone(),
            password: self.login_password.clone(),
            db: self.login_db.clone(),
            ssl_mode: self.ssl_mode,
            ssl_rootcert: self.ssl_rootcert.clone(),
        }
    }

    fn validate(&self) -> Result<(), ModuleError> {
        if self.name.is_none() {
            let fields = [
                ("owner", &self.owner),
                ("encoding", &self.encoding),
                ("lc_collate", &self.lc_collate),
                ("lc_ctype", &self.lc_ctype),
                ("template", &self.template),
            ];
            if let Some((f, _)) = fields.iter().find(|(_, v)| v.is_some()) {
                return Err(ModuleError::BadArgs(format!("postgres_db: {f} needs name (the database it applies to)")));
            }
            if self.state == Presence::Absent {
                return Err(ModuleError::BadArgs("postgres_db: state=absent needs name".into()));
            }
        }
        if self.state == Presence::Absent
            && (!self.privileges.is_empty()
                || !self.migrations.is_empty()
                || self.consumer_channel_mapping.is_some()
                || self.upsert.is_some())
        {
            return Err(ModuleError::BadArgs(
                "postgres_db: state=absent drops the database; privileges, migrations, consumer_channel_mapping and upsert make no sense with it"
                    .into(),
            ));
        }
        Ok(())
    }

    fn phases(&self) -> &'static [Phase] {
        if self.state == Presence::Absent {
            &[Phase::Database, Phase::Roles]
        } else {
            &[Phase::Roles, Phase::Database, Phase::Migrations, Phase::Mapping, Phase::Privileges]
        }
    }

    fn wanted_db(&self, name: &str) -> WantedDb {
        WantedDb {
            name: name.to_string(),
            owner: self.owner.clone(),
            encoding: self.encoding.clone(),
            lc_collate: self.lc_collate.clone(),
            lc_ctype: self.lc_ctype.clone(),
            template: self.template.clone(),
            present: self.state == Presence::Present,
        }
    }

    /// Plan one phase. `lenient`: objects that do not exist yet (the database, tables a
    /// pending migration creates) count as having no privileges instead of being an error.
    fn plan(&self, phase: Phase, conns: &mut Conns, lenient: bool) -> Result<Vec<Step>, ModuleError> {
        let mut steps = vec![];
        match phase {
            Phase::Roles => {
                for u in &self.users {
                    let cur = role::query(&mut conns.cluster, &u.name)?;
                    steps.extend(role::plan(u, cur.as_ref())?);
                }
            }
            Phase::Database => {
                if let Some(name) = &self.name {
                    let cur = database::query(&mut conns.cluster, name)?;
                    steps.extend(database::plan(&self.wanted_db(name), cur.as_ref())?);
                }
            }
            Phase::Migrations => {
                if !self.migrations.is_empty() {
                    let applied = match conns.target() {
                        Some(c) => migrations::query(c)?,
                        None => vec![],
                    };
                    steps.extend(migrations::plan(&self.migrations, &applied)?);
                }
            }
            Phase::Mapping => {
                if let Some(m) = &self.consumer_channel_mapping {
                    let (exists, cur) = match conns.target() {
                        Some(c) => mapping::query(c, m)?,
                        None => (false, None),
                    };
                    steps.extend(mapping::plan(m, exists, cur)?);
                }
                for u in self.upsert.iter().flat_map(Upserts::items) {
                    let types = match conns.target() {
                        Some(c) => upsert::column_types(c, u)?,
                        None => None,
                    };
                    match (types, conns.target()) {
                        (Some(t), Some(c)) => {
                            let cur = upsert::query(c, u, &t)?;
                            steps.extend(upsert::plan(u, cur.as_ref(), Some(&t))?);
                        }
                        _ if lenient => steps.extend(upsert::plan(u, None, None)?),
                        _ => return Err(ModuleError::Failed(format!("upsert into {}: the table does not exist", u.table))),
                    }
                }
            }
            Phase::Privileges => {
                for p in &self.privileges {
                    let objs = match (&p.objs, p.obj_type, &self.name) {
                        (Some(o), _, _) => o.items(),
                        (None, ObjType::Database, Some(n)) => vec![n.clone()],
                        (None, ObjType::Database, None) => vec![self.login_db.clone()],
                        (None, t, _) => {
                            return Err(ModuleError::BadArgs(format!("privileges for {}: objs is required for type {t:?}", p.role)))
                        }
                    };
                    for obj in objs {
                        let lookup = privileges::lookup_name(p.obj_type, &obj, &p.schema)?;
                        let client = match p.obj_type.target() {
                            Target::Cluster => Some(&mut conns.cluster),
                            Target::Database => conns.target(),
                        };
                        let current = match client {
                            Some(c) => privileges::query(c, p.obj_type, &lookup, &p.role)?,
                            None => None,
                        };
                        let current = match current {
                            Some(c) => c,
                            None if lenient => vec![],
                            None => {
                                return Err(ModuleError::Failed(
                                    format!("privileges for {}: {:?} {obj} does not exist", p.role, p.obj_type).to_lowercase(),
                                ))
                            }
                        };
                        steps.extend(privileges::plan_one(p, &obj, &current)?);
                    }
                }
            }
        }
        Ok(steps)
    }

    fn apply(&self, phase: Phase, steps: &[Step], conns: &mut Conns, login: &Login) -> Result<(), ModuleError> {
        for s in steps {
            match s.target {
                Target::Cluster => s.apply(&mut conns.cluster)?,
                Target::Database => {
                    let client = conns.target().ok_or_else(|| ModuleError::Failed("the database connection is not open".into()))?;
                    s.apply(client)?
                }
            }
        }
        if phase == Phase::Database && !conns.same && conns.db.is_none() && self.state == Presence::Present {
            conns.db = Some(login.connect(self.name.as_deref())?);
        }
        Ok(())
    }
}

impl Module for PostgresDb {
    const NAME: &'static str = "postgres_db";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        self.validate()?;
        let login = self.login();
        let cluster = login.connect(None)?;
        let mut conns = Conns { cluster, db: None, same: self.name.is_none() };
        if let Some(name) = &self.name {
            if self.state == Presence::Present && database::query(&mut conns.cluster, name)?.is_some() {
                conns.db = Some(login.connect(Some(name))?);
            }
        }

        // Plan everything first: refusals happen before any change.
        let mut planned: Vec<(Phase, Vec<Step>)> = vec![];
        let mut lenient = conns.target().is_none();
        for &phase in self.phases() {
            let steps = self.plan(phase, &mut conns, lenient)?;
            // Once something earlier would change, later phases may refer to what it creates.
            lenient |= !steps.is_empty();
            planned.push((phase, steps));
        }

        let done: Vec<Step> = if ctx.check_mode {
            planned.into_iter().flat_map(|(_, s)| s).collect()
        } else {
            let mut done = vec![];
            for (i, (phase, first_plan)) in planned.into_iter().enumerate() {
                // Earlier phases may have changed what this one sees; re-read unless it is the first.
                let steps = if i == 0 { first_plan } else { self.plan(phase, &mut conns, false)? };
                self.apply(phase, &steps, &mut conns, &login)?;
                done.extend(steps);
            }
            done
        };

        let changed = !done.is_empty();
        let queries: Vec<String> = done.iter().map(|s| s.shown.clone()).collect();
        let target = self.name.clone().unwrap_or_else(|| self.login_db.clone());
        let mut out = Outcome::changed(changed).with("queries", queries).with("db", target.clone());
        out = out.with_msg(if changed {
            format!("{} change(s) {}in database {target}", done.len(), if ctx.check_mode { "would be made " } else { "" })
        } else {
            format!("database {target} is as wanted")
        });
        if ctx.diff && changed {
            let lines = |f: fn(&Step) -> &String| done.iter().map(|s| format!("{}\n", f(s))).collect::<String>();
            out.diff.push(Diff {
                before_header: Some(format!("postgres_db {target} (before)")),
                after_header: Some(format!("postgres_db {target} (after)")),
                before: lines(|s| &s.before),
                after: lines(|s| &s.after),
            });
        }
        Ok(out)
    }
}

register_module!(PostgresDb);
