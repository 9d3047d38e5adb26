//! Where vault passwords come from: a file (its content, stripped), an
//! executable (its stdout), or a prompt on the terminal — named by
//! `--vault-id label@source`, `--vault-password-file`, `--ask-vault-pass`
//! and ansible.cfg's `vault_identity_list` / `vault_password_file`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::envelope::DEFAULT_ID;
use super::error::VaultError;
use crate::secrets::Secret;

/// One vault password and its label (the vault-id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSecret {
    pub id: String,
    pub password: Secret<Vec<u8>>,
}

impl VaultSecret {
    pub fn new(id: impl Into<String>, password: Vec<u8>) -> Self {
        VaultSecret { id: id.into(), password: Secret::new(password) }
    }
}

/// Where one secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, or an executable whose stdout is the password.
    File(PathBuf),
    /// Ask on the terminal; `classic` uses `--ask-vault-pass`'s prompt.
    Prompt { classic: bool },
}

/// A `--vault-id` as written: `label@source` or just `source` (label `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultIdSpec {
    pub label: String,
    pub source: Source,
}

impl VaultIdSpec {
    pub fn parse(spec: &str) -> VaultIdSpec {
        let (label, source) = match spec.split_once('@') {
            Some((l, s)) if !l.is_empty() => (l.to_string(), s),
            Some((_, s)) => (DEFAULT_ID.to_string(), s),
            None => (DEFAULT_ID.to_string(), spec),
        };
        let source = match source {
            "prompt" => Source::Prompt { classic: false },
            "prompt_ask_vault_pass" => Source::Prompt { classic: true },
            path => Source::File(PathBuf::from(path)),
        };
        VaultIdSpec { label, source }
    }

    /// Read the secret (run the script, ask on the terminal).
    pub fn load(&self, new_password: bool) -> Result<VaultSecret, VaultError> {
        let password = match &self.source {
            Source::File(path) => read_file_or_script(path, &self.label)?,
            Source::Prompt { classic } => prompt(&self.label, *classic, new_password)?,
        };
        Ok(VaultSecret { id: self.label.clone(), password: Secret::new(password) })
    }
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// As Ansible: a file's content `.strip()`ped; an executable's stdout with
/// line ends stripped; a `*-client` script gets `--vault-id LABEL`.
fn read_file_or_script(path: &Path, label: &str) -> Result<Vec<u8>, VaultError> {
    if !path.exists() {
        return Err(VaultError::Password(format!("The vault password file {} was not found", path.display())));
    }
    if path.is_dir() {
        return Err(VaultError::Password(format!("The vault password file provided '{}' can not be a directory", path.display())));
    }
    let password = if is_executable(path) {
        let mut cmd = Command::new(path);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if stem.ends_with("-client") {
            cmd.args(["--vault-id", label]);
        }
        let out = cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit()).output().map_err(|e| {
            VaultError::Password(format!(
                "Problem running vault password script {} ({e}). If this is not a script, remove the executable bit from the file.",
                path.display()
            ))
        })?;
        if !out.status.success() {
            return Err(VaultError::Password(format!("Vault password script {} returned non-zero ({})", path.display(), out.status)));
        }
        trim_line_ends(&out.stdout).to_vec()
    } else {
        let bytes = std::fs::read(path).map_err(|error| VaultError::Io { path: path.to_path_buf(), error })?;
        trim_line_ends(bytes.trim_ascii()).to_vec()
    };
    if password.is_empty() {
        return Err(VaultError::Password(format!("Invalid vault password was provided from file ({})", path.display())));
    }
    Ok(password)
}

fn trim_line_ends(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !matches!(c, b'\r' | b'\n')).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !matches!(c, b'\r' | b'\n')).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Read a password from the terminal without echo (Ansible's prompts).
fn prompt(label: &str, classic: bool, new_password: bool) -> Result<Vec<u8>, VaultError> {
    let ask = |p: &str| rpassword::prompt_password(p).map_err(|e| VaultError::Password(format!("cannot read from the terminal: {e}")));
    let (first, confirm) = match (classic, new_password) {
        (true, false) => ("Vault password: ".to_string(), None),
        (true, true) => ("New Vault password: ".to_string(), Some("Confirm New Vault password: ".to_string())),
        (false, false) => (format!("Vault password ({label}): "), None),
        (false, true) => (format!("New vault password ({label}): "), Some(format!("Confirm new vault password ({label}): "))),
    };
    let pw = ask(&first)?.trim().to_string();
    if let Some(c) = confirm {
        if ask(&c)?.trim() != pw {
            return Err(VaultError::Password("Passwords do not match".into()));
        }
    }
    if pw.is_empty() {
        return Err(VaultError::Password("Invalid vault password was provided from the prompt (empty)".into()));
    }
    Ok(pw.into_bytes())
}

/// Every secret named on the command line and in the configuration, in
/// Ansible's order: ansible.cfg's identity list, `--vault-id`s, password
/// files (CLI, then ansible.cfg / `ANSIBLE_VAULT_PASSWORD_FILE`), then the
/// `--ask-vault-pass` prompt.
pub fn collect_specs(config_ids: &[String], vault_ids: &[String], password_files: &[PathBuf], ask: bool) -> Vec<VaultIdSpec> {
    let mut specs: Vec<VaultIdSpec> = config_ids.iter().chain(vault_ids).map(|s| VaultIdSpec::parse(s)).collect();
    specs.extend(password_files.iter().map(|p| VaultIdSpec { label: DEFAULT_ID.into(), source: Source::File(p.clone()) }));
    if ask {
        specs.push(VaultIdSpec { label: DEFAULT_ID.into(), source: Source::Prompt { classic: true } });
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_specs() {
        let p = VaultIdSpec::parse;
        assert_eq!(p("prod@/x/pw"), VaultIdSpec { label: "prod".into(), source: Source::File("/x/pw".into()) });
        assert_eq!(p("/x/pw").label, "default");
        assert_eq!(p("dev@prompt").source, Source::Prompt { classic: false });
    }

    #[test]
    fn files_are_stripped_and_scripts_run() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "  s3cret-pw \r\n\n").unwrap();
        assert_eq!(VaultIdSpec::parse(file.to_str().unwrap()).load(false).unwrap().password.expose(), b"s3cret-pw");
        let script = dir.path().join("pw-client.sh");
        std::fs::write(&script, "#!/bin/sh\necho \"from-script-$2\"\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = VaultIdSpec::parse(&format!("lab@{}", script.display())).load(false).unwrap();
        assert_eq!((s.id.as_str(), s.password.expose().as_slice()), ("lab", &b"from-script-lab"[..]));
        std::fs::write(&file, "\n").unwrap();
        assert!(VaultIdSpec::parse(file.to_str().unwrap()).load(false).unwrap_err().to_string().contains("Invalid vault password"));
    }
}
