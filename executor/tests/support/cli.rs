//! Running the `dpctl` binary from tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `dpctl` binary under test (examples that share these helpers find it next to themselves).
pub fn dpctl_bin() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_dpctl") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| e.parent()?.parent().map(|d| d.join("dpctl")))
            .unwrap_or_else(|| PathBuf::from("dpctl")),
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `dpctl-agent` sits next to `dpctl` in the target dir; `cargo test -p dpctl`
/// alone does not build it, so build it once if it is missing.
pub fn ensure_agent() -> PathBuf {
    static AGENT: OnceLock<PathBuf> = OnceLock::new();
    AGENT
        .get_or_init(|| {
            let dpctl = dpctl_bin();
            let agent = dpctl.with_file_name("dpctl-agent");
            if !agent.exists() {
                let status = Command::new(env!("CARGO"))
                    .args(["build", "-p", "dpctl-modules", "--bin", "dpctl-agent"])
                    .current_dir(repo_root())
                    .status()
                    .expect("run cargo build for the agent");
                assert!(status.success(), "building dpctl-agent failed");
            }
            agent
        })
        .clone()
}

/// Run `dpctl` with `args` in `dir`.
pub fn dpctl(dir: &Path, args: &[&str]) -> Output {
    ensure_agent();
    Command::new(dpctl_bin()).args(args).current_dir(dir).output().expect("run dpctl")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The PLAY RECAP line of `host`, squeezed: `ok=14 changed=8 unreachable=0 …`.
pub fn recap(out: &str, host: &str) -> String {
    let line = out
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .find(|l| l.split_whitespace().next() == Some(host))
        .unwrap_or_else(|| panic!("no recap line for {host} in:\n{out}"));
    line.split_once(':').map(|(_, r)| r.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default()
}
