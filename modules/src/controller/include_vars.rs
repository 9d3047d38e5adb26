//! `include_vars`: load variables from a file at run time.

use schemars::JsonSchema;
use serde::Deserialize;

/// Load YAML/JSON variables from a file (or every file of a directory).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeVars {
    /// The file, relative to the role's `vars/` or the playbook directory.
    #[serde(alias = "_raw_params")]
    pub file: Option<String>,
    /// A directory whose files are all loaded, in name order.
    pub dir: Option<String>,
    /// Put the variables under this one name instead of at the top level.
    pub name: Option<String>,
    /// Only files with these extensions (with `dir`).
    pub extensions: Option<Vec<String>>,
    /// Load files below `dir` recursively up to this depth (0 = no limit).
    #[serde(default)]
    pub depth: u32,
    /// Skip files matching these patterns (with `dir`).
    pub ignore_files: Option<Vec<String>>,
    /// Load them even when the task is skipped... accepted for compatibility.
    pub hash_behaviour: Option<String>,
}

super::controller_module!(IncludeVars, "include_vars");
