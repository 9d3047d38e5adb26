//! `file`: make a path be a file, directory, symlink, hard link, or absent,
//! with the mode/owner/group asked for — Ansible's state transitions and
//! their refusals (`refusing to convert from file to symlink …`).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::module::Diff;
use crate::util::attrs::{self, AttrChange, FileAttrs, ModeSpec};
use crate::util::{boolish, diff};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Manage files and file properties.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Path to the file being managed.
    #[serde(alias = "dest", alias = "name")]
    pub path: PathBuf,
    /// `file` (only attributes; the file must exist), `directory` (created with
    /// parents), `touch`, `link` (symlink to `src`), `hard`, `absent` (removed,
    /// recursively for a directory). Default: the current state, or `file`.
    #[serde(default)]
    pub state: Option<FileState>,
    /// The link target for `state: link`/`hard`; relative paths are relative to the link's directory.
    #[serde(default)]
    pub src: Option<String>,
    /// With `state: directory`, set attributes on everything below too.
    #[serde(default, deserialize_with = "boolish::de")]
    pub recurse: bool,
    /// Replace a file or empty directory with a link, or link to a missing `src`.
    #[serde(default, deserialize_with = "boolish::de")]
    pub force: bool,
    /// Follow symlinks when setting attributes (default true, as in Ansible).
    #[serde(default = "boolish::yes", deserialize_with = "boolish::de")]
    pub follow: bool,
    /// Permissions: octal string `"0644"`, number, or symbolic `u=rwx,g=rx,o=` / `u+x`.
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub mode: Option<ModeSpec>,
    /// Owner (name or uid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub owner: Option<String>,
    /// Group (name or gid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub group: Option<String>,
    /// `now`, `preserve`, or `YYYYmmddHHMM.SS` (local time). Default: `now` for touch, else `preserve`.
    #[serde(default)]
    pub modification_time: Option<String>,
    /// `now`, `preserve`, or `YYYYmmddHHMM.SS` (local time). Default: `now` for touch, else `preserve`.
    #[serde(default)]
    pub access_time: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileState {
    File,
    Directory,
    Touch,
    Link,
    Hard,
    Absent,
}

/// Ansible's `get_state`.
fn state_of(path: &Path) -> &'static str {
    match fs::symlink_metadata(path) {
        Err(_) => "absent",
        Ok(m) if m.file_type().is_symlink() => "link",
        Ok(m) if m.is_dir() => "directory",
        Ok(m) if m.nlink() > 1 => "hard",
        Ok(_) => "file",
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ModuleError {
    move |e| ModuleError::io(what, e)
}

/// A timestamp argument resolved for the current run.
enum Stamp {
    Preserve,
    Now,
    At(SystemTime),
}

fn parse_stamp(v: Option<&str>, default_now: bool) -> Result<Stamp, ModuleError> {
    match v {
        None => Ok(if default_now { Stamp::Now } else { Stamp::Preserve }),
        Some("preserve") => Ok(Stamp::Preserve),
        Some("now") => Ok(Stamp::Now),
        Some(s) => local_time(s)
            .map(Stamp::At)
            .ok_or_else(|| ModuleError::BadArgs(format!("file: bad time {s:?}, expected now, preserve or YYYYmmddHHMM.SS"))),
    }
}

/// `YYYYmmddHHMM.SS` in local time, as Python's `time.mktime(strptime(…))`.
fn local_time(s: &str) -> Option<SystemTime> {
    let (main, secs) = s.split_once('.')?;
    if main.len() != 12 || secs.len() != 2 || !main.chars().chain(secs.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| main[a..b].parse::<i32>().ok();
    // SAFETY: a zeroed tm is valid; mktime reads and normalises only it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = n(0, 4)? - 1900;
    tm.tm_mon = n(4, 6)? - 1;
    tm.tm_mday = n(6, 8)?;
    tm.tm_hour = n(8, 10)?;
    tm.tm_min = n(10, 12)?;
    tm.tm_sec = secs.parse().ok()?;
    tm.tm_isdst = -1;
    let t = unsafe { libc::mktime(&mut tm) };
    (t >= 0).then(|| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(t as u64))
}

/// What one run will do, decided before anything is touched.
struct Work {
    changed: bool,
    diffs: Vec<Diff>,
    attr_changes: Vec<AttrChange>,
}

impl File {
    fn attrs(&self) -> FileAttrs {
        FileAttrs::new(&self.mode, &self.owner, &self.group)
    }

    fn plan_attrs(&self, path: &Path, follow: bool, work: &mut Work) -> Result<(), ModuleError> {
        let change = attrs::plan(path, &self.attrs(), follow, None)?;
        if !change.is_empty() {
            let (b, a) = change.diff_fields();
            work.diffs.push(diff::fields(path, &b, &a));
            work.changed = true;
            work.attr_changes.push(change);
        }
        Ok(())
    }

    fn plan_recurse(&self, dir: &Path, work: &mut Work) -> Result<(), ModuleError> {
        let mut entries: Vec<_> = fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).map_err(io(format!("stat {}", p.display())))?;
            if meta.file_type().is_symlink() {
                let follow = self.follow && p.exists();
                self.plan_attrs(&p, follow, work)?;
            } else {
                self.plan_attrs(&p, false, work)?;
                if meta.is_dir() {
                    self.plan_recurse(&p, work)?;
                }
            }
        }
        Ok(())
    }

    fn set_times(&self, path: &Path, default_now: bool) -> Result<bool, ModuleError> {
        let m = parse_stamp(self.modification_time.as_deref(), default_now)?;
        let a = parse_stamp(self.access_time.as_deref(), default_now)?;
        let resolve = |s: Stamp| match s {
            Stamp::Preserve => None,
            Stamp::Now => Some(SystemTime::now()),
            Stamp::At(t) => Some(t),
        };
        let (m, a) = (resolve(m), resolve(a));
        if m.is_none() && a.is_none() {
            return Ok(false);
        }
        let meta = fs::metadata(path).map_err(io(format!("stat {}", path.display())))?;
        let cur_m = meta.modified().ok();
        let cur_a = meta.accessed().ok();
        if m.is_none_or(|t| Some(t) == cur_m) && a.is_none_or(|t| Some(t) == cur_a) {
            return Ok(false);
        }
        let mut times = fs::FileTimes::new();
        if let Some(t) = m.or(cur_m) {
            times = times.set_modified(t);
        }
        if let Some(t) = a.or(cur_a) {
            times = times.set_accessed(t);
        }
        let f = fs::File::options()
            .write(true)
            .open(path)
            .or_else(|_| fs::File::open(path))
            .map_err(io(format!("opening {}", path.display())))?;
        f.set_times(times).map_err(io(format!("setting times on {}", path.display())))?;
        Ok(true)
    }

    /// Whether a requested timestamp would change (predicted for check mode).
    fn times_would_change(&self, default_now: bool) -> Result<bool, ModuleError> {
        let m = parse_stamp(self.modification_time.as_deref(), default_now)?;
        let a = parse_stamp(self.access_time.as_deref(), default_now)?;
        Ok(!matches!((m, a), (Stamp::Preserve, Stamp::Preserve)))
    }
}

impl Module for File {
    const NAME: &'static str = "file";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let path = self.path.as_path();
        let prev = state_of(path);
        let state = self.state.unwrap_or(match prev {
            "absent" if self.recurse => FileState::Directory,
            "absent" => FileState::File,
            "directory" => FileState::Directory,
            "link" => FileState::Link,
            "hard" => FileState::Hard,
            _ => FileState::File,
        });
        if self.recurse && state != FileState::Directory {
            return Err(ModuleError::BadArgs(format!("recurse option requires state to be 'directory' (path {})", path.display())));
        }
        if self.src.is_some() && !matches!(state, FileState::Link | FileState::Hard) {
            return Err(ModuleError::BadArgs(format!("src option requires state to be 'link' or 'hard' (path {})", path.display())));
        }
        // Validate names and timestamps before deciding anything.
        self.attrs().ids()?;
        parse_stamp(self.modification_time.as_deref(), false)?;
        parse_stamp(self.access_time.as_deref(), false)?;

        let mut work = Work { changed: false, diffs: Vec::new(), attr_changes: Vec::new() };
        let mut out = Outcome::default();
        let mut report_path = path.to_path_buf();
        match state {
            FileState::Absent => {
                if prev != "absent" {
                    work.changed = true;
                    work.diffs.push(diff::state(path, prev, "absent"));
                    if !ctx.check_mode {
                        if prev == "directory" {
                            fs::remove_dir_all(path).map_err(io(format!("rmtree failed on {}", path.display())))?;
                        } else {
                            fs::remove_file(path).map_err(io(format!("unlinking failed on {}", path.display())))?;
                        }
                    }
                }
            }
            FileState::File => {
                let target = if prev == "link" && self.follow {
                    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
                } else {
                    path.to_path_buf()
                };
                let tstate = state_of(&target);
                if tstate != "file" && tstate != "hard" {
                    return Err(ModuleError::Failed(format!("file ({}) is {tstate}, cannot continue", target.display())));
                }
                self.plan_attrs(&target, true, &mut work)?;
                work.changed = work.changed || (ctx.check_mode && self.times_would_change(false)?);
                report_path = target;
            }
            FileState::Directory => {
                let target = if prev == "link" && self.follow {
                    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
                } else {
                    path.to_path_buf()
                };
                let tstate = state_of(&target);
                if tstate == "absent" {
                    work.changed = true;
                    work.diffs.push(diff::state(&target, "absent", "directory"));
                    if !ctx.check_mode {
                        self.create_dirs(&target)?;
                    }
                } else if tstate != "directory" {
                    return Err(ModuleError::Failed(format!("{} already exists as a {tstate}", target.display())));
                } else {
                    self.plan_attrs(&target, true, &mut work)?;
                    if self.recurse {
                        self.plan_recurse(&target, &mut work)?;
                    }
                    work.changed = work.changed || (ctx.check_mode && self.times_would_change(false)?);
                }
                report_path = target;
            }
            FileState::Touch => {
                if prev == "absent" {
                    work.changed = true;
                    work.diffs.push(diff::state(path, "absent", "touch"));
                    if !ctx.check_mode {
                        let mode = self.attrs().mode_for_new(false, None)?;
                        use std::os::unix::fs::OpenOptionsExt;
                        fs::File::options()
                            .write(true)
                            .create_new(true)
                            .mode(mode)
                            .open(path)
                            .map_err(io(format!("Error, could not touch target {}", path.display())))?;
                        // open() applies the umask; set the exact mode asked for.
                        fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))
                            .map_err(io(format!("chmod {}", path.display())))?;
                    }
                } else {
                    self.plan_attrs(path, self.follow, &mut work)?;
                    work.changed = work.changed || self.times_would_change(true)?;
                }
            }
            FileState::Link => self.plan_symlink(path, prev, ctx, &mut work, &mut out)?,
            FileState::Hard => self.plan_hardlink(path, prev, ctx, &mut work, &mut out)?,
        }

        if !ctx.check_mode {
            for c in &work.attr_changes {
                c.apply()?;
            }
            match state {
                FileState::Directory if work.attr_changes.is_empty() && state_of(&report_path) == "directory" && prev == "absent" => {
                    // freshly created: attributes were set while creating
                }
                FileState::Touch if state_of(path) != "absent" => {
                    if prev == "absent" {
                        attrs::plan(path, &FileAttrs::new(&None, &self.owner, &self.group), true, None)?.apply()?;
                    }
                    self.set_times(path, true)?;
                }
                FileState::File | FileState::Directory if self.set_times(&report_path, false)? => work.changed = true,
                _ => {}
            }
        }

        out.changed = work.changed;
        if ctx.diff {
            out.diff = work.diffs;
        }
        for (k, v) in attrs::path_info(&report_path) {
            out.values.insert(k, v);
        }
        if state == FileState::Absent || (ctx.check_mode && prev == "absent") {
            let s = match state {
                FileState::Touch => "file",
                FileState::Directory => "directory",
                FileState::Link => "link",
                FileState::Hard => "hard",
                _ => "absent",
            };
            out.values.insert("state".into(), s.into());
        }
        Ok(out.with("path", report_path.to_string_lossy().into_owned()))
    }
}

impl File {
    /// `mkdir -p`, each new directory getting the requested attributes.
    fn create_dirs(&self, target: &Path) -> Result<(), ModuleError> {
        let mut missing = Vec::new();
        let mut cur = Some(target);
        while let Some(p) = cur.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            missing.push(p.to_path_buf());
            cur = p.parent();
        }
        for dir in missing.iter().rev() {
            fs::create_dir(dir).map_err(io(format!("There was an issue creating {} as requested", dir.display())))?;
            let mode = self.attrs().mode_for_new(true, None)?;
            fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(mode)).map_err(io(format!("chmod {}", dir.display())))?;
            attrs::plan(dir, &FileAttrs::new(&None, &self.owner, &self.group), true, None)?.apply()?;
        }
        Ok(())
    }

    fn plan_symlink(&self, path: &Path, prev: &str, ctx: &Context, work: &mut Work, out: &mut Outcome) -> Result<(), ModuleError> {
        let src = match &self.src {
            Some(s) => Some(s.clone()),
            None if prev == "link" => fs::read_link(path).ok().map(|p| p.to_string_lossy().into_owned()),
            None => None,
        };
        let base = if prev == "directory" { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
        if let Some(s) = &src {
            let abs = base.join(s);
            if !self.force && !abs.exists() {
                return Err(ModuleError::Failed(format!(
                    "src file does not exist, use 'force=yes' if you really want to create the link: {}",
                    abs.display()
                )));
            }
        }
        match prev {
            "directory" if !self.force => {
                return Err(ModuleError::Failed(format!("refusing to convert from directory to symlink for {}", path.display())))
            }
            "directory" if fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(false) => {
                return Err(ModuleError::Failed(format!("the directory {} is not empty, refusing to convert it", path.display())))
            }
            "file" | "hard" if !self.force => {
                return Err(ModuleError::Failed(format!("refusing to convert from {prev} to symlink for {}", path.display())))
            }
            _ => {}
        }
        let Some(src) = src else {
            return Err(ModuleError::BadArgs("src is required for creating new symlinks".into()));
        };
        let replace = match prev {
            "link" => {
                let old = fs::read_link(path).map_err(io(format!("readlink {}", path.display())))?;
                if old.as_os_str() != src.as_str() {
                    work.diffs.push(diff::fields(
                        path,
                        &[("src".into(), old.to_string_lossy().into_owned())],
                        &[("src".into(), src.clone())],
                    ));
                    true
                } else {
                    false
                }
            }
            _ => {
                work.diffs.push(diff::state(path, prev, "link"));
                true
            }
        };
        if replace {
            work.changed = true;
            if !ctx.check_mode {
                if prev == "absent" {
                    std::os::unix::fs::symlink(&src, path).map_err(io(format!("Error while linking {}", path.display())))?;
                } else {
                    // Build the link beside the target and rename it over, so the path is never missing.
                    let tmp = base.join(format!(".{}.{}.tmp", std::process::id(), nanos()));
                    if prev == "directory" {
                        fs::remove_dir(path).map_err(io(format!("Error while replacing {}", path.display())))?;
                    }
                    std::os::unix::fs::symlink(&src, &tmp).map_err(io(format!("Error while replacing {}", path.display())))?;
                    if let Err(e) = fs::rename(&tmp, path) {
                        let _ = fs::remove_file(&tmp);
                        return Err(ModuleError::io(format!("Error while replacing {}", path.display()), e));
                    }
                }
            }
        }
        // Attributes go to the link's target when following (and the target exists), else to the link.
        if fs::symlink_metadata(path).is_ok() && !(ctx.check_mode && replace) {
            let follow = self.follow && path.exists();
            if follow || self.owner.is_some() || self.group.is_some() {
                self.plan_attrs(path, follow, work)?;
            }
        }
        out.values.insert("src".into(), src.into());
        out.values.insert("dest".into(), path.to_string_lossy().into_owned().into());
        Ok(())
    }

    fn plan_hardlink(&self, path: &Path, prev: &str, ctx: &Context, work: &mut Work, out: &mut Outcome) -> Result<(), ModuleError> {
        let Some(src) = &self.src else {
            if prev == "hard" {
                self.plan_attrs(path, true, work)?;
                return Ok(());
            }
            return Err(ModuleError::BadArgs("src is required for creating new hardlinks".into()));
        };
        let src_path = Path::new(src);
        let src_meta = fs::metadata(src_path).map_err(|_| ModuleError::Failed(format!("src does not exist: {src}")))?;
        let same = fs::symlink_metadata(path).map(|m| m.ino() == src_meta.ino() && m.dev() == src_meta.dev()).unwrap_or(false);
        if !same {
            match prev {
                "absent" => {}
                "directory" if !self.force || fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(false) => {
                    return Err(ModuleError::Failed(format!("refusing to convert from directory to hard link for {}", path.display())))
                }
                "link" | "file" | "hard" if !self.force => {
                    return Err(ModuleError::Failed(format!("Cannot link, different hard link exists at destination: {}", path.display())))
                }
                _ => {}
            }
            work.changed = true;
            work.diffs.push(diff::state(path, prev, "hard"));
            if !ctx.check_mode {
                if prev == "absent" {
                    fs::hard_link(src_path, path).map_err(io(format!("Error while linking {}", path.display())))?;
                } else {
                    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), nanos()));
                    if prev == "directory" {
                        fs::remove_dir(path).map_err(io(format!("Error while replacing {}", path.display())))?;
                    }
                    fs::hard_link(src_path, &tmp).map_err(io(format!("Error while replacing {}", path.display())))?;
                    if let Err(e) = fs::rename(&tmp, path) {
                        let _ = fs::remove_file(&tmp);
                        return Err(ModuleError::io(format!("Error while replacing {}", path.display()), e));
                    }
                }
            }
        }
        if same || !ctx.check_mode {
            self.plan_attrs(if same { path } else { src_path }, true, work)?;
        }
        out.values.insert("src".into(), src.clone().into());
        out.values.insert("dest".into(), path.to_string_lossy().into_owned().into());
        Ok(())
    }
}

fn nanos() -> u128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

register_module!(File);
