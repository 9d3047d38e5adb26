//! Throwaway sshd "hosts" on loopback for integration tests (never the system
//! sshd, never /etc/ssh keys). Each host is `/usr/sbin/sshd -D -f <cfg>` with
//! its own generated ed25519 host key and pid file; all accept one generated
//! client key for the current user. A `known_hosts` file with every host's
//! real key is written, so strict host key checking works.
//!
//! Use from an integration test with `mod support;` (see `support/mod.rs`).
#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct SshdHost {
    pub name: String,
    pub port: u16,
    pub dir: PathBuf,
    /// `$HOME` of the login user's sessions on this host.
    pub home: PathBuf,
    /// `ssh-ed25519 AAAA…` of the host key.
    pub host_key_pub: String,
    child: Option<Child>,
}

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub client_key: PathBuf,
    pub known_hosts: PathBuf,
    pub hosts: Vec<SshdHost>,
}

/// Whether this machine can run the fleet (CI installs openssh-server).
pub fn available() -> bool {
    Path::new(SSHD).is_file()
}

fn keygen(path: &Path, comment: &str) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(st.success(), "ssh-keygen failed for {}", path.display());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port").local_addr().expect("local addr").port()
}

/// Waits until something on `port` speaks SSH.
fn wait_for_banner(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 8];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"SSH-2.0") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

impl Fleet {
    /// Starts `n` hosts named `host1..hostN`.
    pub fn start(n: usize) -> Fleet {
        assert!(available(), "{SSHD} not found: apt-get install openssh-server");
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd (sshd privilege separation dir)");
        let dir = tempfile::Builder::new().prefix("dpctl-sshd-").tempdir().expect("tempdir");
        let client_key = dir.path().join("client_ed25519");
        keygen(&client_key, "dpctl-test-client");
        let auth_keys = dir.path().join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &auth_keys).expect("authorized_keys");
        let mut fleet = Fleet { known_hosts: dir.path().join("known_hosts"), client_key, dir, hosts: Vec::new() };
        for i in 1..=n {
            let host = fleet.start_host(&format!("host{i}"), &auth_keys);
            fleet.hosts.push(host);
        }
        fleet.write_known_hosts();
        fleet
    }

    fn start_host(&self, name: &str, auth_keys: &Path) -> SshdHost {
        let hdir = self.dir.path().join(name);
        // Each host's sessions get their own $HOME, so agent caches are per
        // host (as on separate machines) and vanish with the fleet.
        let home = hdir.join("home");
        std::fs::create_dir_all(&home).expect("host home dir");
        let key = hdir.join("ssh_host_ed25519_key");
        keygen(&key, name);
        let host_key_pub = std::fs::read_to_string(key.with_extension("pub"))
            .expect("host pub key")
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        // A free port can be taken between probing and binding: retry a few times.
        for _ in 0..5 {
            let port = free_port();
            let cfg = hdir.join("sshd_config");
            std::fs::write(
                &cfg,
                format!(
                    "ListenAddress 127.0.0.1\nPort {port}\nHostKey {key}\nPidFile {pid}\nAuthorizedKeysFile {auth}\n\
                     PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxSessions 100\nMaxStartups 200\n\
                     UseDNS no\nPrintMotd no\nPrintLastLog no\nX11Forwarding no\nAllowAgentForwarding no\n\
                     AllowTcpForwarding yes\nLogLevel ERROR\nSubsystem sftp /usr/lib/openssh/sftp-server\n\
                     SetEnv SHLVL=1 HOME={home}\n",
                    key = key.display(),
                    pid = hdir.join("sshd.pid").display(),
                    auth = auth_keys.display(),
                    home = home.display(),
                ),
            )
            .expect("sshd_config");
            let log = std::fs::File::create(hdir.join("sshd.log")).expect("sshd log");
            let child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start sshd");
            let mut host = SshdHost {
                name: name.to_string(),
                port,
                dir: hdir.clone(),
                home: home.clone(),
                host_key_pub: host_key_pub.clone(),
                child: Some(child),
            };
            if wait_for_banner(port, Duration::from_secs(10)) {
                return host;
            }
            host.kill();
        }
        panic!("sshd for {name} did not start; see {}", hdir.join("sshd.log").display());
    }

    /// `[127.0.0.1]:PORT key` for every host.
    pub fn write_known_hosts(&self) {
        let text: String = self.hosts.iter().map(|h| format!("[127.0.0.1]:{} {}\n", h.port, h.host_key_pub)).collect();
        std::fs::write(&self.known_hosts, text).expect("known_hosts");
    }

    /// Ansible host vars for host `i` (0-based), as `fleet.sh` writes them:
    /// strict checking against the fleet's own known_hosts file.
    pub fn host_vars(&self, i: usize) -> Map<String, Value> {
        let h = &self.hosts[i];
        let Value::Object(m) = json!({
            "ansible_host": "127.0.0.1",
            "ansible_port": h.port,
            "ansible_user": current_user(),
            "ansible_ssh_private_key_file": self.client_key,
            "ansible_ssh_common_args": format!("-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes", self.known_hosts.display()),
        }) else {
            unreachable!()
        };
        m
    }

    /// An INI inventory (group `fleet`) for all hosts.
    pub fn inventory_ini(&self) -> String {
        let mut s = String::from("[fleet]\n");
        for h in &self.hosts {
            s.push_str(&format!("{} ansible_host=127.0.0.1 ansible_port={}\n", h.name, h.port));
        }
        s.push_str(&format!(
            "\n[fleet:vars]\nansible_user={}\nansible_ssh_private_key_file={}\nansible_ssh_common_args='-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes'\n",
            current_user(),
            self.client_key.display(),
            self.known_hosts.display()
        ));
        s
    }

    /// Kills host `i`'s sshd and every session process it forked (so open
    /// connections drop, as when a machine goes away).
    pub fn kill(&mut self, i: usize) {
        self.hosts[i].kill();
    }
}

impl SshdHost {
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let mut pids = descendants(child.id());
        pids.push(child.id());
        for pid in pids {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
        }
        let _ = child.wait();
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            h.kill();
        }
    }
}

/// All descendants of `pid`, found through /proc (children first).
fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return out };
    let mut parent_of = Vec::new();
    for e in entries.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // Field 4 (ppid) follows the `(comm)` field, which may contain spaces.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            parent_of.push((p, ppid));
        }
    }
    let mut frontier = vec![pid];
    while let Some(cur) = frontier.pop() {
        for (p, pp) in &parent_of {
            if *pp == cur {
                out.push(*p);
                frontier.push(*p);
            }
        }
    }
    out
}

pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
