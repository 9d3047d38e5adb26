//! `find`: files matching name patterns, age, size and content, as a list of
//! stat dictionaries (Ansible's `files`, `matched`, `examined`).

use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::core::stat::stat_fields;
use crate::util::checksum::{self, Algorithm};
use crate::util::{boolish, intish, listish, pyregex};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Return a list of files based on specific criteria.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Find {
    /// Directories to search (a list, or a comma-separated string).
    #[serde(alias = "name", alias = "path", deserialize_with = "listish::de")]
    pub paths: Vec<String>,
    /// Basename patterns: shell globs, or Python regexes with `use_regex` (matched at the start).
    #[serde(default, alias = "pattern", deserialize_with = "listish::de")]
    pub patterns: Vec<String>,
    /// Basename patterns to leave out (only applied together with `patterns`, as in Ansible).
    #[serde(default, alias = "exclude", deserialize_with = "listish::de")]
    pub excludes: Vec<String>,
    /// A regex matched against the start of each line (or searched in the whole file with `read_whole_file`); files only.
    #[serde(default)]
    pub contains: Option<String>,
    /// Apply `contains` to the whole file instead of line by line.
    #[serde(default, deserialize_with = "boolish::de")]
    pub read_whole_file: bool,
    /// `file` (default), `directory`, `link` or `any`.
    #[serde(default)]
    pub file_type: FileType,
    /// Select files whose age is equal to or greater than this (`2d`, `4w`, `30m`); negative: equal or less.
    #[serde(default)]
    pub age: Option<String>,
    /// Which timestamp `age` compares: `mtime` (default), `atime`, `ctime`.
    #[serde(default)]
    pub age_stamp: AgeStamp,
    /// Select files whose size is equal to or greater than this (`10k`, `1m`); negative: equal or less.
    #[serde(default)]
    pub size: Option<String>,
    /// Descend into subdirectories.
    #[serde(default, deserialize_with = "boolish::de")]
    pub recurse: bool,
    /// Include files and directories whose name starts with a dot.
    #[serde(default, deserialize_with = "boolish::de")]
    pub hidden: bool,
    /// Follow symlinked directories when recursing.
    #[serde(default, deserialize_with = "boolish::de")]
    pub follow: bool,
    /// Add a `checksum` to each regular file.
    #[serde(default, deserialize_with = "boolish::de")]
    pub get_checksum: bool,
    /// Algorithm for `get_checksum`.
    #[serde(default = "sha1", alias = "checksum", alias = "checksum_algo")]
    pub checksum_algorithm: Algorithm,
    /// `patterns` and `excludes` are Python regular expressions.
    #[serde(default, deserialize_with = "boolish::de")]
    pub use_regex: bool,
    /// Maximum directory depth to descend into (1 = the given paths only).
    #[serde(default, deserialize_with = "intish::de_opt")]
    pub depth: Option<usize>,
    /// Stop after this many matches.
    #[serde(default, deserialize_with = "intish::de_opt")]
    pub limit: Option<usize>,
    /// Select by permission bits: octal (`"0644"`) or symbolic (`"u=rw,g=r,o=r"`, applied to 0000).
    #[serde(default, deserialize_with = "crate::util::attrs::de_mode")]
    #[schemars(with = "Option<crate::util::attrs::ModeArg>")]
    pub mode: Option<crate::util::attrs::ModeSpec>,
    /// With `mode`: `true` (default) selects exactly that mode; `false` selects any
    /// path sharing at least one permission bit with it (Ansible's `st_mode & mode`).
    #[serde(default = "boolish::yes", deserialize_with = "boolish::de")]
    pub exact_mode: bool,
}

fn sha1() -> Algorithm {
    Algorithm::Sha1
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    #[default]
    File,
    Directory,
    Link,
    Any,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgeStamp {
    #[default]
    Mtime,
    Atime,
    Ctime,
}

/// `-?N` with an optional unit, as Ansible parses `age` and `size`.
fn parse_amount(what: &str, s: &str, units: &[(char, i64)]) -> Result<i64, ModuleError> {
    let s = s.trim().to_ascii_lowercase();
    let (num, unit) = match s.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&s[..s.len() - 1], Some(c)),
        _ => (s.as_str(), None),
    };
    let n: i64 = num.parse().map_err(|_| ModuleError::BadArgs(format!("find: failed to process {what} {s:?}")))?;
    let mult = match unit {
        None => 1,
        Some(u) => units
            .iter()
            .find(|(c, _)| *c == u)
            .map(|(_, m)| *m)
            .ok_or_else(|| ModuleError::BadArgs(format!("find: failed to process {what} {s:?}")))?,
    };
    Ok(n * mult)
}

/// Basename patterns, compiled once.
enum NameFilter {
    Glob(Vec<glob::Pattern>, Vec<glob::Pattern>),
    Regex(Vec<Regex>, Vec<Regex>),
}

impl NameFilter {
    fn matches(&self, name: &str) -> bool {
        match self {
            NameFilter::Glob(p, e) => p.iter().any(|p| p.matches(name)) && !e.iter().any(|e| e.matches(name)),
            NameFilter::Regex(p, e) => p.iter().any(|p| p.is_match(name.as_bytes())) && !e.iter().any(|e| e.is_match(name.as_bytes())),
        }
    }
}

struct Filters {
    names: NameFilter,
    age: Option<i64>,
    size: Option<i64>,
    contains: Option<Regex>,
    /// `contains` anchored like Python's `re.match`, for the line-by-line test.
    contains_at_start: Option<Regex>,
    now: f64,
    /// The `mode` to select by, resolved to permission bits.
    mode: Option<u32>,
}

fn stamp(meta: &fs::Metadata, which: AgeStamp) -> f64 {
    use std::os::unix::fs::MetadataExt;
    match which {
        AgeStamp::Mtime => meta.mtime() as f64 + meta.mtime_nsec() as f64 / 1e9,
        AgeStamp::Atime => meta.atime() as f64 + meta.atime_nsec() as f64 / 1e9,
        AgeStamp::Ctime => meta.ctime() as f64 + meta.ctime_nsec() as f64 / 1e9,
    }
}

impl Find {
    fn filters(&self) -> Result<Filters, ModuleError> {
        let names = if self.use_regex {
            let pats = if self.patterns.is_empty() { vec![".*".to_string()] } else { self.patterns.clone() };
            let c = |v: &[String]| v.iter().map(|p| pyregex::compile_match("find: pattern", p)).collect::<Result<Vec<_>, _>>();
            NameFilter::Regex(c(&pats)?, c(&self.excludes)?)
        } else {
            let pats = if self.patterns.is_empty() { vec!["*".to_string()] } else { self.patterns.clone() };
            let c = |v: &[String]| {
                v.iter()
                    .map(|p| glob::Pattern::new(p).map_err(|e| ModuleError::BadArgs(format!("find: bad pattern {p:?}: {e}"))))
                    .collect::<Result<Vec<_>, _>>()
            };
            NameFilter::Glob(c(&pats)?, c(&self.excludes)?)
        };
        let age = self
            .age
            .as_deref()
            .map(|a| parse_amount("age", a, &[('s', 1), ('m', 60), ('h', 3600), ('d', 86400), ('w', 604800)]))
            .transpose()?;
        let size = self
            .size
            .as_deref()
            .map(|s| parse_amount("size", s, &[('b', 1), ('k', 1 << 10), ('m', 1 << 20), ('g', 1 << 30), ('t', 1 << 40)]))
            .transpose()?;
        let contains = self.contains.as_deref().map(|c| pyregex::compile("find: contains", c)).transpose()?;
        let contains_at_start = self.contains.as_deref().map(|c| pyregex::compile_match("find: contains", c)).transpose()?;
        if self.limit == Some(0) {
            return Err(ModuleError::BadArgs("find: limit cannot be 0 (use None for unlimited)".into()));
        }
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let mode = match &self.mode {
            Some(crate::util::attrs::ModeSpec::Preserve) => return Err(ModuleError::BadArgs("find: mode cannot be preserve".into())),
            Some(m) => Some(m.resolve(0, false, None)? & 0o7777),
            None => None,
        };
        Ok(Filters { names, age, size, contains, contains_at_start, now, mode })
    }

    fn age_ok(&self, f: &Filters, meta: &fs::Metadata) -> bool {
        match f.age {
            None => true,
            Some(a) if a >= 0 => f.now - stamp(meta, self.age_stamp) >= a as f64,
            Some(a) => f.now - stamp(meta, self.age_stamp) <= (-a) as f64,
        }
    }

    fn content_ok(&self, f: &Filters, path: &Path) -> bool {
        let (Some(whole), Some(at_start)) = (&f.contains, &f.contains_at_start) else { return true };
        if self.read_whole_file {
            return fs::read(path).map(|b| whole.is_match(&b)).unwrap_or(false);
        }
        let Ok(file) = fs::File::open(path) else { return false };
        std::io::BufReader::new(file).split(b'\n').map_while(Result::ok).any(|line| at_start.is_match(&line))
    }
}

/// Ansible's `mode_filter`: the exact permission bits, or any shared bit.
fn mode_ok(mode: Option<u32>, exact: bool, meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(want) = mode else { return true };
    let have = meta.permissions().mode() & 0o7777;
    if exact {
        have == want
    } else {
        have & want != 0
    }
}

fn size_ok(size: Option<i64>, meta: &fs::Metadata) -> bool {
    let len = meta.len() as i64;
    match size {
        None => true,
        Some(s) if s >= 0 => len >= s,
        Some(s) => len <= -s,
    }
}

struct Walk<'a> {
    args: &'a Find,
    filters: Filters,
    files: Vec<Value>,
    examined: usize,
    skipped: Map<String, Value>,
}

impl Walk<'_> {
    fn full(&self) -> bool {
        self.args.limit.is_some_and(|l| self.files.len() >= l)
    }

    /// One directory, like one step of `os.walk(topdown=True)`.
    fn dir(&mut self, root: &Path, depth: usize) -> Result<(), ModuleError> {
        let a = self.args;
        let mut entries: Vec<(String, PathBuf)> = match fs::read_dir(root) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())).collect(),
            Err(e) => {
                self.skipped.insert(root.to_string_lossy().into_owned(), e.to_string().into());
                return Ok(());
            }
        };
        entries.sort();
        self.examined += entries.len();
        let mut subdirs = Vec::new();
        for (name, path) in entries {
            if a.depth.is_some_and(|d| depth > d) {
                break;
            }
            let is_walkable_dir = if a.follow { path.is_dir() } else { fs::symlink_metadata(&path).map(|m| m.is_dir()).unwrap_or(false) };
            if name.starts_with('.') && !a.hidden {
                // os.walk still descends into hidden directories; only the entry itself is skipped.
                if is_walkable_dir {
                    subdirs.push(path);
                }
                continue;
            }
            if is_walkable_dir {
                subdirs.push(path.clone());
            }
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    self.skipped.insert(path.to_string_lossy().into_owned(), e.to_string().into());
                    continue;
                }
            };
            let ft = meta.file_type();
            let f = &self.filters;
            let selected = mode_ok(f.mode, a.exact_mode, &meta)
                && match a.file_type {
                    FileType::Any => f.names.matches(&name) && a.age_ok(f, &meta) && (!ft.is_file() || size_ok(f.size, &meta)),
                    FileType::Directory => ft.is_dir() && f.names.matches(&name) && a.age_ok(f, &meta),
                    FileType::File => {
                        ft.is_file() && f.names.matches(&name) && a.age_ok(f, &meta) && size_ok(f.size, &meta) && a.content_ok(f, &path)
                    }
                    FileType::Link => ft.is_symlink() && f.names.matches(&name) && a.age_ok(f, &meta),
                };
            if selected {
                let mut r = Map::new();
                r.insert("path".into(), path.to_string_lossy().into_owned().into());
                r.extend(stat_fields(&meta));
                if ft.is_file() && a.get_checksum {
                    r.insert("checksum".into(), checksum::digest_file(a.checksum_algorithm, &path)?.into());
                }
                self.files.push(Value::Object(r));
                if self.full() {
                    return Ok(());
                }
            }
        }
        if a.recurse {
            for d in subdirs {
                if self.full() {
                    break;
                }
                self.dir(&d, depth + 1)?;
            }
        }
        Ok(())
    }
}

impl Module for Find {
    const NAME: &'static str = "find";

    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        let filters = self.filters()?;
        let mut walk = Walk { args: self, filters, files: Vec::new(), examined: 0, skipped: Map::new() };
        for p in &self.paths {
            let path = Path::new(p);
            if !path.is_dir() {
                walk.skipped.insert(p.clone(), format!("'{p}' is not a directory").into());
                continue;
            }
            walk.dir(path, 1)?;
            if walk.full() {
                break;
            }
        }
        let msg = if walk.full() {
            "Limit of matches reached"
        } else if walk.skipped.is_empty() {
            "All paths examined"
        } else {
            "Not all paths examined, check warnings for details"
        };
        Ok(Outcome::changed(false)
            .with_msg(msg)
            .with("matched", walk.files.len())
            .with("examined", walk.examined)
            .with("files", Value::Array(walk.files))
            .with("skipped_paths", Value::Object(walk.skipped)))
    }
}

register_module!(Find);
