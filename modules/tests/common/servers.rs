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

/// The address printed by `<name>.sh ensure`, or the value of `env_var` when set.
pub fn ensure(name: &str, env_var: &str, cell: &'static OnceLock<String>) -> String {
    cell.get_or_init(|| {
        if let Ok(addr) = std::env::var(env_var) {
            if !addr.trim().is_empty() {
                return addr.trim().to_string();
            }
        }
        let out = Command::new("bash").arg(script(name)).arg("ensure").output().unwrap_or_else(|e| panic!("run {name}.sh: {e}"));
        assert!(out.status.success(), "{name}.sh ensure failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_string()
    })
    .clone()
}

/// The ResourceManager's URL (`http://127.0.0.1:PORT`).
pub fn yarn() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    ensure("yarn", "DPCTL_TEST_YARN", &CELL)
}

/// An AM command for a tiny application master that registers (so the app becomes RUNNING)
/// and heartbeats until killed.
pub fn yarn_am_command() -> String {
    let out = Command::new("bash").arg(script("yarn")).arg("am-command").output().expect("yarn.sh am-command");
    assert!(out.status.success(), "yarn.sh am-command: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Cassandra's native transport address (`127.0.0.1:PORT`).
pub fn cassandra() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    ensure("cassandra", "DPCTL_TEST_CASSANDRA", &CELL)
}
