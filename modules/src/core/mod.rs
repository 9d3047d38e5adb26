//! Ansible's core modules, with Ansible's names and arguments.

pub mod ping;
