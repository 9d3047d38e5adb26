//! Playbooks, plays, blocks, tasks and roles, loaded with Ansible's meaning.

pub mod fields;
pub mod keywords;
pub mod kv;
pub mod load;
pub mod model;
pub mod module_defaults;
mod role;

pub use load::{load_playbook, load_playbook_text, load_role_runtime, load_task_file, LoadOptions, Loader};
pub use model::*;
