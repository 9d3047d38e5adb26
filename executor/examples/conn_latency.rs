//! Measures, on a throwaway loopback sshd, how long connect + agent upload +
//! first ping takes, a cached reconnect, and the per-request round trip on an
//! open agent channel. A measurement, not a test:
//! `cargo run --release -p dpctl --example conn_latency` (needs sshd and a
//! built dpctl-agent in the same target dir, or DPCTL_AGENT).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use dpctl::connection::{ConnOptions, ConnParams, Pool};
use modules::protocol::Request;

fn ping(id: u64) -> Request {
    Request::new(id, "ping", serde_json::json!({}))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let fleet = support::sshd::Fleet::start(1);
    println!("fleet of 1 sshd started in {:?}", t.elapsed());
    let agent = std::env::var_os("DPCTL_AGENT").map(std::path::PathBuf::from).unwrap_or_else(support::agent_binary);
    let size = std::fs::metadata(&agent)?.len();
    let opts = ConnOptions { agent_path: Some(agent.clone()), ..ConnOptions::default() };

    let t = Instant::now();
    let bin = dpctl::connection::AgentBinary::load(&agent)?;
    println!("agent {} ({size} bytes): read + sha256 in {:?}", agent.display(), t.elapsed());
    drop(bin);

    let p = ConnParams::from_host_vars("host1", &fleet.host_vars(0), &opts)?;
    for (label, expect_upload) in
        [("cold (connect + upload + start + first ping)", true), ("warm cache (connect + check + start + first ping)", false)]
    {
        let pool = Pool::new(opts.clone());
        let t = Instant::now();
        pool.call(&p, None, ping(1)).await?;
        let first = t.elapsed();
        assert_eq!(pool.counts().agent_uploads == 1, expect_upload);
        let n = 2000u32;
        let t = Instant::now();
        for i in 0..n {
            pool.call(&p, None, ping(u64::from(i))).await?;
        }
        let rtt = t.elapsed() / n;
        println!("{label}: {first:?}; then {n} sequential pings: {rtt:?} per round trip");
        pool.close_all().await;
    }
    Ok(())
}
