//! `include_tasks`, `import_tasks`, `include_role`, `import_role`: the
//! executor expands them (imports when loading, includes when running).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Run the tasks of another file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeTasks {
    /// The task file, relative to the including file.
    #[serde(alias = "_raw_params")]
    pub file: String,
    /// Keywords applied to every included task (include_tasks only).
    pub apply: Option<Value>,
}

/// Statically import the tasks of another file (expanded when the playbook is read).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportTasks {
    /// The task file, relative to the importing file.
    #[serde(alias = "_raw_params")]
    pub file: String,
}

/// Run a role as a task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeRole {
    /// The role name.
    pub name: String,
    /// Which task file of the role (`tasks/NAME.yml`), default `main`.
    pub tasks_from: Option<String>,
    /// Which `vars/` file, default `main`.
    pub vars_from: Option<String>,
    /// Which `defaults/` file, default `main`.
    pub defaults_from: Option<String>,
    /// Which `handlers/` file, default `main`.
    pub handlers_from: Option<String>,
    /// Make the role's vars and defaults visible to the rest of the play.
    pub public: Option<bool>,
    /// Run the role even if it already ran with the same parameters.
    pub allow_duplicates: Option<bool>,
    /// Keywords applied to every task of the role (include_role only).
    pub apply: Option<Value>,
    /// Skip the role's meta dependencies... accepted for compatibility.
    pub rolespec_validate: Option<bool>,
}

super::controller_module!(IncludeTasks, "include_tasks");
super::controller_module!(ImportTasks, "import_tasks");
super::controller_module!(IncludeRole, "include_role");

/// Statically import a role (expanded when the playbook is read).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRole {
    /// The role name.
    pub name: String,
    pub tasks_from: Option<String>,
    pub vars_from: Option<String>,
    pub defaults_from: Option<String>,
    pub handlers_from: Option<String>,
    pub public: Option<bool>,
    pub allow_duplicates: Option<bool>,
    pub rolespec_validate: Option<bool>,
}

super::controller_module!(ImportRole, "import_role");
