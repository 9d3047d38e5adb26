//! `stat`: facts about a path, in Ansible's `stat` dictionary.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::util::attrs::{self, mode_string};
use crate::util::boolish;
use crate::util::checksum::{self, Algorithm};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Retrieve file or file system status.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    /// The full path of the file/object to get the facts of.
    #[serde(alias = "dest", alias = "name")]
    pub path: PathBuf,
    /// Whether to follow symlinks.
    #[serde(default, deserialize_with = "boolish::de")]
    pub follow: bool,
    /// Whether to return a checksum of a regular file.
    #[serde(default = "boolish::yes", deserialize_with = "boolish::de")]
    pub get_checksum: bool,
    /// Algorithm for the checksum: md5, sha1 (default), sha224, sha256, sha384, sha512.
    #[serde(default = "sha1", alias = "checksum", alias = "checksum_algo")]
    pub checksum_algorithm: Algorithm,
    /// Accepted for compatibility; MIME detection is not done (no `mimetype` in the result).
    #[serde(default, deserialize_with = "boolish::de_opt", alias = "mime", alias = "mime_type", alias = "mime-type")]
    pub get_mime: Option<bool>,
    /// Accepted for compatibility; extended attributes are not reported.
    #[serde(default, deserialize_with = "boolish::de_opt", alias = "attr", alias = "attributes")]
    pub get_attributes: Option<bool>,
}

fn sha1() -> Algorithm {
    Algorithm::Sha1
}

fn secs(t: std::io::Result<SystemTime>) -> Value {
    t.ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .and_then(|d| serde_json::Number::from_f64(d.as_secs_f64()))
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The common part of `stat` and `find` results (Ansible's `format_output`/`statinfo`).
pub fn stat_fields(meta: &fs::Metadata) -> Map<String, Value> {
    let mode = meta.permissions().mode();
    let ft = meta.file_type();
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    put("mode", mode_string(mode).into());
    put("isdir", ft.is_dir().into());
    put("ischr", ft.is_char_device().into());
    put("isblk", ft.is_block_device().into());
    put("isreg", ft.is_file().into());
    put("isfifo", ft.is_fifo().into());
    put("islnk", ft.is_symlink().into());
    put("issock", ft.is_socket().into());
    put("uid", meta.uid().into());
    put("gid", meta.gid().into());
    put("size", meta.size().into());
    put("inode", meta.ino().into());
    put("dev", meta.dev().into());
    put("nlink", meta.nlink().into());
    put("atime", secs(meta.accessed()));
    put("mtime", secs(meta.modified()));
    put(
        "ctime",
        serde_json::Number::from_f64(meta.ctime() as f64 + meta.ctime_nsec() as f64 / 1e9).map(Value::Number).unwrap_or(Value::Null),
    );
    for (name, bit) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        put(name, (mode & bit != 0).into());
    }
    put("pw_name", attrs::user_name(meta.uid()).map(Value::from).unwrap_or(Value::Null));
    put("gr_name", attrs::group_name(meta.gid()).map(Value::from).unwrap_or(Value::Null));
    m
}

/// Whether the agent's user may access `path` in `mode` (R_OK, W_OK, X_OK).
fn access(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: c is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

impl Module for Stat {
    const NAME: &'static str = "stat";

    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        let path = &self.path;
        let meta = if self.follow { fs::metadata(path) } else { fs::symlink_metadata(path) };
        let meta = match meta {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Outcome::changed(false).with("stat", serde_json::json!({ "exists": false })));
            }
            Err(e) => return Err(ModuleError::io(format!("stat {}", path.display()), e)),
        };
        let mut st = Map::new();
        st.insert("exists".into(), true.into());
        st.insert("path".into(), path.to_string_lossy().into_owned().into());
        st.extend(stat_fields(&meta));
        st.insert("blocks".into(), meta.blocks().into());
        st.insert("block_size".into(), meta.blksize().into());
        st.insert("readable".into(), access(path, libc::R_OK).into());
        st.insert("writeable".into(), access(path, libc::W_OK).into());
        st.insert("executable".into(), access(path, libc::X_OK).into());
        if meta.file_type().is_symlink() {
            st.insert(
                "lnk_source".into(),
                fs::canonicalize(path).map(|p| p.to_string_lossy().into_owned()).map(Value::from).unwrap_or(Value::Null),
            );
            st.insert(
                "lnk_target".into(),
                fs::read_link(path).map(|p| p.to_string_lossy().into_owned()).map(Value::from).unwrap_or(Value::Null),
            );
        }
        if meta.file_type().is_file() && self.get_checksum && access(path, libc::R_OK) {
            st.insert("checksum".into(), checksum::digest_file(self.checksum_algorithm, path)?.into());
        }
        Ok(Outcome::changed(false).with("stat", Value::Object(st)))
    }
}

register_module!(Stat);
