//! Agent transfer: each (host, user) keeps the agent in
//! `~/.cache/dpctl/agents/dpctl-agent-<sha256>` (dir and file 0700). Starting
//! it is one exec channel: a fixed script checks that the copy is intact and
//! execs it; only when it is missing or changed do the bytes go over a second
//! exec channel's stdin into a temp file, are verified, and renamed into place.
//!
//! "Intact" means its SHA-256 matched when it was installed or last checked,
//! and its inode, size, ctime and mode (and its directory's) are what they
//! were then (the `.verified` stamp next to it). ctime cannot be set by a
//! user, so any write to the file sends it back through `sha256sum`; an
//! unchanged file is not re-hashed on every run (hashing the agent on 50
//! hosts cost more CPU than the whole rest of a rerun).
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

/// Finds the cache dir without creating it (the common, warm case spawns
/// no `mkdir`/`chmod`); a missing dir means a missing agent.
const CACHE_FIND: &str = "um=$(umask); umask 077; d=\"$HOME/.cache/dpctl/agents\"; \
    [ -d \"$d\" ] || d=\"${TMPDIR:-/tmp}/dpctl-agents-$(id -u)\"; ";

/// What the stamp records: the agent's and its dir's inode, size, ctime
/// (nanoseconds), mode and owner.
const STAT_FORMAT: &str = "'m%a %i %s %z %u;'";

/// Printed (instead of the agent's hello) when the cached copy is missing or
/// not intact.
pub const AGENT_MISSING: &str = "DPCTL-AGENT-MISSING";

/// Execs the cached agent if it is intact, else prints [`AGENT_MISSING`].
/// The agent runs with the login's own umask (not the cache's 077), so files
/// that commands create get the modes they get under Ansible.
fn start_script(bin: &AgentBinary) -> String {
    format!(
        "{CACHE_FIND}f=\"$d/{name}\"; s=\"$d/.{name}.verified\"; \
         if [ -f \"$f\" ] && [ -x \"$f\" ] && [ ! -L \"$f\" ] && [ ! -L \"$d\" ] && [ -O \"$f\" ] && [ -O \"$d\" ]; then \
           now=$(stat --printf {STAT_FORMAT} -- \"$f\" \"$d\"); was=; [ -f \"$s\" ] && IFS= read -r was < \"$s\"; \
           case \"$now\" in 'm700 '*';m700 '*) ;; *) now=x ;; esac; \
           if [ \"$now\" != x ] && [ \"$now\" = \"$was\" ]; then umask \"$um\"; exec \"$f\"; fi; \
           if [ \"$now\" != x ] && [ \"$(sha256sum < \"$f\" | cut -d' ' -f1)\" = {hash} ]; then \
             printf '%s\\n' \"$now\" > \"$s\"; umask \"$um\"; exec \"$f\"; fi; \
         fi; echo {AGENT_MISSING}; exit 3",
        name = bin.cache_name(),
        hash = bin.sha256
    )
}

fn install_script(bin: &AgentBinary) -> String {
    format!(
        "{CACHE_SETUP}set -e; t=\"$d/.{name}.$$\"; trap 'rm -f \"$t\"' EXIT; \
         echo {READY}; cat > \"$t\"; s=$(sha256sum < \"$t\" | cut -d' ' -f1); \
         if [ \"$s\" != {hash} ]; then echo \"checksum mismatch after upload: got $s\" >&2; exit 3; fi; \
         chmod 700 \"$t\"; mv -f \"$t\" \"$d/{name}\"; trap - EXIT; \
         stat --printf {STAT_FORMAT} -- \"$d/{name}\" \"$d\" > \"$d/.{name}.verified\"; echo >> \"$d/.{name}.verified\"; echo installed",
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

/// The command that starts the cached agent, or says [`AGENT_MISSING`].
pub fn start_command(bin: &AgentBinary, as_user: Option<&Become>) -> String {
    command(&start_script(bin), as_user)
}

/// Uploads the agent into the host's cache for this user (verified, then
/// renamed into place).
pub async fn install(conn: &SshConnection, label: &str, bin: &AgentBinary, as_user: Option<&Become>) -> Result<(), ConnError> {
    let sudo = as_user.map(Become::sudo_prompt);
    let out = conn.exec(&command(&install_script(bin), as_user), Some(bin.bytes.clone()), sudo.as_ref(), Some(READY)).await?;
    if out.status != Some(0) || !out.stdout.contains("installed") {
        let message = format!("uploading the agent failed (exit {:?}): {}", out.status, out.stderr.trim());
        return Err(match as_user {
            Some(b) => ConnError::Become { host: label.to_string(), user: b.user.clone(), message },
            None => ConnError::agent(label, message),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// A temp dir with a fake agent (a script saying `hello-from-agent`), an
    /// empty `tmp/`, and `bin/sha256sum`, a wrapper that counts the re-hashes.
    fn setup() -> (tempfile::TempDir, AgentBinary, std::path::PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("agent");
        std::fs::write(&agent, "#!/bin/sh\necho hello-from-agent\n").unwrap();
        let bin = AgentBinary::load(&agent).unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let bin_dir = dir.path().join("bin");
        std::fs::create_dir(&bin_dir).unwrap();
        let wrapper = bin_dir.join("sha256sum");
        let log = bin_dir.join("hashes.log");
        std::fs::write(&wrapper, format!("#!/bin/sh\necho hashed >> '{}'\nexec /usr/bin/sha256sum \"$@\"\n", log.display())).unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, bin, tmp)
    }

    /// Runs `script` with `HOME`, `TMPDIR` and the `sha256sum` wrapper of [`setup`] (next to `tmp`).
    fn sh(script: &str, home: &std::path::Path, tmp: &std::path::Path, stdin: &[u8]) -> (Option<i32>, String, String) {
        let bin_dir = tmp.parent().unwrap().join("bin");
        let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("HOME", home)
            .env("TMPDIR", tmp)
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    fn hashes(tmp: &std::path::Path) -> usize {
        std::fs::read_to_string(tmp.parent().unwrap().join("bin/hashes.log")).map(|s| s.lines().count()).unwrap_or(0)
    }

    #[test]
    fn scripts_install_start_and_fall_back_to_tmp_without_a_home() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, bin, tmp) = setup();
        // A HOME below a regular file cannot hold a cache, even for root.
        let no_home = bin.path.join("home");
        assert_eq!(sh(&start_script(&bin), &no_home, &tmp, b"").1.trim(), AGENT_MISSING);
        let (code, out, err) = sh(&install_script(&bin), &no_home, &tmp, &bin.bytes);
        assert_eq!((code, out.contains("installed")), (Some(0), true), "{err}");
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
        assert_eq!(sh(&start_script(&bin), &home, &tmp, b"").1.trim(), AGENT_MISSING);
        assert_eq!(std::fs::read_dir(home.join(".cache/dpctl/agents")).unwrap().count(), 0, "the temp file is removed");
    }

    #[test]
    fn an_unchanged_agent_is_not_rehashed_and_a_changed_one_is_never_run() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, bin, tmp) = setup();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let (code, _, err) = sh(&install_script(&bin), &home, &tmp, &bin.bytes);
        assert_eq!(code, Some(0), "{err}");
        let installed_hashes = hashes(&tmp);
        for _ in 0..3 {
            assert_eq!(sh(&start_script(&bin), &home, &tmp, b"").1.trim(), "hello-from-agent");
        }
        assert_eq!(hashes(&tmp), installed_hashes, "the stamp from the install stands for the hash");

        // Any write changes the ctime: the copy is hashed again, refused, and not run.
        let cached = home.join(".cache/dpctl/agents").join(bin.cache_name());
        std::fs::write(&cached, "#!/bin/sh\necho tampered\n").unwrap();
        let (code, out, _) = sh(&start_script(&bin), &home, &tmp, b"");
        assert_eq!((code, out.trim()), (Some(3), AGENT_MISSING));
        assert_eq!(hashes(&tmp), installed_hashes + 1);

        // A re-install repairs it; a cache dir opened to others is refused until then.
        assert_eq!(sh(&install_script(&bin), &home, &tmp, &bin.bytes).0, Some(0));
        assert_eq!(sh(&start_script(&bin), &home, &tmp, b"").1.trim(), "hello-from-agent");
        std::fs::set_permissions(home.join(".cache/dpctl/agents"), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(sh(&start_script(&bin), &home, &tmp, b"").1.trim(), AGENT_MISSING);
        assert_eq!(sh(&install_script(&bin), &home, &tmp, &bin.bytes).0, Some(0));
        assert_eq!(sh(&start_script(&bin), &home, &tmp, b"").1.trim(), "hello-from-agent");
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        let cmd = command("echo 'x'", Some(&Become { user: "o'k".into(), password: None, prompt: "p".into() }));
        assert_eq!(cmd, r"sudo -H -n -u 'o'\''k' -- /bin/sh -c 'echo '\''x'\'''");
    }
}
