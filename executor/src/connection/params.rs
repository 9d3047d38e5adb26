//! Connection parameters of one host, taken from its (already templated)
//! Ansible variables: `ansible_connection`, `ansible_host`, `ansible_port`,
//! `ansible_user`, `ansible_ssh_private_key_file`, `ansible_ssh_common_args`,
//! `ansible_ssh_extra_args`, `ansible_ssh_timeout`, `ansible_host_key_checking`,
//! `ansible_become_method`, `ansible_become_password`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::ConnError;

/// Executor-wide connection settings (command line and environment).
#[derive(Debug, Clone)]
pub struct ConnOptions {
    /// Record unknown host keys instead of refusing them (`--accept-new-host-keys`,
    /// like `StrictHostKeyChecking=accept-new`).
    pub accept_new_host_keys: bool,
    /// `false` skips host key checks entirely (`ANSIBLE_HOST_KEY_CHECKING=False`).
    pub host_key_checking: bool,
    /// TCP connect + SSH handshake limit, unless a host sets its own.
    pub connect_timeout: Duration,
    /// Overrides where the `dpctl-agent` binary is taken from (see `agent_binary`).
    pub agent_path: Option<PathBuf>,
    /// `--ask-become-pass`: used when a host has no `ansible_become_password`.
    pub become_password: Option<String>,
    /// SSH keepalive interval; three unanswered keepalives drop the connection.
    pub keepalive_interval: Duration,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            accept_new_host_keys: false,
            host_key_checking: true,
            connect_timeout: Duration::from_secs(10),
            agent_path: None,
            become_password: None,
            keepalive_interval: Duration::from_secs(15),
        }
    }
}

impl ConnOptions {
    /// Defaults, with `ANSIBLE_HOST_KEY_CHECKING` applied (`DPCTL_AGENT` is
    /// read when the agent binary is located).
    pub fn from_env() -> Self {
        let mut opts = ConnOptions::default();
        if let Ok(v) = std::env::var("ANSIBLE_HOST_KEY_CHECKING") {
            if let Some(b) = parse_bool(&Value::String(v)) {
                opts.host_key_checking = b;
            }
        }
        opts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnKind {
    Ssh,
    Local,
}

/// What to do with a host key that is not (or differently) recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKeyPolicy {
    /// Unknown and changed keys are refused.
    Strict,
    /// Unknown keys are recorded and accepted; changed keys are refused.
    AcceptNew,
    /// OpenSSH's `StrictHostKeyChecking=no`: unknown keys are recorded, changed ones tolerated
    /// (revoked ones are still refused).
    Off,
}

/// A `ProxyJump` hop.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JumpHost {
    pub user: Option<String>,
    pub host: String,
    pub port: u16,
}

/// How to reach one host. Built by [`ConnParams::from_host_vars`].
#[derive(Debug, Clone)]
pub struct ConnParams {
    pub inventory_hostname: String,
    pub kind: ConnKind,
    /// Address to connect to (`ansible_host`, else the inventory name).
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Keys to offer; empty means the default `~/.ssh/id_*` files.
    pub identity_files: Vec<PathBuf>,
    /// `ansible_password`, offered after the keys.
    pub password: Option<String>,
    /// Files to check host keys against; empty means `~/.ssh/known_hosts`
    /// (+ `known_hosts2`) and `/etc/ssh/ssh_known_hosts`.
    pub known_hosts_files: Vec<PathBuf>,
    pub host_key_policy: HostKeyPolicy,
    pub connect_timeout: Duration,
    pub proxy_jump: Option<JumpHost>,
    /// Only `sudo` is supported.
    pub become_method: String,
    pub become_password: Option<String>,
}

impl ConnParams {
    pub fn from_host_vars(inventory_hostname: &str, vars: &Map<String, Value>, opts: &ConnOptions) -> Result<ConnParams, ConnError> {
        let h = inventory_hostname;
        let kind = match first_str(vars, &["ansible_connection"]).as_deref() {
            None | Some("ssh") | Some("smart") | Some("paramiko") => ConnKind::Ssh,
            Some("local") => ConnKind::Local,
            Some(other) => return Err(ConnError::config(h, format!("ansible_connection '{other}' is not supported (ssh, local)"))),
        };
        let host = first_str(vars, &["ansible_host", "ansible_ssh_host"]).unwrap_or_else(|| h.to_string());
        let var_port = match first(vars, &["ansible_port", "ansible_ssh_port"]) {
            None => None,
            Some(v) => Some(parse_port(v).ok_or_else(|| ConnError::config(h, format!("ansible_port {v} is not a port number")))?),
        };
        let var_user = first_str(vars, &["ansible_user", "ansible_ssh_user"]);
        let var_timeout = match first(vars, &["ansible_ssh_timeout", "ansible_timeout"]) {
            None => None,
            Some(v) => {
                Some(parse_u64(v).ok_or_else(|| ConnError::config(h, format!("ansible_ssh_timeout {v} is not a number of seconds")))?)
            }
        };
        let mut identity_files: Vec<PathBuf> =
            first_str(vars, &["ansible_ssh_private_key_file", "ansible_private_key_file"]).map(|p| expand_tilde(&p)).into_iter().collect();

        let mut args = String::new();
        for name in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
            if let Some(a) = first_str(vars, &[name]) {
                args.push(' ');
                args.push_str(&a);
            }
        }
        let ssh = SshArgs::parse(h, &args)?;
        identity_files.extend(ssh.identity_files);

        // As with ssh itself, Ansible's own settings come first on the ssh
        // command line, and ssh keeps the first value it sees for an option.
        let checking = match first(vars, &["ansible_host_key_checking", "ansible_ssh_host_key_checking"]) {
            Some(v) => parse_bool(v).ok_or_else(|| ConnError::config(h, format!("ansible_host_key_checking {v} is not a boolean")))?,
            None => opts.host_key_checking,
        };
        let host_key_policy = match (checking, ssh.strict, opts.accept_new_host_keys) {
            (false, _, _) | (true, Some(HostKeyPolicy::Off), _) => HostKeyPolicy::Off,
            (true, _, true) => HostKeyPolicy::AcceptNew,
            (true, Some(p), false) => p,
            (true, None, false) => HostKeyPolicy::Strict,
        };
        let port = var_port.or(ssh.port).unwrap_or(22);
        let user = var_user.or(ssh.user).unwrap_or_else(current_user);
        let connect_timeout = var_timeout.map(Duration::from_secs).or(ssh.connect_timeout).unwrap_or(opts.connect_timeout);
        let known_hosts_files = ssh.known_hosts_files;
        let proxy_jump = ssh.proxy_jump.flatten();
        let become_method = first_str(vars, &["ansible_become_method"]).unwrap_or_else(|| "sudo".into());
        let become_password = first_str(vars, &["ansible_become_password", "ansible_become_pass", "ansible_sudo_pass"])
            .or_else(|| opts.become_password.clone());
        Ok(ConnParams {
            inventory_hostname: h.to_string(),
            kind,
            host,
            port,
            user,
            identity_files,
            password: first_str(vars, &["ansible_password", "ansible_ssh_pass", "ansible_ssh_password"]),
            known_hosts_files,
            host_key_policy,
            connect_timeout,
            proxy_jump,
            become_method,
            become_password,
        })
    }

    /// The implicit `localhost` Ansible adds when the inventory has none (and
    /// what `delegate_to: localhost` uses): a local connection as the current user.
    pub fn implicit_localhost(opts: &ConnOptions) -> ConnParams {
        let mut vars = Map::new();
        vars.insert("ansible_connection".into(), Value::String("local".into()));
        ConnParams::from_host_vars("localhost", &vars, opts).unwrap_or_else(|_| unreachable_local(opts))
    }

    /// `host:port` as shown in messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

// `from_host_vars` cannot fail for these vars; kept total without a panic.
fn unreachable_local(opts: &ConnOptions) -> ConnParams {
    ConnParams {
        inventory_hostname: "localhost".into(),
        kind: ConnKind::Local,
        host: "localhost".into(),
        port: 22,
        user: current_user(),
        identity_files: vec![],
        password: None,
        known_hosts_files: vec![],
        host_key_policy: HostKeyPolicy::Strict,
        connect_timeout: opts.connect_timeout,
        proxy_jump: None,
        become_method: "sudo".into(),
        become_password: opts.become_password.clone(),
    }
}

fn first<'a>(vars: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| vars.get(*n)).filter(|v| !v.is_null())
}

fn first_str(vars: &Map<String, Value>, names: &[&str]) -> Option<String> {
    first(vars, names).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn parse_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_port(v: &Value) -> Option<u16> {
    parse_u64(v).and_then(|n| u16::try_from(n).ok()).filter(|p| *p != 0)
}

/// Ansible's boolean strings (`yes`, `on`, `1`, `true`, …).
pub(crate) fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
            "no" | "off" | "false" | "0" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The subset of ssh's command line we understand. Like ssh, the first
/// value given for an option wins.
#[derive(Default)]
struct SshArgs {
    port: Option<u16>,
    user: Option<String>,
    identity_files: Vec<PathBuf>,
    known_hosts_files: Vec<PathBuf>,
    strict: Option<HostKeyPolicy>,
    connect_timeout: Option<Duration>,
    proxy_jump: Option<Option<JumpHost>>,
}

impl SshArgs {
    fn parse(h: &str, args: &str) -> Result<SshArgs, ConnError> {
        let mut out = SshArgs::default();
        let mut known_hosts_set = false;
        let words = split_args(args).map_err(|m| ConnError::config(h, format!("ansible_ssh_common_args/extra_args: {m}")))?;
        let mut it = words.into_iter();
        while let Some(w) = it.next() {
            let (flag, inline) = match w.strip_prefix('-') {
                Some(rest) if rest.len() > 1 && w.is_char_boundary(2) => (w[..2].to_string(), Some(w[2..].to_string())),
                _ => (w.clone(), None),
            };
            let mut value =
                || inline.clone().or_else(|| it.next()).ok_or_else(|| ConnError::config(h, format!("ssh option {flag} needs a value")));
            match flag.as_str() {
                "-o" => {
                    let opt = value()?;
                    let (key, val) =
                        split_option(&opt).ok_or_else(|| ConnError::config(h, format!("ssh option '-o {opt}' has no value")))?;
                    match key.to_ascii_lowercase().as_str() {
                        "userknownhostsfile" if !known_hosts_set => {
                            known_hosts_set = true;
                            let files: Vec<&str> = val.split_whitespace().collect();
                            if files.iter().all(|f| *f == "/dev/null") {
                                // Ansible's idiom for "do not check": nothing to check against. It stays the
                                // file, so that a key is "recorded" into /dev/null, not into ~/.ssh/known_hosts.
                                out.strict.get_or_insert(HostKeyPolicy::Off);
                            }
                            out.known_hosts_files.extend(files.into_iter().map(expand_tilde));
                        }
                        "stricthostkeychecking" if out.strict.is_none() => {
                            out.strict = Some(match val.to_ascii_lowercase().as_str() {
                                "yes" | "ask" | "true" => HostKeyPolicy::Strict,
                                "accept-new" => HostKeyPolicy::AcceptNew,
                                "no" | "off" | "false" => HostKeyPolicy::Off,
                                other => return Err(ConnError::config(h, format!("StrictHostKeyChecking '{other}' is not understood"))),
                            })
                        }
                        "connecttimeout" if out.connect_timeout.is_none() => {
                            let secs = val
                                .trim()
                                .parse::<u64>()
                                .map_err(|_| ConnError::config(h, format!("ConnectTimeout '{val}' is not a number")))?;
                            out.connect_timeout = Some(Duration::from_secs(secs));
                        }
                        "proxyjump" if out.proxy_jump.is_none() => out.proxy_jump = Some(parse_jump(h, &val)?),
                        "identityfile" => out.identity_files.push(expand_tilde(&val)),
                        "port" if out.port.is_none() => {
                            out.port =
                                Some(val.trim().parse().map_err(|_| ConnError::config(h, format!("Port '{val}' is not a port number")))?)
                        }
                        "user" if out.user.is_none() => out.user = Some(val.trim().to_string()),
                        // Options that only tune OpenSSH's own behaviour (or repeat
                        // one already set): harmless to ignore.
                        _ => {}
                    }
                }
                "-J" => {
                    let v = value()?;
                    if out.proxy_jump.is_none() {
                        out.proxy_jump = Some(parse_jump(h, &v)?);
                    }
                }
                "-i" => out.identity_files.push(expand_tilde(&value()?)),
                "-p" => {
                    let v = value()?;
                    let p = v.parse().map_err(|_| ConnError::config(h, format!("-p '{v}' is not a port number")))?;
                    out.port.get_or_insert(p);
                }
                "-l" => {
                    let v = value()?;
                    out.user.get_or_insert(v);
                }
                // Other flags (-C, -4, -q, -v, …) do not change what we do.
                _ => {}
            }
        }
        Ok(out)
    }
}

/// `Key=Value`, `Key Value` or `Key "Value"`.
fn split_option(opt: &str) -> Option<(String, String)> {
    let opt = opt.trim();
    let idx = opt.find(|c: char| c == '=' || c.is_whitespace())?;
    let key = opt[..idx].to_string();
    let val = opt[idx..].trim_start_matches(|c: char| c == '=' || c.is_whitespace()).trim_matches('"').to_string();
    Some((key, val))
}

fn parse_jump(h: &str, spec: &str) -> Result<Option<JumpHost>, ConnError> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if spec.contains(',') {
        return Err(ConnError::config(h, format!("ProxyJump '{spec}': only one jump host is supported")));
    }
    let spec = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, rest) = match spec.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, spec),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or_else(|| ConnError::config(h, format!("ProxyJump '{spec}': unclosed '['")))?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (rest.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| ConnError::config(h, format!("ProxyJump '{spec}': bad port '{p}'")))?,
        None => 22,
    };
    Ok(Some(JumpHost { user, host, port }))
}

/// Splits an argument string as a POSIX shell would (quotes and backslashes;
/// no expansion), which is how Ansible hands `ansible_ssh_common_args` to ssh.
pub(crate) fn split_args(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn expand_tilde(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(p),
    }
}

/// The login name the executor runs as (Ansible's default `ansible_user`).
pub(crate) fn current_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var) {
            if !u.is_empty() {
                return u;
            }
        }
    }
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "root".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(vars: Value) -> Result<ConnParams, ConnError> {
        let Value::Object(m) = vars else { panic!("object") };
        ConnParams::from_host_vars("web1", &m, &ConnOptions::default())
    }

    #[test]
    fn defaults_use_inventory_name_port_22_and_strict_keys() {
        let p = params(json!({"ansible_user": "deploy"})).unwrap();
        assert_eq!((p.kind, p.host.as_str(), p.port, p.user.as_str()), (ConnKind::Ssh, "web1", 22, "deploy"));
        assert_eq!(p.host_key_policy, HostKeyPolicy::Strict);
        assert!(p.identity_files.is_empty() && p.known_hosts_files.is_empty());
    }

    #[test]
    fn fleet_style_vars_are_understood() {
        let p = params(json!({
            "ansible_host": "127.0.0.1", "ansible_port": "22201", "ansible_ssh_private_key_file": "/k/client",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/f/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
            "ansible_ssh_extra_args": "-o 'ConnectTimeout 7' -J jump@bastion:2222",
        }))
        .unwrap();
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 22201));
        assert_eq!(p.identity_files, vec![PathBuf::from("/k/client")]);
        assert_eq!(p.known_hosts_files, vec![PathBuf::from("/f/known_hosts")]);
        assert_eq!(p.connect_timeout, Duration::from_secs(7));
        assert_eq!(p.proxy_jump, Some(JumpHost { user: Some("jump".into()), host: "bastion".into(), port: 2222 }));
    }

    #[test]
    fn host_key_checking_can_be_turned_off_or_accept_new() {
        assert_eq!(params(json!({"ansible_host_key_checking": false})).unwrap().host_key_policy, HostKeyPolicy::Off);
        assert_eq!(
            params(json!({"ansible_ssh_common_args": "-oStrictHostKeyChecking=accept-new"})).unwrap().host_key_policy,
            HostKeyPolicy::AcceptNew
        );
        assert_eq!(
            params(json!({"ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null"})).unwrap().host_key_policy,
            HostKeyPolicy::Off
        );
        let p = params(json!({"ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null"})).unwrap();
        assert_eq!(p.known_hosts_files, vec![PathBuf::from("/dev/null")], "nothing is ever written to ~/.ssh/known_hosts");
        // Like Ansible's host_key_checking=False: wins over the inventory's ssh args.
        let opts = ConnOptions { host_key_checking: false, ..ConnOptions::default() };
        let Value::Object(m) = json!({"ansible_ssh_common_args": "-o StrictHostKeyChecking=yes"}) else { panic!() };
        assert_eq!(ConnParams::from_host_vars("h", &m, &opts).unwrap().host_key_policy, HostKeyPolicy::Off);
        let opts = ConnOptions { accept_new_host_keys: true, ..ConnOptions::default() };
        assert_eq!(ConnParams::from_host_vars("h", &m, &opts).unwrap().host_key_policy, HostKeyPolicy::AcceptNew);
    }

    #[test]
    fn first_ssh_option_wins_and_vars_beat_args() {
        let p = params(json!({
            "ansible_port": 2200,
            "ansible_ssh_common_args": "-o ConnectTimeout=3 -o Port=9 -o ConnectTimeout=99 -o StrictHostKeyChecking=no",
            "ansible_ssh_extra_args": "-o StrictHostKeyChecking=yes -l admin",
        }))
        .unwrap();
        assert_eq!((p.port, p.user.as_str(), p.connect_timeout), (2200, "admin", Duration::from_secs(3)));
        assert_eq!(p.host_key_policy, HostKeyPolicy::Off);
    }

    #[test]
    fn local_connection_and_bad_values_are_reported() {
        assert_eq!(params(json!({"ansible_connection": "local"})).unwrap().kind, ConnKind::Local);
        let e = params(json!({"ansible_connection": "winrm"})).unwrap_err().to_string();
        assert!(e.contains("web1") && e.contains("winrm"), "{e}");
        let e = params(json!({"ansible_port": "ssh"})).unwrap_err().to_string();
        assert!(e.contains("ansible_port"), "{e}");
        let e = params(json!({"ansible_ssh_common_args": "-o 'Unclosed"})).unwrap_err().to_string();
        assert!(e.contains("unterminated"), "{e}");
    }

    #[test]
    fn split_args_follows_shell_quoting() {
        assert_eq!(split_args(r#"-o "A B" 'c d' e\ f"#).unwrap(), vec!["-o", "A B", "c d", "e f"]);
        assert_eq!(split_args("  ").unwrap(), Vec::<String>::new());
    }
}
