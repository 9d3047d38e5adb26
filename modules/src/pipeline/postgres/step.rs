//! One planned change: what it is, in words and SQL, and how to apply it.

use postgres::Client;

use super::connect::pg_error;
use crate::error::ModuleError;

/// Which connection a step runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The `login_db` connection: databases, roles, database privileges.
    Cluster,
    /// A connection to the managed database: schema/table privileges, migrations, rows.
    Database,
}

/// How a step is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// One statement, run as is (already quoted).
    Sql(String),
    /// A migration: its SQL and its `dpctl_migrations` record, in one transaction.
    Migration { name: String, checksum: String, sql: String },
    /// Run `sql` with text parameters (`None` is NULL).
    Params { sql: String, params: Vec<Option<String>> },
}

/// A planned change and the before/after lines for `--diff`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub target: Target,
    pub action: Action,
    /// What is reported in `queries` (passwords redacted).
    pub shown: String,
    pub before: String,
    pub after: String,
}

impl Step {
    pub fn sql(target: Target, sql: String, before: String, after: String) -> Step {
        Step { target, shown: sql.clone(), action: Action::Sql(sql), before, after }
    }

    pub fn apply(&self, client: &mut Client) -> Result<(), ModuleError> {
        match &self.action {
            Action::Sql(sql) => client.batch_execute(sql).map_err(|e| pg_error(&format!("{} failed", self.shown), &e)),
            Action::Params { sql, params } => {
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                client.execute(sql.as_str(), &refs).map(|_| ()).map_err(|e| pg_error(&format!("{} failed", self.shown), &e))
            }
            Action::Migration { name, checksum, sql } => {
                let ctx = format!("migration {name:?}");
                let mut tx = client.transaction().map_err(|e| pg_error(&ctx, &e))?;
                tx.batch_execute(super::migrations::CREATE_TABLE).map_err(|e| pg_error(&ctx, &e))?;
                tx.batch_execute(sql).map_err(|e| pg_error(&format!("{ctx} failed"), &e))?;
                tx.execute(super::migrations::RECORD, &[name, checksum]).map_err(|e| pg_error(&format!("{ctx}: recording it"), &e))?;
                tx.commit().map_err(|e| pg_error(&format!("{ctx}: commit"), &e))
            }
        }
    }
}
