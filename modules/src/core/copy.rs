//! `copy`: put content into a file on the host, or copy a file or directory
//! that is already on the host (`remote_src: true`).
//!
//! A controller-side `src` (a role's `files/`) never reaches this module as a
//! path: the executor reads it and sends the bytes as `content_base64`
//! (keeping `src` only for the returned values).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::module::Diff;
use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::{boolish, checksum, diff, filewrite};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Copy content or a host-side file/directory to a destination file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Copy {
    /// Remote absolute path where the file should be copied to. If `src` is a
    /// directory, this must be a directory too. A path ending in `/` (or an
    /// existing directory) receives the source's basename.
    pub dest: PathBuf,
    /// With `remote_src: true`, a file or directory on the host. A directory
    /// ending in `/` copies its contents; without the slash, the directory
    /// itself. Without `remote_src`, only reported back (the executor sends
    /// the controller-side file as `content_base64`).
    #[serde(default)]
    pub src: Option<String>,
    /// The exact content to write (no newline is added).
    #[serde(default)]
    pub content: Option<String>,
    /// dpctl extension: binary content, base64-encoded. This is how the
    /// executor ships a controller-side `src`.
    #[serde(default)]
    pub content_base64: Option<String>,
    /// `src` is a path on the host, not on the controller.
    #[serde(default, deserialize_with = "boolish::de")]
    pub remote_src: bool,
    /// Replace a destination whose content differs. `false`: only write when
    /// the destination does not exist.
    #[serde(default = "boolish::yes", deserialize_with = "boolish::de", alias = "thirsty")]
    pub force: bool,
    /// Keep a timestamped copy (`dest.PID.YYYY-MM-DD@HH:MM:SS~`) of the file being replaced.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backup: bool,
    /// A command run on the candidate file before it replaces `dest`;
    /// must contain `%s` (e.g. `visudo -cf %s`).
    #[serde(default)]
    pub validate: Option<String>,
    /// Expected sha1 of the source; the copy fails if it differs.
    #[serde(default)]
    pub checksum: Option<String>,
    /// Permissions: octal string `"0644"`, number, symbolic `u=rw,g=r,o=`, or `preserve` (with `remote_src`).
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub mode: Option<ModeSpec>,
    /// Permissions of directories created by a directory copy.
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub directory_mode: Option<ModeSpec>,
    /// Owner (name or uid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub owner: Option<String>,
    /// Group (name or gid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub group: Option<String>,
    /// Follow a symlink at `dest` (dpctl always writes through it, as Ansible does).
    #[serde(default, deserialize_with = "boolish::de")]
    pub follow: bool,
    /// Symlinks inside a directory `src`: `true` copies what they point at; unset or
    /// `false` recreates them as links (what Ansible's module does for `remote_src`).
    /// A single-file `src` is always read through its link.
    #[serde(default, deserialize_with = "boolish::de_opt")]
    pub local_follow: Option<bool>,
}

impl Copy {
    fn file_attrs(&self) -> FileAttrs {
        FileAttrs::new(&self.mode, &self.owner, &self.group)
    }

    fn inline_content(&self) -> Result<Option<Vec<u8>>, ModuleError> {
        match (&self.content, &self.content_base64) {
            (Some(_), Some(_)) => Err(ModuleError::BadArgs("copy: parameters are mutually exclusive: content|content_base64".into())),
            (Some(c), None) => Ok(Some(c.clone().into_bytes())),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map(Some)
                .map_err(|e| ModuleError::BadArgs(format!("copy: content_base64 is not valid base64: {e}"))),
            (None, None) => Ok(None),
        }
    }

    fn write_file(&self, ctx: &Context, dest: &Path, new: &[u8], source_mode: Option<u32>) -> Result<Outcome, ModuleError> {
        if let Some(want) = &self.checksum {
            let got = checksum::sha1_bytes(new);
            if !want.eq_ignore_ascii_case(&got) {
                return Err(ModuleError::Failed(format!(
                    "Copied file does not match the expected checksum. Transfer failed. (expected {want}, got {got})"
                )));
            }
        }
        let before = filewrite::read_for_edit(dest)?;
        if before.is_some() && !self.force {
            // Ansible answers only dest (and src) here: nothing about a file it did not look at.
            let out = Outcome::changed(false).with("dest", dest.to_string_lossy().into_owned());
            return Ok(match &self.src {
                Some(src) => out.with("src", src.clone()),
                None => out,
            });
        }
        let plan = filewrite::plan(dest, before.as_deref(), new, &self.file_attrs(), source_mode)?;
        let mut out = Outcome::changed(plan.changed());
        if ctx.diff {
            out.diff = plan.copy_diffs(dest, before.as_deref(), new);
        }
        if !ctx.check_mode && plan.changed() {
            if let Some(b) = plan.apply(new, self.backup, self.validate.as_deref())? {
                out = out.with("backup_file", b);
            }
        }
        if let Some(src) = &self.src {
            out = out.with("src", src.clone());
        }
        let mut out = file_result(out, dest, new);
        if ctx.check_mode && !plan.exists {
            out = out.with("mode", attrs::mode_string(plan.final_mode()));
        }
        Ok(out)
    }
}

fn file_result(out: Outcome, dest: &Path, content: &[u8]) -> Outcome {
    let mut out = out;
    for (k, v) in attrs::path_info(dest) {
        out.values.insert(k, v);
    }
    out.with("dest", dest.to_string_lossy().into_owned())
        .with("checksum", checksum::sha1_bytes(content))
        .with("md5sum", checksum::digest_bytes(checksum::Algorithm::Md5, content))
        .with("size", content.len())
        .with("state", "file")
}

/// `dest` as Ansible resolves it: into a directory when it is one or ends in `/`.
fn resolve_dest(dest: &Path, src: Option<&Path>) -> PathBuf {
    let into_dir = dest.is_dir() || dest.to_string_lossy().ends_with('/');
    match (into_dir, src.and_then(Path::file_name)) {
        (true, Some(name)) => dest.join(name),
        _ => dest.to_path_buf(),
    }
}

impl Module for Copy {
    const NAME: &'static str = "copy";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if let Some(content) = self.inline_content()? {
            if self.remote_src {
                return Err(ModuleError::BadArgs("copy: remote_src needs src, not content".into()));
            }
            let dest_s = self.dest.to_string_lossy();
            if self.dest.is_dir() || dest_s.ends_with('/') {
                return Err(ModuleError::BadArgs(format!("copy: can not use content with a dir as dest ({dest_s})")));
            }
            if self.mode == Some(ModeSpec::Preserve) {
                return Err(ModuleError::BadArgs("copy: mode=preserve needs a source file, not content".into()));
            }
            return self.write_file(ctx, &self.dest, &content, None);
        }
        let Some(src) = &self.src else {
            return Err(ModuleError::BadArgs("copy: one of the following is required: src, content".into()));
        };
        if !self.remote_src {
            return Err(ModuleError::BadArgs(format!(
                "copy: src {src} is a controller-side file; the executor sends its content. Set remote_src: true for a path on the host"
            )));
        }
        let src_path = Path::new(src);
        let meta = fs::metadata(src_path).map_err(|e| ModuleError::io(format!("Source {src} not found"), e))?;
        if meta.is_dir() {
            return DirCopy { args: self, ctx }.run(src_path, src.ends_with('/'));
        }
        let bytes = fs::read(src_path).map_err(|e| ModuleError::io(format!("Source {src} not readable"), e))?;
        let dest = resolve_dest(&self.dest, Some(src_path));
        // As Ansible: a dest ending in `/` is a directory, created (with parents) when missing.
        if self.dest.to_string_lossy().ends_with('/') && !self.dest.is_dir() && !ctx.check_mode {
            fs::create_dir_all(&self.dest).map_err(|e| ModuleError::io(format!("creating {}", self.dest.display()), e))?;
            if let Some(m) = &self.directory_mode {
                let mode = m.resolve(attrs::default_mode(true), true, None)?;
                fs::set_permissions(&self.dest, fs::Permissions::from_mode(mode))
                    .map_err(|e| ModuleError::io(format!("chmod {}", self.dest.display()), e))?;
            }
        }
        self.write_file(ctx, &dest, &bytes, Some(meta.permissions().mode() & 0o7777))
    }
}

/// A recursive host-side directory copy (`remote_src: true`, `src` a directory).
struct DirCopy<'a> {
    args: &'a Copy,
    ctx: &'a Context,
}

impl DirCopy<'_> {
    fn run(&self, src: &Path, contents_only: bool) -> Result<Outcome, ModuleError> {
        let dest = if contents_only { self.args.dest.clone() } else { resolve_dest(&self.args.dest, Some(src)) };
        if dest.exists() && !dest.is_dir() {
            return Err(ModuleError::Failed(format!("copy: cannot copy directory {} onto file {}", src.display(), dest.display())));
        }
        let mut diffs = Vec::new();
        let changed = self.copy_tree(src, &dest, &mut diffs)?;
        let mut out = Outcome::changed(changed);
        out.values.extend(attrs::path_info(&dest));
        // As ansible-core 2.19 answers for a directory copy.
        let mut out = out
            .with("dest", dest.to_string_lossy().into_owned())
            .with("src", src.to_string_lossy().into_owned())
            .with("checksum", Value::Null)
            .with("md5sum", Value::Null)
            .with("state", "directory");
        if self.ctx.diff {
            out.diff = diffs;
        }
        Ok(out)
    }

    /// Copy `src` into `dest` (created if missing); true if anything changed.
    fn copy_tree(&self, src: &Path, dest: &Path, diffs: &mut Vec<Diff>) -> Result<bool, ModuleError> {
        let a = self.args;
        let mut changed = false;
        if !dest.exists() {
            changed = true;
            diffs.push(diff::state(dest, "absent", "directory"));
            if !self.ctx.check_mode {
                let dir_attrs = FileAttrs::new(&a.directory_mode, &a.owner, &a.group);
                fs::create_dir(dest).map_err(|e| ModuleError::io(format!("creating {}", dest.display()), e))?;
                let mode = dir_attrs.mode_for_new(true, None)?;
                fs::set_permissions(dest, fs::Permissions::from_mode(mode))
                    .map_err(|e| ModuleError::io(format!("chmod {}", dest.display()), e))?;
                attrs::plan(dest, &FileAttrs::new(&None, &a.owner, &a.group), true, None)?.apply()?;
            }
        }
        let mut entries: Vec<_> = fs::read_dir(src)
            .map_err(|e| ModuleError::io(format!("reading {}", src.display()), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| ModuleError::io(format!("reading {}", src.display()), e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let from = entry.path();
            let to = dest.join(entry.file_name());
            let mut ft = entry.file_type().map_err(|e| ModuleError::io(format!("stat {}", from.display()), e))?;
            if ft.is_symlink() && a.local_follow == Some(true) {
                // A dangling link has nothing to follow: it is recreated as a link.
                if let Ok(target) = fs::metadata(&from) {
                    ft = target.file_type();
                }
            }
            if ft.is_symlink() {
                let target = fs::read_link(&from).map_err(|e| ModuleError::io(format!("readlink {}", from.display()), e))?;
                if fs::read_link(&to).ok().as_ref() != Some(&target) {
                    changed = true;
                    if !self.ctx.check_mode {
                        let _ = fs::remove_file(&to);
                        std::os::unix::fs::symlink(&target, &to).map_err(|e| ModuleError::io(format!("symlink {}", to.display()), e))?;
                    }
                }
            } else if ft.is_dir() {
                changed |= self.copy_tree(&from, &to, diffs)?;
            } else {
                let bytes = fs::read(&from).map_err(|e| ModuleError::io(format!("reading {}", from.display()), e))?;
                let src_mode = fs::metadata(&from).map(|m| m.permissions().mode() & 0o7777).ok();
                // Files keep their source mode unless `mode` says otherwise, as copytree does.
                let mode = a.mode.clone().or(src_mode.map(ModeSpec::Octal));
                let want = FileAttrs::new(&mode, &a.owner, &a.group);
                let before = filewrite::read_for_edit(&to)?;
                if before.is_some() && !a.force {
                    continue;
                }
                let plan = filewrite::plan(&to, before.as_deref(), &bytes, &want, src_mode)?;
                if plan.changed() {
                    changed = true;
                    diffs.extend(plan.copy_diffs(&to, before.as_deref(), &bytes));
                    if !self.ctx.check_mode {
                        plan.apply(&bytes, a.backup, a.validate.as_deref())?;
                    }
                }
            }
        }
        Ok(changed)
    }
}

register_module!(Copy);
