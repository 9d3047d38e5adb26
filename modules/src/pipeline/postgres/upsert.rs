//! A generic idempotent upsert of one row: `INSERT … ON CONFLICT (key) DO
//! UPDATE`, run only when the row is missing or one of the compared columns
//! differs. Values are sent as text parameters and cast server-side to each
//! column's catalog type, so any type with a text form works and nothing is
//! spliced into the SQL but quoted identifiers and catalog-made type names.

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::connect::pg_error;
use super::quote::{ident, qualified};
use super::step::{Action, Step, Target};
use crate::error::ModuleError;

/// One row to insert or update.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpsertSpec {
    /// `table` or `schema.table` (default schema `public`); it needs a unique index on the key columns.
    pub table: String,
    /// The conflict key: column → value.
    pub key: Map<String, Value>,
    /// Other columns → values (`null` is NULL).
    #[serde(default)]
    pub values: Map<String, Value>,
    /// Columns overwritten when the row exists (default: every `values` column). A column named here
    /// but absent from `values` is a timestamp: set to `now()` whenever the row is written.
    #[serde(default)]
    pub update_on_conflict: Option<Vec<String>>,
    /// Columns set to `now()` only when the row is inserted (e.g. `created_on`).
    #[serde(default)]
    pub now_on_insert: Vec<String>,
}

/// One upsert or a list of them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Upserts {
    Many(Vec<UpsertSpec>),
    One(Box<UpsertSpec>),
}

impl Upserts {
    pub fn items(&self) -> Vec<&UpsertSpec> {
        match self {
            Upserts::Many(v) => v.iter().collect(),
            Upserts::One(u) => vec![u.as_ref()],
        }
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl UpsertSpec {
    fn update_columns(&self) -> Vec<String> {
        self.update_on_conflict.clone().unwrap_or_else(|| self.values.keys().cloned().collect())
    }

    fn validate(&self) -> Result<(), ModuleError> {
        if self.key.is_empty() {
            return Err(ModuleError::BadArgs(format!("upsert into {}: key must name at least one column", self.table)));
        }
        if let Some(c) = self.values.keys().find(|c| self.key.contains_key(*c)) {
            return Err(ModuleError::BadArgs(format!("upsert into {}: column {c} is in both key and values", self.table)));
        }
        if let Some(c) = self.now_on_insert.iter().find(|c| self.key.contains_key(*c) || self.values.contains_key(*c)) {
            return Err(ModuleError::BadArgs(format!("upsert into {}: now_on_insert column {c} is also given a value", self.table)));
        }
        if let Some(c) = self.update_columns().iter().find(|c| self.key.contains_key(*c)) {
            return Err(ModuleError::BadArgs(format!("upsert into {}: key column {c} cannot be in update_on_conflict", self.table)));
        }
        Ok(())
    }
}

/// Column name → `format_type` of the table; `None` when the table does not exist.
pub fn column_types(client: &mut Client, u: &UpsertSpec) -> Result<Option<Map<String, Value>>, ModuleError> {
    let table = qualified(&u.table, "public")?;
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&table],
        )
        .map_err(|e| pg_error(&format!("reading the columns of {}", u.table), &e))?;
    Ok((!rows.is_empty()).then(|| rows.iter().map(|r| (r.get::<_, String>(0), Value::String(r.get(1)))).collect()))
}

/// The row as it is: whether a compared column differs, and the compared columns' current text.
#[derive(Debug, Clone, PartialEq)]
pub struct RowState {
    pub differs: bool,
    pub current: Vec<(String, Option<String>)>,
}

/// `None` when the row does not exist.
pub fn query(client: &mut Client, u: &UpsertSpec, types: &Map<String, Value>) -> Result<Option<RowState>, ModuleError> {
    u.validate()?;
    let ty = |c: &str| {
        types
            .get(c)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| ModuleError::BadArgs(format!("upsert into {}: no column {c}", u.table)))
    };
    let mut params: Vec<Option<String>> = vec![];
    let mut compare = vec![];
    let compared: Vec<String> = u.update_columns().into_iter().filter(|c| u.values.contains_key(c)).collect();
    for c in &compared {
        params.push(text(&u.values[c]));
        compare.push(format!("({} IS DISTINCT FROM CAST(${}::text AS {}))", ident(c)?, params.len(), ty(c)?));
    }
    let shown = compared.iter().map(|c| Ok(format!(", {}::text", ident(c)?))).collect::<Result<String, ModuleError>>()?;
    let mut cond = vec![];
    for (c, v) in &u.key {
        params.push(text(v));
        cond.push(format!("{} = CAST(${}::text AS {})", ident(c)?, params.len(), ty(c)?));
    }
    for c in u.values.keys().chain(&u.now_on_insert).chain(&u.update_columns()) {
        ty(c)?;
    }
    let differs = if compare.is_empty() { "false".to_string() } else { compare.join(" OR ") };
    let sql = format!("SELECT {differs}{shown} FROM {} WHERE {}", qualified(&u.table, "public")?, cond.join(" AND "));
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
    let row = client.query_opt(sql.as_str(), &refs).map_err(|e| pg_error(&format!("reading the row of {}", u.table), &e))?;
    Ok(row.map(|r| RowState { differs: r.get(0), current: compared.iter().enumerate().map(|(i, c)| (c.clone(), r.get(i + 1))).collect() }))
}

fn describe(u: &UpsertSpec) -> String {
    let key: Vec<String> = u.key.iter().map(|(k, v)| format!("{k}={}", text(v).unwrap_or_else(|| "NULL".into()))).collect();
    format!("row {} ({})", u.table, key.join(", "))
}

fn values_line(u: &UpsertSpec) -> String {
    u.values.iter().map(|(k, v)| format!("{k}={}", text(v).unwrap_or_else(|| "NULL".into()))).collect::<Vec<_>>().join(" ")
}

/// The step for one upsert (`current` is `None` for a missing row). Without `types` (the table
/// is not there yet, so this can only be a check-mode plan) values are left to assignment casts.
pub fn plan(u: &UpsertSpec, current: Option<&RowState>, types: Option<&Map<String, Value>>) -> Result<Vec<Step>, ModuleError> {
    u.validate()?;
    if current.is_some_and(|c| !c.differs) {
        return Ok(vec![]);
    }
    let table = qualified(&u.table, "public")?;
    let cast = |c: &str, n: usize| match types.and_then(|t| t.get(c)).and_then(Value::as_str) {
        Some(t) => format!("CAST(${n}::text AS {t})"),
        None => format!("${n}"),
    };
    let (mut cols, mut exprs, mut params) = (vec![], vec![], vec![]);
    for (c, v) in u.key.iter().chain(u.values.iter()) {
        params.push(text(v));
        cols.push(ident(c)?);
        exprs.push(cast(c, params.len()));
    }
    let update = u.update_columns();
    let mut stamps: Vec<&String> = update.iter().filter(|c| !u.values.contains_key(*c)).collect();
    stamps.extend(u.now_on_insert.iter().filter(|c| !update.contains(c)));
    for c in &stamps {
        cols.push(ident(c)?);
        exprs.push("now()".into());
    }
    let conflict = u.key.keys().map(|k| ident(k)).collect::<Result<Vec<_>, _>>()?.join(", ");
    let sets = update
        .iter()
        .map(|c| Ok(if u.values.contains_key(c) { format!("{0} = EXCLUDED.{0}", ident(c)?) } else { format!("{} = now()", ident(c)?) }))
        .collect::<Result<Vec<_>, ModuleError>>()?;
    let on_conflict = if sets.is_empty() { "DO NOTHING".to_string() } else { format!("DO UPDATE SET {}", sets.join(", ")) };
    let sql = format!("INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({conflict}) {on_conflict}", cols.join(", "), exprs.join(", "));
    let row = describe(u);
    Ok(vec![Step {
        target: Target::Database,
        shown: format!("{sql} -- {}", params.iter().map(|p| p.as_deref().unwrap_or("NULL")).collect::<Vec<_>>().join(", ")),
        action: Action::Params { sql, params },
        before: match current {
            None => format!("{row}: absent"),
            Some(c) => format!(
                "{row}: {}",
                c.current.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("NULL"))).collect::<Vec<_>>().join(" ")
            ),
        },
        after: format!("{row}: {}", values_line(u)),
    }])
}
