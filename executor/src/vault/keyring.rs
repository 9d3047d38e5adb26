//! The vault secrets of this run, given once on the command line and used by
//! every loader: whole vaulted files (vars files, group_vars/host_vars,
//! `include_vars`, role vars, `copy src`, `template src`, lookups) and inline
//! `!vault` scalars. Everything decrypted here is registered with the
//! redactor (`crate::secrets`).

use std::path::Path;
use std::sync::RwLock;

use super::{decrypt, is_vaulted, VaultError, VaultSecret};
use crate::secrets;

/// Process-wide: the CLI installs the secrets before anything is loaded.
/// Secrets only accumulate (tests in one process add their own).
static KEYRING: RwLock<Vec<VaultSecret>> = RwLock::new(Vec::new());

/// Make secrets available to the loaders; a secret already known is not added twice.
pub fn install(new: Vec<VaultSecret>) {
    let Ok(mut ring) = KEYRING.write() else { return };
    for s in new {
        if !ring.contains(&s) {
            ring.push(s);
        }
    }
}

/// The installed secrets, in the order they were given.
pub fn secrets() -> Vec<VaultSecret> {
    KEYRING.read().map(|r| r.clone()).unwrap_or_default()
}

/// Decrypt vault data found in `origin` (a file, for the error message).
pub fn decrypt_bytes(data: &[u8], origin: &Path) -> Result<Vec<u8>, VaultError> {
    decrypt(data, &secrets()).map(|d| d.plaintext.into_inner()).map_err(|e| e.in_file(origin))
}

/// Decrypt an inline `!vault` scalar; its plaintext becomes a known secret.
pub fn decrypt_scalar(ciphertext: &str, origin: &Path) -> Result<String, VaultError> {
    let plain = decrypt_bytes(ciphertext.trim_start().as_bytes(), origin)?;
    let text = String::from_utf8(plain)
        .map_err(|_| VaultError::Format { line: 1, reason: "the decrypted value is not UTF-8 text".into() }.in_file(origin))?;
    secrets::register(&text);
    Ok(text)
}

/// A file's bytes, decrypted when it is vaulted; `true` when it was.
/// Text of a decrypted file that is not YAML (copy/template sources) is
/// registered as secret line by line; YAML callers register its values.
pub fn read_file(path: &Path) -> Result<(Vec<u8>, bool), VaultError> {
    let bytes = std::fs::read(path).map_err(|error| VaultError::Io { path: path.to_path_buf(), error })?;
    if !is_vaulted(&bytes) {
        return Ok((bytes, false));
    }
    let plain = decrypt_bytes(&bytes, path)?;
    secrets::mark_secret_source(path);
    Ok((plain, true))
}

/// [`read_file`] for files whose whole content is secret (copy/template sources).
pub fn read_secret_file(path: &Path) -> Result<Vec<u8>, VaultError> {
    let (bytes, vaulted) = read_file(path)?;
    if vaulted {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            secrets::register(text);
        }
    }
    Ok(bytes)
}
