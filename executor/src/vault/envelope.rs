//! The text around the ciphertext: `$ANSIBLE_VAULT;1.1;AES256` (or
//! `;1.2;AES256;<vault-id>`), then the payload hexlified twice, in lines of 80.

use super::error::VaultError;

pub const HEADER: &str = "$ANSIBLE_VAULT";
const CIPHER: &str = "AES256";
/// The label of a secret given without one, and of a 1.1 file.
pub const DEFAULT_ID: &str = "default";

/// The parts of a vault envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub version: String,
    /// The 1.2 label; `None` for 1.1.
    pub vault_id: Option<String>,
    pub salt: Vec<u8>,
    pub hmac: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Whether bytes are vault data (Ansible: ASCII text starting with the header).
pub fn is_vaulted(data: &[u8]) -> bool {
    data.starts_with(HEADER.as_bytes()) && data.is_ascii()
}

fn format_err(line: usize, reason: impl Into<String>) -> VaultError {
    VaultError::Format { line, reason: reason.into() }
}

fn unhex(hex: &[u8], line: usize, what: &str) -> Result<Vec<u8>, VaultError> {
    data_encoding::HEXLOWER_PERMISSIVE.decode(hex).map_err(|e| format_err(line, format!("{what} is not hexadecimal ({e})")))
}

/// Parse an envelope. Lines after the header are joined (Ansible ignores
/// where they break); surrounding whitespace on each line is ignored.
pub fn parse(data: &[u8]) -> Result<Envelope, VaultError> {
    let text = std::str::from_utf8(data).map_err(|_| format_err(1, "vault data must be ASCII"))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("").trim();
    let parts: Vec<&str> = header.split(';').map(str::trim).collect();
    if parts.first() != Some(&HEADER) || parts.len() < 3 {
        return Err(format_err(1, format!("expected `{HEADER};1.1;AES256` or `{HEADER};1.2;AES256;<vault-id>`")));
    }
    let version = parts[1].to_string();
    if version != "1.1" && version != "1.2" {
        return Err(VaultError::UnsupportedVersion(version));
    }
    if parts[2] != CIPHER {
        return Err(VaultError::UnsupportedCipher(parts[2].to_string()));
    }
    let vault_id = parts.get(3).filter(|id| !id.is_empty()).map(|id| id.to_string());
    let mut body = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.trim();
        if let Some(bad) = line.bytes().position(|b| !b.is_ascii_hexdigit()) {
            return Err(format_err(i + 2, format!("unexpected character at column {} in the hex body", bad + 1)));
        }
        body.extend_from_slice(line.as_bytes());
    }
    if body.is_empty() {
        return Err(format_err(2, "the vault has no body"));
    }
    if body.len() % 2 != 0 {
        return Err(format_err(text.lines().count(), "the hex body has an odd number of digits (truncated?)"));
    }
    let inner = unhex(&body, 2, "the body")?;
    let mut fields = inner.splitn(3, |b| *b == b'\n');
    let (Some(salt), Some(hmac), Some(ciphertext)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(format_err(2, "the body must hold salt, HMAC and ciphertext"));
    };
    Ok(Envelope {
        version,
        vault_id,
        salt: unhex(salt, 2, "the salt")?,
        hmac: unhex(hmac, 2, "the HMAC")?,
        ciphertext: unhex(ciphertext, 2, "the ciphertext")?,
    })
}

/// Write an envelope exactly as ansible-vault does: 1.2 only with a
/// non-default vault-id, lowercase hex, 80 columns, a final newline.
pub fn format(salt: &[u8], hmac: &[u8], ciphertext: &[u8], vault_id: Option<&str>) -> String {
    let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
    let inner = format!("{}\n{}\n{}", hex(salt), hex(hmac), hex(ciphertext));
    let body = hex(inner.as_bytes());
    let mut out = match vault_id.filter(|id| !id.is_empty() && *id != DEFAULT_ID) {
        Some(id) => format!("{HEADER};1.2;{CIPHER};{id}\n"),
        None => format!("{HEADER};1.1;{CIPHER}\n"),
    };
    for chunk in body.as_bytes().chunks(80) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_then_parse() {
        let text = format(&[1; 32], &[2; 32], &[3; 48], Some("prod"));
        assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        assert!(text.lines().skip(1).all(|l| l.len() <= 80));
        let env = parse(text.as_bytes()).unwrap();
        assert_eq!((env.vault_id.as_deref(), env.salt, env.hmac, env.ciphertext), (Some("prod"), vec![1; 32], vec![2; 32], vec![3; 48]));
        assert!(format(&[1], &[2], &[3], Some("default")).starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
    }

    #[test]
    fn malformed_envelopes_name_the_line() {
        let err = |t: &str| parse(t.as_bytes()).unwrap_err().to_string();
        assert!(err("$ANSIBLE_VAULT;1.1").contains("line 1"));
        assert!(err("$ANSIBLE_VAULT;1.1;AES256\nabcd\nzz\n").contains("line 3"), "{}", err("$ANSIBLE_VAULT;1.1;AES256\nabcd\nzz\n"));
        assert!(err("$ANSIBLE_VAULT;1.1;AES256\n6162\n").contains("salt, HMAC and ciphertext"));
        assert!(err("$ANSIBLE_VAULT;1.1;AES128\n6162\n").contains("AES128"));
        assert!(err("$ANSIBLE_VAULT;1.1;AES256\n").contains("no body"));
    }
}
