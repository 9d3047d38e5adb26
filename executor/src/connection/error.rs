//! What can go wrong between the executor and an agent, and where.

use std::path::PathBuf;

/// A connection or agent failure. `Display` names the host (and file, user,
/// line) so the message can be shown to the user as is.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The host could not be reached, or the connection to it broke.
    #[error("{host}: unreachable: {message}")]
    Unreachable { host: String, message: String },
    /// The host's key is unknown, changed, or revoked.
    #[error("{host}: host key verification failed: {message}")]
    HostKey { host: String, message: String },
    /// The SSH server refused every credential we had.
    #[error("{host}: authentication as '{user}' failed: {message}")]
    Auth { host: String, user: String, message: String },
    /// Becoming another user (sudo) failed.
    #[error("{host}: become '{user}' failed: {message}")]
    Become { host: String, user: String, message: String },
    /// The agent could not be installed or started, died, or spoke another protocol.
    #[error("{host}: agent: {message}")]
    Agent { host: String, message: String },
    /// The host has no intact cached agent yet (internal: the pool uploads it).
    #[error("the cached agent is missing or changed")]
    AgentMissing,
    /// The local `dpctl-agent` binary could not be found or read.
    #[error("dpctl-agent binary: {message}")]
    AgentBinary { path: Option<PathBuf>, message: String },
    /// A connection variable (`ansible_port`, `ansible_ssh_common_args`, …) is wrong.
    #[error("{host}: {message}")]
    Config { host: String, message: String },
}

impl ConnError {
    /// Whether Ansible would report the host as UNREACHABLE (rather than
    /// FAILED): lost or refused connections, host key and login failures.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ConnError::Unreachable { .. } | ConnError::HostKey { .. } | ConnError::Auth { .. })
    }

    /// The text of a task result's `msg`: an unreachable host's reason as
    /// Ansible words it (the recap names the host already), else the whole error.
    pub fn result_message(&self) -> String {
        match self {
            ConnError::Unreachable { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    pub(crate) fn unreachable(host: &str, message: impl Into<String>) -> Self {
        ConnError::Unreachable { host: host.to_string(), message: message.into() }
    }

    pub(crate) fn agent(host: &str, message: impl Into<String>) -> Self {
        ConnError::Agent { host: host.to_string(), message: message.into() }
    }

    pub(crate) fn config(host: &str, message: impl Into<String>) -> Self {
        ConnError::Config { host: host.to_string(), message: message.into() }
    }
}
