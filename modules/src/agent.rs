//! The agent's side of the protocol ([`crate::protocol`]): read request lines, answer each with
//! one reply line. Whatever a line holds (not JSON, wrong types, an unknown module, another
//! protocol version, far too long), it gets an error reply and the agent keeps serving.

use std::io::{self, BufRead, Write};

use crate::protocol::{Hello, Reply, Request, PROTOCOL_VERSION};
use crate::registry::{self, ModuleSpec, Side};
use crate::util::command;
use crate::Context;

/// The longest request line read by default. `copy` sends a file's bytes inline (base64), so
/// this is large; a longer line is skipped, not buffered, and answered with an error.
pub const DEFAULT_MAX_LINE: usize = 1 << 30;

/// A request that decoded, names a host-side module, and whose arguments fit the module's type.
pub struct Decoded {
    pub request: Request,
    pub spec: &'static ModuleSpec,
}

/// One request line → the checked request, or the error reply to send instead. Runs nothing.
pub fn decode_request(line: &[u8]) -> Result<Decoded, Box<Reply>> {
    let refuse = |id: u64, msg: String| Box::new(Reply::failure(id, msg));
    let text = std::str::from_utf8(line).map_err(|e| refuse(0, format!("malformed request: not UTF-8: {e}")))?;
    let request: Request = serde_json::from_str(text).map_err(|e| refuse(0, format!("malformed request: {e}")))?;
    if let Some(version) = request.protocol.filter(|v| *v != PROTOCOL_VERSION) {
        return Err(refuse(
            request.id,
            format!("request speaks protocol {version}, this agent speaks {PROTOCOL_VERSION}: upload the matching agent"),
        ));
    }
    let Some(spec) = registry::lookup(&request.module) else {
        return Err(refuse(request.id, format!("unknown module '{}'", request.module)));
    };
    if spec.side != Side::Remote {
        return Err(refuse(request.id, format!("module '{}' runs in the executor, not on a host", spec.name)));
    }
    if let Err(e) = (spec.validate)(&request.args) {
        return Err(Box::new(Reply { id: request.id, failed: true, outcome: e.into_outcome() }));
    }
    Ok(Decoded { request, spec })
}

/// Background `async:` jobs, waited for before the agent exits.
pub type Jobs = Vec<std::thread::JoinHandle<()>>;

/// Decode and run one request line (an `async:` one in the background, into `jobs`).
pub fn handle_line(line: &[u8], jobs: &mut Jobs) -> Reply {
    let Decoded { request: req, spec } = match decode_request(line) {
        Ok(d) => d,
        Err(reply) => return *reply,
    };
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
        Some(job) => match crate::async_job::start(job, work) {
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

/// One line read by [`read_line`].
enum Line {
    Text(Vec<u8>),
    /// Longer than the limit: its bytes were skipped up to the newline.
    TooLong(usize),
    Eof,
}

/// Read up to a newline, keeping at most `max` bytes in memory.
fn read_line(input: &mut impl BufRead, max: usize) -> io::Result<Line> {
    let mut buf = Vec::new();
    let mut skipped = 0usize;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(match (skipped, buf.is_empty()) {
                (0, true) => Line::Eof,
                (0, false) => Line::Text(buf),
                (n, _) => Line::TooLong(n),
            });
        }
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if skipped > 0 || buf.len() + part.len() > max {
            skipped += buf.len() + part.len();
            buf = Vec::new();
        } else {
            buf.extend_from_slice(part);
        }
        let used = done.unwrap_or(chunk.len());
        input.consume(used);
        if done.is_some() {
            return Ok(if skipped > 0 { Line::TooLong(skipped) } else { Line::Text(buf) });
        }
    }
}

fn write_reply(out: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let text = serde_json::to_string(reply)
        .unwrap_or_else(|e| format!(r#"{{"id":{},"failed":true,"changed":false,"msg":"cannot encode reply: {e}"}}"#, reply.id));
    writeln!(out, "{text}")?;
    out.flush()
}

/// Say hello, then answer every request line until the input ends or the output breaks.
pub fn serve(mut input: impl BufRead, mut out: impl Write, max_line: usize) -> io::Result<()> {
    let hello = Hello { agent: env!("CARGO_PKG_VERSION").into(), protocol: PROTOCOL_VERSION, pid: std::process::id() };
    writeln!(out, "{}", serde_json::to_string(&hello).unwrap_or_default())?;
    out.flush()?;
    let mut jobs = Jobs::new();
    let result = loop {
        let reply = match read_line(&mut input, max_line) {
            Err(e) => break Err(e),
            Ok(Line::Eof) => break Ok(()),
            Ok(Line::TooLong(n)) => {
                Reply::failure(0, format!("request line of {n} bytes is longer than the agent's limit of {max_line} bytes"))
            }
            Ok(Line::Text(line)) if line.trim_ascii().is_empty() => continue,
            Ok(Line::Text(line)) => handle_line(&line, &mut jobs),
        };
        if let Err(e) = write_reply(&mut out, &reply) {
            break Err(e);
        }
    };
    for job in jobs {
        let _ = job.join();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &str, max: usize) -> Vec<String> {
        let mut r = io::BufReader::with_capacity(4, input.as_bytes());
        let mut out = Vec::new();
        loop {
            match read_line(&mut r, max).unwrap() {
                Line::Eof => return out,
                Line::Text(t) => out.push(String::from_utf8(t).unwrap()),
                Line::TooLong(n) => out.push(format!("<{n}>")),
            }
        }
    }

    #[test]
    fn long_lines_are_skipped_whole_and_the_next_line_is_read() {
        assert_eq!(lines("ab\ncdefghijk\nxy\n", 5), ["ab", "<9>", "xy"]);
        assert_eq!(lines("abcde\nlast", 5), ["abcde", "last"]);
        assert_eq!(lines("abcdef", 5), ["<6>"]);
    }
}
