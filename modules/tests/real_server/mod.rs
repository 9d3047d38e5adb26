//! Test helper: the address of a real server started by `tests/servers/<name>.sh ensure`,
//! once per test binary, unless CI already started it and exported its address.
#![allow(dead_code)]

use std::process::Command;
use std::sync::OnceLock;

/// `host:port` of the server: `$env_var` when set, else the script's `ensure` output.
pub fn addr(cell: &'static OnceLock<String>, script: &str, env_var: &str) -> &'static str {
    cell.get_or_init(|| {
        if let Ok(a) = std::env::var(env_var) {
            if !a.trim().is_empty() {
                return a.trim().to_string();
            }
        }
        let path = format!("{}/../tests/servers/{script}", env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(&path).arg("ensure").output().unwrap_or_else(|e| panic!("cannot run {path}: {e}"));
        assert!(out.status.success(), "{path} ensure failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().last().unwrap_or_default().trim().to_string()
    })
}

/// Split `host:port`.
pub fn host_port(addr: &str) -> (String, u16) {
    let (h, p) = addr.rsplit_once(':').expect("host:port");
    (h.to_string(), p.parse().expect("port"))
}

static POSTGRES: OnceLock<String> = OnceLock::new();
static INFLUXDB: OnceLock<String> = OnceLock::new();

pub fn postgres() -> (String, u16) {
    host_port(addr(&POSTGRES, "postgres.sh", "DPCTL_TEST_POSTGRES"))
}

pub fn influxdb() -> (String, u16) {
    host_port(addr(&INFLUXDB, "influxdb.sh", "DPCTL_TEST_INFLUXDB"))
}
