//! `include_vars: dir=…`: every variables file below a directory, in the
//! order Ansible's include_vars action loads them (directories sorted by
//! path, files by name within each; later files override earlier ones).

use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{Map, Value};

use crate::engine::static_walk::read_vars;

/// The `dir` options, already checked against the typed struct.
pub struct DirOptions {
    pub extensions: Vec<String>,
    /// 0 = no limit; 1 = the directory itself only.
    pub depth: u64,
    pub files_matching: Option<Regex>,
    /// Each matched against the end of a file name.
    pub ignore_files: Vec<Regex>,
    pub ignore_unknown_extensions: bool,
}

impl DirOptions {
    pub fn from_args(args: &Map<String, Value>) -> Result<DirOptions, String> {
        let list = |k: &str| -> Vec<String> {
            match args.get(k) {
                Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect(),
                Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
                _ => Vec::new(),
            }
        };
        let regex =
            |p: &str, anchor: &str| Regex::new(&format!("{p}{anchor}")).map_err(|e| format!("Invalid regular expression: {p}: {e}"));
        let mut extensions = list("extensions");
        if args.get("extensions").is_none() {
            extensions = ["yaml", "yml", "json"].map(String::from).to_vec();
        }
        Ok(DirOptions {
            extensions,
            depth: match args.get("depth") {
                Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
                Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
                _ => 0,
            },
            files_matching: args.get("files_matching").and_then(Value::as_str).map(|p| regex(p, "")).transpose()?,
            ignore_files: list("ignore_files").iter().map(|p| regex(p, "$")).collect::<Result<_, _>>()?,
            ignore_unknown_extensions: matches!(args.get("ignore_unknown_extensions"), Some(Value::Bool(true)))
                || args.get("ignore_unknown_extensions").and_then(Value::as_str).and_then(modules::args::ansible_bool) == Some(true),
        })
    }
}

/// Load the files below `root`; the variables merged and the files read, in order.
pub fn load_dir(root: &Path, opts: &DirOptions) -> Result<(Map<String, Value>, Vec<PathBuf>), String> {
    if !root.exists() {
        return Err(format!("{} directory does not exist", root.display()));
    }
    if !root.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    let mut dirs = Vec::new();
    collect_dirs(root, 1, opts.depth, &mut std::collections::HashSet::new(), &mut dirs);
    // Python sorts the walked directories as strings (`a-b` before `a/x`).
    dirs.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    let mut vars = Map::new();
    let mut read = Vec::new();
    for dir in dirs {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .flatten()
            .filter(|e| !e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            if opts.files_matching.as_ref().is_some_and(|re| !re.is_match(&name)) || opts.ignore_files.iter().any(|re| re.is_match(&name)) {
                continue;
            }
            let ext_ok = Path::new(&name).extension().and_then(|e| e.to_str()).is_some_and(|e| opts.extensions.iter().any(|x| x == e));
            if !ext_ok {
                if opts.ignore_unknown_extensions {
                    continue;
                }
                return Err(format!("{} does not have a valid extension: {}", path.display(), opts.extensions.join(", ")));
            }
            vars.extend(read_vars(&path).map_err(|d| d.message)?);
            read.push(path);
        }
    }
    Ok((vars, read))
}

/// `dir` and its subdirectories down to `depth` levels (0 = all); symlinks are
/// followed, as os.walk(followlinks=True), but a directory already seen is not walked again.
fn collect_dirs(dir: &Path, level: u64, depth: u64, seen: &mut std::collections::HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
    if depth != 0 && level > depth || !seen.insert(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())) {
        return;
    }
    out.push(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_dirs(&p, level + 1, depth, seen, out);
        }
    }
}
