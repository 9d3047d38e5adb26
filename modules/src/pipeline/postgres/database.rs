//! The database itself: create, change owner, drop. Encoding and locale are
//! fixed at creation, so a mismatch is refused, not "fixed" by recreating.

use postgres::Client;

use super::connect::pg_error;
use super::quote::{ident, literal};
use super::step::{Step, Target};
use crate::error::ModuleError;

/// What the catalog says about an existing database.
#[derive(Debug, Clone, PartialEq)]
pub struct DbState {
    pub owner: String,
    pub encoding: String,
    pub lc_collate: String,
    pub lc_ctype: String,
}

impl DbState {
    fn line(&self, name: &str) -> String {
        format!(
            "database {name}: owner={} encoding={} lc_collate={} lc_ctype={}",
            self.owner, self.encoding, self.lc_collate, self.lc_ctype
        )
    }
}

/// The wanted database.
#[derive(Debug, Clone, Default)]
pub struct WantedDb {
    pub name: String,
    pub owner: Option<String>,
    pub encoding: Option<String>,
    pub lc_collate: Option<String>,
    pub lc_ctype: Option<String>,
    pub template: Option<String>,
    pub present: bool,
}

pub fn query(client: &mut Client, name: &str) -> Result<Option<DbState>, ModuleError> {
    let rows = client
        .query(
            "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datcollate::text, datctype::text \
             FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(|e| pg_error(&format!("reading database {name}"), &e))?;
    Ok(rows.first().map(|r| DbState { owner: r.get(0), encoding: r.get(1), lc_collate: r.get(2), lc_ctype: r.get(3) }))
}

/// `UTF-8`, `utf8` and `UTF8` name the same encoding; `en_US.utf8` and `en_US.UTF-8` the same locale.
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "");
    norm(a) == norm(b)
}

pub fn plan(wanted: &WantedDb, current: Option<&DbState>) -> Result<Vec<Step>, ModuleError> {
    let name = &wanted.name;
    let q = ident(name)?;
    match (wanted.present, current) {
        (false, None) => Ok(vec![]),
        (false, Some(cur)) => {
            Ok(vec![Step::sql(Target::Cluster, format!("DROP DATABASE {q}"), cur.line(name), format!("database {name}: absent"))])
        }
        (true, None) => {
            let mut sql = format!("CREATE DATABASE {q}");
            if let Some(o) = &wanted.owner {
                sql.push_str(&format!(" OWNER {}", ident(o)?));
            }
            if let Some(t) = &wanted.template {
                sql.push_str(&format!(" TEMPLATE {}", ident(t)?));
            }
            if let Some(e) = &wanted.encoding {
                sql.push_str(&format!(" ENCODING {}", literal(e)?));
            }
            if let Some(c) = &wanted.lc_collate {
                sql.push_str(&format!(" LC_COLLATE {}", literal(c)?));
            }
            if let Some(c) = &wanted.lc_ctype {
                sql.push_str(&format!(" LC_CTYPE {}", literal(c)?));
            }
            let after = format!(
                "database {name}: owner={} encoding={} lc_collate={} lc_ctype={}",
                wanted.owner.as_deref().unwrap_or("(login user)"),
                wanted.encoding.as_deref().unwrap_or("(template's)"),
                wanted.lc_collate.as_deref().unwrap_or("(template's)"),
                wanted.lc_ctype.as_deref().unwrap_or("(template's)")
            );
            Ok(vec![Step::sql(Target::Cluster, sql, format!("database {name}: absent"), after)])
        }
        (true, Some(cur)) => {
            let fixed = [
                ("encoding", &wanted.encoding, &cur.encoding),
                ("lc_collate", &wanted.lc_collate, &cur.lc_collate),
                ("lc_ctype", &wanted.lc_ctype, &cur.lc_ctype),
            ];
            for (what, want, have) in fixed {
                if let Some(w) = want {
                    if !same(w, have) {
                        return Err(ModuleError::Failed(format!(
                            "database {name} exists with {what} {have}, wanted {w}: {what} cannot be changed after creation (dump, drop and recreate the database yourself)"
                        )));
                    }
                }
            }
            match &wanted.owner {
                Some(o) if o != &cur.owner => {
                    let after = DbState { owner: o.clone(), ..cur.clone() }.line(name);
                    Ok(vec![Step::sql(Target::Cluster, format!("ALTER DATABASE {q} OWNER TO {}", ident(o)?), cur.line(name), after)])
                }
                _ => Ok(vec![]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur() -> DbState {
        DbState { owner: "postgres".into(), encoding: "UTF8".into(), lc_collate: "C.UTF-8".into(), lc_ctype: "C.UTF-8".into() }
    }

    #[test]
    fn create_alter_drop_and_refusal() {
        let w =
            WantedDb { name: "a\"b".into(), owner: Some("o".into()), encoding: Some("UTF8".into()), present: true, ..Default::default() };
        let s = plan(&w, None).unwrap();
        assert_eq!(s[0].shown, "CREATE DATABASE \"a\"\"b\" OWNER \"o\" ENCODING 'UTF8'");
        let s = plan(&w, Some(&cur())).unwrap();
        assert_eq!(s[0].shown, "ALTER DATABASE \"a\"\"b\" OWNER TO \"o\"");
        let w2 = WantedDb { owner: Some("postgres".into()), encoding: Some("utf-8".into()), ..w.clone() };
        assert!(plan(&w2, Some(&cur())).unwrap().is_empty());
        let w3 = WantedDb { encoding: Some("LATIN1".into()), ..w.clone() };
        let e = plan(&w3, Some(&cur())).unwrap_err().to_string();
        assert!(e.contains("encoding UTF8, wanted LATIN1"), "{e}");
        let gone = WantedDb { present: false, ..w };
        assert_eq!(plan(&gone, Some(&cur())).unwrap()[0].shown, "DROP DATABASE \"a\"\"b\"");
        assert!(plan(&gone, None).unwrap().is_empty());
    }
}
