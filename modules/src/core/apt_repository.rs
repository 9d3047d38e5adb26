//! `apt_repository`: one-line APT sources in `.list` files. A line already
//! enabled in any `.list` file is left alone; a commented-out copy is
//! re-enabled; `absent` removes the line everywhere (an emptied file is
//! deleted, as Ansible does). The file name defaults to Ansible's (from the
//! URL: `deb http://apt.example.com/debian stable main` →
//! `apt_example_com_debian.list`).
//!
//! Use `signed-by=` with a keyring from `apt_key` (the modern way):
//! `repo: "deb [signed-by=/etc/apt/keyrings/example.gpg] https://apt.example.com/debian stable main"`.
//! deb822 `.sources` files are not read or written.
//! dpctl extension: `sources_dir` points the module at another directory
//! (staging trees, tests).

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use super::group::PresentAbsent;
use crate::module::Diff;
use crate::util::apt;
use crate::util::fs as ufs;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Add and remove APT repositories (one-line `.list` sources).
///
/// Use `signed-by=` with a keyring from `apt_key`, e.g.
/// `deb [signed-by=/etc/apt/keyrings/example.gpg] https://apt.example.com/debian stable main`.
/// The file name defaults to Ansible's (from the URI); deb822 `.sources` files are
/// not read or written; PPAs are not supported. `sources_dir` is a dpctl extension.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AptRepository {
    /// A sources.list line: `deb [options] URI suite [component…]` (or `deb-src`).
    pub repo: String,
    /// Whether the line should be present.
    #[serde(default = "present")]
    pub state: PresentAbsent,
    /// The file's name without `.list` (default: derived from the URI, as Ansible does).
    #[serde(default)]
    pub filename: Option<String>,
    /// Run `apt-get update` after a change.
    #[serde(default = "yes", alias = "update-cache", deserialize_with = "crate::util::boolish::deserialize")]
    pub update_cache: bool,
    /// The file's mode when created (octal string like `"0644"` or a number).
    #[serde(default, deserialize_with = "crate::util::scalar::string_opt")]
    pub mode: Option<String>,
    /// Accepted for compatibility; nothing to install (no python-apt needed).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub install_python_apt: Option<bool>,
    /// Where the `.list` files are (dpctl extension; default `/etc/apt/sources.list.d`).
    #[serde(default = "default_dir")]
    pub sources_dir: PathBuf,
}

fn present() -> PresentAbsent {
    PresentAbsent::Present
}
fn yes() -> bool {
    true
}
fn default_dir() -> PathBuf {
    PathBuf::from("/etc/apt/sources.list.d")
}

const TYPES: &[&str] = &["deb", "deb-src"];

/// A sources line in canonical form (single spaces), if it is one; and whether it is enabled.
fn parse_line(line: &str) -> Option<(bool, String)> {
    let mut l = line.trim();
    let mut enabled = true;
    while let Some(rest) = l.strip_prefix('#') {
        enabled = false;
        l = rest.trim_start();
    }
    let l = l.split(" #").next().unwrap_or(l);
    let words: Vec<&str> = l.split_whitespace().collect();
    if words.len() < 3 || !TYPES.contains(&words[0]) {
        return None;
    }
    Some((enabled, words.join(" ")))
}

/// Ansible's `_suggest_filename`: drop options and scheme, keep the host and path of the URI.
pub fn suggested_filename(repo: &str) -> String {
    let no_opts = regex::Regex::new(r"\[[^\]]+\]").map(|r| r.replace_all(repo, "").into_owned()).unwrap_or_else(|_| repo.to_string());
    let no_scheme = regex::Regex::new(r"\w+://").map(|r| r.replace_all(&no_opts, "").into_owned()).unwrap_or(no_opts);
    let first = no_scheme.split_whitespace().find(|p| !TYPES.contains(p)).unwrap_or("");
    let first = first.rsplit_once('@').map(|(_, h)| h).unwrap_or(first);
    first.split(|c: char| !c.is_ascii_alphanumeric()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("_")
}

fn parse_mode(m: &str) -> Result<u32, ModuleError> {
    u32::from_str_radix(m.trim_start_matches("0o"), 8)
        .map_err(|_| ModuleError::BadArgs(format!("invalid mode {m:?} (octal, e.g. \"0644\")")))
}

impl AptRepository {
    fn list_files(&self) -> Result<Vec<PathBuf>, ModuleError> {
        let mut files = Vec::new();
        if self.sources_dir == default_dir() {
            files.push(PathBuf::from("/etc/apt/sources.list"));
        }
        if let Ok(rd) = std::fs::read_dir(&self.sources_dir) {
            let mut found: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "list")).collect();
            found.sort();
            files.extend(found);
        }
        Ok(files)
    }
}

/// One file's change.
struct FileChange {
    path: PathBuf,
    before: String,
    after: String,
}

impl Module for AptRepository {
    const NAME: &'static str = "apt_repository";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let (_, wanted) = parse_line(&self.repo).filter(|(en, _)| *en).ok_or_else(|| {
            ModuleError::BadArgs(format!("Invalid repository string: {} (expected `deb [options] URI suite [components]`)", self.repo))
        })?;
        let mode = self.mode.as_deref().map(parse_mode).transpose()?;
        let name = match &self.filename {
            Some(f) if f.contains('/') || f.is_empty() => return Err(ModuleError::BadArgs(format!("invalid filename {f:?}"))),
            Some(f) => f.clone(),
            None => suggested_filename(&self.repo),
        };
        let target = self.sources_dir.join(format!("{name}.list"));

        let mut changes: Vec<FileChange> = Vec::new();
        let mut enabled_somewhere = false;
        for path in self.list_files()? {
            let Some(bytes) = ufs::read_if_exists(&path)? else { continue };
            let before = String::from_utf8_lossy(&bytes).into_owned();
            let mut lines = Vec::new();
            let mut touched = false;
            for line in before.lines() {
                match parse_line(line) {
                    Some((enabled, src)) if src == wanted => match self.state {
                        PresentAbsent::Absent => touched = true,
                        PresentAbsent::Present if enabled => {
                            enabled_somewhere = true;
                            lines.push(line.to_string());
                        }
                        PresentAbsent::Present if !enabled_somewhere => {
                            enabled_somewhere = true;
                            touched = true;
                            lines.push(wanted.clone());
                        }
                        PresentAbsent::Present => lines.push(line.to_string()),
                    },
                    _ => lines.push(line.to_string()),
                }
            }
            if touched {
                let after = if lines.iter().all(|l| l.trim().is_empty()) { String::new() } else { lines.join("\n") + "\n" };
                changes.push(FileChange { path, before, after });
            }
        }
        if self.state == PresentAbsent::Present && !enabled_somewhere {
            let before = ufs::read_if_exists(&target)?.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let mut after = before.clone();
            if !after.is_empty() && !after.ends_with('\n') {
                after.push('\n');
            }
            after.push_str(&wanted);
            after.push('\n');
            changes.push(FileChange { path: target.clone(), before, after });
        }

        let changed = !changes.is_empty();
        let mut o = Outcome::changed(changed)
            .with("repo", self.repo.clone())
            .with("state", if self.state == PresentAbsent::Present { "present" } else { "absent" });
        for c in &changes {
            if ctx.diff {
                let header = Some(c.path.display().to_string());
                o.diff.push(Diff { before_header: header.clone(), after_header: header, before: c.before.clone(), after: c.after.clone() });
            }
            if ctx.check_mode {
                continue;
            }
            if c.after.is_empty() {
                std::fs::remove_file(&c.path).map_err(|e| ModuleError::io(format!("removing {}", c.path.display()), e))?;
            } else {
                let new_file = !Path::new(&c.path).exists();
                if let Some(dir) = c.path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| ModuleError::io(format!("creating {}", dir.display()), e))?;
                }
                ufs::write_atomic(&c.path, c.after.as_bytes(), if new_file { Some(mode.unwrap_or(0o644)) } else { mode })?;
            }
        }
        let mut cache_updated = false;
        if changed && self.update_cache && !ctx.check_mode {
            apt::checked(apt::apt_get(&["update".into()])?, "apt-get update")?;
            cache_updated = true;
        }
        Ok(o.with(
            "sources_added",
            changes.iter().filter(|c| !c.after.is_empty()).map(|c| c.path.display().to_string()).collect::<Vec<_>>(),
        )
        .with("sources_removed", changes.iter().filter(|c| c.after.is_empty()).map(|c| c.path.display().to_string()).collect::<Vec<_>>())
        .with("cache_updated", cache_updated))
    }
}

register_module!(AptRepository);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_like_ansible() {
        assert_eq!(suggested_filename("deb http://apt.example.com/debian stable main"), "apt_example_com_debian");
        assert_eq!(suggested_filename("deb [arch=amd64 signed-by=/k.gpg] https://u:p@repo.x.org/apt/ bookworm main"), "repo_x_org_apt");
    }

    #[test]
    fn lines_are_compared_in_canonical_form() {
        assert_eq!(parse_line("  #  deb   http://a/  x main"), Some((false, "deb http://a/ x main".into())));
        assert_eq!(parse_line("deb http://a/ x main # note"), Some((true, "deb http://a/ x main".into())));
        assert_eq!(parse_line("# just a comment"), None);
    }
}
