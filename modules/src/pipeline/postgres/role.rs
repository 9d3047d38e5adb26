//! Roles and users: create, alter attributes, set a SCRAM-SHA-256 password,
//! drop. Only the attributes a user names are managed.

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;

use super::connect::pg_error;
use super::quote::{ident, literal};
use super::scram;
use super::step::{Action, Step, Target};
use crate::error::ModuleError;
use crate::pipeline::lenient;
pub use crate::pipeline::state::Presence;

/// One role (a user when it can log in).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub name: String,
    /// Stored as a SCRAM-SHA-256 verifier computed here; the password itself is never sent.
    #[serde(default)]
    pub password: Option<String>,
    /// Defaults to true when the role is created.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schemars(with = "Option<bool>")]
    pub login: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schemars(with = "Option<bool>")]
    pub superuser: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schemars(with = "Option<bool>")]
    pub createdb: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schemars(with = "Option<bool>")]
    pub createrole: Option<bool>,
    #[serde(default)]
    pub state: Presence,
}

/// A role as the catalog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleState {
    pub login: bool,
    pub superuser: bool,
    pub createdb: bool,
    pub createrole: bool,
    /// `None` when the login user may not read `pg_authid` (not a superuser).
    pub password: Option<Option<String>>,
}

pub fn query(client: &mut Client, name: &str) -> Result<Option<RoleState>, ModuleError> {
    let rows = client
        .query("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1", &[&name])
        .map_err(|e| pg_error(&format!("reading role {name}"), &e))?;
    let Some(r) = rows.first() else { return Ok(None) };
    // pg_authid is readable by superusers only; without it a password cannot be compared.
    let password =
        client.query_opt("SELECT rolpassword FROM pg_authid WHERE rolname = $1", &[&name]).ok().map(|row| row.and_then(|r| r.get(0)));
    Ok(Some(RoleState { login: r.get(0), superuser: r.get(1), createdb: r.get(2), createrole: r.get(3), password }))
}

fn flag(on: bool, word: &str) -> String {
    if on {
        word.to_string()
    } else {
        format!("NO{word}")
    }
}

fn line(name: &str, s: &RoleState) -> String {
    format!(
        "role {name}: {} {} {} {}",
        flag(s.login, "LOGIN"),
        flag(s.superuser, "SUPERUSER"),
        flag(s.createdb, "CREATEDB"),
        flag(s.createrole, "CREATEROLE")
    )
}

pub fn plan(u: &UserSpec, current: Option<&RoleState>) -> Result<Vec<Step>, ModuleError> {
    let q = ident(&u.name)?;
    let absent = format!("role {}: absent", u.name);
    match (u.state, current) {
        (Presence::Absent, None) => Ok(vec![]),
        (Presence::Absent, Some(cur)) => Ok(vec![Step::sql(Target::Cluster, format!("DROP ROLE {q}"), line(&u.name, cur), absent)]),
        (Presence::Present, cur) => {
            let base = cur.cloned().unwrap_or(RoleState {
                login: true,
                superuser: false,
                createdb: false,
                createrole: false,
                password: Some(None),
            });
            let want = RoleState {
                login: u.login.unwrap_or(base.login),
                superuser: u.superuser.unwrap_or(base.superuser),
                createdb: u.createdb.unwrap_or(base.createdb),
                createrole: u.createrole.unwrap_or(base.createrole),
                password: None,
            };
            let mut attrs = vec![];
            for (w, h, word) in [
                (want.login, base.login, "LOGIN"),
                (want.superuser, base.superuser, "SUPERUSER"),
                (want.createdb, base.createdb, "CREATEDB"),
                (want.createrole, base.createrole, "CREATEROLE"),
            ] {
                if cur.is_none() || w != h {
                    attrs.push(flag(w, word));
                }
            }
            let password_change = match (&u.password, cur.map(|c| &c.password)) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(_), Some(None)) => true, // unreadable: cannot prove it matches
                (Some(p), Some(Some(stored))) => !stored.as_deref().is_some_and(|s| scram::verifies(s, &u.name, p)),
            };
            if cur.is_some() && attrs.is_empty() && !password_change {
                return Ok(vec![]);
            }
            let verb = if cur.is_some() { "ALTER" } else { "CREATE" };
            let mut sql = format!("{verb} ROLE {q}");
            if !attrs.is_empty() {
                sql.push_str(&format!(" WITH {}", attrs.join(" ")));
            }
            let mut shown = sql.clone();
            if let (true, Some(p)) = (password_change, &u.password) {
                sql.push_str(&format!(" PASSWORD {}", literal(&scram::verifier(p))?));
                shown.push_str(" PASSWORD '********'");
            }
            let before = cur.map(|c| line(&u.name, c)).unwrap_or(absent);
            let mut after = line(&u.name, &want);
            if password_change {
                after.push_str(" (password set)");
            }
            Ok(vec![Step { target: Target::Cluster, action: Action::Sql(sql), shown, before, after }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(v: serde_json::Value) -> UserSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn create_alter_and_password_redaction() {
        let u = user(serde_json::json!({"name": "analytics", "password": "pw", "createdb": "yes"}));
        let s = plan(&u, None).unwrap();
        assert_eq!(s[0].shown, "CREATE ROLE \"analytics\" WITH LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD '********'");
        assert!(matches!(&s[0].action, Action::Sql(sql) if sql.contains("SCRAM-SHA-256$4096:") && !sql.contains("'pw'")));

        let stored = scram::verifier("pw");
        let cur = RoleState { login: true, superuser: false, createdb: true, createrole: false, password: Some(Some(stored)) };
        assert!(plan(&u, Some(&cur)).unwrap().is_empty(), "same attributes and password: nothing to do");
        let u2 = user(serde_json::json!({"name": "analytics", "password": "new"}));
        assert_eq!(plan(&u2, Some(&cur)).unwrap()[0].shown, "ALTER ROLE \"analytics\" PASSWORD '********'");
        let gone = user(serde_json::json!({"name": "analytics", "state": "absent"}));
        assert_eq!(plan(&gone, Some(&cur)).unwrap()[0].shown, "DROP ROLE \"analytics\"");
    }
}
