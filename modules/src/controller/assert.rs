//! `assert`: check conditions and fail with a clear message.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::util::boolish;

/// Assert that expressions hold; fail the host with `fail_msg` otherwise.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assert {
    /// One expression or a list of them (bare Jinja expressions, as in `when`).
    pub that: Value,
    /// The message when an assertion fails.
    #[serde(alias = "msg")]
    pub fail_msg: Option<Value>,
    /// The message when all assertions hold.
    pub success_msg: Option<Value>,
    /// Print less on success.
    #[serde(default, deserialize_with = "boolish::de")]
    pub quiet: bool,
}

super::controller_module!(Assert, "assert");
