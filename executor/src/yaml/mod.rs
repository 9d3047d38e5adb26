//! YAML as Ansible reads it (YAML 1.1, PyYAML's resolver), into a tree that
//! remembers where every value came from.
//!
//! Why not serde_yaml: it reads YAML 1.2, so `yes`/`on` stay strings, `0644`
//! is not 420 and `<<` merge keys are not applied — a playbook would mean
//! something else than under Ansible. We take events from `saphyr-parser`
//! (which gives positions) and resolve plain scalars with PyYAML's YAML 1.1
//! rules ourselves. See docs/yaml.md.

mod load;
mod node;
mod resolve;

pub use load::{load_file, load_str, read_source};
pub use node::{python_float, Node, NodeKind};
pub use resolve::resolve_plain;
