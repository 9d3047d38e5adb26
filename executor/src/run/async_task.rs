//! `async:`/`poll:` on a host task. The agent starts the module as a job and
//! answers at once; with `poll: 0` that answer is the task's result (fire and
//! forget, checked later with `async_status`), otherwise the executor asks
//! `async_status` every `poll` seconds until the job has finished, then
//! removes its results file, as Ansible does.

use std::time::Duration;

use modules::protocol::{AsyncJob, Reply, Request};
use serde_json::{json, Value};

use crate::connection::{ConnError, ConnParams, Pool};

/// A task's `async` (seconds the job may run) and `poll` (seconds between checks; 0 = do not wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncSpec {
    pub timeout: u64,
    pub poll: u64,
}

/// Ansible's default `poll` interval.
const DEFAULT_POLL: u64 = 15;

impl AsyncSpec {
    /// From the task's templated `async`/`poll` values; `None` when the task is not async.
    pub fn from_values(async_: Option<&Value>, poll: Option<&Value>) -> Result<Option<AsyncSpec>, String> {
        let Some(timeout) = async_.map(|v| seconds("async", v)).transpose()? else { return Ok(None) };
        if timeout == 0 {
            return Ok(None);
        }
        let poll = poll.map(|v| seconds("poll", v)).transpose()?.unwrap_or(DEFAULT_POLL);
        Ok(Some(AsyncSpec { timeout, poll }))
    }
}

fn seconds(key: &str, v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("the task's `{key}` must be a whole number of seconds, got {v}"))
}

/// Runs `req` as an async job on the host and returns the task's reply.
pub async fn run(
    pool: &Pool,
    params: &ConnParams,
    become_user: Option<&str>,
    mut req: Request,
    spec: AsyncSpec,
) -> Result<Reply, ConnError> {
    let jid = modules::async_job::new_jid();
    req.async_job = Some(AsyncJob { jid: jid.clone(), timeout: spec.timeout });
    let started = pool.call(params, become_user, req).await?;
    if spec.poll == 0 || started.failed {
        return Ok(started);
    }
    let status = |mode: &str| Request::new(0, "async_status", json!({ "jid": jid, "mode": mode }));
    // Ansible's loop: `async` seconds in steps of `poll`, then give up on the job.
    let mut time_left = spec.timeout;
    let mut last = started;
    while time_left > 0 {
        tokio::time::sleep(Duration::from_secs(spec.poll)).await;
        last = pool.call(params, become_user, status("status")).await?;
        if last.outcome.values.get("finished").and_then(Value::as_u64) == Some(1) || last.failed {
            // The results file has served its purpose; a failed cleanup changes nothing about the task.
            let _ = pool.call(params, become_user, status("cleanup")).await;
            return Ok(last);
        }
        time_left = time_left.saturating_sub(spec.poll);
    }
    let async_result = serde_json::to_value(&last.outcome).unwrap_or(Value::Null);
    let outcome = modules::Outcome::changed(false)
        .with_msg(format!("async task did not complete within the requested time - {}s", spec.timeout))
        .with("async_result", async_result);
    Ok(Reply { id: last.id, failed: true, outcome })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_and_poll_values() {
        assert_eq!(AsyncSpec::from_values(None, Some(&json!(0))), Ok(None));
        assert_eq!(AsyncSpec::from_values(Some(&json!(0)), None), Ok(None));
        assert_eq!(AsyncSpec::from_values(Some(&json!(45)), None), Ok(Some(AsyncSpec { timeout: 45, poll: 15 })));
        assert_eq!(AsyncSpec::from_values(Some(&json!("86400")), Some(&json!("0"))), Ok(Some(AsyncSpec { timeout: 86400, poll: 0 })));
        assert!(AsyncSpec::from_values(Some(&json!("soon")), None).unwrap_err().contains("`async`"));
    }
}
