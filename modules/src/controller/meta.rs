//! `meta`: executor actions such as `flush_handlers`.

use schemars::JsonSchema;
use serde::Deserialize;

/// The action to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetaAction {
    /// Run the handlers notified so far, now.
    FlushHandlers,
    /// End the play for every host.
    EndPlay,
    /// End the play for the current host.
    EndHost,
    /// End the current batch (with `serial`).
    EndBatch,
    /// Forget notified handlers.
    ClearHostErrors,
    /// Do nothing.
    Noop,
    /// Reset the connection to the host (the agent is restarted).
    ResetConnection,
    /// Re-read the inventory (accepted, no effect: dpctl's inventory is read once).
    RefreshInventory,
    /// Drop facts (dpctl keeps none between runs).
    ClearFacts,
}

/// Influence the executor: `meta: flush_handlers`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The action (written as `meta: flush_handlers`).
    #[serde(rename = "_raw_params")]
    pub action: MetaAction,
}

super::controller_module!(Meta, "meta");
