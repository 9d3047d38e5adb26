//! `template`: rendered by the executor (templates never leave the
//! controller), then shipped to the host like `copy` with `content`.

use schemars::JsonSchema;
use serde::Deserialize;

/// Render a Jinja2 template on the controller and write it to the host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The template, relative to the role's `templates/` or the playbook directory.
    pub src: String,
    /// Where to write it on the host.
    #[serde(alias = "path", alias = "name")]
    pub dest: String,
    /// File mode (`"0644"`, `"u=rw,g=r,o=r"`).
    pub mode: Option<serde_json::Value>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Keep a timestamped copy of the old file.
    #[serde(default)]
    pub backup: bool,
    /// A command that checks the new file before it replaces the old one (`%s` is its path).
    pub validate: Option<String>,
    /// Replace the file when it differs (default true).
    pub force: Option<bool>,
    /// `\n` (default), `\r\n` or `\r`.
    pub newline_sequence: Option<String>,
    /// Remove the first newline after a block (default true, as Ansible).
    pub trim_blocks: Option<bool>,
    /// Strip spaces and tabs before a block (default false).
    pub lstrip_blocks: Option<bool>,
    /// Keep a trailing newline of the template (default false).
    pub keep_trailing_newline: Option<bool>,
    pub block_start_string: Option<String>,
    pub block_end_string: Option<String>,
    pub variable_start_string: Option<String>,
    pub variable_end_string: Option<String>,
    pub comment_start_string: Option<String>,
    pub comment_end_string: Option<String>,
    /// The text encoding of the template (only utf-8 is supported).
    pub output_encoding: Option<String>,
    /// Follow symlinks at `dest`.
    pub follow: Option<bool>,
    /// Set SELinux/attribute fields (accepted, ignored).
    pub attributes: Option<String>,
    pub unsafe_writes: Option<bool>,
}

super::controller_module!(Template, "template");
