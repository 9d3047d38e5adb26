//! The request/reply channel to one running agent, over any byte pipe (a
//! child's stdin/stdout, or an SSH exec channel).
//!
//! Requests may be pipelined by concurrent callers: each gets a fresh wire id,
//! and a reader task hands every reply to whoever waits for that id.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modules::protocol::{Hello, Reply, Request, PROTOCOL_VERSION};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{oneshot, Notify};

/// Why a session cannot answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionError {
    /// The agent's output ended (process exited or the channel closed).
    #[error("{0}")]
    Closed(String),
    /// The agent spoke something other than our protocol.
    #[error("{0}")]
    Protocol(String),
    /// `sudo` asked for a password we do not have, or refused the one we gave.
    #[error("{0}")]
    Become(String),
    #[error("no hello from the agent within {0:?}")]
    Timeout(Duration),
    /// The start script found no intact cached agent (it must be uploaded).
    #[error("the cached agent is missing or changed")]
    AgentMissing,
}

/// The last few KiB of what the agent (or sudo, or the shell) wrote to stderr,
/// kept for error messages and for spotting sudo's password prompt.
#[derive(Clone, Default)]
pub struct StderrTail {
    buf: Arc<Mutex<Vec<u8>>>,
    changed: Arc<Notify>,
}

const TAIL_LIMIT: usize = 8192;

impl StderrTail {
    pub fn push(&self, data: &[u8]) {
        if let Ok(mut b) = self.buf.lock() {
            b.extend_from_slice(data);
            if b.len() > TAIL_LIMIT {
                let cut = b.len() - TAIL_LIMIT;
                b.drain(..cut);
            }
        }
        self.changed.notify_waiters();
        self.changed.notify_one();
    }

    pub fn text(&self) -> String {
        self.buf.lock().map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default()
    }

    /// Copies everything from `r` into the tail until EOF.
    pub fn pump<R: AsyncRead + Unpin + Send + 'static>(&self, mut r: R) {
        let tail = self.clone();
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            loop {
                match tokio::io::AsyncReadExt::read(&mut r, &mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => tail.push(&chunk[..n]),
                }
            }
        });
    }
}

/// `sudo -S -p MARKER`: when MARKER shows on stderr, the password goes to stdin.
pub struct SudoPrompt {
    pub marker: String,
    pub password: Option<String>,
}

type Writer = Pin<Box<dyn AsyncWrite + Send>>;
type ReplySender = oneshot::Sender<Result<Reply, SessionError>>;

#[derive(Default)]
struct Pending {
    waiting: HashMap<u64, ReplySender>,
    closed: Option<String>,
}

pub struct AgentSession {
    pub hello: Hello,
    writer: tokio::sync::Mutex<Writer>,
    pending: Arc<Mutex<Pending>>,
    next_id: AtomicU64,
    stderr: StderrTail,
    /// Whatever must live as long as the session (child process, channel).
    _keep: Mutex<Box<dyn std::any::Any + Send>>,
}

impl AgentSession {
    /// Waits for the agent's hello (answering a sudo prompt on the way) and
    /// starts the reply reader.
    pub async fn start<R, W>(
        stdout: R,
        stdin: W,
        stderr: StderrTail,
        sudo: Option<SudoPrompt>,
        hello_timeout: Duration,
        keep: Box<dyn std::any::Any + Send>,
    ) -> Result<AgentSession, SessionError>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Send + 'static,
    {
        let mut writer: Writer = Box::pin(stdin);
        let pending = Arc::new(Mutex::new(Pending::default()));
        let (hello_tx, mut hello_rx) = oneshot::channel();
        tokio::spawn(read_replies(BufReader::new(stdout), hello_tx, pending.clone()));

        let deadline = tokio::time::Instant::now() + hello_timeout;
        let mut prompts_answered = 0usize;
        let hello_line = loop {
            let changed = stderr.changed.notified();
            if let Some(sudo) = &sudo {
                let prompts = stderr.text().matches(sudo.marker.as_str()).count();
                if prompts > prompts_answered {
                    match (&sudo.password, prompts_answered) {
                        (None, _) => {
                            return Err(SessionError::Become(
                                "sudo asked for a password; set ansible_become_password or use --ask-become-pass".into(),
                            ))
                        }
                        (Some(_), 1..) => return Err(SessionError::Become("sudo refused the become password".into())),
                        (Some(pw), 0) => {
                            let line = format!("{pw}\n");
                            writer
                                .write_all(line.as_bytes())
                                .await
                                .map_err(|e| SessionError::Closed(format!("cannot send the sudo password: {e}")))?;
                            writer.flush().await.map_err(|e| SessionError::Closed(format!("cannot send the sudo password: {e}")))?;
                            prompts_answered = prompts;
                        }
                    }
                }
            }
            tokio::select! {
                line = &mut hello_rx => break line,
                _ = changed => continue,
                _ = tokio::time::sleep_until(deadline) => return Err(SessionError::Timeout(hello_timeout)),
            }
        };
        let Ok(line) = hello_line else {
            let err = stderr.text();
            // sudo gave up before the agent started (`-n` needing a password, a
            // refused password, a user not in sudoers): a become failure.
            if let Some(sudo) = &sudo {
                if prompts_answered > 0 || err.contains("sudo:") || err.contains("sudoers") {
                    let said = err.replace(sudo.marker.as_str(), "");
                    let said = said.split("\n\n[exit status").next().unwrap_or_default().trim();
                    return Err(SessionError::Become(said.to_string()));
                }
            }
            let why = if err.is_empty() {
                "the agent exited before saying hello".to_string()
            } else {
                format!("the agent exited before saying hello: {err}")
            };
            return Err(SessionError::Closed(why));
        };
        if line == super::upload::AGENT_MISSING {
            return Err(SessionError::AgentMissing);
        }
        let hello: Hello = serde_json::from_str(&line)
            .map_err(|e| SessionError::Protocol(format!("first line {:?} is not an agent hello: {e}", truncate(&line))))?;
        if hello.protocol != PROTOCOL_VERSION {
            return Err(SessionError::Protocol(format!(
                "the agent speaks protocol {} (version {}), this dpctl speaks {PROTOCOL_VERSION}",
                hello.protocol, hello.agent
            )));
        }
        Ok(AgentSession {
            hello,
            writer: tokio::sync::Mutex::new(writer),
            pending,
            next_id: AtomicU64::new(1),
            stderr,
            _keep: Mutex::new(keep),
        })
    }

    /// Sends one request and waits for its reply; the reply carries the
    /// caller's `id` back.
    pub async fn call(&self, mut req: Request) -> Result<Reply, SessionError> {
        let caller_id = req.id;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        req.id = id;
        let line = serde_json::to_string(&req).map_err(|e| SessionError::Protocol(format!("cannot encode the request: {e}")))? + "\n";
        let (tx, rx) = oneshot::channel();
        {
            let mut p = self.pending.lock().map_err(|_| SessionError::Closed("session state poisoned".into()))?;
            if let Some(why) = &p.closed {
                return Err(SessionError::Closed(why.clone()));
            }
            p.waiting.insert(id, tx);
        }
        let sent = {
            let mut w = self.writer.lock().await;
            match w.write_all(line.as_bytes()).await {
                Ok(()) => w.flush().await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = sent {
            if let Ok(mut p) = self.pending.lock() {
                p.waiting.remove(&id);
            }
            return Err(SessionError::Closed(format!("cannot write to the agent: {e}")));
        }
        let mut reply = rx.await.map_err(|_| SessionError::Closed("the agent session ended".into()))??;
        reply.id = caller_id;
        Ok(reply)
    }

    pub fn is_closed(&self) -> bool {
        self.pending.lock().map(|p| p.closed.is_some()).unwrap_or(true)
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.text()
    }

    /// Closes the agent's stdin; the agent exits at EOF.
    pub async fn close(&self) {
        let mut w = self.writer.lock().await;
        let _ = w.shutdown().await;
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

async fn read_replies<R: AsyncRead + Unpin>(mut stdout: BufReader<R>, hello: oneshot::Sender<String>, pending: Arc<Mutex<Pending>>) {
    let mut hello = Some(hello);
    let mut line = String::new();
    let why = loop {
        line.clear();
        match stdout.read_line(&mut line).await {
            Ok(0) => break "the agent's output ended (agent exited or the connection closed)".to_string(),
            Err(e) => break format!("cannot read from the agent: {e}"),
            Ok(_) => {}
        }
        if let Some(h) = hello.take() {
            let _ = h.send(line.trim_end().to_string());
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Result<Reply, _> = serde_json::from_str(&line);
        let Ok(mut p) = pending.lock() else { return };
        match parsed {
            Ok(reply) => {
                if let Some(tx) = p.waiting.remove(&reply.id) {
                    let _ = tx.send(Ok(reply));
                }
            }
            Err(e) => {
                // Without an id we cannot tell whose reply this was: fail everyone.
                let msg = format!("the agent sent a line that is not a reply ({e}): {}", truncate(&line));
                for (_, tx) in p.waiting.drain() {
                    let _ = tx.send(Err(SessionError::Protocol(msg.clone())));
                }
            }
        }
    };
    if let Ok(mut p) = pending.lock() {
        for (_, tx) in p.waiting.drain() {
            let _ = tx.send(Err(SessionError::Closed(why.clone())));
        }
        p.closed = Some(why);
    }
}
