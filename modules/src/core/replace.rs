//! `replace`: every match of a regular expression in a file replaced, optionally
//! only in the section between `after` and `before`.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::{boolish, filewrite, pyregex};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Replace all instances of a pattern within a file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    /// The file to modify.
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: PathBuf,
    /// Python-style regular expression, multiline mode (`^`/`$` match at each line).
    pub regexp: String,
    /// The replacement; may use `\1` and `\g<name>` backreferences. Empty removes matches.
    #[serde(default)]
    pub replace: String,
    /// Only replace after the first match of this expression.
    #[serde(default)]
    pub after: Option<String>,
    /// Only replace before the match of this expression.
    #[serde(default)]
    pub before: Option<String>,
    /// Keep a timestamped copy of the file before changing it.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backup: bool,
    /// A command run on the candidate file before it replaces the original; must contain `%s`.
    #[serde(default)]
    pub validate: Option<String>,
    /// The file's encoding; only `utf-8` is supported.
    #[serde(default = "utf8")]
    pub encoding: String,
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

fn utf8() -> String {
    "utf-8".into()
}

impl Module for Replace {
    const NAME: &'static str = "replace";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let enc = self.encoding.to_ascii_lowercase().replace('_', "-");
        if enc != "utf-8" && enc != "utf8" {
            return Err(ModuleError::BadArgs(format!("replace: encoding {} is not supported (only utf-8)", self.encoding)));
        }
        let path = &self.path;
        let Some(contents) = filewrite::read_for_edit(path)? else {
            return Err(ModuleError::Failed(format!("Path {} does not exist !", path.display())));
        };
        let section_pat = match (self.after.as_deref().filter(|s| !s.is_empty()), self.before.as_deref().filter(|s| !s.is_empty())) {
            (Some(a), Some(b)) => Some(format!("(?s){a}(?P<subsection>.*?){b}")),
            (Some(a), None) => Some(format!("(?s){a}(?P<subsection>.*)")),
            (None, Some(b)) => Some(format!("(?s)(?P<subsection>.*){b}")),
            (None, None) => None,
        };
        let (start, end) = match &section_pat {
            Some(p) => {
                let re = pyregex::compile("replace: after/before", p)?;
                match re.captures(&contents).and_then(|c| c.name("subsection")) {
                    Some(m) => (m.start(), m.end()),
                    None => {
                        return Ok(Outcome::changed(false)
                            .with_msg(format!("Pattern for before/after params did not match the given file: {p}"))
                            .with("rc", 0))
                    }
                }
            }
            None => (0, contents.len()),
        };
        let re = pyregex::compile("replace: regexp", &format!("(?m){}", self.regexp))?;
        let section = &contents[start..end];
        let count = re.find_iter(section).count();
        let replaced = re.replace_all(section, pyregex::template(&self.replace).as_bytes());
        let changed_content = count > 0 && *replaced != *section;
        let result = if changed_content { [&contents[..start], &replaced[..], &contents[end..]].concat() } else { contents.clone() };
        let msg = if changed_content { format!("{count} replacements made") } else { String::new() };
        let plan = filewrite::plan(path, Some(&contents), &result, &FileAttrs::new(&self.mode, &self.owner, &self.group), None)?;
        let mut out = Outcome::changed(plan.changed()).with_msg(filewrite::attrs_msg(&msg, !plan.attrs.is_empty())).with("rc", 0);
        if ctx.diff {
            out.diff = plan.diffs(path, Some(&contents), &result);
        }
        if !ctx.check_mode && plan.changed() {
            if let Some(b) = plan.apply(&result, self.backup, self.validate.as_deref())? {
                out = out.with("backup_file", b);
            }
        }
        Ok(out)
    }
}

register_module!(Replace);
