//! `shell`: run a script through a shell (`/bin/sh -c SCRIPT`, or `executable`).
//! The only place in dpctl where a shell interprets text; the script is one
//! argv element, never concatenated with anything.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::command::Execution;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Execute shell commands on the target.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShellArgs {
    /// The free-form script (`shell: cat a | wc -l`).
    #[serde(default, rename = "_raw_params")]
    pub raw_params: Option<String>,
    /// The script, as an argument instead of the free form.
    #[serde(default)]
    pub cmd: Option<String>,
    /// The shell to run the script with (default `/bin/sh`).
    #[serde(default)]
    pub executable: Option<String>,
    /// Change into this directory before running the script.
    #[serde(default)]
    pub chdir: Option<PathBuf>,
    /// A path or glob; when it matches, the script is not run.
    #[serde(default)]
    pub creates: Option<String>,
    /// A path or glob; when it does not match, the script is not run.
    #[serde(default)]
    pub removes: Option<String>,
    /// Data fed to the script's standard input.
    #[serde(default)]
    pub stdin: Option<String>,
    /// Append a newline to `stdin`.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub stdin_add_newline: bool,
    /// Strip trailing newlines from stdout and stderr.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub strip_empty_ends: bool,
}

fn yes() -> bool {
    true
}

impl Module for ShellArgs {
    const NAME: &'static str = "shell";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let (script, free) = match (&self.raw_params, &self.cmd) {
            (Some(_), Some(_)) => return Err(ModuleError::BadArgs("parameters are mutually exclusive: _raw_params|cmd".into())),
            (Some(s), None) => super::free_form::split(s)?,
            (None, Some(s)) => (s.clone(), Default::default()),
            (None, None) => return Err(ModuleError::BadArgs("one of the following is required: _raw_params, cmd".into())),
        };
        if script.trim().is_empty() {
            return Err(ModuleError::BadArgs("no command given".into()));
        }
        // Explicit arguments win over `key=value` words in the free form.
        let shell = self.executable.clone().or(free.executable).unwrap_or_else(|| "/bin/sh".into());
        let chdir = self.chdir.clone().or(free.chdir.map(PathBuf::from));
        Execution {
            argv: vec![shell, "-c".into(), script.clone()],
            cmd_value: Value::String(script.clone()),
            chdir: chdir.as_ref(),
            creates: self.creates.as_deref().or(free.creates.as_deref()),
            removes: self.removes.as_deref().or(free.removes.as_deref()),
            stdin: self.stdin.as_deref().or(free.stdin.as_deref()),
            stdin_add_newline: free.stdin_add_newline.unwrap_or(self.stdin_add_newline),
            strip_empty_ends: free.strip_empty_ends.unwrap_or(self.strip_empty_ends),
        }
        .run(ctx)
    }
}

register_module!(ShellArgs);
