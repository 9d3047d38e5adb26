//! Ad hoc output, as `ansible -m` prints it: `host | CHANGED => {…}` (JSON
//! sorted, indented by four), and for command, shell and raw the
//! `host | CHANGED | rc=0 >>` form followed by the output.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use super::text::{pretty_sorted, shown_result};
use super::Output;
use crate::run::result::{HostResult, HostStats, Status};

pub struct AdHocOutput<W: Write + Send> {
    out: W,
    /// command, shell or raw: results shown as their output, not as JSON.
    plain_output: bool,
}

impl<W: Write + Send> AdHocOutput<W> {
    pub fn new(out: W, module: &str) -> Self {
        let plain_output = matches!(modules::registry::canonical_name(module), "command" | "shell" | "raw");
        AdHocOutput { out, plain_output }
    }
}

impl<W: Write + Send> Output for AdHocOutput<W> {
    fn play_start(&mut self, _name: &str) {}
    fn task_start(&mut self, _name: &str, _handler: bool) {}

    fn host_result(&mut self, r: &HostResult) {
        let text = |k: &str| r.result.get(k).and_then(Value::as_str).unwrap_or("");
        if self.plain_output && !r.no_log && matches!(r.status, Status::Ok | Status::Changed | Status::Failed) {
            let word = match r.status {
                Status::Changed => "CHANGED",
                Status::Failed => "FAILED",
                _ => "SUCCESS",
            };
            let rc = r.result.get("rc").and_then(Value::as_i64).unwrap_or(-1);
            // Ansible's `_command_generic_msg`: stdout, stderr and msg, one after the other.
            let _ = writeln!(self.out, "{} | {word} | rc={rc} >>\n{}{}{}", r.host, text("stdout"), text("stderr"), text("msg"));
            return;
        }
        let word = match r.status {
            Status::Ok => "SUCCESS",
            Status::Changed => "CHANGED",
            Status::Failed => "FAILED!",
            Status::Skipped => "SKIPPED",
            Status::Unreachable => "UNREACHABLE!",
        };
        let body = match (&r.shown, r.no_log) {
            (_, true) => pretty_sorted(&super::censored(r)),
            (Some(debug_view), false) => pretty_sorted(debug_view),
            (None, false) => pretty_sorted(&shown_result(&r.result)),
        };
        let _ = writeln!(self.out, "{} | {word} => {body}", r.host);
    }

    fn warning(&mut self, msg: &str) {
        let _ = writeln!(self.out, "[WARNING]: {msg}");
    }

    fn recap(&mut self, _stats: &BTreeMap<String, HostStats>, _elapsed: Duration) {
        let _ = self.out.flush();
    }
}
