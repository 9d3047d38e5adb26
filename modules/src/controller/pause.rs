//! `pause`: wait some time (prompts are not supported: dpctl runs unattended).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::{boolish, intish};

/// Pause the play for a while.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    /// Seconds to wait (a number, or a number as text: `seconds=5`).
    #[serde(default, deserialize_with = "intish::de_opt")]
    pub seconds: Option<usize>,
    /// Minutes to wait.
    #[serde(default, deserialize_with = "intish::de_opt")]
    pub minutes: Option<usize>,
    /// A prompt; without `seconds`/`minutes` dpctl refuses to wait for input.
    pub prompt: Option<String>,
    /// Accepted for compatibility.
    #[serde(default, deserialize_with = "boolish::de")]
    pub echo: bool,
}

super::controller_module!(Pause, "pause");
