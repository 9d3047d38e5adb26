//! Test helper: a real `dpctl-agent` process driven over its stdin/stdout,
//! exactly as the executor drives it on a host.
#![allow(dead_code)]

pub mod kafka;
pub mod servers;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use modules::protocol::{Hello, Reply, Request, PROTOCOL_VERSION};
use serde_json::Value;

pub struct Agent {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Agent {
    pub fn start() -> Agent {
        Agent::start_with(&[])
    }

    /// Start the agent with command-line arguments.
    pub fn start_with(args: &[&str]) -> Agent {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dpctl-agent"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start dpctl-agent");
        let stdin = child.stdin.take().expect("agent stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("agent stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("agent hello");
        let hello: Hello = serde_json::from_str(&line).expect("hello is JSON");
        assert_eq!(hello.protocol, PROTOCOL_VERSION);
        Agent { child, stdin, stdout, next_id: 1 }
    }

    /// Send a raw line and read one reply.
    pub fn raw(&mut self, line: &str) -> Reply {
        self.raw_bytes(line.as_bytes())
    }

    /// Send raw bytes and a newline, and read one reply.
    pub fn raw_bytes(&mut self, line: &[u8]) -> Reply {
        self.stdin.write_all(line).expect("write request");
        self.stdin.write_all(b"\n").expect("write newline");
        self.stdin.flush().expect("flush");
        let mut reply = String::new();
        self.stdout.read_line(&mut reply).expect("read reply");
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("reply {reply:?} is not JSON: {e}"))
    }

    pub fn call(&mut self, module: &str, args: Value, check: bool, diff: bool) -> Reply {
        let id = self.next_id;
        self.next_id += 1;
        let req = Request { check, diff, ..Request::new(id, module, args) };
        let reply = self.raw(&serde_json::to_string(&req).expect("encode"));
        assert_eq!(reply.id, id, "reply correlates with request");
        reply
    }

    /// Run normally (not check mode), with diff.
    pub fn run(&mut self, module: &str, args: Value) -> Reply {
        self.call(module, args, false, true)
    }

    /// Run in check mode, with diff.
    pub fn check(&mut self, module: &str, args: Value) -> Reply {
        self.call(module, args, true, true)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
