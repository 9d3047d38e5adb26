//! The `user` module's `generate_ssh_key`: a key pair made by `ssh-keygen` for an
//! account, as Ansible makes it (an existing key is kept unless `force`; the
//! `.ssh` directory is created 0700; both files end up owned by the user).

use std::path::{Path, PathBuf};

use crate::error::ModuleError;
use crate::util::command::{self, CommandSpec};

/// What to generate, from the module's `ssh_key_*` arguments.
pub struct KeySpec<'a> {
    pub key_type: &'a str,
    /// `0` leaves the size to ssh-keygen.
    pub bits: u32,
    pub comment: &'a str,
    pub passphrase: Option<&'a str>,
    pub force: bool,
}

/// The key file: `file` as given when absolute, else under `home`
/// (default `.ssh/id_TYPE`, as Ansible).
pub fn key_path(home: &str, file: Option<&str>, key_type: &str) -> PathBuf {
    let rel = file.map(str::to_string).unwrap_or_else(|| format!(".ssh/id_{key_type}"));
    Path::new(home).join(rel)
}

/// Whether a run would (re)generate the key: it is missing, or `force`.
pub fn needed(path: &Path, force: bool) -> bool {
    force || !(path.exists() || pub_path(path).exists())
}

fn pub_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", path.display()))
}

/// Generate the pair at `path`, owned by `uid:gid`.
pub fn generate(path: &Path, spec: &KeySpec, uid: u32, gid: u32) -> Result<(), ModuleError> {
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::create_dir(dir).map_err(|e| ModuleError::io(format!("Failed to create {}", dir.display()), e))?;
        std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| ModuleError::io(format!("chown {}", dir.display()), e))?;
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| ModuleError::io(format!("chmod {}", dir.display()), e))?;
    }
    if spec.force {
        // ssh-keygen would ask before overwriting; the old pair goes first instead.
        for p in [path.to_path_buf(), pub_path(path)] {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| ModuleError::io(format!("removing {}", p.display()), e))?;
            }
        }
    }
    let mut argv = vec!["ssh-keygen".to_string(), "-t".into(), spec.key_type.into()];
    if spec.bits > 0 {
        argv.extend(["-b".into(), spec.bits.to_string()]);
    }
    // The passphrase goes as -N: ssh-keygen reads it from a terminal otherwise.
    argv.extend(["-C".into(), spec.comment.into(), "-f".into(), path.display().to_string(), "-N".into()]);
    argv.push(spec.passphrase.unwrap_or("").into());
    command::run_ok(&CommandSpec::new(argv))?;
    for p in [path.to_path_buf(), pub_path(path)] {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).map_err(|e| ModuleError::io(format!("chown {}", p.display()), e))?;
    }
    Ok(())
}

/// `ssh-keygen -l -f PATH` (Ansible's `ssh_fingerprint`: the output, or the error when missing).
pub fn fingerprint(path: &Path) -> String {
    if !path.exists() {
        return format!("SSH Key file {} does not exist", path.display());
    }
    match command::run(&CommandSpec::new(["ssh-keygen".to_string(), "-l".into(), "-f".into(), path.display().to_string()])) {
        Ok(out) if out.rc == 0 => out.stdout.trim().to_string(),
        Ok(out) => out.stderr.trim().to_string(),
        Err(e) => e.to_string(),
    }
}

/// The public key's text, `None` when there is none.
pub fn public_key(path: &Path) -> Option<String> {
    std::fs::read_to_string(pub_path(path)).ok().map(|s| s.trim().to_string())
}
