//! Options shared by the subcommands that read playbooks and inventories.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::config::Config;
use crate::diag::Diagnostics;
use crate::inventory::Inventory;
use crate::playbook::LoadOptions;
use crate::vars::{parse_extra_vars, Vars};

#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Inventory file, directory or `host1,host2,` list (repeatable).
    #[arg(short = 'i', long = "inventory", value_name = "INVENTORY")]
    pub inventory: Vec<String>,
    /// Extra variables: `k=v`, `@file.yml` or a JSON/YAML mapping (repeatable; highest precedence).
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,
    /// Limit to hosts matching this pattern (same grammar as `hosts:`; `@file` reads patterns from a file).
    #[arg(short = 'l', long = "limit", value_name = "PATTERN")]
    pub limit: Option<String>,
    /// More roles directories (besides roles/ next to the playbook and ansible.cfg's roles_path).
    #[arg(long = "roles-path", value_name = "DIR")]
    pub roles_path: Vec<PathBuf>,
    #[command(flatten)]
    pub vault: super::vault_args::VaultArgs,
}

impl CommonArgs {
    /// The settings, with the vault secrets read and handed to the loaders
    /// (before anything is loaded: vaulted files decrypt as they are read).
    pub fn config(&self) -> Result<Config, crate::vault::VaultError> {
        let cfg = crate::config::load();
        self.vault.install(&cfg)?;
        Ok(cfg)
    }

    pub fn inventory(&self, cfg: &Config) -> Result<Arc<Inventory>, Diagnostics> {
        let sources = if self.inventory.is_empty() { cfg.inventory.clone() } else { self.inventory.clone() };
        Inventory::load(&sources).map(Arc::new)
    }

    pub fn extra_vars(&self) -> Result<Vars, Diagnostics> {
        let mut out = Vars::new();
        for e in &self.extra_vars {
            out.extend(parse_extra_vars(e)?);
        }
        Ok(out)
    }

    pub fn load_options(&self, cfg: &Config) -> LoadOptions {
        let mut roles_path = self.roles_path.clone();
        roles_path.extend(cfg.roles_path.iter().cloned());
        LoadOptions { roles_path }
    }

    /// `--limit @file` reads one pattern per line.
    pub fn limit(&self) -> Result<Option<String>, Diagnostics> {
        match self.limit.as_deref() {
            Some(l) if l.starts_with('@') => {
                let text = std::fs::read_to_string(&l[1..])
                    .map_err(|e| Diagnostics::from(crate::diag::Diagnostic::error(format!("cannot read limit file {}: {e}", &l[1..]))))?;
                Ok(Some(text.lines().map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(",")))
            }
            other => Ok(other.map(str::to_string)),
        }
    }
}
