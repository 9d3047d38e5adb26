//! Writing files without ever leaving a half-written one behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::ModuleError;

/// Write `content` to `path` atomically: a temp file in the same directory,
/// fsync, then rename over the target. `mode` is applied to the temp file
/// before the rename, so the target never exists with the wrong mode.
pub fn write_atomic(path: &Path, content: &[u8], mode: Option<u32>) -> Result<(), ModuleError> {
    write_atomic_with(path, content, mode, |_| Ok(()))
}

/// [`write_atomic`], with `prepare` run on the finished temp file before the
/// rename (chown it, or `validate` it): if `prepare` fails, the target is
/// left untouched and the temp file removed.
pub fn write_atomic_with(
    path: &Path,
    content: &[u8],
    mode: Option<u32>,
    prepare: impl FnOnce(&Path) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.dpctl-tmp-{}", std::process::id()));
    let keep_mode = fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777);
    let result = (|| {
        let mut f: File = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(content)?;
        if let Some(m) = mode.or(keep_mode).or(Some(0o644)) {
            f.set_permissions(fs::Permissions::from_mode(m))?;
        }
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ModuleError::io(format!("writing {}", path.display()), e));
    }
    if let Err(e) = prepare(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(ModuleError::io(format!("writing {}", path.display()), e));
    }
    Ok(())
}

/// Ansible's backup name: `name.PID.YYYY-MM-DD@HH:MM:SS~` (local time).
pub fn backup_name(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.{}~", std::process::id(), local_timestamp()));
    name.into()
}

/// Copy `path` to its [`backup_name`], keeping mode and times; returns the backup's path.
pub fn backup_local(path: &Path) -> Result<String, ModuleError> {
    let dest = backup_name(path);
    fs::copy(path, &dest).map_err(|e| ModuleError::io(format!("backing up {} to {}", path.display(), dest.display()), e))?;
    if let Ok(mtime) = fs::metadata(path).and_then(|m| m.modified()) {
        let _ = File::options().write(true).open(&dest).and_then(|f| f.set_modified(mtime));
    }
    Ok(dest.to_string_lossy().into_owned())
}

fn local_timestamp() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let t = now as libc::time_t;
    // SAFETY: localtime_r writes only into the tm we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return now.to_string();
    }
    format!("{:04}-{:02}-{:02}@{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// Run a `validate` command (`visudo -cf %s`) on a candidate file, as Ansible
/// does: `%s` is required and replaced by the file's path; the command is split
/// like a shell would (quotes respected) but never run through one.
pub fn validate(template: &str, candidate: &Path) -> Result<(), ModuleError> {
    if !template.contains("%s") {
        return Err(ModuleError::BadArgs(format!("validate must contain %s: {template}")));
    }
    let argv: Vec<String> = split_words(template)?.into_iter().map(|w| w.replace("%s", &candidate.to_string_lossy())).collect();
    let out = crate::util::command::run(&crate::util::command::CommandSpec::new(argv))?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(format!("failed to validate: rc:{} error:{}", out.rc, out.stderr.trim_end())));
    }
    Ok(())
}

/// POSIX-shell-like word splitting (quotes and backslashes, no expansion).
pub fn split_words(s: &str) -> Result<Vec<String>, ModuleError> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => w.push(ch),
                        None => return Err(ModuleError::BadArgs(format!("unterminated quote in {s:?}"))),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => w.push(ch),
                            Some(ch) => {
                                w.push('\\');
                                w.push(ch);
                            }
                            None => return Err(ModuleError::BadArgs(format!("unterminated quote in {s:?}"))),
                        },
                        Some(ch) => w.push(ch),
                        None => return Err(ModuleError::BadArgs(format!("unterminated quote in {s:?}"))),
                    }
                }
            }
            '\\' => {
                if let Some(ch) = chars.next() {
                    cur.get_or_insert_with(String::new).push(ch);
                }
            }
            ch => cur.get_or_insert_with(String::new).push(ch),
        }
    }
    words.extend(cur);
    Ok(words)
}

/// The current content of a file, or `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ModuleError::io(format!("reading {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.conf");
        write_atomic(&p, b"one\n", Some(0o640)).unwrap();
        write_atomic(&p, b"two\n", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two\n");
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
    }

    #[test]
    fn failed_prepare_leaves_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.conf");
        write_atomic(&p, b"old\n", None).unwrap();
        let r = write_atomic_with(&p, b"new\n", None, |tmp| validate("grep -q nomatch %s", tmp));
        assert!(r.unwrap_err().to_string().starts_with("failed to validate: rc:1"));
        assert_eq!(fs::read(&p).unwrap(), b"old\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic_with(&p, b"new\n", None, |tmp| validate("grep -q 'ne' %s", tmp)).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new\n");
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(split_words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(), ["a", "b c", "d \"e\"", "f g"]);
        assert!(split_words("a 'b").is_err());
        let name = backup_name(Path::new("/etc/x.conf")).to_string_lossy().into_owned();
        assert!(name.starts_with(&format!("/etc/x.conf.{}.", std::process::id())) && name.ends_with('~') && name.contains('@'), "{name}");
    }
}
