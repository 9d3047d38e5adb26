//! What a run prints: Ansible's text stream, or one JSON event per line.

mod adhoc;
mod diff;
mod json;
mod progress;
mod text;

use std::collections::BTreeMap;
use std::time::Duration;

pub use adhoc::AdHocOutput;
pub use json::JsonOutput;
pub use progress::{Progress, ProgressLine};
pub use text::TextOutput;

use crate::run::result::{HostResult, HostStats};

/// Receives the run's events in order.
pub trait Output: Send {
    fn play_start(&mut self, name: &str);
    fn task_start(&mut self, name: &str, handler: bool);
    fn host_result(&mut self, r: &HostResult);
    fn warning(&mut self, msg: &str);
    /// An `until` loop failed an attempt and will run again.
    fn retrying(&mut self, _host: &str, _task: &str, _retries_left: u64) {}
    fn recap(&mut self, stats: &BTreeMap<String, HostStats>, elapsed: Duration);
}

/// What `no_log: true` shows instead of a result, in Ansible's words.
pub(crate) fn censored(r: &HostResult) -> serde_json::Value {
    censored_result(&r.result)
}

/// The same for one result (a loop item's).
pub(crate) fn censored_result(result: &serde_json::Map<String, serde_json::Value>) -> serde_json::Value {
    let changed = result.get("changed").cloned().unwrap_or(serde_json::Value::Bool(false));
    serde_json::json!({"censored": crate::secrets::NO_LOG_MESSAGE, "changed": changed})
}

/// How much to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    pub verbosity: u8,
    pub diff: bool,
}
