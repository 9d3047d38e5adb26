//! `apt_key`, the modern way: a repository signing key stored as its own
//! binary keyring file (default `/etc/apt/keyrings/NAME.gpg`) for a source's
//! `signed-by=` option.
//!
//! How this differs from Ansible's `apt_key` (which drives the deprecated
//! `apt-key` and adds keys to the global trusted keyring, trusted for every
//! repository): here each key lives in one file that only the repositories
//! naming it with `signed-by` trust. `keyring` names that file; `data` (armored
//! or binary) or `file` (a path on the host) gives the key; `id`, when given,
//! must match the key's fingerprint (suffix). `url` and `keyserver` are not
//! fetched here: download with `get_url` first, then use `file:`.

use std::path::{Path, PathBuf};

use base64::Engine;
use schemars::JsonSchema;
use serde::Deserialize;

use super::group::PresentAbsent;
use crate::module::Diff;
use crate::util::command::{self, CommandSpec};
use crate::util::fs as ufs;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Add or remove an APT signing key as a `signed-by` keyring file.
///
/// Unlike Ansible's `apt_key` (the deprecated `apt-key`, one global keyring trusted
/// for every repository), the key is stored in its own binary keyring file
/// (default `/etc/apt/keyrings/NAME.gpg`) that only sources naming it with
/// `signed-by=` trust; pair it with `apt_repository`. `url`/`keyserver` are not
/// fetched: download with `get_url`, then pass `file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AptKey {
    /// Key id or fingerprint (suffix) the key must have; also names the keyring when `keyring` is not given.
    #[serde(default)]
    pub id: Option<String>,
    /// The key itself, ASCII-armored (`-----BEGIN PGP PUBLIC KEY BLOCK-----`) or binary.
    #[serde(default)]
    pub data: Option<String>,
    /// A key file on the host.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// The keyring file: an absolute path, or a name for `/etc/apt/keyrings/NAME.gpg`.
    #[serde(default)]
    pub keyring: Option<String>,
    /// Whether the keyring file should exist.
    #[serde(default = "present")]
    pub state: PresentAbsent,
    /// Not supported here: fetch with `get_url`, then use `file`.
    #[serde(default)]
    pub url: Option<String>,
    /// Not supported here: export the key and use `data`.
    #[serde(default)]
    pub keyserver: Option<String>,
}

fn present() -> PresentAbsent {
    PresentAbsent::Present
}

/// Binary key bytes from armored text (base64 body between the headers and the `=` checksum).
pub fn dearmor(text: &str) -> Result<Vec<u8>, ModuleError> {
    let body = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN PGP"))
        .skip(1)
        .skip_while(|l| !l.trim().is_empty() && l.contains(':'))
        .take_while(|l| !l.starts_with("-----END PGP") && !l.starts_with('='))
        .map(str::trim)
        .collect::<String>();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| ModuleError::BadArgs(format!("the armored key is not valid base64: {e}")))
}

/// Fingerprints of the keys in a keyring file (`gpg --show-keys`, with a throwaway home).
fn fingerprints(path: &Path) -> Result<Vec<String>, ModuleError> {
    let home = std::env::temp_dir().join(format!(".dpctl-gnupg-{}", std::process::id()));
    std::fs::create_dir_all(&home).map_err(|e| ModuleError::io(format!("creating {}", home.display()), e))?;
    let argv = [
        "gpg".to_string(),
        "--batch".into(),
        "--homedir".into(),
        home.display().to_string(),
        "--with-colons".into(),
        "--show-keys".into(),
        path.display().to_string(),
    ];
    let out = command::run(&CommandSpec::new(argv));
    let _ = std::fs::remove_dir_all(&home);
    let out = out?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(format!("{} is not an OpenPGP key: {}", path.display(), out.stderr.trim())));
    }
    // The first `fpr` after each `pub` line is the primary key's fingerprint.
    let mut fprs = Vec::new();
    let mut want = false;
    for l in out.stdout.lines() {
        if l.starts_with("pub:") {
            want = true;
        } else if want && l.starts_with("fpr:") {
            fprs.push(l.split(':').nth(9).unwrap_or("").to_string());
            want = false;
        }
    }
    Ok(fprs)
}

impl AptKey {
    fn keyring_path(&self) -> Result<PathBuf, ModuleError> {
        let name = match (&self.keyring, &self.id) {
            (Some(k), _) => k.clone(),
            (None, Some(id)) => id.replace(' ', ""),
            (None, None) => return Err(ModuleError::BadArgs("one of keyring or id is required (it names the keyring file)".into())),
        };
        if name.starts_with('/') {
            return Ok(PathBuf::from(name));
        }
        if name.contains('/') || name.starts_with('.') {
            return Err(ModuleError::BadArgs(format!("invalid keyring name {name:?}")));
        }
        let file = if name.ends_with(".gpg") || name.ends_with(".asc") { name } else { format!("{name}.gpg") };
        Ok(Path::new("/etc/apt/keyrings").join(file))
    }

    fn key_bytes(&self) -> Result<Vec<u8>, ModuleError> {
        let raw = match (&self.data, &self.file) {
            (Some(_), Some(_)) => return Err(ModuleError::BadArgs("parameters are mutually exclusive: data|file".into())),
            (Some(d), None) => d.as_bytes().to_vec(),
            (None, Some(f)) => std::fs::read(f).map_err(|e| ModuleError::io(format!("reading {}", f.display()), e))?,
            (None, None) => {
                return Err(ModuleError::BadArgs("state=present needs the key: data or file (url/keyserver are not fetched)".into()))
            }
        };
        match std::str::from_utf8(&raw) {
            Ok(text) if text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") => dearmor(text),
            _ => Ok(raw),
        }
    }
}

fn id_matches(id: &str, fprs: &[String]) -> bool {
    let id = id.replace(' ', "").trim_start_matches("0x").to_ascii_uppercase();
    fprs.iter().any(|f| f.to_ascii_uppercase().ends_with(&id))
}

impl Module for AptKey {
    const NAME: &'static str = "apt_key";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.url.is_some() || self.keyserver.is_some() {
            return Err(ModuleError::BadArgs(
                "url/keyserver are not fetched by apt_key in dpctl: download the key with get_url, then use file: (see the module docs)"
                    .into(),
            ));
        }
        let path = self.keyring_path()?;
        let current = ufs::read_if_exists(&path)?;
        let before_fprs = if current.is_some() { fingerprints(&path).unwrap_or_default() } else { vec![] };
        let mut o = Outcome::changed(false).with("keyring", path.display().to_string());
        let (after, after_fprs) = match self.state {
            PresentAbsent::Absent => (None, vec![]),
            PresentAbsent::Present => {
                let bytes = self.key_bytes()?;
                // Check the new key with gpg before it goes anywhere apt reads.
                let tmp = std::env::temp_dir().join(format!(".dpctl-key-{}.gpg", std::process::id()));
                ufs::write_atomic(&tmp, &bytes, Some(0o600))?;
                let fprs = fingerprints(&tmp);
                let _ = std::fs::remove_file(&tmp);
                let fprs = fprs?;
                if fprs.is_empty() {
                    return Err(ModuleError::Failed("the key data contains no public key".into()));
                }
                if let Some(id) = self.id.as_deref().filter(|id| !id_matches(id, &fprs)) {
                    return Err(ModuleError::Failed(format!("key id {id} does not match the key's fingerprint(s): {}", fprs.join(", "))));
                }
                (Some(bytes), fprs)
            }
        };
        o.changed = current != after && !(current.is_none() && after.is_none());
        if o.changed && !ctx.check_mode {
            match &after {
                Some(bytes) => {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).map_err(|e| ModuleError::io(format!("creating {}", dir.display()), e))?;
                    }
                    ufs::write_atomic(&path, bytes, Some(0o644))?;
                }
                None => std::fs::remove_file(&path).map_err(|e| ModuleError::io(format!("removing {}", path.display()), e))?,
            }
        }
        if o.changed && ctx.diff {
            let list = |f: &[String]| f.iter().map(|x| format!("{x}\n")).collect::<String>();
            let header = Some(path.display().to_string());
            o.diff.push(Diff { before_header: header.clone(), after_header: header, before: list(&before_fprs), after: list(&after_fprs) });
        }
        if let Some(fp) = after_fprs.first() {
            o = o.with("fp", fp.clone()).with("key_id", fp[fp.len().saturating_sub(16)..].to_string());
        }
        Ok(o.with("before", before_fprs).with("after", after_fprs))
    }
}

register_module!(AptKey);
