//! `wait_for`: wait until a TCP port accepts (or refuses) connections, a file
//! appears (or disappears, or contains a pattern), or a port has no active
//! connections left (`drained`, read from `/proc/net/tcp*`).
//! Like Ansible's, the module is read-only: never `changed`; in check mode it
//! is skipped.

use std::io::Read;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitState {
    Started,
    Stopped,
    Present,
    Absent,
    Drained,
}

impl WaitState {
    fn as_str(self) -> &'static str {
        match self {
            WaitState::Started => "started",
            WaitState::Stopped => "stopped",
            WaitState::Present => "present",
            WaitState::Absent => "absent",
            WaitState::Drained => "drained",
        }
    }
}

/// Wait for a condition before continuing.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    /// Host (name or address) to connect to.
    #[serde(default = "localhost")]
    pub host: String,
    /// TCP port to wait for.
    #[serde(default, deserialize_with = "crate::util::scalar::int_opt")]
    pub port: Option<u16>,
    /// File to wait for (`present`/`started`: exists; `absent`: gone).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// `started`/`present` (default), `stopped`/`absent`, or `drained` (no active connections).
    #[serde(default = "started")]
    pub state: WaitState,
    /// A regular expression the file or the port's first output must contain.
    #[serde(default)]
    pub search_regex: Option<String>,
    /// Seconds to wait at most.
    #[serde(default = "three_hundred", deserialize_with = "crate::util::scalar::int")]
    pub timeout: u64,
    /// Seconds to wait before starting to check.
    #[serde(default, deserialize_with = "crate::util::scalar::int")]
    pub delay: u64,
    /// Seconds between checks.
    #[serde(default = "one", deserialize_with = "crate::util::scalar::int")]
    pub sleep: u64,
    /// Seconds to wait for one connection attempt.
    #[serde(default = "five", deserialize_with = "crate::util::scalar::int")]
    pub connect_timeout: u64,
    /// The failure message instead of the default one.
    #[serde(default)]
    pub msg: Option<String>,
    /// With `drained`: remote hosts whose connections do not count.
    #[serde(default)]
    pub exclude_hosts: Option<Vec<String>>,
    /// With `drained`: TCP states that count as active.
    #[serde(default = "active_states")]
    pub active_connection_states: Vec<String>,
}

fn localhost() -> String {
    "127.0.0.1".into()
}
fn started() -> WaitState {
    WaitState::Started
}
fn three_hundred() -> u64 {
    300
}
fn one() -> u64 {
    1
}
fn five() -> u64 {
    5
}
fn active_states() -> Vec<String> {
    ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT", "TIME_WAIT"].map(String::from).to_vec()
}

/// The `/proc/net/tcp` state numbers (include/net/tcp_states.h).
fn tcp_state_id(name: &str) -> Option<u8> {
    let names = [
        "",
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
    ];
    names.iter().position(|n| !n.is_empty() && *n == name).map(|i| i as u8)
}

/// What one successful check found.
#[derive(Default)]
struct Found {
    groups: Vec<Value>,
    named: Map<String, Value>,
}

fn matched(re: &Regex, hay: &[u8]) -> Option<Found> {
    let caps = re.captures(hay)?;
    let text = |m: Option<regex::bytes::Match>| {
        m.map(|m| Value::String(String::from_utf8_lossy(m.as_bytes()).into_owned())).unwrap_or(Value::Null)
    };
    let groups = (1..caps.len()).map(|i| text(caps.get(i))).collect();
    let named = re.capture_names().flatten().map(|n| (n.to_string(), text(caps.name(n)))).collect();
    Some(Found { groups, named })
}

impl WaitFor {
    fn addrs(&self, port: u16) -> Vec<SocketAddr> {
        (self.host.as_str(), port).to_socket_addrs().map(|a| a.collect()).unwrap_or_default()
    }

    fn connect(&self, port: u16, deadline: Instant) -> Option<TcpStream> {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let t = Duration::from_secs(self.connect_timeout.max(1)).min(left);
        self.addrs(port).into_iter().find_map(|a| TcpStream::connect_timeout(&a, t).ok())
    }

    /// Read from the connection until the pattern shows up, the peer closes, or time runs out.
    fn port_matches(&self, mut s: TcpStream, re: &Regex, deadline: Instant) -> Option<Found> {
        let mut data = Vec::new();
        let mut buf = [0u8; 1024];
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            if s.set_read_timeout(Some(left)).is_err() {
                return None;
            }
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => {
                    data.extend_from_slice(&buf[..n]);
                    if let Some(f) = matched(re, &data) {
                        return Some(f);
                    }
                }
            }
        }
        None
    }

    fn active_connections(&self, port: u16, states: &[u8]) -> usize {
        let excluded: Vec<std::net::IpAddr> = self.exclude_hosts.iter().flatten().filter_map(|h| h.parse().ok()).collect();
        let mut count = 0;
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else { continue };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() < 4 {
                    continue;
                }
                let local_port = f[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
                let state = u8::from_str_radix(f[3], 16).ok();
                let remote = parse_proc_addr(f[2]);
                if local_port == Some(port) && state.is_some_and(|s| states.contains(&s)) && !remote.is_some_and(|r| excluded.contains(&r))
                {
                    count += 1;
                }
            }
        }
        count
    }

    /// One check: `Some` when the condition holds.
    fn check(&self, re: Option<&Regex>, deadline: Instant, states: &[u8]) -> Result<Option<Found>, ModuleError> {
        let exists = |p: &PathBuf| std::fs::symlink_metadata(p).is_ok();
        Ok(match (self.state, self.port, &self.path) {
            (WaitState::Drained, Some(port), _) => (self.active_connections(port, states) == 0).then(Found::default),
            (WaitState::Stopped | WaitState::Absent, Some(port), _) => self.connect(port, deadline).is_none().then(Found::default),
            (WaitState::Absent, None, Some(p)) => (!exists(p)).then(Found::default),
            (_, Some(port), _) => match (self.connect(port, deadline), re) {
                (Some(_), None) => Some(Found::default()),
                (Some(s), Some(re)) => self.port_matches(s, re, deadline),
                (None, _) => None,
            },
            (_, None, Some(p)) => match (std::fs::read(p), re) {
                (Ok(_), None) => Some(Found::default()),
                (Ok(data), Some(re)) => matched(re, &data),
                (Err(_), _) => None,
            },
            _ => None,
        })
    }

    fn timeout_msg(&self) -> String {
        if let Some(m) = &self.msg {
            return m.clone();
        }
        let path = self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        let (host, port) = (&self.host, self.port.unwrap_or(0));
        match (self.state, self.port.is_some(), &self.search_regex) {
            (WaitState::Drained, _, _) => format!("Timeout when waiting for {host}:{port} to drain"),
            (WaitState::Stopped | WaitState::Absent, true, _) => format!("Timeout when waiting for {host}:{port} to stop."),
            (WaitState::Absent, false, _) => format!("Timeout when waiting for {path} to be absent."),
            (_, true, Some(r)) => format!("Timeout when waiting for search string {r} in {host}:{port}"),
            (_, true, None) => format!("Timeout when waiting for {host}:{port}"),
            (_, false, Some(r)) => format!("Timeout when waiting for search string {r} in {path}"),
            (_, false, None) => format!("Timeout when waiting for file {path}"),
        }
    }

    fn validate(&self) -> Result<(Option<Regex>, Vec<u8>), ModuleError> {
        if self.port.is_some() && self.path.is_some() {
            return Err(ModuleError::BadArgs("port and path parameter can not both be passed to wait_for".into()));
        }
        if self.path.is_some() && self.state == WaitState::Stopped {
            return Err(ModuleError::BadArgs("state=stopped should only be used for checking a port in the wait_for module".into()));
        }
        if self.path.is_some() && self.state == WaitState::Drained {
            return Err(ModuleError::BadArgs("state=drained should only be used for checking a port in the wait_for module".into()));
        }
        if self.exclude_hosts.is_some() && self.state != WaitState::Drained {
            return Err(ModuleError::BadArgs("exclude_hosts should only be with state=drained".into()));
        }
        if self.state == WaitState::Drained && self.port.is_none() {
            return Err(ModuleError::BadArgs("state=drained needs a port".into()));
        }
        let mut states = Vec::new();
        for s in &self.active_connection_states {
            states.push(tcp_state_id(s).ok_or_else(|| ModuleError::BadArgs(format!("unknown active_connection_state ({s}) defined")))?);
        }
        let re = match &self.search_regex {
            Some(r) => Some(Regex::new(&format!("(?m){r}")).map_err(|e| ModuleError::BadArgs(format!("Invalid regular expression: {e}")))?),
            None => None,
        };
        Ok((re, states))
    }
}

/// `0100007F:1F90` → 127.0.0.1 (IPv4 and IPv6 forms of `/proc/net/tcp*`).
fn parse_proc_addr(field: &str) -> Option<std::net::IpAddr> {
    let hex = field.split(':').next()?;
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).filter_map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
    match bytes.len() {
        4 => Some(std::net::IpAddr::from([bytes[3], bytes[2], bytes[1], bytes[0]])),
        16 => {
            // four little-endian 32-bit words
            let mut b = [0u8; 16];
            for w in 0..4 {
                for i in 0..4 {
                    b[w * 4 + i] = bytes[w * 4 + 3 - i];
                }
            }
            let v6 = std::net::Ipv6Addr::from(b);
            Some(v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(std::net::IpAddr::V6(v6)))
        }
        _ => None,
    }
}

impl Module for WaitFor {
    const NAME: &'static str = "wait_for";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let (re, states) = self.validate()?;
        if ctx.check_mode {
            let mut o = Outcome::changed(false).with_msg("wait_for does not run in check mode");
            o.skipped = true;
            return Ok(o);
        }
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(self.delay));
        let deadline = start + Duration::from_secs(self.timeout);
        let mut found = None;
        if self.port.is_none() && self.path.is_none() {
            // Nothing to watch: Ansible just sleeps for `timeout`.
            std::thread::sleep(Duration::from_secs(self.timeout));
            found = Some(Found::default());
        }
        while found.is_none() {
            found = self.check(re.as_ref(), deadline, &states)?;
            if found.is_some() || Instant::now() >= deadline {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(Duration::from_secs(self.sleep).min(left));
        }
        let elapsed = start.elapsed().as_secs();
        let Some(found) = found else {
            return Err(ModuleError::failed_with(Outcome::default().with("elapsed", elapsed), self.timeout_msg()));
        };
        let o = Outcome::changed(false)
            .with("state", self.state.as_str())
            .with("port", self.port)
            .with("path", self.path.as_ref().map(|p| p.display().to_string()))
            .with("search_regex", self.search_regex.clone())
            .with("match_groups", found.groups)
            .with("match_groupdict", found.named)
            .with("elapsed", elapsed);
        Ok(match &self.path {
            Some(p) => with_path_info(o, p),
            None => o,
        })
    }
}

/// Ansible adds the file's attributes to any result that has a `path`
/// (and `state` becomes the file's type): do the same so registered results match.
fn with_path_info(mut o: Outcome, path: &std::path::Path) -> Outcome {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return o.with("state", "absent");
    };
    let kind = if m.file_type().is_symlink() {
        "link"
    } else if m.is_dir() {
        "directory"
    } else {
        "file"
    };
    let owner = crate::util::accounts::users().ok().and_then(|u| u.into_iter().find(|u| u.uid == m.uid())).map(|u| u.name);
    let group = crate::util::accounts::groups().ok().and_then(|g| g.into_iter().find(|g| g.gid == m.gid())).map(|g| g.name);
    o.values.insert("uid".into(), m.uid().into());
    o.values.insert("gid".into(), m.gid().into());
    o.values.insert("owner".into(), owner.map(Value::String).unwrap_or_else(|| m.uid().to_string().into()));
    o.values.insert("group".into(), group.map(Value::String).unwrap_or_else(|| m.gid().to_string().into()));
    o.values.insert("mode".into(), format!("{:04o}", m.mode() & 0o7777).into());
    o.values.insert("size".into(), m.size().into());
    o.with("state", kind)
}

register_module!(WaitFor);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_addresses() {
        assert_eq!(parse_proc_addr("0100007F:1F90"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_proc_addr("0000000000000000FFFF00000100007F:1F90"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(tcp_state_id("TIME_WAIT"), Some(6));
        assert_eq!(tcp_state_id("LISTEN"), Some(10));
    }
}
