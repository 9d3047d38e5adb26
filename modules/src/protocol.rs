//! The wire protocol between the executor and `dpctl-agent`: one JSON object
//! per line in each direction, over the agent's stdin/stdout.
//!
//! The first line the agent writes is a [`Hello`] naming the protocol version;
//! the executor refuses an agent that speaks another one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::module::Outcome;

/// Bumped whenever a request or reply changes shape.
pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hello {
    pub agent: String,
    pub protocol: u32,
    pub pid: u32,
}

/// One task for one host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Correlates the reply with the request.
    pub id: u64,
    pub module: String,
    #[serde(default)]
    pub args: Value,
    #[serde(default)]
    pub check: bool,
    #[serde(default)]
    pub diff: bool,
    /// Extra environment for commands the module runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<serde_json::Map<String, Value>>,
    /// Run as an `async:` job: answer at once, leave the result for `async_status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_job: Option<AsyncJob>,
    /// The protocol the sender speaks; the agent refuses a request for another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
}

impl Request {
    /// A request for `module` with `args`, in this protocol: not in check or
    /// diff mode, no task environment, not an async job.
    pub fn new(id: u64, module: impl Into<String>, args: Value) -> Request {
        Request {
            id,
            module: module.into(),
            args,
            check: false,
            diff: false,
            environment: None,
            async_job: None,
            protocol: Some(PROTOCOL_VERSION),
        }
    }
}

/// Ansible's `async:` for one request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AsyncJob {
    /// The job id (`ansible_job_id`), chosen by the executor.
    pub jid: String,
    /// Seconds the job may run (`async:`).
    pub timeout: u64,
}

/// The agent's answer to one [`Request`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reply {
    pub id: u64,
    #[serde(default)]
    pub failed: bool,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Reply {
    pub fn failure(id: u64, msg: impl Into<String>) -> Self {
        Reply { id, failed: true, outcome: Outcome::default().with_msg(msg) }
    }
}
