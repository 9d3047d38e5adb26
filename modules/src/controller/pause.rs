//! `pause`: wait some time (prompts are not supported: dpctl runs unattended).

use schemars::JsonSchema;
use serde::Deserialize;

/// Pause the play for a while.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pause {
    /// Seconds to wait.
    pub seconds: Option<u64>,
    /// Minutes to wait.
    pub minutes: Option<u64>,
    /// A prompt; without `seconds`/`minutes` dpctl refuses to wait for input.
    pub prompt: Option<String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub echo: bool,
}

super::controller_module!(Pause, "pause");
