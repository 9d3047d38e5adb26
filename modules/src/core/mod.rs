//! Ansible's core modules, with Ansible's names and arguments.

pub mod ping;

pub mod blockinfile;
pub mod copy;
pub mod file;
pub mod find;
pub mod get_url;
pub mod lineinfile;
pub mod replace;
pub mod slurp;
pub mod stat;
pub mod unarchive;
