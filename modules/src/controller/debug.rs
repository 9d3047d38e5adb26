//! `debug`: print a message or a variable.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::util::intish;

/// Print a message or the value of a variable.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Debug {
    /// The message to print (default `Hello world!`).
    pub msg: Option<Value>,
    /// A variable name (or expression) whose value to print; exclusive with `msg`.
    pub var: Option<String>,
    /// Print only at this verbosity (`-v` count) or higher.
    #[serde(default, deserialize_with = "intish::de")]
    pub verbosity: u64,
}

super::controller_module!(Debug, "debug");
