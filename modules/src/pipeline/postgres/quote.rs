//! Quoting for the few places SQL cannot take parameters (utility statements
//! such as `CREATE DATABASE` or `GRANT`), with PostgreSQL's own rules, so user
//! input never changes a statement's structure.

use crate::error::ModuleError;

fn no_nul(s: &str) -> Result<(), ModuleError> {
    if s.contains('\0') {
        return Err(ModuleError::BadArgs(format!("{s:?} contains a NUL character")));
    }
    Ok(())
}

/// `quote_ident`: always double-quoted, embedded `"` doubled.
pub fn ident(s: &str) -> Result<String, ModuleError> {
    no_nul(s)?;
    if s.is_empty() {
        return Err(ModuleError::BadArgs("an empty name is not a valid identifier".into()));
    }
    Ok(format!("\"{}\"", s.replace('"', "\"\"")))
}

/// `quote_literal`: single quotes doubled; with backslashes, the `E''` form
/// and doubled backslashes, which is right whatever `standard_conforming_strings` says.
pub fn literal(s: &str) -> Result<String, ModuleError> {
    no_nul(s)?;
    let body = s.replace('\'', "''");
    Ok(if body.contains('\\') { format!("E'{}'", body.replace('\\', "\\\\")) } else { format!("'{body}'") })
}

/// A role name in GRANT/REVOKE: `PUBLIC` is the keyword, anything else an identifier.
pub fn grantee(role: &str) -> Result<String, ModuleError> {
    if role.eq_ignore_ascii_case("public") {
        Ok("PUBLIC".into())
    } else {
        ident(role)
    }
}

/// `schema.name` (or `name` in `default_schema`) as a quoted, qualified name.
pub fn qualified(name: &str, default_schema: &str) -> Result<String, ModuleError> {
    let (schema, rel) = name.split_once('.').unwrap_or((default_schema, name));
    Ok(format!("{}.{}", ident(schema)?, ident(rel)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_cannot_break_out() {
        assert_eq!(ident("analytics").unwrap(), "\"analytics\"");
        assert_eq!(ident("a\"; DROP TABLE x; --").unwrap(), "\"a\"\"; DROP TABLE x; --\"");
        assert_eq!(literal("it's").unwrap(), "'it''s'");
        assert_eq!(literal("a\\'b").unwrap(), "E'a\\\\''b'");
        assert_eq!(qualified("t", "public").unwrap(), "\"public\".\"t\"");
        assert_eq!(qualified("s.t", "public").unwrap(), "\"s\".\"t\"");
        assert_eq!(grantee("public").unwrap(), "PUBLIC");
        assert!(ident("").is_err() && ident("a\0b").is_err() && literal("\0").is_err());
    }
}
