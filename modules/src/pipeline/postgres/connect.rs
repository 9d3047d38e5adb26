//! Connection arguments with community.postgresql's names, and errors that
//! say what the server said.

use std::path::PathBuf;
use std::time::Duration;

use postgres::config::SslMode as PgSslMode;
use postgres::{Client, NoTls};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::ModuleError;

/// libpq's `sslmode` values. `verify-ca` (chain checked, host name not) is
/// refused rather than silently weakened or strengthened: use `verify-full`.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Login {
    /// A host name/address, or a directory holding the server's unix socket (starts with `/`).
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    /// The database to connect to for cluster-wide work.
    pub db: String,
    pub ssl_mode: SslMode,
    /// PEM root certificate(s) for `verify-full`; default: the web PKI roots.
    pub ssl_rootcert: Option<PathBuf>,
}

impl Login {
    /// Open a connection to `dbname` (or [`Login::db`] when `None`).
    pub fn connect(&self, dbname: Option<&str>) -> Result<Client, ModuleError> {
        let mode = match self.ssl_mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Allow | SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require | SslMode::VerifyFull => PgSslMode::Require,
            SslMode::VerifyCa => {
                return Err(ModuleError::BadArgs(
                    "ssl_mode=verify-ca (certificate chain without the host name) is not supported; use verify-full".into(),
                ))
            }
        };
        let db = dbname.unwrap_or(&self.db);
        let mut cfg = postgres::Config::new();
        cfg.host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(db)
            .ssl_mode(mode)
            .application_name("dpctl")
            .connect_timeout(Duration::from_secs(10));
        if let Some(p) = &self.password {
            cfg.password(p);
        }
        let result = match self.ssl_mode {
            SslMode::Disable => cfg.connect(NoTls),
            SslMode::VerifyFull => cfg.connect(super::tls::verify_full(self.ssl_rootcert.as_deref())?),
            _ => cfg.connect(super::tls::encrypt_only()?),
        };
        result.map_err(|e| pg_error(&format!("cannot connect to {}:{} database {db} as {}", self.host, self.port, self.user), &e))
    }
}

/// A module error carrying the server's message (and detail/hint) after `context`.
pub fn pg_error(context: &str, e: &postgres::Error) -> ModuleError {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" (DETAIL: {d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" (HINT: {h})"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    };
    ModuleError::Failed(format!("{context}: {text}"))
}
