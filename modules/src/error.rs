//! The error a module returns: what went wrong, said so a user can act on it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModuleError {
    /// The arguments do not describe a valid request (bad combination, bad value).
    #[error("{0}")]
    BadArgs(String),
    /// An I/O operation failed; `what` names the path or resource.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The module ran but the work failed (non-zero exit, refused change, …).
    #[error("{0}")]
    Failed(String),
}

impl ModuleError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ModuleError::Io { what: what.into(), source }
    }
}
