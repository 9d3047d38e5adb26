//! `fail`: stop the host with a message.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Fail the host with a custom message.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fail {
    /// The message shown (default `Failed as requested from task`).
    pub msg: Option<Value>,
}

super::controller_module!(Fail, "fail");
