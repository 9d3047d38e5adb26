//! The real servers the tests talk to: started once per test binary by
//! `tests/servers/<name>.sh ensure` (which reuses a running one), unless CI
//! already started it and exported its address in `DPCTL_TEST_<NAME>`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("tests").join("servers").join(format!("{name}.sh"))
}

/// `tests/servers/<name>.sh ARGS…`, which must succeed: its output, trimmed.
pub fn run_script(name: &str, args: &[&str]) -> String {
    let out = Command::new("bash").arg(script(name)).args(args).output().unwrap_or_else(|e| panic!("run {name}.sh: {e}"));
    assert!(out.status.success(), "{name}.sh {args:?} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `$env_var` when set, else the address printed by `<name>.sh ensure`.
pub fn address(name: &str, env_var: &str) -> String {
    match std::env::var(env_var) {
        Ok(addr) if !addr.trim().is_empty() => addr.trim().to_string(),
        // `ensure` may log progress first; the address is its last line.
        _ => run_script(name, &["ensure"]).lines().last().unwrap_or_default().trim().to_string(),
    }
}

/// [`address`], worked out once per test binary.
pub fn ensure(name: &str, env_var: &str, cell: &'static OnceLock<String>) -> String {
    cell.get_or_init(|| address(name, env_var)).clone()
}

/// Split `host:port`.
pub fn host_port(addr: &str) -> (String, u16) {
    let (h, p) = addr.rsplit_once(':').expect("host:port");
    (h.to_string(), p.parse().expect("port"))
}

/// PostgreSQL 15 (`host`, `port`).
pub fn postgres() -> (String, u16) {
    static CELL: OnceLock<String> = OnceLock::new();
    host_port(&ensure("postgres", "DPCTL_TEST_POSTGRES", &CELL))
}

/// InfluxDB 1.x (`host`, `port`).
pub fn influxdb() -> (String, u16) {
    static CELL: OnceLock<String> = OnceLock::new();
    host_port(&ensure("influxdb", "DPCTL_TEST_INFLUXDB", &CELL))
}

/// The ResourceManager's URL (`http://127.0.0.1:PORT`).
pub fn yarn() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    ensure("yarn", "DPCTL_TEST_YARN", &CELL)
}

/// An AM command for a tiny application master that registers (so the app becomes RUNNING)
/// and heartbeats until killed.
pub fn yarn_am_command() -> String {
    run_script("yarn", &["am-command"])
}

/// Cassandra's native transport address (`127.0.0.1:PORT`).
pub fn cassandra() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    ensure("cassandra", "DPCTL_TEST_CASSANDRA", &CELL)
}
