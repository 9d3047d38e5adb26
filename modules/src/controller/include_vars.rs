//! `include_vars`: load variables from a file or a directory at run time.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::{boolish, intish, listish};

/// Load YAML/JSON variables from a file, or from every file of a directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeVars {
    /// The file, looked for in the role's `vars/`, the playbook's `vars/` and the playbook directory.
    #[serde(alias = "_raw_params")]
    pub file: Option<String>,
    /// A directory whose files are all loaded, directories in name order, files in name
    /// order within each (relative to the role's `vars/`, else to the task's file).
    pub dir: Option<String>,
    /// Put the variables under this one name instead of at the top level.
    pub name: Option<String>,
    /// With `dir`: the file extensions loaded (default `yaml`, `yml`, `json`); another
    /// extension fails the task unless `ignore_unknown_extensions` is set.
    #[serde(default, deserialize_with = "listish::de_opt")]
    pub extensions: Option<Vec<String>>,
    /// With `dir`: how many directory levels to load (0 = no limit; 1 = `dir` itself only).
    #[serde(default, deserialize_with = "intish::de")]
    pub depth: u64,
    /// With `dir`: only files whose name matches this regular expression.
    pub files_matching: Option<String>,
    /// With `dir`: skip files whose name ends in a match of one of these regular expressions.
    #[serde(default, deserialize_with = "listish::de_opt")]
    pub ignore_files: Option<Vec<String>>,
    /// With `dir`: skip files with other extensions instead of failing.
    #[serde(default, deserialize_with = "boolish::de")]
    pub ignore_unknown_extensions: bool,
    /// Accepted for compatibility (dpctl replaces, as Ansible's default `hash_behaviour`).
    pub hash_behaviour: Option<String>,
}

super::controller_module!(IncludeVars, "include_vars");
