//! Agent transfer: each (host, user) keeps the agent in
//! `~/.cache/dpctl/agents/dpctl-agent-<sha256>` (dir and file 0700). One exec
//! checks that the copy is there and intact; otherwise the bytes go over an
//! exec channel's stdin into a temp file, are verified, and renamed into place.
//!
//! Every remote command is a fixed `/bin/sh` script of ours; the only
//! variable parts are the hex hash and a user name, both quoted.

use std::sync::atomic::{AtomicU64, Ordering};

use super::agent_binary::AgentBinary;
use super::error::ConnError;
use super::session::SudoPrompt;
use super::ssh::SshConnection;

/// Picks and prepares the cache dir into `$d`: `~/.cache/dpctl/agents`, or,
/// for users without a usable home (service accounts with `/nonexistent`),
/// `$TMPDIR/dpctl-agents-<uid>` provided it is a real dir owned by the user.
const CACHE_SETUP: &str = "um=$(umask); umask 077; d=\"$HOME/.cache/dpctl/agents\"; \
    if ! mkdir -p \"$d\" 2>/dev/null; then d=\"${TMPDIR:-/tmp}/dpctl-agents-$(id -u)\"; mkdir -p \"$d\" || exit 4; fi; \
    if [ -L \"$d\" ] || [ ! -O \"$d\" ]; then echo \"agent cache $d is not owned by $(id -un)\" >&2; exit 4; fi; \
    chmod 700 \"$d\" || exit 4; ";

/// The agent runs with the login's own umask (not the cache's 077), so files
/// that commands create get the modes they get under Ansible.
fn start_script(bin: &AgentBinary) -> String {
    format!("{CACHE_SETUP}umask \"$um\"; exec \"$d/{}\"", bin.cache_name())
}

fn check_script(bin: &AgentBinary) -> String {
    format!(
        "{CACHE_SETUP}f=\"$d/{name}\"; if [ -x \"$f\" ] && [ \"$(sha256sum < \"$f\" | cut -d' ' -f1)\" = {hash} ]; then echo present; else echo missing; fi",
        name = bin.cache_name(),
        hash = bin.sha256
    )
}

fn install_script(bin: &AgentBinary) -> String {
    format!(
        "{CACHE_SETUP}set -e; t=\"$d/.{name}.$$\"; trap 'rm -f \"$t\"' EXIT; \
         echo {READY}; cat > \"$t\"; s=$(sha256sum < \"$t\" | cut -d' ' -f1); \
         if [ \"$s\" != {hash} ]; then echo \"checksum mismatch after upload: got $s\" >&2; exit 3; fi; \
         chmod 700 \"$t\"; mv -f \"$t\" \"$d/{name}\"; trap - EXIT; echo installed",
        name = bin.cache_name(),
        hash = bin.sha256
    )
}
/// Printed by the install script before it reads stdin, so that a sudo
/// password prompt (on stderr) is answered before the bytes are sent.
const READY: &str = "DPCTL-READY";

/// POSIX single-quoting.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A prompt string sudo cannot print by accident.
pub fn sudo_prompt_marker() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("[dpctl-sudo-{}-{nanos}-{}]", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Wraps a script to run as the login user or, through sudo, as another user.
fn command(script: &str, as_user: Option<&Become>) -> String {
    match as_user {
        None => format!("/bin/sh -c {}", sh_quote(script)),
        Some(b) => {
            let auth = if b.password.is_some() { format!("-S -p {}", sh_quote(&b.prompt)) } else { "-n".to_string() };
            format!("sudo -H {auth} -u {} -- /bin/sh -c {}", sh_quote(&b.user), sh_quote(script))
        }
    }
}

/// Who to become (sudo only), and how to answer sudo.
#[derive(Clone)]
pub struct Become {
    pub user: String,
    pub password: Option<String>,
    pub prompt: String,
}

impl Become {
    pub fn new(user: &str, password: Option<String>) -> Become {
        Become { user: user.to_string(), password, prompt: sudo_prompt_marker() }
    }

    pub fn sudo_prompt(&self) -> SudoPrompt {
        SudoPrompt { marker: self.prompt.clone(), password: self.password.clone() }
    }
}

/// What `ensure` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    AlreadyCached,
    Uploaded,
}

/// Makes sure the agent is cached on the host for this user; returns the
/// command that starts it.
pub async fn ensure(
    conn: &SshConnection,
    label: &str,
    bin: &AgentBinary,
    as_user: Option<&Become>,
) -> Result<(Transfer, String), ConnError> {
    let start = command(&start_script(bin), as_user);
    let check = check_script(bin);
    let sudo = as_user.map(Become::sudo_prompt);
    let out = conn.exec(&command(&check, as_user), None, sudo.as_ref(), None).await?;
    let become_err = |message: String| match as_user {
        Some(b) => ConnError::Become { host: label.to_string(), user: b.user.clone(), message },
        None => ConnError::agent(label, message),
    };
    match out.stdout.trim() {
        "present" => return Ok((Transfer::AlreadyCached, start)),
        "missing" => {}
        _ => return Err(become_err(format!("checking the cached agent failed (exit {:?}): {}", out.status, out.stderr.trim()))),
    }
    let install = install_script(bin);
    let out = conn.exec(&command(&install, as_user), Some(&bin.bytes), sudo.as_ref(), Some(READY)).await?;
    if out.status != Some(0) || !out.stdout.contains("installed") {
        return Err(become_err(format!("uploading the agent failed (exit {:?}): {}", out.status, out.stderr.trim())));
    }
    Ok((Transfer::Uploaded, start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn sh(script: &str, home: &std::path::Path, tmp: &std::path::Path, stdin: &[u8]) -> (Option<i32>, String, String) {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("HOME", home)
            .env("TMPDIR", tmp)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[test]
    fn scripts_install_check_and_fall_back_to_tmp_without_a_home() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("agent");
        std::fs::write(&agent, "#!/bin/sh\necho hello-from-agent\n").unwrap();
        let bin = AgentBinary::load(&agent).unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        // A HOME below a regular file cannot hold a cache, even for root.
        let no_home = agent.join("home");
        assert_eq!(sh(&check_script(&bin), &no_home, &tmp, b"").1.trim(), "missing");
        let (code, out, err) = sh(&install_script(&bin), &no_home, &tmp, &bin.bytes);
        assert_eq!((code, out.contains("installed")), (Some(0), true), "{err}");
        assert_eq!(sh(&check_script(&bin), &no_home, &tmp, b"").1.trim(), "present");
        assert_eq!(sh(&start_script(&bin), &no_home, &tmp, b"").1.trim(), "hello-from-agent");
        let cache = std::fs::read_dir(&tmp).unwrap().next().unwrap().unwrap().path();
        assert!(cache.file_name().unwrap().to_str().unwrap().starts_with("dpctl-agents-"));
        assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700);

        // With a home, the cache is ~/.cache/dpctl/agents; a truncated upload is refused.
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let (code, _, err) = sh(&install_script(&bin), &home, &tmp, &bin.bytes[..4]);
        assert_eq!(code, Some(3), "{err}");
        assert!(err.contains("checksum mismatch"), "{err}");
        assert_eq!(sh(&check_script(&bin), &home, &tmp, b"").1.trim(), "missing");
        assert_eq!(std::fs::read_dir(home.join(".cache/dpctl/agents")).unwrap().count(), 0, "the temp file is removed");
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        let cmd = command("echo 'x'", Some(&Become { user: "o'k".into(), password: None, prompt: "p".into() }));
        assert_eq!(cmd, r"sudo -H -n -u 'o'\''k' -- /bin/sh -c 'echo '\''x'\'''");
    }
}
