//! dpctl: an executor for Ansible-style playbooks, roles and inventories.
//!
//! The flow from YAML to a host is described in `docs/architecture.md`.

pub mod connection;
pub mod diag;
pub mod source;
pub mod yaml;
