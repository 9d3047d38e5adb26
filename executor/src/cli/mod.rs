//! Command-line interface: `dpctl check | render | inventory | modules | playbook | run | vault`.

mod check_cmd;
mod common;
mod inventory_cmd;
mod list;
mod modules_cmd;
mod playbook_cmd;
mod render_cmd;
mod run_cmd;
mod vault_args;
mod vault_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use common::CommonArgs;

#[derive(Debug, Parser)]
#[command(name = "dpctl", version, about = "Provision and deploy the data pipeline with Ansible's language, fast.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check playbooks against an inventory without connecting: keywords, modules, arguments, templates, variables.
    Check(check_cmd::CheckArgs),
    /// Write every file that template/copy tasks would put on each host, under OUT/<host>/<dest>.
    Render(render_cmd::RenderArgs),
    /// Show the inventory like ansible-inventory (--list, --host, --graph).
    Inventory(inventory_cmd::InventoryArgs),
    /// List modules, or show one module's arguments.
    Modules(modules_cmd::ModulesArgs),
    /// Run playbooks on hosts, like ansible-playbook.
    #[command(alias = "play")]
    Playbook(playbook_cmd::PlaybookArgs),
    /// Run one module on the hosts matching a pattern, like `ansible -m`.
    Run(run_cmd::RunArgs),
    /// Encrypt and decrypt Ansible Vault files and strings, like ansible-vault.
    Vault(vault_cmd::VaultCmdArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check_cmd::run(a),
        Command::Render(a) => render_cmd::run(a),
        Command::Inventory(a) => inventory_cmd::run(a),
        Command::Modules(a) => modules_cmd::run(a),
        Command::Playbook(a) => playbook_cmd::run(a),
        Command::Run(a) => run_cmd::run(a),
        Command::Vault(a) => vault_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", crate::secrets::redact(&e.to_string()));
            ExitCode::from(1)
        }
    }
}
