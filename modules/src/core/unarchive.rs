//! `unarchive`: unpack a `.tar`, `.tar.gz`/`.tgz` or `.zip` that is on the host
//! into a directory. Idempotent: the archive's listing is compared with what
//! is already in `dest` (type, size, content, symlink target, file mode), and
//! nothing is extracted when everything matches.
//!
//! `src` is always a path on the host: when a task names a controller-side
//! archive, the executor uploads it first and passes the uploaded path.

use std::fs;
use std::io::{BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::checksum::{self, Algorithm};
use crate::util::{boolish, listish};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Unpacks an archive after (optionally) copying it from the local machine.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unarchive {
    /// The archive on the host (`.tar`, `.tar.gz`, `.tgz`, `.zip`; detected by content).
    pub src: PathBuf,
    /// An existing directory to unpack into.
    pub dest: PathBuf,
    /// Accepted for compatibility: `src` is always on the host here (the executor uploads a controller-side one).
    #[serde(default, deserialize_with = "boolish::de_opt")]
    pub remote_src: Option<bool>,
    /// If this path exists, do nothing.
    #[serde(default)]
    pub creates: Option<PathBuf>,
    /// Return the archive's entries as `files`.
    #[serde(default, deserialize_with = "boolish::de")]
    pub list_files: bool,
    /// Archive entries (basename globs or paths) not to extract.
    #[serde(default, alias = "excludes", deserialize_with = "listish::de")]
    pub exclude: Vec<String>,
    /// Only `--strip-components=N` is supported: drop the first N path components of every member.
    #[serde(default, deserialize_with = "listish::de")]
    pub extra_opts: Vec<String>,
    /// Do not replace files in `dest` that already exist.
    #[serde(default, deserialize_with = "boolish::de")]
    pub keep_newer: bool,
    /// Permissions for every extracted entry: octal string, number, or symbolic (`u+rwX`).
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub mode: Option<ModeSpec>,
    /// Owner of every extracted entry (name or uid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub owner: Option<String>,
    /// Group of every extracted entry (name or gid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Tar,
    Tgz,
    Zip,
}

impl Format {
    fn handler(self) -> &'static str {
        match self {
            Format::Tar => "TarArchive",
            Format::Tgz => "TgzArchive",
            Format::Zip => "ZipArchive",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Dir {
        mode: Option<u32>,
    },
    File {
        size: u64,
        mode: Option<u32>,
    },
    Link(PathBuf),
    /// A hard link to another member (path relative to dest, already stripped).
    Hard(PathBuf),
    /// Devices, fifos: refused on extraction.
    Other,
}

/// One archive member, as listed.
struct Member {
    name: String,
    rel: PathBuf,
    kind: Kind,
}

fn bad(src: &Path, e: impl std::fmt::Display) -> ModuleError {
    ModuleError::Failed(format!("failed to read archive {}: {e}", src.display()))
}

fn detect(src: &Path) -> Result<Format, ModuleError> {
    let mut head = [0u8; 262];
    let mut f = fs::File::open(src).map_err(|e| ModuleError::io(format!("Source '{}' not readable", src.display()), e))?;
    let n = f.read(&mut head).map_err(|e| ModuleError::io(format!("Source '{}' not readable", src.display()), e))?;
    let head = &head[..n];
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Format::Tgz)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Ok(Format::Zip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Ok(Format::Tar)
    } else {
        Err(ModuleError::Failed(format!(
            "Failed to find handler for \"{}\". Supported: tar, tar.gz/tgz, zip (bzip2/xz are not)",
            src.display()
        )))
    }
}

/// A member path made safe: relative, no `..`, `./` dropped.
fn normalize(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Visit each member with a reader over its content.
/// `--strip-components`: drop the first `n` components; `None` when nothing is left.
fn strip(rel: &Path, n: usize) -> Option<PathBuf> {
    let out: PathBuf = rel.components().skip(n).collect();
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Visit each member (paths stripped of `strip` leading components) with a reader over its content.
fn visit(
    src: &Path,
    format: Format,
    strip_n: usize,
    mut f: impl FnMut(Member, &mut dyn Read) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let file = fs::File::open(src).map_err(|e| ModuleError::io(format!("Source '{}' not readable", src.display()), e))?;
    match format {
        Format::Tar | Format::Tgz => {
            let reader: Box<dyn Read> = if format == Format::Tgz {
                Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
            } else {
                Box::new(BufReader::new(file))
            };
            let mut ar = tar::Archive::new(reader);
            for entry in ar.entries().map_err(|e| bad(src, e))? {
                let mut entry = entry.map_err(|e| bad(src, e))?;
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let Some(rel) = normalize(&name) else { return Err(bad(src, format!("unsafe member path {name:?}"))) };
                let Some(rel) = strip(&rel, strip_n) else { continue };
                let h = entry.header();
                let kind = match h.entry_type() {
                    tar::EntryType::Directory => Kind::Dir { mode: h.mode().ok().map(|m| m & 0o7777) },
                    tar::EntryType::Link => {
                        let target = entry.link_name().ok().flatten().map(|l| l.to_string_lossy().into_owned()).unwrap_or_default();
                        match normalize(&target).and_then(|t| strip(&t, strip_n)) {
                            Some(t) => Kind::Hard(t),
                            None => return Err(bad(src, format!("unsafe hard link target {target:?}"))),
                        }
                    }
                    tar::EntryType::Regular | tar::EntryType::Continuous => {
                        Kind::File { size: h.size().unwrap_or(0), mode: h.mode().ok().map(|m| m & 0o7777) }
                    }
                    tar::EntryType::Symlink => Kind::Link(entry.link_name().ok().flatten().map(|l| l.into_owned()).unwrap_or_default()),
                    _ => Kind::Other,
                };
                f(Member { name, rel, kind }, &mut entry)?;
            }
        }
        Format::Zip => {
            let mut ar = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(src, e))?;
            for i in 0..ar.len() {
                let mut zf = ar.by_index(i).map_err(|e| bad(src, e))?;
                let name = zf.name().to_string();
                let Some(rel) = zf.enclosed_name().and_then(|p| normalize(&p.to_string_lossy())) else {
                    return Err(bad(src, format!("unsafe member path {name:?}")));
                };
                let Some(rel) = strip(&rel, strip_n) else { continue };
                let mode = zf.unix_mode().map(|m| m & 0o7777);
                let kind = if zf.is_dir() {
                    Kind::Dir { mode }
                } else if zf.is_symlink() {
                    let mut target = String::new();
                    zf.read_to_string(&mut target).map_err(|e| bad(src, e))?;
                    Kind::Link(PathBuf::from(target))
                } else {
                    Kind::File { size: zf.size(), mode }
                };
                f(Member { name, rel, kind }, &mut zf)?;
            }
        }
    }
    Ok(())
}

impl Unarchive {
    fn excluded(&self, m: &Member) -> bool {
        let base = m.rel.file_name().map(|b| b.to_string_lossy().into_owned()).unwrap_or_default();
        let full = m.rel.to_string_lossy();
        self.exclude.iter().any(|p| {
            glob::Pattern::new(p).map(|g| g.matches(&base) || g.matches(&full)).unwrap_or(false) || p.trim_end_matches('/') == full
        })
    }

    /// Does `dest` already hold this member as the archive has it?
    fn is_current(&self, m: &Member, content: &mut dyn Read, dest: &Path) -> Result<bool, ModuleError> {
        let path = dest.join(&m.rel);
        let Ok(meta) = fs::symlink_metadata(&path) else { return Ok(false) };
        if self.keep_newer && !matches!(m.kind, Kind::Dir { .. }) {
            return Ok(true);
        }
        Ok(match &m.kind {
            Kind::Dir { .. } => meta.is_dir(),
            Kind::Hard(target) => {
                use std::os::unix::fs::MetadataExt;
                fs::symlink_metadata(dest.join(target)).is_ok_and(|t| t.ino() == meta.ino() && t.dev() == meta.dev())
            }
            Kind::Link(target) => meta.file_type().is_symlink() && fs::read_link(&path).ok().as_ref() == Some(target),
            Kind::File { size, mode } => {
                meta.is_file()
                    && meta.len() == *size
                    && (self.mode.is_some() || mode.is_none_or(|m| m == meta.permissions().mode() & 0o7777))
                    && checksum::digest_read(Algorithm::Sha1, content).map_err(|e| ModuleError::io("reading archive member", e))?
                        == checksum::digest_file(Algorithm::Sha1, &path)?
            }
            Kind::Other => true,
        })
    }

    /// Act: write every member into `dest`, never through a symlink that leads out of it.
    fn extract(&self, src: &Path, format: Format, dest: &Path) -> Result<(), ModuleError> {
        visit(src, format, self.strip_components()?, |m, content| {
            if self.excluded(&m) {
                return Ok(());
            }
            let path = dest.join(&m.rel);
            if self.keep_newer && path.exists() && !matches!(m.kind, Kind::Dir { .. }) {
                return Ok(());
            }
            let io = |what: &str| {
                let what = format!("{what} {}", path.display());
                move |e| ModuleError::io(what, e)
            };
            refuse_symlinked_parents(dest, &m.rel)?;
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io("creating parent of"))?;
            }
            let replace = |path: &Path| -> Result<(), ModuleError> {
                match fs::symlink_metadata(path) {
                    Ok(meta) if !meta.is_dir() => {
                        fs::remove_file(path).map_err(|e| ModuleError::io(format!("replacing {}", path.display()), e))
                    }
                    _ => Ok(()),
                }
            };
            match &m.kind {
                Kind::Dir { mode } => {
                    if !path.is_dir() {
                        replace(&path)?;
                        fs::create_dir_all(&path).map_err(io("creating"))?;
                    }
                    fs::set_permissions(&path, fs::Permissions::from_mode(mode.unwrap_or(0o755))).map_err(io("chmod"))?;
                }
                Kind::Link(target) => {
                    replace(&path)?;
                    std::os::unix::fs::symlink(target, &path).map_err(io("symlinking"))?;
                }
                Kind::Hard(target) => {
                    replace(&path)?;
                    refuse_symlinked_parents(dest, target)?;
                    fs::hard_link(dest.join(target), &path).map_err(io("hard linking"))?;
                }
                Kind::File { mode, .. } => {
                    if path.is_dir() {
                        return Err(ModuleError::Failed(format!("cannot extract file {} over a directory", path.display())));
                    }
                    replace(&path)?;
                    let mut bytes = Vec::new();
                    content.read_to_end(&mut bytes).map_err(io("reading archive member for"))?;
                    crate::util::fs::write_atomic(&path, &bytes, Some(mode.unwrap_or(0o644)))?;
                }
                Kind::Other => return Err(ModuleError::Failed(format!("unsupported archive member type: {}", m.name))),
            }
            Ok(())
        })
    }

    /// The one `extra_opts` dpctl understands: `--strip-components=N` (or `--strip-components N`).
    fn strip_components(&self) -> Result<usize, ModuleError> {
        let mut n = 0;
        let mut opts = self.extra_opts.iter();
        while let Some(o) = opts.next() {
            let value = match o.strip_prefix("--strip-components") {
                Some(rest) if rest.starts_with('=') => rest[1..].to_string(),
                Some("") => opts.next().cloned().unwrap_or_default(),
                _ => return Err(ModuleError::BadArgs(format!("unarchive: extra_opts {o:?} is not supported (only --strip-components=N)"))),
            };
            n = value.parse().map_err(|_| ModuleError::BadArgs(format!("unarchive: bad --strip-components value {value:?}")))?;
        }
        Ok(n)
    }
}

/// A member whose parent inside `dest` is a symlink would be written wherever
/// that link points: refuse, as `tar` does for a link planted by the archive.
fn refuse_symlinked_parents(dest: &Path, rel: &Path) -> Result<(), ModuleError> {
    let mut cur = dest.to_path_buf();
    let parents: Vec<_> = rel.parent().map(|p| p.components().collect()).unwrap_or_default();
    for c in parents {
        cur.push(c);
        if fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(ModuleError::Failed(format!("refusing to extract {} through the symlink {}", rel.display(), cur.display())));
        }
    }
    Ok(())
}

impl Module for Unarchive {
    const NAME: &'static str = "unarchive";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let (src, dest) = (&self.src, &self.dest);
        self.strip_components()?;
        if let Some(c) = self.creates.as_ref().filter(|c| c.exists()) {
            let mut out = Outcome::changed(false).with_msg(format!("skipped, since {} exists", c.display()));
            out.skipped = true;
            return Ok(out);
        }
        if !src.exists() {
            return Err(ModuleError::Failed(format!("Source '{}' does not exist", src.display())));
        }
        if !dest.is_dir() {
            return Err(ModuleError::Failed(format!("dest '{}' must be an existing dir", dest.display())));
        }
        let want = FileAttrs::new(&self.mode, &self.owner, &self.group);
        want.ids()?;
        let format = detect(src)?;

        // Query: list the archive and compare it with dest.
        let mut files = Vec::new();
        let mut rels = Vec::new();
        let mut stale = Vec::new();
        visit(src, format, self.strip_components()?, |m, content| {
            files.push(m.name.clone());
            if self.excluded(&m) {
                return Ok(());
            }
            if !self.is_current(&m, content, dest)? {
                stale.push(m.rel.clone());
            }
            rels.push(m.rel);
            Ok(())
        })?;
        let attr_changes = |rels: &[PathBuf]| -> Result<Vec<attrs::AttrChange>, ModuleError> {
            let mut v = Vec::new();
            if want.is_empty() {
                return Ok(v);
            }
            for rel in rels {
                let p = dest.join(rel);
                if fs::symlink_metadata(&p).is_ok() {
                    let c = attrs::plan(&p, &want, false, None)?;
                    if !c.is_empty() {
                        v.push(c);
                    }
                }
            }
            Ok(v)
        };
        let pending_attrs = attr_changes(&rels)?;
        let changed = !stale.is_empty() || !pending_attrs.is_empty();
        let mut out = Outcome::changed(changed);
        if ctx.diff && changed {
            // One line per file the archive would write (Ansible's unarchive shows no diff).
            let after: String = stale.iter().map(|r| format!("extracted: {}\n", r.to_string_lossy())).collect();
            let header = Some(format!("{} (extracted files)", dest.display()));
            out.diff.push(crate::module::Diff { before_header: header.clone(), after_header: header, before: String::new(), after });
        }
        if changed && !ctx.check_mode {
            if !stale.is_empty() {
                self.extract(src, format, dest)?;
            }
            // Attributes after extraction (extraction resets modes from the archive).
            for c in attr_changes(&rels)? {
                c.apply()?;
            }
        }
        out.values.extend(attrs::path_info(dest));
        let mut out = out
            .with("dest", dest.to_string_lossy().into_owned())
            .with("src", src.to_string_lossy().into_owned())
            .with("handler", format.handler());
        if self.list_files {
            out = out.with("files", files);
        }
        Ok(out)
    }
}

register_module!(Unarchive);
