//! Ansible's core modules, with Ansible's names and arguments.

pub mod apt;
pub mod apt_key;
pub mod apt_repository;
pub mod authorized_key;
pub mod command;
pub mod cron;
pub mod free_form;
pub mod git;
pub mod group;
pub mod package;
pub mod ping;
pub mod service;
pub mod service_facts;
pub mod shell;
pub mod systemd;
pub mod uri;
pub mod user;
pub mod wait_for;
