//! What can go wrong reading or writing a vault.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum VaultError {
    /// The envelope is not `$ANSIBLE_VAULT;VERSION;CIPHER[;ID]` + hex lines.
    #[error("malformed vault data at line {line}: {reason}")]
    Format { line: usize, reason: String },
    #[error("vault cipher `{0}` is not supported (only AES256)")]
    UnsupportedCipher(String),
    #[error("vault format version `{0}` is not supported (only 1.1 and 1.2)")]
    UnsupportedVersion(String),
    /// Ansible's wording, so people searching the message find the same answers.
    #[error("Attempting to decrypt but no vault secrets found (give --vault-password-file, --vault-id or --ask-vault-pass)")]
    NoSecrets,
    /// The HMAC did not verify with any secret: a wrong password or altered data.
    #[error(
        "Decryption failed (no vault secrets were found that could decrypt) for vault-id `{vault_id}`: \
         HMAC verification failed with {} (wrong password, or the data was altered)",
        tried_list(tried)
    )]
    Decrypt { vault_id: String, tried: Vec<String> },
    /// The HMAC verified but the padding is wrong: the data was written badly.
    #[error("vault data decrypted but its padding is invalid (corrupt vault)")]
    Padding,
    #[error("{}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<VaultError> },
    #[error("vault password: {0}")]
    Password(String),
    #[error("{0}")]
    Usage(String),
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
}

fn tried_list(tried: &[String]) -> String {
    match tried {
        [one] => format!("the secret for vault-id `{one}`"),
        many => format!("the secrets for vault-ids {}", many.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")),
    }
}

impl VaultError {
    /// Name the file the vault data came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> VaultError {
        match self {
            e @ (VaultError::InFile { .. } | VaultError::Io { .. }) => e,
            e => VaultError::InFile { path: path.into(), error: Box::new(e) },
        }
    }

    /// The underlying error, without the file.
    pub fn kind(&self) -> &VaultError {
        match self {
            VaultError::InFile { error, .. } => error.kind(),
            e => e,
        }
    }
}
