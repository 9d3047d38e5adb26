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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(args: Value) -> DirOptions {
        DirOptions::from_args(args.as_object().unwrap()).unwrap()
    }

    /// Python's os.walk + sort: `a-b` (0x2d) before `a/…` (0x2f), later files win;
    /// a symlink back to an ancestor is followed once, not forever.
    #[test]
    fn string_order_later_files_win_and_loops_end() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("a/x")).unwrap();
        std::fs::create_dir_all(r.join("a-b")).unwrap();
        std::fs::write(r.join("a/x/v.yml"), "k: from-a-x\n").unwrap();
        std::fs::write(r.join("a-b/v.yml"), "k: from-a-b\n").unwrap();
        std::os::unix::fs::symlink(r, r.join("a/x/loop")).unwrap();
        let (vars, files) = load_dir(r, &opts(json!({}))).unwrap();
        assert_eq!(vars["k"], "from-a-x", "a/x sorts after a-b, so it loads last");
        let names: Vec<String> = files.iter().map(|p| p.strip_prefix(r).unwrap().display().to_string()).collect();
        assert_eq!(names, ["a-b/v.yml", "a/x/v.yml"]);
    }

    #[test]
    fn bad_patterns_and_missing_dirs_are_errors() {
        assert!(DirOptions::from_args(json!({"files_matching": "("}).as_object().unwrap())
            .is_err_and(|e| e.contains("Invalid regular expression")));
        let e = load_dir(Path::new("/nonexistent/dpctl-vars"), &opts(json!({}))).unwrap_err();
        assert_eq!(e, "/nonexistent/dpctl-vars directory does not exist");
    }
}
