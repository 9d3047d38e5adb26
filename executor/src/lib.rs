//! dpctl: an executor for Ansible-style playbooks, roles and inventories.
//!
//! The flow from YAML to a host is described in `docs/architecture.md`.

pub mod check;
pub mod cli;
pub mod config;
pub mod connection;
pub mod diag;
pub mod engine;
pub mod fuzz;
pub mod inventory;
pub mod moddoc;
pub mod output;
pub mod playbook;
pub mod render;
pub mod run;
pub mod secrets;
pub mod source;
pub mod template;
pub mod vars;
pub mod vault;
pub mod yaml;
