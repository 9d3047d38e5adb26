//! The two service managers `service`/`systemd` drive: systemd (when PID 1 is
//! systemd) and SysV init scripts (`service NAME ACTION`, `update-rc.d`), with
//! the status heuristics Ansible's `service` module uses for init scripts.

use std::path::Path;

use crate::error::ModuleError;
use crate::util::command::{self, CommandOutput, CommandSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Systemd(Systemctl),
    SysV,
}

/// Which systemd manager `systemctl` talks to (Ansible's `scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    System,
    User,
    Global,
}

/// `systemctl` with the switches Ansible's systemd module puts before every verb:
/// `--user`/`--global` (scope), `--no-block`, `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Systemctl {
    pub scope: Scope,
    pub no_block: bool,
    pub force: bool,
}

impl Systemctl {
    /// The full argv for `systemctl [switches] ARGS…`.
    pub fn argv(&self, args: &[&str]) -> Vec<String> {
        let mut argv = vec!["systemctl".to_string()];
        match self.scope {
            Scope::System => {}
            Scope::User => argv.push("--user".into()),
            Scope::Global => argv.push("--global".into()),
        }
        if self.no_block {
            argv.push("--no-block".into());
        }
        if self.force {
            argv.push("--force".into());
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        argv
    }

    fn run(&self, args: &[&str]) -> Result<CommandOutput, ModuleError> {
        run(self.argv(args))
    }

    pub fn is_masked(&self, name: &str) -> Result<bool, ModuleError> {
        Ok(self.run(&["is-enabled", name])?.stdout.trim().starts_with("masked"))
    }

    pub fn set_masked(&self, name: &str, mask: bool) -> Result<(), ModuleError> {
        let out = self.run(&[if mask { "mask" } else { "unmask" }, name])?;
        if out.rc != 0 {
            return Err(ModuleError::Failed(format!(
                "Unable to {} service {name}: {}",
                if mask { "mask" } else { "unmask" },
                out.stderr.trim()
            )));
        }
        Ok(())
    }

    /// `daemon-reload` or `daemon-reexec`.
    pub fn daemon(&self, verb: &str) -> Result<(), ModuleError> {
        let out = self.run(&[verb])?;
        if out.rc != 0 {
            return Err(ModuleError::Failed(format!("failure {} during {verb}: {}", out.rc, out.stderr.trim())));
        }
        Ok(())
    }

    /// `systemctl show NAME` as a map, for the systemd module's `status` return value.
    pub fn properties(&self, name: &str) -> Result<serde_json::Map<String, serde_json::Value>, ModuleError> {
        let out = self.run(&["show", name])?;
        Ok(out
            .stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect())
    }
}

/// An action on a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Restart,
    Reload,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Reload => "reload",
        }
    }
}

/// Whether PID 1 is systemd (the test systemd itself uses: `/run/systemd/system` exists).
pub fn systemd_is_init() -> bool {
    Path::new("/run/systemd/system").is_dir() && std::fs::read_to_string("/proc/1/comm").map(|c| c.trim() == "systemd").unwrap_or(false)
}

pub fn detect() -> Backend {
    if systemd_is_init() {
        Backend::Systemd(Systemctl::default())
    } else {
        Backend::SysV
    }
}

fn run(argv: Vec<String>) -> Result<CommandOutput, ModuleError> {
    let mut spec = CommandSpec::new(argv);
    spec.output_via_files = true;
    command::run(&spec)
}

/// `service NAME ACTION`, or the init script itself when `service` is missing.
fn sysv(name: &str, action: &str) -> Result<CommandOutput, ModuleError> {
    let argv = if command::which("service").is_some() {
        vec!["service".to_string(), name.to_string(), action.to_string()]
    } else {
        vec![format!("/etc/init.d/{name}"), action.to_string()]
    };
    run(argv)
}

/// Whether a process whose command line contains `pattern` runs (Ansible's `pattern`).
pub fn pattern_running(pattern: &str) -> bool {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.flatten().any(|e| {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) || pid == me {
            return false;
        }
        std::fs::read(e.path().join("cmdline")).map(|c| String::from_utf8_lossy(&c).replace('\0', " ").contains(pattern)).unwrap_or(false)
    })
}

/// Ansible's reading of an init script's `status`: LSB exit codes first, then
/// keywords in a one-line output, then rc 0 means running.
pub fn sysv_status_running(out: &CommandOutput, name: &str) -> bool {
    if [1, 2, 3, 4, 69].contains(&out.rc) {
        return false;
    }
    if out.stdout.matches('\n').count() <= 1 {
        let clean = out.stdout.to_lowercase().replace(&name.to_lowercase(), "");
        if clean.contains("stop") || clean.contains("dead") || clean.contains("could not access pid file") {
            return false;
        }
        if clean.contains("run") {
            return !clean.contains("not ");
        }
        if clean.contains("start") && !clean.contains("not ") {
            return true;
        }
    }
    out.rc == 0
}

impl Backend {
    /// Whether the service is known at all.
    pub fn exists(self, name: &str) -> Result<bool, ModuleError> {
        Ok(match self {
            Backend::Systemd(ctl) => {
                let out = ctl.run(&["show", name, "--property=LoadState"])?;
                out.rc == 0 && !out.stdout.contains("LoadState=not-found")
            }
            Backend::SysV => Path::new("/etc/init.d").join(name).is_file(),
        })
    }

    pub fn is_running(self, name: &str) -> Result<bool, ModuleError> {
        match self {
            Backend::Systemd(ctl) => Ok(ctl.run(&["is-active", name])?.stdout.trim() == "active"),
            Backend::SysV => Ok(sysv_status_running(&sysv(name, "status")?, name)),
        }
    }

    pub fn act(self, name: &str, action: Action) -> Result<(), ModuleError> {
        let out = match self {
            Backend::Systemd(ctl) => ctl.run(&[action.verb(), name])?,
            Backend::SysV => sysv(name, action.verb())?,
        };
        if out.rc != 0 {
            let detail = if out.stderr.trim().is_empty() { out.stdout.trim() } else { out.stderr.trim() };
            return Err(ModuleError::Failed(format!("Unable to {} service {name}: {detail}", action.verb())));
        }
        Ok(())
    }

    pub fn is_enabled(self, name: &str) -> Result<bool, ModuleError> {
        match self {
            Backend::Systemd(ctl) => {
                let state = ctl.run(&["is-enabled", name])?.stdout.trim().to_string();
                Ok(matches!(state.as_str(), "enabled" | "enabled-runtime" | "alias" | "static" | "indirect" | "generated"))
            }
            Backend::SysV => Ok(rc_links(name, 'S')),
        }
    }

    pub fn set_enabled(self, name: &str, enable: bool) -> Result<(), ModuleError> {
        let out = match self {
            Backend::Systemd(ctl) => ctl.run(&[if enable { "enable" } else { "disable" }, name])?,
            Backend::SysV => {
                // As Ansible: `defaults` first when the script has no links at all.
                if enable && !rc_links(name, 'K') {
                    let out = run(vec!["update-rc.d".into(), name.into(), "defaults".into()])?;
                    if out.rc != 0 {
                        return Err(ModuleError::Failed(format!("update-rc.d {name} defaults failed: {}", out.stderr.trim())));
                    }
                }
                run(vec!["update-rc.d".into(), name.into(), if enable { "enable" } else { "disable" }.into()])?
            }
        };
        if out.rc != 0 {
            return Err(ModuleError::Failed(format!(
                "Unable to {} service {name}: {}",
                if enable { "enable" } else { "disable" },
                out.stderr.trim()
            )));
        }
        Ok(())
    }
}

/// `/etc/rc?.d/{S,K}??NAME` links exist.
fn rc_links(name: &str, kind: char) -> bool {
    glob::glob(&format!("/etc/rc?.d/{kind}??{}", glob::Pattern::escape(name))).map(|mut g| g.any(|p| p.is_ok())).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(rc: i32, stdout: &str) -> CommandOutput {
        CommandOutput { rc, stdout: stdout.into(), stderr: String::new() }
    }

    #[test]
    fn status_heuristics_like_ansible() {
        assert!(sysv_status_running(&out(0, "nginx is running.\n"), "nginx"));
        assert!(!sysv_status_running(&out(0, "nginx is not running\n"), "nginx"));
        assert!(!sysv_status_running(&out(3, "whatever\n"), "x"));
        assert!(!sysv_status_running(&out(0, "stopped\n"), "x"));
        assert!(sysv_status_running(&out(0, "line\nline\nstopped\n"), "x"), "keywords only for one-line output");
        assert!(sysv_status_running(&out(0, ""), "x"));
    }
}
