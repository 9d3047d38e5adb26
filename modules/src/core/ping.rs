//! `ping`: proves the agent runs on the host and answers.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Try to connect to the host and return `pong` on success.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ping {
    /// The value to answer with; `crash` makes the module fail, as in Ansible.
    #[serde(default = "pong")]
    pub data: String,
}

fn pong() -> String {
    "pong".into()
}

impl Module for Ping {
    const NAME: &'static str = "ping";
    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.data == "crash" {
            return Err(ModuleError::Failed("boom".into()));
        }
        Ok(Outcome::changed(false).with("ping", self.data.clone()))
    }
}

register_module!(Ping);
