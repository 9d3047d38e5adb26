//! The shared query/act for modules that set a file's whole content
//! (copy, lineinfile, blockinfile, replace, get_url): decide whether content
//! and attributes would change, then write atomically, keeping the owner of
//! a file it replaces, with optional backup and `validate`.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::ModuleError;
use crate::module::Diff;
use crate::util::attrs::{self, AttrChange, FileAttrs};
use crate::util::{diff, fs as ufs};

/// Builds the content half of a diff: `diff::content` or `diff::copied`.
type ContentDiff = fn(&Path, Option<&[u8]>, Option<&[u8]>) -> Diff;
/// What writing `after` to a path would do.
#[derive(Debug, Clone)]
pub struct WritePlan {
    /// The file written: symlinks are followed, as Ansible writes to the real path.
    pub target: PathBuf,
    pub exists: bool,
    pub content_changed: bool,
    /// Attribute changes on an existing file (empty for a new one).
    pub attrs: AttrChange,
    mode: u32,
    uid: Option<u32>,
    gid: Option<u32>,
    explicit_owner: bool,
}

/// Query: compare `after` (and `want`ed attributes) with what is at `path`.
/// `source_mode` serves `mode: preserve`.
pub fn plan(
    path: &Path,
    before: Option<&[u8]>,
    after: &[u8],
    want: &FileAttrs,
    source_mode: Option<u32>,
) -> Result<WritePlan, ModuleError> {
    let (uid, gid) = want.ids()?;
    let explicit_owner = uid.is_some() || gid.is_some();
    match fs::metadata(path) {
        Ok(meta) => {
            let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            let change = attrs::plan(&target, want, true, source_mode)?;
            let mode = change.mode.map(|m| m.1).unwrap_or(meta.permissions().mode() & 0o7777);
            Ok(WritePlan {
                target,
                exists: true,
                content_changed: before != Some(after),
                mode,
                uid: Some(uid.unwrap_or(meta.uid())),
                gid: Some(gid.unwrap_or(meta.gid())),
                explicit_owner,
                attrs: change,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WritePlan {
            target: path.to_path_buf(),
            exists: false,
            content_changed: true,
            attrs: AttrChange::default(),
            mode: want.mode_for_new(false, source_mode)?,
            uid,
            gid,
            explicit_owner,
        }),
        Err(e) => Err(ModuleError::io(format!("stat {}", path.display()), e)),
    }
}

impl WritePlan {
    pub fn changed(&self) -> bool {
        self.content_changed || !self.attrs.is_empty()
    }

    /// The mode the file has after [`WritePlan::apply`].
    pub fn final_mode(&self) -> u32 {
        self.mode
    }

    /// Act: write (with backup/validate) if content differs, else fix attributes.
    /// Returns the backup file's path when one was made.
    pub fn apply(&self, after: &[u8], backup: bool, validate: Option<&str>) -> Result<Option<String>, ModuleError> {
        if !self.content_changed {
            self.attrs.apply()?;
            return Ok(None);
        }
        let backup_file = if backup && self.exists { Some(ufs::backup_local(&self.target)?) } else { None };
        if let Some(parent) = self.target.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            return Err(ModuleError::Failed(format!("Destination directory {} does not exist", parent.display())));
        }
        ufs::write_atomic_with(&self.target, after, Some(self.mode), |tmp| {
            if self.uid.is_some() || self.gid.is_some() {
                let r = std::os::unix::fs::chown(tmp, self.uid, self.gid);
                match r {
                    Err(e) if self.explicit_owner => return Err(ModuleError::io(format!("chown failed on {}", self.target.display()), e)),
                    _ => {}
                }
                // chown clears setuid/setgid: put the mode back.
                fs::set_permissions(tmp, fs::Permissions::from_mode(self.mode))
                    .map_err(|e| ModuleError::io(format!("chmod failed on {}", self.target.display()), e))?;
            }
            match validate {
                Some(cmd) => ufs::validate(cmd, tmp),
                None => Ok(()),
            }
        })?;
        Ok(backup_file)
    }

    /// Content and attribute diffs for `--diff`, edited-file style (`path (content)`).
    pub fn diffs(&self, path: &Path, before: Option<&[u8]>, after: &[u8]) -> Vec<Diff> {
        self.diffs_with(path, before, after, diff::content)
    }

    /// The same, headed as copy and template head them.
    pub fn copy_diffs(&self, path: &Path, before: Option<&[u8]>, after: &[u8]) -> Vec<Diff> {
        self.diffs_with(path, before, after, diff::copied)
    }

    fn diffs_with(&self, path: &Path, before: Option<&[u8]>, after: &[u8], content: ContentDiff) -> Vec<Diff> {
        let mut out = Vec::new();
        if self.content_changed {
            out.push(content(path, before, Some(after)));
        }
        if !self.attrs.is_empty() {
            let (b, a) = self.attrs.diff_fields();
            out.push(diff::fields(path, &b, &a));
        }
        out
    }
}

/// Read a file for a module that edits it: `None` if absent, an error naming it if it is a directory.
pub fn read_for_edit(path: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
    if path.is_dir() {
        return Err(ModuleError::Failed(format!("Path {} is a directory !", path.display())));
    }
    ufs::read_if_exists(path)
}

/// Ansible's `check_file_attrs` message suffix.
pub fn attrs_msg(msg: &str, attrs_changed: bool) -> String {
    match (msg.is_empty(), attrs_changed) {
        (_, false) => msg.to_string(),
        (true, true) => "ownership, perms or SE linux context changed".into(),
        (false, true) => format!("{msg} and ownership, perms or SE linux context changed"),
    }
}
