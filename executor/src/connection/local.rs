//! `ansible_connection: local`: the agent is a child process of the executor.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::session::{AgentSession, SessionError, StderrTail, SudoPrompt};

/// Starts `agent` (through `sudo -u USER` when `become_user` is set).
pub async fn start(
    agent: &Path,
    become_user: Option<&str>,
    become_password: Option<&str>,
    timeout: Duration,
) -> Result<AgentSession, SessionError> {
    let (mut cmd, sudo) = match become_user {
        None => (tokio::process::Command::new(agent), None),
        Some(user) => {
            let mut cmd = tokio::process::Command::new("sudo");
            let prompt = super::upload::sudo_prompt_marker();
            if become_password.is_some() {
                cmd.args(["-H", "-S", "-p", &prompt]);
            } else {
                cmd.args(["-H", "-n"]);
            }
            cmd.args(["-u", user, "--"]).arg(agent);
            (cmd, Some(SudoPrompt { marker: prompt, password: become_password.map(str::to_string) }))
        }
    };
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Not killed with the session: at EOF the agent finishes its `async:` jobs, then exits.
    let mut child = spawn_retrying_busy(&mut cmd).map_err(|e| SessionError::Closed(format!("cannot start {}: {e}", agent.display())))?;
    let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
        return Err(SessionError::Closed("the agent's pipes were not set up".into()));
    };
    let tail = StderrTail::default();
    tail.pump(stderr);
    AgentSession::start(stdout, stdin, tail, sudo, timeout, Box::new(child)).await
}

/// `spawn`, tried again while the program is "text file busy" (ETXTBSY): a
/// file just written can still be open for writing in a child that another
/// thread forked and has not yet exec'd (cargo retries the same way).
fn spawn_retrying_busy(cmd: &mut tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
