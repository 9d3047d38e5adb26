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
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ModuleError::io(format!("writing {}", path.display()), e));
    }
    Ok(())
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
}
