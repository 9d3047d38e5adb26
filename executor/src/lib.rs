//! dpctl: an executor for Ansible-style playbooks, roles and inventories.
//!
//! The flow from YAML to a host is described in `docs/architecture.md`.

pub mod diag;
pub mod inventory;
pub mod source;
pub mod yaml;
