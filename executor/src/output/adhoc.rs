//! Ad hoc output, as `ansible -m`: `host | CHANGED => {…}`.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use super::Output;
use crate::run::result::{HostResult, HostStats, Status};

pub struct AdHocOutput<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> AdHocOutput<W> {
    pub fn new(out: W) -> Self {
        AdHocOutput { out }
    }
}

impl<W: Write + Send> Output for AdHocOutput<W> {
    fn play_start(&mut self, _name: &str) {}
    fn task_start(&mut self, _name: &str, _handler: bool) {}

    fn host_result(&mut self, r: &HostResult) {
        let word = match r.status {
            Status::Ok => "SUCCESS",
            Status::Changed => "CHANGED",
            Status::Failed => "FAILED!",
            Status::Skipped => "SKIPPED",
            Status::Unreachable => "UNREACHABLE!",
        };
        let body = if r.no_log {
            serde_json::to_string_pretty(&super::censored(r)).unwrap_or_default()
        } else {
            serde_json::to_string_pretty(&r.result).unwrap_or_default()
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
