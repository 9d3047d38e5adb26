//! `lineinfile`: make sure one line is (or is not) in a file — Ansible's
//! algorithm step for step, so `insertafter`, `firstmatch` and `backrefs`
//! place lines exactly where Ansible would.

use std::path::{Path, PathBuf};

use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::{boolish, filewrite, pyregex};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Ensure a particular line is in a file, or replace an existing line using a regular expression.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInFile {
    /// The file to modify.
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: PathBuf,
    /// Python-style regular expression looked for in every line. With
    /// `state: present` the last matching line is replaced; with `absent`
    /// every matching line is removed.
    #[serde(default, alias = "regex")]
    pub regexp: Option<String>,
    /// A literal string looked for in every line (instead of `regexp`).
    #[serde(default)]
    pub search_string: Option<String>,
    /// `present` or `absent`.
    #[serde(default)]
    pub state: LineState,
    /// The line to insert or replace with. With `backrefs`, may hold `\1`/`\g<name>`.
    #[serde(default, alias = "value")]
    pub line: Option<String>,
    /// With `regexp`: expand backreferences in `line`, and do nothing if the regexp matches no line.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backrefs: bool,
    /// Insert after the last line matching this regex, or `EOF` (default) / `BOF`.
    #[serde(default)]
    pub insertafter: Option<String>,
    /// Insert before the last line matching this regex, or `BOF`.
    #[serde(default)]
    pub insertbefore: Option<String>,
    /// Create the file (and its parent directories) if it does not exist.
    #[serde(default, deserialize_with = "boolish::de")]
    pub create: bool,
    /// Keep a timestamped copy of the file before changing it.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backup: bool,
    /// With `insertafter`/`insertbefore`: use the first matching line, not the last.
    #[serde(default, deserialize_with = "boolish::de")]
    pub firstmatch: bool,
    /// A command run on the candidate file before it replaces the original; must contain `%s`.
    #[serde(default)]
    pub validate: Option<String>,
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

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LineState {
    #[default]
    Present,
    Absent,
}

/// What selects existing lines.
enum Matcher {
    Regex(Regex),
    Literal(Vec<u8>),
    Line(Vec<u8>),
}

impl Matcher {
    /// Python's `re.search` on a line read with its `\n`; `$` there matches
    /// before that newline, so search the line without it.
    fn is_match(&self, line: &[u8]) -> bool {
        match self {
            Matcher::Regex(re) => re.is_match(strip_nl(line)),
            Matcher::Literal(s) => contains(line, s),
            Matcher::Line(l) => strip_crlf(line) == l.as_slice(),
        }
    }
}

fn strip_nl(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\n").unwrap_or(l)
}

fn strip_crlf(mut l: &[u8]) -> &[u8] {
    while let Some(rest) = l.strip_suffix(b"\n").or_else(|| l.strip_suffix(b"\r")) {
        l = rest;
    }
    l
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Split keeping the `\n`, as Python's `readlines()`.
pub fn split_lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|&c| c == b'\n').map(<[u8]>::to_vec).collect()
}

fn ends_with_newline(l: &[u8]) -> bool {
    matches!(l.last(), Some(b'\n' | b'\r'))
}

impl LineInFile {
    fn matcher(&self) -> Result<Matcher, ModuleError> {
        Ok(match (&self.regexp, &self.search_string) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::BadArgs("lineinfile: parameters are mutually exclusive: regexp|search_string".into()))
            }
            (Some(r), None) => Matcher::Regex(pyregex::compile("lineinfile: regexp", r)?),
            (None, Some(s)) => Matcher::Literal(s.clone().into_bytes()),
            (None, None) => Matcher::Line(self.line.clone().unwrap_or_default().into_bytes()),
        })
    }

    fn check_args(&self) -> Result<(), ModuleError> {
        if self.insertafter.is_some() && self.insertbefore.is_some() {
            return Err(ModuleError::BadArgs("lineinfile: parameters are mutually exclusive: insertbefore|insertafter".into()));
        }
        if self.state == LineState::Present {
            if self.line.is_none() {
                return Err(ModuleError::BadArgs("lineinfile: line is required with state=present".into()));
            }
            if self.backrefs && self.regexp.is_none() {
                return Err(ModuleError::BadArgs("lineinfile: regexp is required with backrefs=true".into()));
            }
        } else if self.regexp.is_none() && self.search_string.is_none() && self.line.is_none() {
            return Err(ModuleError::BadArgs("lineinfile: one of line, search_string, or regexp is required with state=absent".into()));
        }
        Ok(())
    }

    /// Ansible's `present()` (ansible-core 2.19), pass for pass: the new lines and the message.
    fn present(&self, mut lines: Vec<Vec<u8>>) -> Result<(Vec<Vec<u8>>, &'static str), ModuleError> {
        let line = self.line.clone().unwrap_or_default().into_bytes();
        let after = self.insertafter.as_deref();
        let before = self.insertbefore.as_deref();
        let ins_re = match (after, before) {
            (Some(a), _) if a != "BOF" && a != "EOF" => Some(pyregex::compile("lineinfile: insertafter", a)?),
            (None, Some(b)) if b != "BOF" => Some(pyregex::compile("lineinfile: insertbefore", b)?),
            _ => None,
        };
        // Pass 1: regexp or search_string; remember the matching line (the last, or the first with firstmatch).
        let mut found: Option<usize> = None;
        let mut regex_match: Option<usize> = None;
        if let Some(r) = &self.regexp {
            let re = pyregex::compile("lineinfile: regexp", r)?;
            for (n, cur) in lines.iter().enumerate() {
                if re.is_match(strip_nl(cur)) {
                    found = Some(n);
                    regex_match = Some(n);
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        if let Some(s) = &self.search_string {
            for (n, cur) in lines.iter().enumerate() {
                if contains(cur, s.as_bytes()) {
                    found = Some(n);
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        // Pass 2, only when nothing matched: the exact line, and the insert anchor.
        let mut ins: Option<usize> = None;
        if found.is_none() {
            for (n, cur) in lines.iter().enumerate() {
                if strip_crlf(cur) == line.as_slice() {
                    found = Some(n);
                } else if ins_re.as_ref().is_some_and(|re| re.is_match(strip_nl(cur))) {
                    ins = Some(if after.is_some() { n + 1 } else { n });
                    if self.firstmatch {
                        break;
                    }
                }
            }
        }
        let with_nl = |l: &[u8]| [l, b"\n"].concat();
        let mut msg = "";
        if let Some(idx) = found {
            let mut new_line = line.clone();
            if let (true, Some(m), Some(r)) = (self.backrefs, regex_match, &self.regexp) {
                let re = pyregex::compile("lineinfile: regexp", r)?;
                if let Some(caps) = re.captures(strip_nl(&lines[m])) {
                    let mut dst = Vec::new();
                    caps.expand(pyregex::template(&String::from_utf8_lossy(&line)).as_bytes(), &mut dst);
                    new_line = dst;
                }
            }
            if !new_line.ends_with(b"\n") {
                new_line.push(b'\n');
            }
            if lines[idx] != new_line {
                lines[idx] = new_line;
                msg = "line replaced";
            }
        } else if self.backrefs {
            // Nothing to expand the backreferences from: leave the file alone, as Ansible does.
        } else if before == Some("BOF") || after == Some("BOF") {
            lines.insert(0, with_nl(&line));
            msg = "line added";
        } else if after == Some("EOF") || ins.is_none() {
            if lines.last().is_some_and(|l| !ends_with_newline(l)) {
                lines.push(b"\n".to_vec());
            }
            lines.push(with_nl(&line));
            msg = "line added";
        } else if let (Some(_), Some(i)) = (after, ins) {
            if lines.len() == i {
                if strip_crlf(&lines[i - 1]) != line.as_slice() {
                    lines.push(with_nl(&line));
                    msg = "line added";
                }
            } else if strip_crlf(&lines[i]) != line.as_slice() {
                lines.insert(i, with_nl(&line));
                msg = "line added";
            }
        } else if let Some(i) = ins {
            lines.insert(i, with_nl(&line));
            msg = "line added";
        }
        Ok((lines, msg))
    }

    /// Ansible's `absent()`: drop every matching line.
    fn absent(&self, lines: Vec<Vec<u8>>) -> Result<(Vec<Vec<u8>>, usize), ModuleError> {
        let matcher = self.matcher()?;
        let before = lines.len();
        let kept: Vec<_> = lines.into_iter().filter(|l| !matcher.is_match(l)).collect();
        let removed = before - kept.len();
        Ok((kept, removed))
    }
}

fn missing(path: &Path) -> ModuleError {
    ModuleError::Failed(format!("Destination {} does not exist !", path.display()))
}

impl Module for LineInFile {
    const NAME: &'static str = "lineinfile";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        self.check_args()?;
        let path = &self.path;
        let original = filewrite::read_for_edit(path)?;
        let mut out = Outcome::default();
        let (new, msg) = match self.state {
            LineState::Present => {
                if original.is_none() && !self.create {
                    return Err(missing(path));
                }
                let (lines, msg) = self.present(split_lines(original.as_deref().unwrap_or_default()))?;
                (lines.concat(), msg.to_string())
            }
            LineState::Absent => {
                let Some(orig) = &original else {
                    return Ok(Outcome::changed(false).with_msg("file not present"));
                };
                let (lines, removed) = self.absent(split_lines(orig))?;
                out = out.with("found", removed);
                (lines.concat(), if removed > 0 { format!("{removed} line(s) removed") } else { String::new() })
            }
        };
        let content_changed = !msg.is_empty();
        // Only write when the algorithm says so (a file created with no line to add stays absent).
        let desired = if content_changed { new } else { original.clone().unwrap_or_default() };
        if original.is_none() && !content_changed {
            return Ok(out.with_msg(msg).with("backup", ""));
        }
        let plan = filewrite::plan(path, original.as_deref(), &desired, &FileAttrs::new(&self.mode, &self.owner, &self.group), None)?;
        out.changed = plan.changed();
        out.msg = Some(filewrite::attrs_msg(&msg, !plan.attrs.is_empty()));
        if ctx.diff {
            out.diff = plan.diffs(path, original.as_deref(), &desired);
        }
        let mut backup = String::new();
        if !ctx.check_mode && plan.changed() {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                std::fs::create_dir_all(parent).map_err(|e| ModuleError::io(format!("Error creating {}", parent.display()), e))?;
            }
            backup = plan.apply(&desired, self.backup, self.validate.as_deref())?.unwrap_or_default();
        }
        Ok(out.with("backup", backup))
    }
}

register_module!(LineInFile);
