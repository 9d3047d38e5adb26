//! Ansible's `async:` jobs on a host. The agent runs the module on a thread of
//! its own and answers at once; the job's result goes, as Ansible's
//! async_wrapper writes it, to `~/.ansible_async/<jid>`, where the
//! `async_status` module reads it. The agent waits for its jobs before it
//! exits, so a fire-and-forget job (`poll: 0`) outlives the run's channel.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::error::ModuleError;
use crate::module::Outcome;
use crate::protocol::AsyncJob;
use crate::util::fs::write_atomic;

/// Where job results live: Ansible's default `async_dir`.
pub fn job_dir() -> PathBuf {
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".ansible_async"),
        None => std::env::temp_dir().join(".ansible_async"),
    }
}

/// The results file of job `jid`; a jid is a file name of ours, nothing else.
pub fn results_file(jid: &str) -> Result<PathBuf, ModuleError> {
    let valid = !jid.is_empty() && !jid.starts_with('.') && jid.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        return Err(ModuleError::BadArgs(format!("invalid async job id {jid:?}")));
    }
    Ok(job_dir().join(jid))
}

/// A job id as Ansible makes them: `j<random>.<pid>`.
pub fn new_jid() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("j{}{:09}.{}", std::process::id() % 1000, nanos, std::process::id())
}

fn write_status(jid: &str, status: &Map<String, Value>) -> Result<(), ModuleError> {
    let path = results_file(jid)?;
    let dir = job_dir();
    std::fs::create_dir_all(&dir).map_err(|e| ModuleError::io(format!("creating {}", dir.display()), e))?;
    let text = serde_json::to_vec(status).map_err(|e| ModuleError::Failed(format!("cannot encode the job status: {e}")))?;
    write_atomic(&path, &text, Some(0o600))
}

fn base(jid: &str, finished: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ansible_job_id".into(), jid.into());
    m.insert("started".into(), 1.into());
    m.insert("finished".into(), u8::from(finished).into());
    m
}

/// Starts `run` as job `job` and returns what the task reports at once
/// (`started`, `finished: 0`, `ansible_job_id`, `results_file`) and the
/// job's thread. `run` gives the module's result: failed or not, and its outcome.
pub fn start(job: &AsyncJob, run: impl FnOnce() -> (bool, Outcome) + Send + 'static) -> Result<(Outcome, JoinHandle<()>), ModuleError> {
    let jid = job.jid.clone();
    let path = results_file(&jid)?;
    write_status(&jid, &base(&jid, false))?;
    let deadline = Instant::now() + Duration::from_secs(job.timeout);
    let thread_jid = jid.clone();
    let handle = std::thread::Builder::new()
        .name(format!("async-{jid}"))
        .spawn(move || {
            let (failed, outcome) = crate::util::command::with_deadline(deadline, run);
            let mut status = base(&thread_jid, true);
            if Instant::now() >= deadline {
                status.insert("failed".into(), true.into());
                // async_wrapper's words when it kills a job.
                status.insert("msg".into(), "Timeout exceeded".into());
            } else {
                if let Ok(Value::Object(m)) = serde_json::to_value(&outcome) {
                    status.extend(m);
                }
                if failed {
                    status.insert("failed".into(), true.into());
                }
            }
            // Nobody is left to tell if this fails; the status stays "running" and async_status times out.
            let _ = write_status(&thread_jid, &status);
        })
        .map_err(|e| ModuleError::io("starting the async job's thread", e))?;
    let reply = Outcome::changed(true)
        .with("ansible_job_id", jid.as_str())
        .with("started", 1)
        .with("finished", 0)
        .with("results_file", path.display().to_string());
    Ok((reply, handle))
}
