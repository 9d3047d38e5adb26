//! GRANT/REVOKE on databases, schemas and tables, decided from the object's
//! ACL (`aclexplode`), i.e. what was granted to the role itself, so a revoke
//! is not re-reported forever because the role also has it through PUBLIC.

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;

use super::connect::pg_error;
use super::quote::{grantee, ident, qualified};
use super::step::{Step, Target};
use crate::error::ModuleError;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ObjType {
    Database,
    Schema,
    Table,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GrantState {
    #[default]
    Grant,
    Revoke,
}

/// A list given as YAML list or as a comma-separated string (`CONNECT,TEMPORARY`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NameList {
    List(Vec<String>),
    Csv(String),
}

impl NameList {
    pub fn items(&self) -> Vec<String> {
        match self {
            NameList::List(v) => v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            NameList::Csv(s) => s.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        }
    }
}

/// Privileges of one role on some objects of one type.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivilegeSpec {
    /// A role name, or `PUBLIC`.
    pub role: String,
    #[serde(rename = "type")]
    pub obj_type: ObjType,
    /// Object names; tables may be `schema.table`. For `database`, defaults to the managed database.
    #[serde(default)]
    pub objs: Option<NameList>,
    /// For tables named without a schema.
    #[serde(default = "public")]
    pub schema: String,
    /// Privilege names, or `ALL`.
    pub privs: NameList,
    #[serde(default)]
    pub state: GrantState,
}

fn public() -> String {
    "public".into()
}

impl ObjType {
    fn all(self) -> &'static [&'static str] {
        match self {
            ObjType::Database => &["CREATE", "CONNECT", "TEMPORARY"],
            ObjType::Schema => &["USAGE", "CREATE"],
            ObjType::Table => &["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
        }
    }
    fn keyword(self) -> &'static str {
        match self {
            ObjType::Database => "DATABASE",
            ObjType::Schema => "SCHEMA",
            ObjType::Table => "TABLE",
        }
    }
    /// Database privileges are granted over the cluster connection; the others inside the database.
    pub fn target(self) -> Target {
        if self == ObjType::Database {
            Target::Cluster
        } else {
            Target::Database
        }
    }
}

/// The wanted privileges, upper-cased, `ALL` expanded, `TEMP` spelled out; unknown ones refused.
pub fn normalize(t: ObjType, privs: &[String]) -> Result<Vec<String>, ModuleError> {
    let mut out: Vec<String> = vec![];
    for p in privs {
        let p = p.to_ascii_uppercase();
        let names: Vec<String> = match p.as_str() {
            "ALL" | "ALL PRIVILEGES" => t.all().iter().map(|s| s.to_string()).collect(),
            "TEMP" => vec!["TEMPORARY".into()],
            other if t.all().contains(&other) => vec![other.to_string()],
            other => {
                return Err(ModuleError::BadArgs(format!(
                    "{other} is not a {} privilege (one of {}, ALL)",
                    t.keyword(),
                    t.all().join(", ")
                )))
            }
        };
        for n in names {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// The object as a quoted name in SQL, and as a value for the catalog lookup.
fn object(t: ObjType, obj: &str, schema: &str) -> Result<(String, String), ModuleError> {
    Ok(match t {
        ObjType::Table => {
            let q = qualified(obj, schema)?;
            (q.clone(), q)
        }
        _ => (ident(obj)?, obj.to_string()),
    })
}

/// Privileges granted directly to `role` on the object; `None` when the object does not exist.
pub fn query(client: &mut Client, t: ObjType, lookup: &str, role: &str) -> Result<Option<Vec<String>>, ModuleError> {
    let acl = match t {
        ObjType::Database => "SELECT COALESCE(datacl, acldefault('d', datdba)) FROM pg_database WHERE datname = $1",
        ObjType::Schema => "SELECT COALESCE(nspacl, acldefault('n', nspowner)) FROM pg_namespace WHERE nspname = $1",
        ObjType::Table => "SELECT COALESCE(relacl, acldefault('r', relowner)) FROM pg_class WHERE oid = to_regclass($1)",
    };
    let sql = format!(
        "WITH o AS ({acl}) SELECT (SELECT count(*) FROM o) AS n, \
         ARRAY(SELECT DISTINCT a.privilege_type::text FROM o, aclexplode(o.coalesce) a \
               WHERE a.grantee = CASE WHEN lower($2) = 'public' THEN 0::oid ELSE (SELECT oid FROM pg_roles WHERE rolname = $2) END)"
    );
    let row = client.query_one(sql.as_str(), &[&lookup, &role]).map_err(|e| pg_error(&format!("reading privileges on {lookup}"), &e))?;
    let n: i64 = row.get(0);
    Ok((n > 0).then(|| row.get(1)))
}

/// Steps for one spec on one object, given the current privileges (empty when the object or role is yet to be created).
pub fn plan_one(spec: &PrivilegeSpec, obj: &str, current: &[String]) -> Result<Vec<Step>, ModuleError> {
    let wanted = normalize(spec.obj_type, &spec.privs.items())?;
    let (sql_obj, _) = object(spec.obj_type, obj, &spec.schema)?;
    let to = grantee(&spec.role)?;
    let kw = spec.obj_type.keyword();
    let (verb, prep, todo): (_, _, Vec<String>) = match spec.state {
        GrantState::Grant => ("GRANT", "TO", wanted.iter().filter(|p| !current.contains(p)).cloned().collect()),
        GrantState::Revoke => ("REVOKE", "FROM", wanted.iter().filter(|p| current.contains(p)).cloned().collect()),
    };
    if todo.is_empty() {
        return Ok(vec![]);
    }
    let mut after: Vec<String> = match spec.state {
        GrantState::Grant => current.iter().chain(todo.iter()).cloned().collect(),
        GrantState::Revoke => current.iter().filter(|p| !todo.contains(p)).cloned().collect(),
    };
    after.sort();
    let mut before = current.to_vec();
    before.sort();
    let label = format!("privileges of {} on {} {obj}", spec.role, kw.to_lowercase());
    Ok(vec![Step::sql(
        spec.obj_type.target(),
        format!("{verb} {} ON {kw} {sql_obj} {prep} {to}", todo.join(", ")),
        format!("{label}: {}", before.join(",")),
        format!("{label}: {}", after.join(",")),
    )])
}

/// The catalog lookup value for an object (see [`query`]).
pub fn lookup_name(t: ObjType, obj: &str, schema: &str) -> Result<String, ModuleError> {
    object(t, obj, schema).map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> PrivilegeSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn grants_only_what_is_missing_and_revokes_only_what_is_there() {
        let s = spec(serde_json::json!({"role": "analytics", "type": "table", "objs": "t1", "privs": "select,insert"}));
        let steps = plan_one(&s, "t1", &["SELECT".into()]).unwrap();
        assert_eq!(steps[0].shown, "GRANT INSERT ON TABLE \"public\".\"t1\" TO \"analytics\"");
        assert!(plan_one(&s, "t1", &["INSERT".into(), "SELECT".into()]).unwrap().is_empty());
        let r = spec(serde_json::json!({"role": "public", "type": "database", "privs": ["ALL"], "state": "revoke"}));
        let steps = plan_one(&r, "analytics", &["CONNECT".into(), "TEMPORARY".into()]).unwrap();
        assert_eq!(steps[0].shown, "REVOKE CONNECT, TEMPORARY ON DATABASE \"analytics\" FROM PUBLIC");
        let bad = spec(serde_json::json!({"role": "a", "type": "schema", "privs": "select"}));
        assert!(plan_one(&bad, "s", &[]).unwrap_err().to_string().contains("SELECT is not a SCHEMA privilege"));
    }
}
