//! Which `-i` source is what: a `h1,h2,` list, a directory, an INI or a YAML file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use super::data::{Data, UNGROUPED};
use super::ranges::parse_address;
use super::{ini, yaml_format};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{display_path, Source};
use crate::yaml;

/// Names a directory inventory skips: hidden files, vars dirs, and Ansible's ignored extensions.
fn ignored() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.cfg|\.retry)$")
            .unwrap_or_else(|_| unreachable!())
    })
}

/// Read one `-i` source into `data`; `dirs` receives the directory whose `group_vars/`/`host_vars/` apply.
pub fn read_source(source: &str, data: &mut Data, warnings: &mut Vec<Diagnostic>, dirs: &mut Vec<PathBuf>) -> Result<(), Diagnostics> {
    let path = expand_path(source);
    if source.contains(',') && !path.exists() {
        read_host_list(source, data);
        return Ok(());
    }
    if !path.exists() {
        return Err(Diagnostic::error(format!("inventory source {source} does not exist")).into());
    }
    if path.is_dir() {
        dirs.push(path.clone());
        read_dir(&path, data, warnings)
    } else {
        dirs.push(path.parent().map(Path::to_path_buf).unwrap_or_default());
        read_file(&path, data, warnings).map_err(Diagnostics::from)
    }
}

/// `~` and relative paths, like Ansible's `unfrackpath` (without resolving symlinks).
fn expand_path(source: &str) -> PathBuf {
    let expanded = match (source.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(source),
    };
    if expanded.is_absolute() {
        expanded
    } else {
        std::env::current_dir().map(|d| d.join(&expanded)).unwrap_or(expanded)
    }
}

/// `-i 'web1,web2:2222,'`: every name goes to `ungrouped`.
fn read_host_list(list: &str, data: &mut Data) {
    data.current_source = None;
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (host, port) = parse_address(item, false).unwrap_or_else(|| (item.to_string(), None));
        if data.host_index.contains_key(&host) {
            continue;
        }
        data.add_host(&host, Some(UNGROUPED), port);
    }
}

/// Every entry of a directory in name order, recursively; errors from all files are collected.
fn read_dir(dir: &Path, data: &mut Data, warnings: &mut Vec<Diagnostic>) -> Result<(), Diagnostics> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Diagnostic::error(format!("cannot read inventory directory {}: {e}", display_path(dir))))?;
    let mut names: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut diags = Diagnostics::default();
    for name in names {
        if ignored().is_match(&name) {
            continue;
        }
        let path = dir.join(&name);
        let result =
            if path.is_dir() { read_dir(&path, data, warnings) } else { read_file(&path, data, warnings).map_err(Diagnostics::from) };
        if let Err(d) = result {
            diags.extend(d);
        }
    }
    diags.into_result(())
}

fn is_vaulted_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 14];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && crate::vault::is_vaulted(&head)
}

/// Which parser reads an inventory text given directly (not found by file extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    Ini,
    Yaml,
}

/// Read an inventory text as if it were the file `path` (which need not exist).
pub fn read_text(
    path: &Path,
    text: &str,
    format: InventoryFormat,
    data: &mut Data,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    data.current_source = Some(path.to_path_buf());
    let source = Source::new(path, text);
    let result = match format {
        InventoryFormat::Ini => ini::parse(&source, data),
        InventoryFormat::Yaml => yaml::load_str(source).and_then(|docs| match docs.as_slice() {
            [] => Ok(()),
            [doc] if doc.is_null() => Ok(()),
            [doc] => yaml_format::parse(doc, data, warnings),
            [_, second, ..] => {
                Err(Diagnostic::error(format!("{} holds {} YAML documents; one was expected", display_path(path), docs.len()))
                    .at(&second.span))
            }
        }),
    };
    data.current_source = None;
    result
}

/// A file: YAML when its extension says so; without an extension, YAML when it reads as a YAML mapping, else INI
/// (the order in which Ansible tries its `yaml` and `ini` plugins).
fn read_file(path: &Path, data: &mut Data, warnings: &mut Vec<Diagnostic>) -> Result<(), Diagnostic> {
    // As Ansible: a vaulted file in an inventory directory read without vault secrets
    // (a `secrets.yml` next to `hosts`) is skipped with a warning, not an error.
    if crate::vault::keyring::secrets().is_empty() && is_vaulted_file(path) {
        warnings.push(Diagnostic::warning(format!(
            "Failed to parse inventory {}: Attempting to decrypt but no vault secrets found.",
            display_path(path)
        )));
        return Ok(());
    }
    data.current_source = Some(path.to_path_buf());
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let result = match ext {
        "yml" | "yaml" | "json" => {
            let (_, doc) = yaml::load_file(path)?;
            match doc {
                // Ansible's yaml plugin rejects an empty file and the ini plugin then reads it as empty.
                None => Ok(()),
                Some(d) if d.is_null() => Ok(()),
                Some(d) => yaml_format::parse(&d, data, warnings),
            }
        }
        "toml" => Err(Diagnostic::error(format!("{}: TOML inventories are not supported", display_path(path))).help("use INI or YAML")),
        "" => {
            let (source, _) = yaml::read_source(path)?;
            match yaml::load_str(source.clone()) {
                Ok(docs) if docs.len() == 1 && docs[0].as_map().is_some() && docs[0].get("plugin").is_none() => {
                    yaml_format::parse(&docs[0], data, warnings)
                }
                _ => ini::parse(&source, data),
            }
        }
        _ => {
            let (source, _) = yaml::read_source(path)?;
            ini::parse(&source, data)
        }
    };
    data.current_source = None;
    result
}
