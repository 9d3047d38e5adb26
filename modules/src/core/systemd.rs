//! `systemd` (`systemd_service`): like `service`, plus `masked`,
//! `daemon_reload`/`daemon_reexec` and systemctl's `--user`/`--global`,
//! `--no-block`, `--force` switches. On a host whose PID 1 is not systemd
//! (containers), state and enabled go to the SysV init script as `service` does;
//! `daemon_reload`/`daemon_reexec` are then no-ops (there is no systemd to
//! reload), the switches have nothing to act on, and `masked` or a non-system
//! `scope` is an error.

use schemars::JsonSchema;
use serde::Deserialize;

use super::service::{Request, ServiceState};
use crate::util::services::{self, Backend, Scope, Systemctl};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Manage systemd units.
///
/// Where PID 1 is not systemd (containers), `state`/`enabled` go to the SysV init
/// script as `service` does (Ansible fails there instead), `daemon_reload` and
/// `daemon_reexec` are no-ops and `masked` is an error.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Systemd {
    /// The unit's name (`.service` may be left out).
    #[serde(default, alias = "service", alias = "unit")]
    pub name: Option<String>,
    /// `started`/`stopped` are idempotent; `restarted`/`reloaded` always act.
    #[serde(default)]
    pub state: Option<ServiceState>,
    /// Whether the unit starts at boot.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub enabled: Option<bool>,
    /// Whether the unit is masked (systemd only).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub masked: Option<bool>,
    /// Run `systemctl daemon-reload` first (after unit files changed).
    #[serde(default, alias = "daemon-reload", deserialize_with = "crate::util::boolish::deserialize")]
    pub daemon_reload: bool,
    /// Run `systemctl daemon-reexec` first (after `daemon_reload`): the manager
    /// serializes its state and re-executes itself.
    #[serde(default, alias = "daemon-reexec", deserialize_with = "crate::util::boolish::deserialize")]
    pub daemon_reexec: bool,
    /// The service manager to talk to: `system` (default), `user` (`systemctl --user`,
    /// needs the user's own systemd and `XDG_RUNTIME_DIR`) or `global` (`--global`).
    #[serde(default)]
    pub scope: Scope,
    /// Do not wait for the requested start/stop job to finish (`systemctl --no-block`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub no_block: bool,
    /// Override existing symlinks when enabling/masking (`systemctl --force`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub force: bool,
}

impl Systemd {
    fn systemctl(&self) -> Systemctl {
        Systemctl { scope: self.scope, no_block: self.no_block, force: self.force }
    }
}

impl Module for Systemd {
    const NAME: &'static str = "systemd";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let backend = match services::detect() {
            Backend::Systemd(_) => Backend::Systemd(self.systemctl()),
            Backend::SysV if self.scope != Scope::System => {
                return Err(ModuleError::Failed("scope user/global needs systemd, but PID 1 is not systemd on this host".into()))
            }
            Backend::SysV => Backend::SysV,
        };
        if let Backend::Systemd(ctl) = backend {
            if !ctx.check_mode {
                // As Ansible: reload, then re-exec, before anything else; never in check mode.
                if self.daemon_reload {
                    ctl.daemon("daemon-reload")?;
                }
                if self.daemon_reexec {
                    ctl.daemon("daemon-reexec")?;
                }
            }
        }
        let Some(name) = self.name.as_deref() else {
            if self.daemon_reload || self.daemon_reexec {
                return Ok(Outcome::changed(false));
            }
            return Err(ModuleError::BadArgs("name is required unless daemon_reload or daemon_reexec is set".into()));
        };
        let mut o = Outcome::changed(false).with("name", name.to_string());
        if let Some(mask) = self.masked {
            let Backend::Systemd(ctl) = backend else {
                return Err(ModuleError::Failed(format!("cannot set masked for {name}: PID 1 is not systemd on this host")));
            };
            if ctl.is_masked(name)? != mask {
                o.changed = true;
                if !ctx.check_mode {
                    ctl.set_masked(name, mask)?;
                }
            }
        }
        if self.state.is_some() || self.enabled.is_some() {
            let r = Request { backend, name, state: self.state, enabled: self.enabled, pattern: None, sleep: None }.apply(ctx)?;
            o.changed |= r.changed;
            o.values.extend(r.values);
        } else if self.masked.is_none() && !self.daemon_reload && !self.daemon_reexec {
            return Err(ModuleError::BadArgs("one of state, enabled, masked, daemon_reload, daemon_reexec is required".into()));
        }
        if let Backend::Systemd(ctl) = backend {
            o = o.with("status", ctl.properties(name)?);
        }
        Ok(o)
    }
}

register_module!(Systemd);

/// `systemd_service`: Ansible's current name for the same module.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SystemdService(pub Systemd);

impl Module for SystemdService {
    const NAME: &'static str = "systemd_service";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        self.0.run(ctx)
    }
}

register_module!(SystemdService);
