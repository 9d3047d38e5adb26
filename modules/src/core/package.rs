//! `package`: the generic package module; on dpctl's hosts (Debian) it is
//! `apt` with just `name` and `state`.

use schemars::JsonSchema;
use serde::Deserialize;

use super::apt::{Apt, AptState};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Generic OS package manager (apt backend).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package names, a list or a comma-separated string.
    #[serde(deserialize_with = "crate::util::scalar::list")]
    pub name: Vec<String>,
    /// `present`, `absent` or `latest`.
    pub state: AptState,
    /// The backend: `auto` or `apt` (the only one dpctl has).
    #[serde(default, rename = "use")]
    pub use_backend: Option<String>,
}

impl Module for Package {
    const NAME: &'static str = "package";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if let Some(u) = self.use_backend.as_deref().filter(|u| !matches!(*u, "auto" | "apt")) {
            return Err(ModuleError::BadArgs(format!("package manager '{u}' is not supported (only apt)")));
        }
        let apt = Apt {
            name: Some(self.name.clone()),
            state: self.state,
            update_cache: false,
            cache_valid_time: 0,
            deb: None,
            install_recommends: None,
            purge: false,
            autoremove: false,
            default_release: None,
            force: false,
            autoclean: false,
            dpkg_options: "force-confdef,force-confold".into(),
            allow_downgrade: false,
            allow_unauthenticated: false,
            only_upgrade: false,
            upgrade: Default::default(),
        };
        apt.run(ctx)
    }
}

register_module!(Package);
