//! Named SQL migrations applied once each and recorded, with their checksum,
//! in `dpctl_migrations`. A migration whose text changed after it was applied
//! is refused (its effect is already in the database) unless `rerun: true`.

use std::path::PathBuf;

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::connect::pg_error;
use super::step::{Action, Step, Target};
use crate::error::ModuleError;
use crate::pipeline::lenient;

pub const CREATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS dpctl_migrations (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";
pub const RECORD: &str = "INSERT INTO dpctl_migrations (name, checksum, applied_at) VALUES ($1, $2, now()) \
     ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at";

/// One named migration: `sql` inline or `sql_file` on the host.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    pub name: String,
    #[serde(default)]
    pub sql: Option<String>,
    #[serde(default)]
    pub sql_file: Option<PathBuf>,
    /// Apply again when the text changed since it was applied.
    #[serde(default, deserialize_with = "lenient::bool")]
    #[schemars(with = "bool")]
    pub rerun: bool,
}

impl MigrationSpec {
    /// The SQL text and its sha256 checksum (hex).
    pub fn text(&self) -> Result<(String, String), ModuleError> {
        let sql = match (&self.sql, &self.sql_file) {
            (Some(s), None) => s.clone(),
            (None, Some(p)) => {
                std::fs::read_to_string(p).map_err(|e| ModuleError::io(format!("migration {:?}: reading {}", self.name, p.display()), e))?
            }
            _ => return Err(ModuleError::BadArgs(format!("migration {:?}: give exactly one of sql and sql_file", self.name))),
        };
        let sum = Sha256::digest(sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        Ok((sql, sum))
    }
}

/// Applied migrations (name → checksum); empty when the table does not exist yet.
pub fn query(client: &mut Client) -> Result<Vec<(String, String)>, ModuleError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('dpctl_migrations') IS NOT NULL", &[])
        .map_err(|e| pg_error("looking for dpctl_migrations", &e))?
        .get(0);
    if !exists {
        return Ok(vec![]);
    }
    let rows = client.query("SELECT name, checksum FROM dpctl_migrations", &[]).map_err(|e| pg_error("reading dpctl_migrations", &e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Pending migrations in order; a changed checksum without `rerun` is an error naming both checksums.
pub fn plan(specs: &[MigrationSpec], applied: &[(String, String)]) -> Result<Vec<Step>, ModuleError> {
    let mut steps = vec![];
    for (i, m) in specs.iter().enumerate() {
        if specs[..i].iter().any(|o| o.name == m.name) {
            return Err(ModuleError::BadArgs(format!("migration {:?} is listed twice", m.name)));
        }
        let (sql, sum) = m.text()?;
        let before = match applied.iter().find(|(n, _)| n == &m.name) {
            Some((_, old)) if old == &sum => continue,
            Some((_, old)) if !m.rerun => {
                return Err(ModuleError::Failed(format!(
                    "migration {:?} was applied with checksum {old} but its SQL now has checksum {sum}; \
                     refusing to change an applied migration (add a new migration, or set rerun: true to apply it again)",
                    m.name
                )))
            }
            Some((_, old)) => format!("migration {}: applied {old}", m.name),
            None => format!("migration {}: pending", m.name),
        };
        steps.push(Step {
            target: Target::Database,
            shown: format!("-- migration {} ({sum})\n{sql}", m.name),
            action: Action::Migration { name: m.name.clone(), checksum: sum.clone(), sql },
            before,
            after: format!("migration {}: applied {sum}", m.name),
        });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, sql: &str, rerun: bool) -> MigrationSpec {
        MigrationSpec { name: name.into(), sql: Some(sql.into()), sql_file: None, rerun }
    }

    #[test]
    fn pending_applied_changed_and_rerun() {
        let (_, sum) = m("a", "select 1", false).text().unwrap();
        let applied = vec![("a".to_string(), sum.clone())];
        assert!(plan(&[m("a", "select 1", false)], &applied).unwrap().is_empty());
        assert_eq!(plan(&[m("b", "select 2", false)], &applied).unwrap().len(), 1);
        let e = plan(&[m("a", "select 2", false)], &applied).unwrap_err().to_string();
        assert!(e.contains("\"a\"") && e.contains(&sum), "{e}");
        assert_eq!(plan(&[m("a", "select 2", true)], &applied).unwrap().len(), 1);
        let both = MigrationSpec { sql_file: Some("/x".into()), ..m("c", "x", false) };
        assert!(plan(&[both], &[]).is_err());
        assert!(plan(&[m("d", "x", false), m("d", "y", false)], &[]).unwrap_err().to_string().contains("listed twice"));
    }
}
