//! `blockinfile`: a block of lines between two marker lines, inserted,
//! updated or removed — Ansible's marker and placement rules.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::core::lineinfile::split_lines;
use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::{boolish, filewrite, pyregex};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Insert, update, or remove a block of multi-line text surrounded by customizable marker lines.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockInFile {
    /// The file to modify.
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: PathBuf,
    /// `present` or `absent` (removes the block and its markers).
    #[serde(default)]
    pub state: crate::core::lineinfile::LineState,
    /// The marker line template; `{mark}` becomes `marker_begin`/`marker_end`.
    #[serde(default = "default_marker")]
    pub marker: String,
    /// The text between the markers. Empty removes the block.
    #[serde(default, alias = "content")]
    pub block: String,
    /// Insert after the last line matching this regex, or `EOF` (default).
    #[serde(default)]
    pub insertafter: Option<String>,
    /// Insert before the last line matching this regex, or `BOF`.
    #[serde(default)]
    pub insertbefore: Option<String>,
    /// Create the file if it does not exist.
    #[serde(default, deserialize_with = "boolish::de")]
    pub create: bool,
    /// Keep a timestamped copy of the file before changing it.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backup: bool,
    /// A command run on the candidate file before it replaces the original; must contain `%s`.
    #[serde(default)]
    pub validate: Option<String>,
    /// What replaces `{mark}` in the first marker.
    #[serde(default = "default_begin")]
    pub marker_begin: String,
    /// What replaces `{mark}` in the last marker.
    #[serde(default = "default_end")]
    pub marker_end: String,
    /// Add a blank line after the block if the next line is not blank.
    #[serde(default, deserialize_with = "boolish::de")]
    pub append_newline: bool,
    /// Add a blank line before the block if the previous line is not blank.
    #[serde(default, deserialize_with = "boolish::de")]
    pub prepend_newline: bool,
    /// Permissions: octal string `"0644"`, number, or symbolic `u=rw,g=r,o=`.
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub mode: Option<ModeSpec>,
    /// Owner (name or uid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub owner: Option<String>,
    /// Group (name or gid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub group: Option<String>,
}

fn default_marker() -> String {
    "# {mark} ANSIBLE MANAGED BLOCK".into()
}
fn default_begin() -> String {
    "BEGIN".into()
}
fn default_end() -> String {
    "END".into()
}

fn strip_nl(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\n").unwrap_or(l)
}

impl BlockInFile {
    /// Ansible's algorithm: the new content.
    fn render(&self, original: Option<&[u8]>) -> Result<Vec<u8>, ModuleError> {
        let present = self.state == crate::core::lineinfile::LineState::Present;
        let mut lines = split_lines(original.unwrap_or_default());
        let (after, before) = match (&self.insertafter, &self.insertbefore) {
            (None, None) => (Some("EOF"), None),
            (a, b) => (a.as_deref(), b.as_deref()),
        };
        let insert_re = match (after, before) {
            (Some(a), _) if a != "EOF" => Some(pyregex::compile("blockinfile: insertafter", a)?),
            (None, Some(b)) if b != "BOF" => Some(pyregex::compile("blockinfile: insertbefore", b)?),
            _ => None,
        };
        let marker0 = format!("{}\n", self.marker.replace("{mark}", &self.marker_begin)).into_bytes();
        let marker1 = format!("{}\n", self.marker.replace("{mark}", &self.marker_end)).into_bytes();
        let mut blocklines: Vec<Vec<u8>> = Vec::new();
        if present && !self.block.is_empty() {
            let mut block = self.block.clone().into_bytes();
            if !block.ends_with(b"\n") {
                block.push(b'\n');
            }
            blocklines.push(marker0.clone());
            blocklines.extend(split_lines(&block));
            blocklines.push(marker1.clone());
        }
        let n0_found = lines.iter().rposition(|l| *l == marker0);
        let n1_found = lines.iter().rposition(|l| *l == marker1);
        let mut n0 = match (n0_found, n1_found) {
            (Some(a), Some(b)) => {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                lines.drain(lo..=hi);
                lo
            }
            _ => match &insert_re {
                Some(re) => match lines.iter().rposition(|l| re.is_match(strip_nl(l))) {
                    Some(i) if after.is_some() => i + 1,
                    Some(i) => i,
                    None => lines.len(),
                },
                None if before.is_some() => 0,
                None => lines.len(),
            },
        };
        if n0 > 0 && !lines[n0 - 1].ends_with(b"\n") {
            lines[n0 - 1].push(b'\n');
        }
        if self.prepend_newline && present && n0 != 0 && lines[n0 - 1] != b"\n" {
            lines.insert(n0, b"\n".to_vec());
            n0 += 1;
        }
        let after_block = n0 + blocklines.len();
        lines.splice(n0..n0, blocklines);
        if self.append_newline && present && after_block < lines.len() && lines[after_block] != b"\n" {
            lines.insert(after_block, b"\n".to_vec());
        }
        Ok(lines.concat())
    }
}

impl Module for BlockInFile {
    const NAME: &'static str = "blockinfile";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.insertafter.is_some() && self.insertbefore.is_some() {
            return Err(ModuleError::BadArgs("blockinfile: parameters are mutually exclusive: insertbefore|insertafter".into()));
        }
        let path = &self.path;
        let original = filewrite::read_for_edit(path)?;
        if original.is_none() {
            if !self.create {
                return Err(ModuleError::Failed(format!("Path {} does not exist !", path.display())));
            }
            if self.state == crate::core::lineinfile::LineState::Absent {
                return Ok(Outcome::changed(false).with_msg(format!("File {} not present", path.display())));
            }
        }
        let result = self.render(original.as_deref())?;
        let msg = match &original {
            Some(o) if *o == result => "",
            None => "File created",
            Some(_) if self.state == crate::core::lineinfile::LineState::Absent || self.block.is_empty() => "Block removed",
            Some(_) => "Block inserted",
        };
        let plan = filewrite::plan(path, original.as_deref(), &result, &FileAttrs::new(&self.mode, &self.owner, &self.group), None)?;
        let mut out = Outcome::changed(plan.changed()).with_msg(filewrite::attrs_msg(msg, !plan.attrs.is_empty()));
        if ctx.diff {
            out.diff = plan.diffs(path, original.as_deref(), &result);
        }
        if !ctx.check_mode && plan.changed() {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                std::fs::create_dir_all(parent).map_err(|e| ModuleError::io(format!("Error creating {}", parent.display()), e))?;
            }
            if let Some(b) = plan.apply(&result, self.backup, self.validate.as_deref())? {
                out = out.with("backup_file", b);
            }
        }
        Ok(out)
    }
}

register_module!(BlockInFile);
