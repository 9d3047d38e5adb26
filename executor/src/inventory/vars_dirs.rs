//! `group_vars/` and `host_vars/` next to an inventory source or a playbook,
//! found and read as Ansible's `host_group_vars` plugin does.
//!
//! For an entity `NAME`, the first of `NAME`, `NAME.yml`, `NAME.yaml`,
//! `NAME.json` that exists is used; when it is a directory, every file in it
//! (sorted, recursively, skipping hidden files and `~` backups, only files
//! with no extension or a YAML/JSON one) is read in order, later files
//! overriding earlier ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::data::Vars;
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::display_path;
use crate::yaml;

const EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];

/// The variables that one directory's `group_vars/` and `host_vars/` give each group and host.
#[derive(Debug, Clone, Default)]
pub struct VarsDir {
    pub dir: PathBuf,
    groups: HashMap<String, Vars>,
    hosts: HashMap<String, Vars>,
}

impl VarsDir {
    /// Read the files for the named groups and hosts under `dir/group_vars` and `dir/host_vars`.
    pub fn load<'a>(
        dir: &Path,
        groups: impl IntoIterator<Item = &'a str>,
        hosts: impl IntoIterator<Item = &'a str>,
    ) -> Result<VarsDir, Diagnostics> {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut diags = Diagnostics::default();
        let mut out = VarsDir { dir: dir.clone(), ..VarsDir::default() };
        for (sub, names, target) in [
            ("group_vars", groups.into_iter().collect::<Vec<_>>(), &mut out.groups),
            ("host_vars", hosts.into_iter().collect(), &mut out.hosts),
        ] {
            let base = dir.join(sub);
            if !base.is_dir() {
                continue;
            }
            for name in names {
                if name.starts_with('/') {
                    continue;
                }
                let mut vars = Vars::new();
                for file in find_vars_files(&base, name) {
                    match load_vars_file(&file) {
                        Ok(v) => vars.extend(v),
                        Err(d) => diags.push(d),
                    }
                }
                if !vars.is_empty() {
                    target.insert(name.to_string(), vars);
                }
            }
        }
        diags.into_result(out)
    }

    pub fn group(&self, name: &str) -> Option<&Vars> {
        self.groups.get(name)
    }

    pub fn host(&self, name: &str) -> Option<&Vars> {
        self.hosts.get(name)
    }
}

/// The files that hold `name`'s variables under `base` (Ansible's `find_vars_files`).
pub fn find_vars_files(base: &Path, name: &str) -> Vec<PathBuf> {
    for ext in std::iter::once("").chain(EXTENSIONS) {
        let path = base.join(format!("{name}{ext}"));
        if path.is_dir() {
            let mut found = Vec::new();
            dir_vars_files(&path, &mut found);
            return found;
        }
        if path.exists() {
            return vec![path];
        }
    }
    Vec::new()
}

fn dir_vars_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut names: Vec<String> = read.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let ext = python_ext(&name);
        let full = dir.join(&name);
        if full.is_dir() && ext.is_empty() {
            dir_vars_files(&full, found);
        } else if full.is_file() && (ext.is_empty() || EXTENSIONS.contains(&ext)) {
            found.push(full);
        }
    }
}

/// `os.path.splitext(name)[1]`: the last `.suffix`, not counting leading dots.
fn python_ext(name: &str) -> &str {
    let stem_start = name.len() - name.trim_start_matches('.').len();
    match name[stem_start..].rfind('.') {
        Some(i) => &name[stem_start + i..],
        None => "",
    }
}

/// One vars file: a mapping, or nothing (an empty file).
pub fn load_vars_file(path: &Path) -> Result<Vars, Diagnostic> {
    let (_, doc) = yaml::load_file(path)?;
    match doc {
        None => Ok(Vars::new()),
        Some(n) if n.is_null() => Ok(Vars::new()),
        Some(n) => {
            match n.to_value() {
                serde_json::Value::Object(m) => Ok(m),
                _ => Err(Diagnostic::error(format!("{} must hold a mapping of variables, found {}", display_path(path), n.type_name()))
                    .at(&n.span)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_like_python() {
        assert_eq!(python_ext("a.yml"), ".yml");
        assert_eq!(python_ext("a.b.json"), ".json");
        assert_eq!(python_ext("noext"), "");
        assert_eq!(python_ext(".hidden"), "");
    }
}
