//! Ansible Vault: the 1.1/1.2 AES256 format, byte-compatible with
//! `ansible-vault` both ways. See docs/vault.md.
//!
//! [`decrypt`] and [`encrypt`] are plain functions over bytes (the fuzz target
//! calls `decrypt`); [`keyring`] holds the secrets given on the command line,
//! which the loaders use for whole vaulted files and inline `!vault` scalars.

mod cipher;
pub mod envelope;
mod error;
pub mod keyring;
pub mod password;

pub use envelope::{is_vaulted, Envelope, DEFAULT_ID};
pub use error::VaultError;
pub use password::VaultSecret;

use crate::secrets::Secret;

/// Decrypted data and the secret that opened it.
#[derive(Debug)]
pub struct Decrypted {
    pub plaintext: Secret<Vec<u8>>,
    /// The label of the secret that worked.
    pub vault_id: String,
    /// The label written in the envelope (1.2), if any.
    pub envelope_id: Option<String>,
}

/// Decrypt vault data with the first secret that opens it: the secrets whose
/// label matches the envelope's vault-id first, then all the others (as
/// Ansible does with `vault_id_match = False`, its default).
pub fn decrypt(data: &[u8], secrets: &[VaultSecret]) -> Result<Decrypted, VaultError> {
    let env = envelope::parse(data)?;
    if secrets.is_empty() {
        return Err(VaultError::NoSecrets);
    }
    let wanted = env.vault_id.as_deref().unwrap_or(DEFAULT_ID);
    let mut order: Vec<&VaultSecret> = secrets.iter().filter(|s| s.id == wanted).collect();
    order.extend(secrets.iter().filter(|s| s.id != wanted));
    for s in &order {
        if let Some(plain) = cipher::decrypt(&env.ciphertext, &env.hmac, s.password.expose(), &env.salt)? {
            return Ok(Decrypted { plaintext: Secret::new(plain), vault_id: s.id.clone(), envelope_id: env.vault_id });
        }
    }
    Err(VaultError::Decrypt { vault_id: wanted.to_string(), tried: order.iter().map(|s| s.id.clone()).collect() })
}

/// Encrypt with a fresh random 32-byte salt. The envelope is 1.2 with the
/// secret's label unless the label is `default`, as ansible-vault writes it.
pub fn encrypt(plaintext: &[u8], secret: &VaultSecret) -> Result<String, VaultError> {
    let mut salt = [0u8; cipher::SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| VaultError::Usage(format!("no random numbers for the salt: {e}")))?;
    Ok(encrypt_with_salt(plaintext, secret, &salt))
}

/// Encrypt with a given salt (ansible-vault's `ANSIBLE_VAULT_ENCRYPT_SALT`):
/// the same inputs give exactly ansible-vault's bytes.
pub fn encrypt_with_salt(plaintext: &[u8], secret: &VaultSecret, salt: &[u8]) -> String {
    let (hmac, ciphertext) = cipher::encrypt(plaintext, secret.password.expose(), salt);
    envelope::format(salt, &hmac, &ciphertext, Some(&secret.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(id: &str, pw: &str) -> VaultSecret {
        VaultSecret::new(id, pw.as_bytes().to_vec())
    }

    #[test]
    fn matching_vault_id_is_tried_first_then_the_others() {
        let text = encrypt(b"data", &secret("prod", "p1")).unwrap();
        let got = decrypt(text.as_bytes(), &[secret("dev", "p0"), secret("prod", "p1")]).unwrap();
        assert_eq!((got.plaintext.expose().as_slice(), got.vault_id.as_str()), (&b"data"[..], "prod"));
        // a label that does not match still works: the id in the envelope is only a hint
        let got = decrypt(text.as_bytes(), &[secret("other", "p1")]).unwrap();
        assert_eq!(got.vault_id, "other");
    }

    #[test]
    fn wrong_password_names_the_vault_id_and_tampering_fails() {
        let text = encrypt(b"data", &secret("prod", "p1")).unwrap();
        let e = decrypt(text.as_bytes(), &[secret("prod", "nope")]).unwrap_err().to_string();
        assert!(e.contains("vault-id `prod`") && e.contains("HMAC"), "{e}");
        assert!(matches!(decrypt(text.as_bytes(), &[]), Err(VaultError::NoSecrets)));
    }
}
