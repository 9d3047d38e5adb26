//! `dpctl-agent`: the resident process the executor keeps on each host.
//! Reads one JSON request per line on stdin, answers one JSON reply per line
//! on stdout. A bad request gets an error reply; the agent never exits on one.

use std::io::{self, BufRead, Write};

use modules::protocol::{Hello, Reply, Request, PROTOCOL_VERSION};
use modules::util::command;
use modules::{registry, Context, Side};

/// Background `async:` jobs, waited for before the agent exits.
type Jobs = Vec<std::thread::JoinHandle<()>>;

fn handle(line: &str, jobs: &mut Jobs) -> Reply {
    let req: Request = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return Reply::failure(0, format!("malformed request: {e}")),
    };
    let Some(spec) = registry::lookup(&req.module) else {
        return Reply::failure(req.id, format!("unknown module '{}'", req.module));
    };
    if spec.side != Side::Remote {
        return Reply::failure(req.id, format!("module '{}' runs in the executor, not on a host", spec.name));
    }
    let ctx = Context { check_mode: req.check, diff: req.diff };
    let env: Vec<(String, String)> = req
        .environment
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect();
    let run = spec.run;
    let args = req.args;
    let work = move || match command::with_task_env(env, || run(&args, &ctx)) {
        Ok(outcome) => (false, outcome),
        Err(e) => (true, e.into_outcome()),
    };
    match &req.async_job {
        Some(job) => match modules::async_job::start(job, work) {
            Ok((outcome, thread)) => {
                jobs.push(thread);
                Reply { id: req.id, failed: false, outcome }
            }
            Err(e) => Reply { id: req.id, failed: true, outcome: e.into_outcome() },
        },
        None => {
            let (failed, outcome) = work();
            Reply { id: req.id, failed, outcome }
        }
    }
}

fn main() {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let hello = Hello { agent: env!("CARGO_PKG_VERSION").into(), protocol: PROTOCOL_VERSION, pid: std::process::id() };
    if writeln!(out, "{}", serde_json::to_string(&hello).unwrap_or_default()).and_then(|_| out.flush()).is_err() {
        return;
    }
    let mut jobs = Jobs::new();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = handle(&line, &mut jobs);
        let text = serde_json::to_string(&reply)
            .unwrap_or_else(|e| format!(r#"{{"id":{},"failed":true,"changed":false,"msg":"cannot encode reply: {e}"}}"#, reply.id));
        if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
    for job in jobs {
        let _ = job.join();
    }
}
