//! `secor_conf`: the property files of Secor consumer processes, rendered
//! from typed arguments, validated (including unique ostrich ports per
//! host), and written atomically, each file reported and diffed on its own.
//!
//! Two forms: one process (the process's fields at the top level, plus
//! `taken_ports` for ports other processes on the host use), or
//! `processes: [ … ]` for every process of a host at once, which is what
//! makes the port check complete.
//!
//! ```no_run
//! use modules::secor_conf::SecorConf;
//! use modules::{Context, Module};
//!
//! let task: SecorConf = serde_json::from_value(serde_json::json!({
//!     "name": "raw-telemetry-backup", "dest": "/mount/raw-telemetry-backup",
//!     "topic_filter": "dev.telemetry.raw", "kafka_seed_broker": "10.0.0.5:9092",
//!     "zookeeper_quorum": "10.0.0.6:2181", "timestamp_field": "syncts",
//!     "max_file_age_seconds": 14400, "ostrich_port": 9994,
//!     "upload": {"backend": "azure", "container": "telemetry-data-store", "path": "raw",
//!                "account_name": "devstore", "account_key": "…"},
//! }))?;
//! let outcome = task.run(&Context { check_mode: true, diff: true })?;
//! println!("would change: {}", outcome.changed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::secor::process::{validate_host, SecorProcess};
use super::secor::render::render;
use crate::module::Diff;
use crate::util::fs::{read_if_exists, write_atomic};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Every Secor process of one host.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecorHost {
    pub processes: Vec<SecorProcess>,
    /// Ostrich ports used on this host by processes not listed here.
    #[serde(default)]
    pub taken_ports: Vec<u16>,
}

/// Render Secor property files: one process, or all of a host's (`processes`).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum SecorConf {
    Host(SecorHost),
    One(Box<SecorProcess>),
}

// By hand rather than `untagged`, so a mistake in either form gets that form's precise error.
impl<'de> Deserialize<'de> for SecorConf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Map::<String, Value>::deserialize(d)?;
        let err = serde::de::Error::custom;
        if v.contains_key("processes") {
            serde_json::from_value(Value::Object(v)).map(SecorConf::Host).map_err(err)
        } else {
            serde_json::from_value(Value::Object(v)).map(|p| SecorConf::One(Box::new(p))).map_err(err)
        }
    }
}

impl SecorConf {
    /// Every file this task writes, as (full path, content), validated as a
    /// whole (ports unique across the host) — what `dpctl render` snapshots.
    pub fn files(&self) -> Result<Vec<(std::path::PathBuf, String)>, ModuleError> {
        let (procs, taken) = self.processes();
        let owned: Vec<SecorProcess> = procs.iter().map(|p| (*p).clone()).collect();
        validate_host(&owned, &taken)?;
        let mut out = Vec::new();
        for p in &owned {
            let dest = p.dest();
            for (name, content) in render(p)? {
                out.push((dest.join(name), content));
            }
        }
        Ok(out)
    }
}

/// What happened to one file.
struct FileResult {
    path: String,
    changed: bool,
    before: Option<String>,
    after: String,
}

fn sync_file(path: &Path, content: &str, mode: Option<u32>, check: bool) -> Result<FileResult, ModuleError> {
    let before = read_if_exists(path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let current_mode = std::fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777);
    let content_changed = before.as_deref() != Some(content);
    let mode_changed = before.is_some() && mode.is_some_and(|m| Some(m) != current_mode);
    let changed = content_changed || mode_changed;
    if changed && !check {
        write_atomic(path, content.as_bytes(), mode)?;
    }
    Ok(FileResult { path: path.display().to_string(), changed, before, after: content.to_string() })
}

impl SecorConf {
    fn processes(&self) -> (Vec<&SecorProcess>, Vec<u16>) {
        match self {
            SecorConf::Host(h) => (h.processes.iter().collect(), h.taken_ports.clone()),
            SecorConf::One(p) => (vec![p.as_ref()], vec![]),
        }
    }
}

impl Module for SecorConf {
    const NAME: &'static str = "secor_conf";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let (procs, taken) = self.processes();
        let owned: Vec<SecorProcess> = procs.iter().map(|p| (*p).clone()).collect();
        validate_host(&owned, &taken)?;
        // Render everything before writing anything: a bad process stops the whole task.
        let rendered = owned.iter().map(|p| render(p).map(|files| (p, files))).collect::<Result<Vec<_>, _>>()?;

        let mut out = Outcome::default();
        let mut report = vec![];
        for (p, files) in rendered {
            let dest = p.dest();
            if !ctx.check_mode && !dest.is_dir() {
                std::fs::create_dir_all(&dest).map_err(|e| ModuleError::io(format!("creating {}", dest.display()), e))?;
            }
            let mut per_file = Map::new();
            for (name, content) in files {
                let r = sync_file(&dest.join(&name), &content, p.mode, ctx.check_mode)?;
                per_file.insert(name, Value::Bool(r.changed));
                if r.changed {
                    out.changed = true;
                    if ctx.diff {
                        out.diff.push(Diff {
                            before_header: Some(r.path.clone()),
                            after_header: Some(r.path.clone()),
                            before: r.before.unwrap_or_default(),
                            after: r.after,
                        });
                    }
                }
            }
            let changed = per_file.values().any(|v| v == &Value::Bool(true));
            report.push(serde_json::json!({"name": p.name, "dest": dest.display().to_string(), "changed": changed, "files": per_file}));
        }
        let n_changed = report.iter().filter(|r| r["changed"] == Value::Bool(true)).count();
        out.msg =
            Some(format!("{n_changed} of {} Secor process(es) {}", report.len(), if ctx.check_mode { "would change" } else { "changed" }));
        Ok(out.with("processes", report))
    }
}

register_module!(SecorConf);
