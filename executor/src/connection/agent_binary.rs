//! Where the `dpctl-agent` binary comes from, and its SHA-256 (which names
//! its copy in each host's cache).
//!
//! Lookup order:
//! 1. `ConnOptions::agent_path`, then the `DPCTL_AGENT` environment variable;
//! 2. for remote hosts only: a static musl build,
//!    `target/x86_64-unknown-linux-musl/{release,debug}/dpctl-agent`, searched
//!    in the cargo target dir that holds the current executable;
//! 3. `dpctl-agent` next to the current executable, and next to its parent
//!    directory (test binaries live in `target/<profile>/deps/`).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use super::error::ConnError;

const NAME: &str = "dpctl-agent";
const MUSL_TRIPLE: &str = "x86_64-unknown-linux-musl";

/// The agent's bytes and their hash, read once per run.
#[derive(Debug, Clone)]
pub struct AgentBinary {
    pub path: PathBuf,
    /// Shared, not copied, by every host's upload.
    pub bytes: bytes::Bytes,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

impl AgentBinary {
    pub fn load(path: &Path) -> Result<AgentBinary, ConnError> {
        let bytes = std::fs::read(path).map_err(|e| ConnError::AgentBinary {
            path: Some(path.to_path_buf()),
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let sha256 = hex(&Sha256::digest(&bytes));
        Ok(AgentBinary { path: path.to_path_buf(), bytes: bytes::Bytes::from(bytes), sha256 })
    }

    /// File name of the cached copy on a host.
    pub fn cache_name(&self) -> String {
        format!("{NAME}-{}", self.sha256)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Finds the agent binary to use (`remote` prefers a static musl build).
pub fn locate(explicit: Option<&Path>, remote: bool) -> Result<PathBuf, ConnError> {
    if let Some(p) = explicit {
        return existing(p);
    }
    if let Some(p) = std::env::var_os("DPCTL_AGENT").filter(|v| !v.is_empty()) {
        return existing(Path::new(&p));
    }
    let exe = std::env::current_exe()
        .map_err(|e| ConnError::AgentBinary { path: None, message: format!("cannot find the current executable: {e}") })?;
    let candidates = candidates(&exe, remote);
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| ConnError::AgentBinary {
        path: None,
        message: format!(
            "not found (looked at {}); build it with `cargo build -p dpctl-modules --bin dpctl-agent` \
             (for remote hosts preferably `--target {MUSL_TRIPLE}`) or set DPCTL_AGENT",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    })
}

fn existing(p: &Path) -> Result<PathBuf, ConnError> {
    if p.is_file() {
        Ok(p.to_path_buf())
    } else {
        Err(ConnError::AgentBinary { path: Some(p.to_path_buf()), message: format!("{} does not exist", p.display()) })
    }
}

fn candidates(exe: &Path, remote: bool) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = exe.parent() {
        dirs.push(dir.to_path_buf());
        if dir.file_name().is_some_and(|n| n == "deps") {
            if let Some(up) = dir.parent() {
                dirs.push(up.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    // The profile dir (`target/<profile>`) is the last one; its parent is the target dir.
    if let (true, Some(target)) = (remote, dirs.last().and_then(|d| d.parent())) {
        for profile in ["release", "debug"] {
            out.push(target.join(MUSL_TRIPLE).join(profile).join(NAME));
        }
    }
    out.extend(dirs.iter().map(|d| d.join(NAME)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_binaries_look_next_to_their_parent_and_remote_prefers_musl() {
        let c = candidates(Path::new("/t/debug/deps/conn-abc"), true);
        assert_eq!(
            c,
            [
                "/t/x86_64-unknown-linux-musl/release/dpctl-agent",
                "/t/x86_64-unknown-linux-musl/debug/dpctl-agent",
                "/t/debug/deps/dpctl-agent",
                "/t/debug/dpctl-agent"
            ]
            .map(PathBuf::from)
        );
        assert_eq!(candidates(Path::new("/t/debug/dpctl"), false), vec![PathBuf::from("/t/debug/dpctl-agent")]);
    }

    #[test]
    fn hash_names_the_cached_copy() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"abc").unwrap();
        let bin = AgentBinary::load(&p).unwrap();
        assert_eq!(bin.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(bin.cache_name(), format!("dpctl-agent-{}", bin.sha256));
        let e = AgentBinary::load(&dir.path().join("missing")).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
    }
}
