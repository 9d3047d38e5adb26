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
    /// The module ran and failed, but has return values to report with the
    /// failure (a command's `rc`/`stdout`, a request's `status`, …).
    #[error("{}", .0.msg.as_deref().unwrap_or("module failed"))]
    FailedWith(Box<crate::module::Outcome>),
}

impl ModuleError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ModuleError::Io { what: what.into(), source }
    }

    /// A failure that carries the module's return values; `msg` is set on the outcome.
    pub fn failed_with(outcome: crate::module::Outcome, msg: impl Into<String>) -> Self {
        ModuleError::FailedWith(Box::new(outcome.with_msg(msg)))
    }

    /// The failed result as the registered variable shows it: the return values
    /// (if any) with `msg` set.
    pub fn into_outcome(self) -> crate::module::Outcome {
        match self {
            ModuleError::FailedWith(outcome) => *outcome,
            other => crate::module::Outcome::default().with_msg(other.to_string()),
        }
    }
}
