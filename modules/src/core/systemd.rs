//! `systemd` (`systemd_service`): like `service`, plus `masked` and
//! `daemon_reload`. On a host whose PID 1 is not systemd (containers), state
//! and enabled go to the SysV init script as `service` does; `daemon_reload`
//! is then a no-op (there is no systemd to reload) and `masked` is an error.

use schemars::JsonSchema;
use serde::Deserialize;

use super::service::{Request, ServiceState};
use crate::util::services::{self, Backend};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Manage systemd units.
///
/// Where PID 1 is not systemd (containers), `state`/`enabled` go to the SysV init
/// script as `service` does (Ansible fails there instead), `daemon_reload` is a
/// no-op and `masked` is an error.
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
    /// Only `system` is supported.
    #[serde(default)]
    pub scope: Option<String>,
}

impl Module for Systemd {
    const NAME: &'static str = "systemd";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.scope.as_deref().is_some_and(|s| s != "system") {
            return Err(ModuleError::BadArgs("only scope: system is supported".into()));
        }
        let backend = services::detect();
        if self.daemon_reload && backend == Backend::Systemd && !ctx.check_mode {
            services::daemon_reload()?;
        }
        let Some(name) = self.name.as_deref() else {
            if self.daemon_reload {
                return Ok(Outcome::changed(false));
            }
            return Err(ModuleError::BadArgs("name is required unless daemon_reload is set".into()));
        };
        let mut o = Outcome::changed(false).with("name", name.to_string());
        if let Some(mask) = self.masked {
            if backend != Backend::Systemd {
                return Err(ModuleError::Failed(format!("cannot set masked for {name}: PID 1 is not systemd on this host")));
            }
            if services::is_masked(name)? != mask {
                o.changed = true;
                if !ctx.check_mode {
                    services::set_masked(name, mask)?;
                }
            }
        }
        if self.state.is_some() || self.enabled.is_some() {
            let r = Request { backend, name, state: self.state, enabled: self.enabled, pattern: None, sleep: None }.apply(ctx)?;
            o.changed |= r.changed;
            o.values.extend(r.values);
        } else if self.masked.is_none() && !self.daemon_reload {
            return Err(ModuleError::BadArgs("one of state, enabled, masked, daemon_reload is required".into()));
        }
        if backend == Backend::Systemd {
            o = o.with("status", services::systemd_properties(name)?);
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
