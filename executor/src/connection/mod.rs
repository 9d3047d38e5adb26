//! Connections to hosts: one SSH connection (or none, for `local`) per host
//! and one resident `dpctl-agent` per (host, become user); every task is one
//! request/reply on that agent's open channel.
//!
//! ```text
//! Pool::call(params, become_user, request)
//!   └─ HostSlot (per address/user)  ── SshConnection (russh, lazily connected)
//!        └─ AgentSession per become user  ── exec channel running the cached agent
//! ```

pub mod agent_binary;
mod error;
pub mod known_hosts;
mod local;
mod params;
pub mod session;
mod ssh;
mod upload;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modules::protocol::{Reply, Request};
use tokio::sync::OnceCell;

pub use agent_binary::AgentBinary;
pub use error::ConnError;
pub use params::{ConnKind, ConnOptions, ConnParams, HostKeyPolicy, JumpHost};
use session::{AgentSession, SessionError};
use ssh::SshConnection;
pub use upload::sh_quote;

/// How long an agent may take to say hello (includes sudo).
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// Counters, for tests and `-vvv`: what the pool actually did.
#[derive(Debug, Default)]
pub struct PoolStats {
    pub ssh_connects: AtomicU64,
    pub agent_uploads: AtomicU64,
    pub agent_cache_hits: AtomicU64,
    pub agents_started: AtomicU64,
}

/// A snapshot of [`PoolStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolCounts {
    pub ssh_connects: u64,
    pub agent_uploads: u64,
    pub agent_cache_hits: u64,
    pub agents_started: u64,
}

/// Which hosts share a connection: same address, port and login user over
/// SSH; each inventory host separately for `local`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HostId {
    Ssh { user: String, host: String, port: u16, jump: Option<JumpHost> },
    Local { name: String },
}

impl HostId {
    fn of(p: &ConnParams) -> HostId {
        match p.kind {
            ConnKind::Ssh => HostId::Ssh { user: p.user.clone(), host: p.host.clone(), port: p.port, jump: p.proxy_jump.clone() },
            ConnKind::Local => HostId::Local { name: p.inventory_hostname.clone() },
        }
    }
}

#[derive(Default)]
struct HostState {
    ssh: Option<Arc<SshConnection>>,
    agents: HashMap<Option<String>, Arc<AgentSession>>,
}

/// All connections of one run. Cheap to share (`Arc<Pool>`); calls for
/// different hosts run in parallel, calls for one host share its agent.
pub struct Pool {
    opts: ConnOptions,
    stats: PoolStats,
    local_agent: OnceCell<Arc<AgentBinary>>,
    remote_agent: OnceCell<Arc<AgentBinary>>,
    hosts: Mutex<HashMap<HostId, Arc<tokio::sync::Mutex<HostState>>>>,
    /// Uploads in flight at once: each buffers up to a channel window of
    /// encrypted agent bytes, so 50 at once cost well over 100 MB for no gain in speed.
    upload_slots: tokio::sync::Semaphore,
}

const MAX_CONCURRENT_UPLOADS: usize = 4;

impl Pool {
    pub fn new(opts: ConnOptions) -> Self {
        Pool {
            opts,
            stats: PoolStats::default(),
            local_agent: OnceCell::new(),
            remote_agent: OnceCell::new(),
            hosts: Mutex::new(HashMap::new()),
            upload_slots: tokio::sync::Semaphore::new(MAX_CONCURRENT_UPLOADS),
        }
    }

    pub fn options(&self) -> &ConnOptions {
        &self.opts
    }

    pub fn counts(&self) -> PoolCounts {
        let s = &self.stats;
        PoolCounts {
            ssh_connects: s.ssh_connects.load(Ordering::Relaxed),
            agent_uploads: s.agent_uploads.load(Ordering::Relaxed),
            agent_cache_hits: s.agent_cache_hits.load(Ordering::Relaxed),
            agents_started: s.agents_started.load(Ordering::Relaxed),
        }
    }

    /// Runs one request on the host's agent (as `become_user`, via sudo, when
    /// set), connecting and starting the agent first if needed. The reply
    /// carries the request's `id`.
    pub async fn call(&self, params: &ConnParams, become_user: Option<&str>, req: Request) -> Result<Reply, ConnError> {
        let slot = {
            let mut hosts = self.hosts.lock().map_err(|_| ConnError::agent(&params.inventory_hostname, "connection pool poisoned"))?;
            hosts.entry(HostId::of(params)).or_default().clone()
        };
        let (session, ssh) = {
            let mut state = slot.lock().await;
            self.session(&mut state, params, become_user).await?
        };
        match session.call(req).await {
            Ok(reply) => Ok(reply),
            Err(e) => Err(self.call_error(params, become_user, &session, ssh.as_deref(), e).await),
        }
    }

    /// The Hello of the agent that serves (`params`, `become_user`), starting it if needed.
    pub async fn agent_hello(&self, params: &ConnParams, become_user: Option<&str>) -> Result<modules::protocol::Hello, ConnError> {
        let slot = {
            let mut hosts = self.hosts.lock().map_err(|_| ConnError::agent(&params.inventory_hostname, "connection pool poisoned"))?;
            hosts.entry(HostId::of(params)).or_default().clone()
        };
        let mut state = slot.lock().await;
        Ok(self.session(&mut state, params, become_user).await?.0.hello.clone())
    }

    /// Closes every agent (EOF on its stdin) and SSH connection.
    pub async fn close_all(&self) {
        let slots: Vec<_> = match self.hosts.lock() {
            Ok(mut h) => h.drain().map(|(_, s)| s).collect(),
            Err(_) => return,
        };
        for slot in slots {
            let mut state = slot.lock().await;
            for (_, agent) in state.agents.drain() {
                agent.close().await;
            }
            if let Some(ssh) = state.ssh.take() {
                ssh.disconnect().await;
            }
        }
    }

    async fn session(
        &self,
        state: &mut HostState,
        params: &ConnParams,
        become_user: Option<&str>,
    ) -> Result<(Arc<AgentSession>, Option<Arc<SshConnection>>), ConnError> {
        let key = become_user.map(str::to_string);
        if let Some(s) = state.agents.get(&key) {
            if !s.is_closed() && !state.ssh.as_ref().is_some_and(|c| c.is_closed()) {
                return Ok((s.clone(), state.ssh.clone()));
            }
        }
        // A dead agent may mean a dead connection that russh has not noticed yet.
        let agent_died = state.agents.remove(&key).is_some();
        let label = &params.inventory_hostname;
        if let Some(user) = become_user {
            if params.become_method != "sudo" {
                return Err(ConnError::Become {
                    host: label.clone(),
                    user: user.to_string(),
                    message: format!("become_method '{}' is not supported (sudo only)", params.become_method),
                });
            }
        }
        let become_password = params.become_password.clone().or_else(|| self.opts.become_password.clone());
        let session = match params.kind {
            ConnKind::Local => {
                let bin = self.binary(false).await?;
                let s = local::start(&bin.path, become_user, become_password.as_deref(), HELLO_TIMEOUT).await.map_err(|e| match e {
                    SessionError::Become(m) => {
                        ConnError::Become { host: label.clone(), user: become_user.unwrap_or_default().to_string(), message: m }
                    }
                    other => ConnError::agent(label, other.to_string()),
                })?;
                Arc::new(s)
            }
            ConnKind::Ssh => {
                let bin = self.binary(true).await?;
                let reusable = match &state.ssh {
                    Some(c) => !c.is_closed() && (!agent_died || c.is_alive().await),
                    None => false,
                };
                let conn = match &state.ssh {
                    Some(c) if reusable => c.clone(),
                    _ => {
                        state.ssh = None;
                        state.agents.clear();
                        let c = Arc::new(SshConnection::connect(params, &self.opts).await?);
                        self.stats.ssh_connects.fetch_add(1, Ordering::Relaxed);
                        state.ssh = Some(c.clone());
                        c
                    }
                };
                let as_user = become_user.map(|u| upload::Become::new(u, become_password));
                let start = upload::start_command(&bin, as_user.as_ref());
                let sudo = || as_user.as_ref().map(upload::Become::sudo_prompt);
                let with_user = |e: ConnError| match e {
                    ConnError::Become { host, message, .. } => {
                        ConnError::Become { host, user: become_user.unwrap_or_default().to_string(), message }
                    }
                    other => other,
                };
                // Warm case: one exec channel finds the intact cached agent and runs it.
                let s = match conn.start_agent(&start, sudo(), HELLO_TIMEOUT).await {
                    Ok(s) => {
                        self.stats.agent_cache_hits.fetch_add(1, Ordering::Relaxed);
                        s
                    }
                    Err(ConnError::AgentMissing) => {
                        let slot =
                            self.upload_slots.acquire().await.map_err(|_| ConnError::agent(label, "the connection pool is closing"))?;
                        upload::install(&conn, label, &bin, as_user.as_ref()).await?;
                        drop(slot);
                        self.stats.agent_uploads.fetch_add(1, Ordering::Relaxed);
                        conn.start_agent(&start, sudo(), HELLO_TIMEOUT).await.map_err(|e| match e {
                            ConnError::AgentMissing => {
                                ConnError::agent(label, "the agent was uploaded and verified, but is not there to start")
                            }
                            other => with_user(other),
                        })?
                    }
                    Err(e) => return Err(with_user(e)),
                };
                Arc::new(s)
            }
        };
        self.stats.agents_started.fetch_add(1, Ordering::Relaxed);
        state.agents.insert(key, session.clone());
        Ok((session, state.ssh.clone()))
    }

    async fn binary(&self, remote: bool) -> Result<Arc<AgentBinary>, ConnError> {
        let cell = if remote { &self.remote_agent } else { &self.local_agent };
        cell.get_or_try_init(|| async {
            let path = agent_binary::locate(self.opts.agent_path.as_deref(), remote)?;
            let path2 = path.clone();
            let bin = tokio::task::spawn_blocking(move || AgentBinary::load(&path2))
                .await
                .map_err(|e| ConnError::AgentBinary { path: Some(path), message: format!("reading failed: {e}") })??;
            Ok(Arc::new(bin))
        })
        .await
        .cloned()
    }

    async fn call_error(
        &self,
        params: &ConnParams,
        become_user: Option<&str>,
        session: &AgentSession,
        ssh: Option<&SshConnection>,
        e: SessionError,
    ) -> ConnError {
        let label = &params.inventory_hostname;
        if let Some(conn) = ssh {
            if matches!(e, SessionError::Closed(_)) && !conn.is_alive().await {
                return ConnError::unreachable(label, format!("connection to {} lost: {e}", params.address()));
            }
        }
        let err = session.stderr_text();
        let who = become_user.map(|u| format!(" (as {u})")).unwrap_or_default();
        if err.is_empty() {
            ConnError::agent(label, format!("agent{who}: {e}"))
        } else {
            ConnError::agent(label, format!("agent{who}: {e}; its stderr: {err}"))
        }
    }
}
