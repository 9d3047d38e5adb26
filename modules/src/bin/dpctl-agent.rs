//! `dpctl-agent`: the resident process the executor keeps on each host.
//! Reads one JSON request per line on stdin, answers one JSON reply per line
//! on stdout. A bad request gets an error reply; the agent never exits on one.

use std::io::{self, BufRead, Write};

use modules::protocol::{Hello, Reply, Request, PROTOCOL_VERSION};
use modules::util::command;
use modules::{registry, Context, Side};

fn handle(line: &str) -> Reply {
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
    match command::with_task_env(env, || (spec.run)(&req.args, &ctx)) {
        Ok(outcome) => Reply { id: req.id, failed: false, outcome },
        Err(e) => Reply { id: req.id, failed: true, outcome: e.into_outcome() },
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
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = handle(&line);
        let text = serde_json::to_string(&reply)
            .unwrap_or_else(|e| format!(r#"{{"id":{},"failed":true,"changed":false,"msg":"cannot encode reply: {e}"}}"#, reply.id));
        if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
