//! `dpctl-agent`: the resident process the executor keeps on each host.
//! Reads one JSON request per line on stdin, answers one JSON reply per line
//! on stdout (see `modules::agent`). A bad request gets an error reply; the
//! agent never exits on one. `--max-request-bytes N` lowers the longest
//! request line it reads.

use std::io;

use modules::agent::{serve, DEFAULT_MAX_LINE};

fn main() {
    let mut max_line = DEFAULT_MAX_LINE;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|v| v.parse::<usize>())) {
            ("--max-request-bytes", Some(Ok(n))) => max_line = n,
            _ => {
                eprintln!("usage: dpctl-agent [--max-request-bytes N]");
                std::process::exit(2);
            }
        }
    }
    // A broken stdout means the executor went away: nothing is left to answer.
    let _ = serve(io::stdin().lock(), io::stdout().lock(), max_line);
}
