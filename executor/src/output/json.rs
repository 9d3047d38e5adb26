//! `--output json`: one JSON object per line (play, task, host result, recap) for CI.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde_json::json;

use super::Output;
use crate::run::result::{HostResult, HostStats};

pub struct JsonOutput<W: Write + Send> {
    out: W,
}

impl<W: Write + Send> JsonOutput<W> {
    pub fn new(out: W) -> Self {
        JsonOutput { out }
    }

    fn emit(&mut self, v: serde_json::Value) {
        let _ = writeln!(self.out, "{v}");
    }
}

impl<W: Write + Send> Output for JsonOutput<W> {
    fn play_start(&mut self, name: &str) {
        self.emit(json!({"event": "play", "name": name}));
    }

    fn task_start(&mut self, name: &str, handler: bool) {
        self.emit(json!({"event": "task", "name": name, "handler": handler}));
    }

    fn host_result(&mut self, r: &HostResult) {
        let result = if r.no_log { super::censored(r) } else { serde_json::Value::Object(r.result.clone()) };
        self.emit(json!({
            "event": "result",
            "host": r.host,
            "delegated_to": r.delegated,
            "status": r.status,
            "ignored": r.ignored,
            "rescued": r.rescued,
            "duration_ms": r.duration.as_secs_f64() * 1000.0,
            "result": result,
        }));
    }

    fn warning(&mut self, msg: &str) {
        self.emit(json!({"event": "warning", "msg": msg}));
    }

    fn recap(&mut self, stats: &BTreeMap<String, HostStats>, elapsed: Duration) {
        self.emit(json!({"event": "recap", "hosts": stats, "elapsed_s": elapsed.as_secs_f64()}));
        let _ = self.out.flush();
    }
}
