//! `set_fact`: set host variables (above everything but role params and extra vars).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::util::boolish;

/// Set variables for the current host. Every key is a variable name.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SetFact {
    /// Accepted for compatibility: dpctl has no fact cache, so this changes nothing.
    #[serde(default, deserialize_with = "boolish::de")]
    pub cacheable: bool,
    /// The variables to set.
    #[serde(flatten)]
    pub facts: Map<String, Value>,
}

super::controller_module!(SetFact, "set_fact");
