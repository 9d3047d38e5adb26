//! `ansible_connection: ssh` with russh: one authenticated connection per
//! host, over which short exec channels check/install the agent and one
//! long-lived exec channel carries the agent protocol.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};

use super::error::ConnError;
use super::known_hosts::{self, Verdict};
use super::params::{home_dir, ConnOptions, ConnParams, HostKeyPolicy};
use super::session::{AgentSession, SessionError, StderrTail, SudoPrompt};

/// Checks the server key and remembers why it refused one.
struct Client {
    label: String,
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    files: Vec<PathBuf>,
    refusal: Arc<Mutex<Option<ConnError>>>,
}

impl Client {
    fn refuse(&self, message: String) -> Result<bool, russh::Error> {
        if let Ok(mut r) = self.refusal.lock() {
            *r = Some(ConnError::HostKey { host: self.label.clone(), message });
        }
        Ok(false)
    }

    /// OpenSSH's `StrictHostKeyChecking` semantics: `Off` is its `no` (what Ansible's
    /// `host_key_checking=False` passes), which records unknown keys and tolerates changed
    /// ones but still refuses revoked ones.
    fn verify(&self, key: &PublicKey) -> Result<bool, russh::Error> {
        let addr = known_hosts::host_pattern_name(&self.host, self.port);
        let fp = key.fingerprint(Default::default());
        let files = || self.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ");
        match known_hosts::check(&self.files, &self.host, self.port, key) {
            Verdict::Known => Ok(true),
            Verdict::Revoked { file, line } => {
                self.refuse(format!("the {} key {fp} of {addr} is marked @revoked in {}:{line}", key.algorithm(), file.display()))
            }
            Verdict::Changed { .. } if self.policy == HostKeyPolicy::Off => Ok(true),
            Verdict::Changed { file, line } => self.refuse(format!(
                "REMOTE HOST KEY CHANGED: {addr} offered {} key {fp}, which differs from the key recorded in {}:{line} \
                 (possible man-in-the-middle attack; if the host was reinstalled, remove that line)",
                key.algorithm(),
                file.display()
            )),
            Verdict::Unknown if self.policy == HostKeyPolicy::Off => {
                // Like ssh, a key that cannot be recorded does not stop an unchecked connection.
                if let Some(file) = self.files.first() {
                    let _ = known_hosts::learn(file, &self.host, self.port, key);
                }
                Ok(true)
            }
            Verdict::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                let Some(file) = self.files.first() else {
                    return self.refuse(format!("{addr} is unknown and there is no known_hosts file to record it in"));
                };
                match known_hosts::learn(file, &self.host, self.port, key) {
                    Ok(()) => Ok(true),
                    Err(e) => self.refuse(format!("cannot record the key of {addr} in {}: {e}", file.display())),
                }
            }
            Verdict::Unknown => self.refuse(format!(
                "{addr} is not a known host (its {} key is {fp}); no matching entry in {}. \
                 Add it (ssh-keyscan), or use --accept-new-host-keys / host_key_checking=false",
                key.algorithm(),
                files()
            )),
        }
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, server_public_key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.verify(key),
            PublicKeyOrCertificate::Certificate(_) => {
                if self.policy == HostKeyPolicy::Off {
                    Ok(true)
                } else {
                    self.refuse("the host presented a certificate; host certificates are not supported".into())
                }
            }
        }
    }
}

/// One authenticated SSH connection.
pub struct SshConnection {
    label: String,
    handle: Handle<Client>,
    /// The ProxyJump hop this connection is tunnelled through, kept alive.
    _jump: Option<Box<SshConnection>>,
}

/// What a finished command returned.
#[derive(Debug)]
pub struct ExecOutput {
    pub status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

fn default_known_hosts() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(home) = home_dir() {
        files.push(home.join(".ssh/known_hosts"));
        files.push(home.join(".ssh/known_hosts2"));
    }
    files.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
    files
}

fn config(opts: &ConnOptions) -> Arc<client::Config> {
    Arc::new(client::Config {
        nodelay: true,
        keepalive_interval: Some(opts.keepalive_interval),
        keepalive_max: 3,
        inactivity_timeout: None,
        ..Default::default()
    })
}

impl SshConnection {
    pub async fn connect(params: &ConnParams, opts: &ConnOptions) -> Result<SshConnection, ConnError> {
        let label = params.inventory_hostname.clone();
        let fut = Self::connect_inner(params, opts);
        match tokio::time::timeout(params.connect_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(ConnError::unreachable(
                &label,
                format!("connecting to {} timed out after {:?}", params.address(), params.connect_timeout),
            )),
        }
    }

    async fn connect_inner(params: &ConnParams, opts: &ConnOptions) -> Result<SshConnection, ConnError> {
        let label = params.inventory_hostname.clone();
        let files = if params.known_hosts_files.is_empty() { default_known_hosts() } else { params.known_hosts_files.clone() };
        let refusal = Arc::new(Mutex::new(None));
        let client = Client {
            label: label.clone(),
            host: params.host.clone(),
            port: params.port,
            policy: params.host_key_policy,
            files,
            refusal: refusal.clone(),
        };
        let (result, jump) = match &params.proxy_jump {
            None => (client::connect(config(opts), (params.host.as_str(), params.port), client).await, None),
            Some(j) => {
                let mut hop = params.clone();
                hop.host = j.host.clone();
                hop.port = j.port;
                hop.user = j.user.clone().unwrap_or_else(|| params.user.clone());
                hop.proxy_jump = None;
                hop.inventory_hostname = format!("{label} (via ProxyJump {})", hop.address());
                let hop_conn = Box::pin(Self::connect_inner(&hop, opts)).await?;
                let channel =
                    hop_conn.handle.channel_open_direct_tcpip(params.host.clone(), u32::from(params.port), "127.0.0.1", 0).await.map_err(
                        |e| ConnError::unreachable(&label, format!("ProxyJump {} cannot reach {}: {e}", hop.address(), params.address())),
                    )?;
                (client::connect_stream(config(opts), channel.into_stream(), client).await, Some(Box::new(hop_conn)))
            }
        };
        let mut handle = match result {
            Ok(h) => h,
            Err(e) => {
                if let Some(refused) = refusal.lock().ok().and_then(|mut r| r.take()) {
                    return Err(refused);
                }
                // ansible-core 2.19's words, OpenSSH's `ssh: connect to host H port P: …` included.
                let reason = e.to_string();
                let reason = reason.split(" (os error").next().unwrap_or(&reason);
                return Err(ConnError::unreachable(
                    &label,
                    format!(
                        "Task failed: Failed to connect to the host via ssh: ssh: connect to host {} port {}: {reason}",
                        params.host, params.port
                    ),
                ));
            }
        };
        authenticate(&mut handle, params).await?;
        Ok(SshConnection { label, handle, _jump: jump })
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Runs `cmd`, feeding `stdin` (after `ready` appears on stdout, when set)
    /// and answering a sudo prompt, and collects its output.
    pub async fn exec(
        &self,
        cmd: &str,
        stdin: Option<bytes::Bytes>,
        sudo: Option<&SudoPrompt>,
        ready: Option<&str>,
    ) -> Result<ExecOutput, ConnError> {
        let lost = |e: russh::Error| ConnError::unreachable(&self.label, format!("ssh channel failed: {e}"));
        let mut ch = self.handle.channel_open_session().await.map_err(lost)?;
        ch.exec(true, cmd).await.map_err(lost)?;
        let mut stdin_pending = stdin;
        if ready.is_none() {
            if let Some(data) = stdin_pending.take() {
                ch.data_bytes(data).await.map_err(lost)?;
                ch.eof().await.map_err(lost)?;
            }
        }
        let (mut out, mut err, mut status) = (Vec::new(), Vec::new(), None);
        let mut prompts_answered = 0;
        while let Some(msg) = ch.wait().await {
            match msg {
                ChannelMsg::Data { data } => {
                    out.extend_from_slice(&data);
                    if let (Some(marker), Some(_)) = (ready, &stdin_pending) {
                        if String::from_utf8_lossy(&out).contains(marker) {
                            if let Some(data) = stdin_pending.take() {
                                ch.data_bytes(data).await.map_err(lost)?;
                                ch.eof().await.map_err(lost)?;
                            }
                        }
                    }
                }
                ChannelMsg::ExtendedData { data, .. } => {
                    err.extend_from_slice(&data);
                    if let Some(sudo) = sudo {
                        let prompts = String::from_utf8_lossy(&err).matches(sudo.marker.as_str()).count();
                        if prompts > prompts_answered {
                            match (&sudo.password, prompts_answered) {
                                (Some(pw), 0) => {
                                    ch.data_bytes(format!("{pw}\n").into_bytes()).await.map_err(lost)?;
                                    prompts_answered = prompts;
                                }
                                _ => {
                                    let _ = ch.close().await;
                                    return Ok(ExecOutput {
                                        status: Some(1),
                                        stdout: String::new(),
                                        stderr: "sudo: a password is required (or was refused)".into(),
                                    });
                                }
                            }
                        }
                    }
                }
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                _ => {}
            }
        }
        Ok(ExecOutput { status, stdout: String::from_utf8_lossy(&out).into_owned(), stderr: String::from_utf8_lossy(&err).into_owned() })
    }

    /// Starts `cmd` (which execs the agent) on a channel that stays open; its
    /// stdin/stdout carry the agent protocol.
    pub async fn start_agent(&self, cmd: &str, sudo: Option<SudoPrompt>, timeout: Duration) -> Result<AgentSession, ConnError> {
        let lost = |e: russh::Error| ConnError::unreachable(&self.label, format!("ssh channel failed: {e}"));
        let ch = self.handle.channel_open_session().await.map_err(lost)?;
        ch.exec(true, cmd).await.map_err(lost)?;
        let (mut read, write) = ch.split();
        let (mut to_session, from_channel) = tokio::io::duplex(256 * 1024);
        let tail = StderrTail::default();
        let pump_tail = tail.clone();
        tokio::spawn(async move {
            while let Some(msg) = read.wait().await {
                match msg {
                    // The session side is gone: nobody reads any more.
                    ChannelMsg::Data { data } if tokio::io::AsyncWriteExt::write_all(&mut to_session, &data).await.is_err() => break,
                    ChannelMsg::Data { .. } => {}
                    ChannelMsg::ExtendedData { data, .. } => pump_tail.push(&data),
                    ChannelMsg::ExitStatus { exit_status } if exit_status != 0 => {
                        pump_tail.push(format!("\n[exit status {exit_status}]").as_bytes())
                    }
                    _ => {}
                }
            }
        });
        let writer = write.make_writer();
        AgentSession::start(from_channel, writer, tail, sudo, timeout, Box::new(write)).await.map_err(|e| match e {
            SessionError::AgentMissing => ConnError::AgentMissing,
            SessionError::Become(m) => ConnError::Become { host: self.label.clone(), user: String::new(), message: m },
            other if self.is_closed() => ConnError::unreachable(&self.label, other.to_string()),
            other => ConnError::agent(&self.label, other.to_string()),
        })
    }

    /// Whether the connection still works: the agent's channel can end with
    /// the TCP connection before russh notices, so ask the server.
    pub async fn is_alive(&self) -> bool {
        if self.is_closed() {
            return false;
        }
        let probe = async {
            let ch = self.handle.channel_open_session().await.ok()?;
            let _ = ch.close().await;
            Some(())
        };
        matches!(tokio::time::timeout(Duration::from_secs(5), probe).await, Ok(Some(())))
    }

    pub async fn disconnect(&self) {
        let _ = self.handle.disconnect(Disconnect::ByApplication, "", "en").await;
    }
}

/// Keys from `ansible_ssh_private_key_file` (else `~/.ssh/id_{ed25519,rsa,ecdsa}`),
/// then ssh-agent, then `ansible_password`.
async fn authenticate(handle: &mut Handle<Client>, params: &ConnParams) -> Result<(), ConnError> {
    let label = &params.inventory_hostname;
    let auth_err = |m: String| ConnError::Auth { host: label.clone(), user: params.user.clone(), message: m };
    let lost = |e: russh::Error| ConnError::unreachable(label, format!("connection lost during authentication: {e}"));
    let mut tried = Vec::new();
    let keys: Vec<PathBuf> = if params.identity_files.is_empty() {
        home_dir()
            .map(|h| ["id_ed25519", "id_rsa", "id_ecdsa"].iter().map(|n| h.join(".ssh").join(n)).filter(|p| p.is_file()).collect())
            .unwrap_or_default()
    } else {
        params.identity_files.clone()
    };
    for path in &keys {
        let key = match russh::keys::load_secret_key(path, None) {
            Ok(k) => Arc::new(k),
            Err(e) => {
                tried.push(format!("{}: cannot load ({e})", path.display()));
                continue;
            }
        };
        let hash = handle.best_supported_rsa_hash().await.map_err(lost)?.flatten();
        let res = handle.authenticate_publickey(params.user.clone(), PrivateKeyWithHashAlg::new(key, hash)).await.map_err(lost)?;
        if res.success() {
            return Ok(());
        }
        tried.push(format!("{}: refused", path.display()));
    }
    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        match AgentClient::connect_env().await {
            Ok(mut agent) => {
                let ids = agent.request_identities().await.unwrap_or_default();
                for id in ids {
                    let key = id.public_key().into_owned();
                    let hash = handle.best_supported_rsa_hash().await.map_err(lost)?.flatten();
                    match handle.authenticate_publickey_with(params.user.clone(), key, hash, &mut agent).await {
                        Ok(r) if r.success() => return Ok(()),
                        Ok(_) => tried.push("ssh-agent key: refused".into()),
                        Err(e) => tried.push(format!("ssh-agent key: {e}")),
                    }
                }
            }
            Err(e) => tried.push(format!("ssh-agent: {e}")),
        }
    }
    if let Some(pw) = &params.password {
        let res = handle.authenticate_password(params.user.clone(), pw.clone()).await.map_err(lost)?;
        if res.success() {
            return Ok(());
        }
        tried.push("password: refused".into());
    }
    if tried.is_empty() {
        return Err(auth_err(
            "no credentials: no ansible_ssh_private_key_file, no ~/.ssh/id_ed25519|id_rsa|id_ecdsa, no ssh-agent, no ansible_password"
                .into(),
        ));
    }
    Err(auth_err(tried.join("; ")))
}
