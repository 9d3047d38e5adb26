//! `async_status`: the state of a job started with `async:` (see `crate::async_job`).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::async_job::results_file;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Obtain the status of an asynchronous task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsyncStatus {
    /// Job or task identifier (the `ansible_job_id` an `async:` task returned).
    #[serde(alias = "id")]
    pub jid: String,
    /// `status` reports the job; `cleanup` removes its results file.
    #[serde(default)]
    pub mode: StatusMode,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusMode {
    #[default]
    Status,
    Cleanup,
}

impl Module for AsyncStatus {
    const NAME: &'static str = "async_status";
    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        let path = results_file(&self.jid)?;
        let base = Outcome::changed(false).with("ansible_job_id", self.jid.as_str()).with("results_file", path.display().to_string());
        if self.mode == StatusMode::Cleanup {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ModuleError::io(format!("removing {}", path.display()), e)),
            }
            return Ok(base.with("erased", path.display().to_string()));
        }
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ModuleError::failed_with(base.with("started", 1).with("finished", 1), "could not find job"));
            }
            Err(e) => return Err(ModuleError::io(format!("reading {}", path.display()), e)),
        };
        let Ok(Value::Object(status)) = serde_json::from_slice::<Value>(&text) else {
            // Written atomically, so a bad file is not a half-written one: report it.
            return Err(ModuleError::failed_with(base, format!("{} does not hold a job status", path.display())));
        };
        let mut out = base;
        for (k, v) in status {
            match k.as_str() {
                "changed" => out.changed = v.as_bool().unwrap_or(false),
                "msg" => out.msg = v.as_str().map(str::to_string),
                _ => {
                    out.values.insert(k, v);
                }
            }
        }
        if out.values.remove("failed").is_some_and(|f| f.as_bool() == Some(true) || f.as_i64() == Some(1)) {
            let msg = out.msg.clone().unwrap_or_else(|| "the async job failed".into());
            return Err(ModuleError::failed_with(out, msg));
        }
        Ok(out)
    }
}

register_module!(AsyncStatus);
