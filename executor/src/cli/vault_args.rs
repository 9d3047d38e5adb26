//! The vault options every subcommand that loads variables takes, as
//! ansible-playbook spells them.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::vault::password::{collect_specs, VaultIdSpec};
use crate::vault::{VaultError, VaultSecret};

#[derive(Debug, Clone, Default, Args)]
pub struct VaultArgs {
    /// A vault identity `label@source`: source is a password file, an executable printing it, or `prompt` (repeatable).
    #[arg(long = "vault-id", value_name = "ID")]
    pub vault_ids: Vec<String>,
    /// A vault password file, or an executable that prints the password (repeatable).
    #[arg(long = "vault-password-file", alias = "vault-pass-file", value_name = "FILE")]
    pub vault_password_files: Vec<PathBuf>,
    /// Ask for the vault password on the terminal.
    #[arg(short = 'J', long = "ask-vault-pass", alias = "ask-vault-password")]
    pub ask_vault_pass: bool,
}

impl VaultArgs {
    /// Every vault identity named here and in ansible.cfg / the environment, in Ansible's order.
    pub fn specs(&self, cfg: &Config) -> Vec<VaultIdSpec> {
        let mut files = self.vault_password_files.clone();
        files.extend(cfg.vault_password_file.iter().cloned());
        collect_specs(&cfg.vault_identity_list, &self.vault_ids, &files, self.ask_vault_pass)
    }

    /// Read every secret (run scripts, prompt).
    pub fn secrets(&self, cfg: &Config) -> Result<Vec<VaultSecret>, VaultError> {
        self.specs(cfg).iter().map(|s| s.load(false)).collect()
    }

    /// Read the secrets and hand them to the loaders.
    pub fn install(&self, cfg: &Config) -> Result<(), VaultError> {
        crate::vault::keyring::install(self.secrets(cfg)?);
        Ok(())
    }
}
