//! Shared helpers for the executor's integration tests.
#![allow(dead_code)]

pub mod cli;
pub mod sshd;

#[allow(unused_imports)]
pub use cli::*;

use std::path::{Path, PathBuf};

/// The `dpctl-agent` built by this workspace (`cargo test --workspace` builds
/// it; with `-p dpctl` alone run `cargo build -p dpctl-modules --bin dpctl-agent` first).
pub fn agent_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("DPCTL_AGENT") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>");
    let p = profile_dir.join("dpctl-agent");
    assert!(p.is_file(), "{} is missing: run `cargo build -p dpctl-modules --bin dpctl-agent` (or `cargo test --workspace`)", p.display());
    p
}

/// A copy of the agent with `tag` appended: a different SHA-256, so a test
/// gets its own cache entry on the hosts (and "changed agent" is real).
pub fn tagged_agent(dir: &Path, tag: &str) -> PathBuf {
    let mut bytes = std::fs::read(agent_binary()).expect("read agent");
    bytes.extend_from_slice(format!("\0dpctl-test-tag:{tag}:{}\0", std::process::id()).as_bytes());
    let p = dir.join(format!("dpctl-agent-{tag}"));
    std::fs::write(&p, bytes).expect("write agent copy");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod agent copy");
    p
}

/// The throwaway user become tests switch to.
pub const BECOME_USER: &str = "dpctltest_become";

/// Creates [`BECOME_USER`] (home dir, /bin/sh, a known password so sshd
/// accepts key logins for it) when sudo exists and we are root. `None` means
/// the machine cannot run become tests (CI installs sudo and runs as root).
pub fn become_user() -> Option<(&'static str, &'static str)> {
    use std::process::Command;
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    const PASSWORD: &str = "dpctl-Test-pw-1";
    let ok = *READY.get_or_init(|| {
        let has_sudo = Path::new("/usr/bin/sudo").is_file();
        let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
        if !has_sudo || !root {
            eprintln!("skipping become tests: need root and sudo (apt-get install -y sudo)");
            return false;
        }
        let exists = Command::new("id").arg(BECOME_USER).output().map(|o| o.status.success()).unwrap_or(false);
        if !exists {
            let st = Command::new("useradd").args(["-m", "-s", "/bin/sh", BECOME_USER]).status().expect("run useradd");
            // 9: created meanwhile by a concurrent test binary.
            assert!(st.success() || st.code() == Some(9), "useradd {BECOME_USER} failed");
        }
        let mut child = Command::new("chpasswd").stdin(std::process::Stdio::piped()).spawn().expect("run chpasswd");
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(format!("{BECOME_USER}:{PASSWORD}\n").as_bytes()).expect("write chpasswd");
        assert!(child.wait().expect("chpasswd").success(), "chpasswd failed");
        true
    });
    ok.then_some((BECOME_USER, PASSWORD))
}

/// The uid a process runs as (from /proc).
pub fn process_uid(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    let line = status.lines().find(|l| l.starts_with("Uid:")).expect("Uid line");
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("uid")
}

pub fn uid_of(user: &str) -> u32 {
    let out = std::process::Command::new("id").args(["-u", user]).output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("numeric uid")
}
