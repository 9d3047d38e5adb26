//! `service`: start/stop/restart/reload a service and set whether it starts at
//! boot. Uses systemd when PID 1 is systemd, else the SysV init script
//! (`service NAME ACTION`, `update-rc.d`). The status is queried first, so
//! `started` on a running service is `ok` and check mode predicts exactly.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::services::{self, Action, Backend};
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    Started,
    Stopped,
    Restarted,
    Reloaded,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Started => "started",
            ServiceState::Stopped => "stopped",
            ServiceState::Restarted => "restarted",
            ServiceState::Reloaded => "reloaded",
        }
    }
}

/// Which service manager to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UseBackend {
    Auto,
    Systemd,
    Sysv,
    Service,
}

/// Manage services.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The service's name.
    pub name: String,
    /// `started`/`stopped` are idempotent; `restarted`/`reloaded` always act.
    #[serde(default)]
    pub state: Option<ServiceState>,
    /// Whether the service starts at boot.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub enabled: Option<bool>,
    /// Decide "running" by a process whose command line contains this, not by `status`.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Seconds between stop and start for `restarted`.
    #[serde(default, deserialize_with = "crate::util::scalar::int_opt")]
    pub sleep: Option<u64>,
    /// The service manager (`auto`: systemd when PID 1 is systemd, else init scripts).
    #[serde(default = "auto", rename = "use")]
    pub use_backend: UseBackend,
}

fn auto() -> UseBackend {
    UseBackend::Auto
}

/// What `service` and `systemd` share once the backend is chosen.
pub struct Request<'a> {
    pub backend: Backend,
    pub name: &'a str,
    pub state: Option<ServiceState>,
    pub enabled: Option<bool>,
    pub pattern: Option<&'a str>,
    pub sleep: Option<u64>,
}

impl Request<'_> {
    fn running(&self) -> Result<bool, ModuleError> {
        match self.pattern {
            Some(p) => Ok(services::pattern_running(p)),
            None => self.backend.is_running(self.name),
        }
    }

    /// Query, decide, and (outside check mode) act. Fills `changed`, `name`, `state`, `enabled`.
    pub fn apply(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.name.is_empty() || self.name.starts_with('-') || self.name.contains(['/', '\n']) {
            return Err(ModuleError::BadArgs(format!("invalid service name {:?}", self.name)));
        }
        if self.state.is_none() && self.enabled.is_none() {
            return Err(ModuleError::BadArgs("Neither argument state nor enabled are set".into()));
        }
        if !self.backend.exists(self.name)? {
            return Err(ModuleError::Failed(format!("Could not find the requested service {}: host", self.name)));
        }
        let mut o = Outcome::changed(false).with("name", self.name.to_string());
        if let Some(want) = self.enabled {
            if self.backend.is_enabled(self.name)? != want {
                o.changed = true;
                if !ctx.check_mode {
                    self.backend.set_enabled(self.name, want)?;
                }
            }
            o = o.with("enabled", want);
        }
        if let Some(state) = self.state {
            let running = self.running()?;
            let actions: Vec<Action> = match (state, running) {
                (ServiceState::Started, false) => vec![Action::Start],
                (ServiceState::Stopped, true) => vec![Action::Stop],
                (ServiceState::Restarted, _) if self.sleep.is_some() => vec![Action::Stop, Action::Start],
                (ServiceState::Restarted, _) => vec![Action::Restart],
                (ServiceState::Reloaded, false) => vec![Action::Start],
                (ServiceState::Reloaded, true) => vec![Action::Reload],
                _ => vec![],
            };
            if !actions.is_empty() {
                o.changed = true;
                if !ctx.check_mode {
                    for (i, a) in actions.iter().enumerate() {
                        if i > 0 {
                            std::thread::sleep(std::time::Duration::from_secs(self.sleep.unwrap_or(0)));
                        }
                        self.backend.act(self.name, *a)?;
                    }
                }
            }
            o = o.with("state", state.as_str());
        }
        Ok(o)
    }
}

impl Module for Service {
    const NAME: &'static str = "service";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let backend = match self.use_backend {
            UseBackend::Auto => services::detect(),
            UseBackend::Systemd if !services::systemd_is_init() => {
                return Err(ModuleError::Failed("use: systemd, but systemd is not the init system on this host".into()))
            }
            UseBackend::Systemd => Backend::Systemd(services::Systemctl::default()),
            UseBackend::Sysv | UseBackend::Service => Backend::SysV,
        };
        Request { backend, name: &self.name, state: self.state, enabled: self.enabled, pattern: self.pattern.as_deref(), sleep: self.sleep }
            .apply(ctx)
    }
}

register_module!(Service);
