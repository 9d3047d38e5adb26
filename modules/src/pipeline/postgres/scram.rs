//! SCRAM-SHA-256 password verifiers (RFC 5802/7677, as PostgreSQL stores
//! them in `pg_authid.rolpassword`). dpctl sends the verifier, never the
//! password, and checks a stored verifier against the wanted password so an
//! unchanged password is not reported as a change.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A fresh verifier (random salt, 4096 iterations) for `password`.
pub fn verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-256 with one output block: SCRAM's `Hi()`.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// Whether `stored` (a `pg_authid.rolpassword` value) accepts `password` for `user`.
pub fn verifies(stored: &str, user: &str, password: &str) -> bool {
    if let Some(rest) = stored.strip_prefix("SCRAM-SHA-256$") {
        return scram_verifies(rest, password).unwrap_or(false);
    }
    if let Some(hex) = stored.strip_prefix("md5") {
        return postgres_protocol::password::md5(password.as_bytes(), user).strip_prefix("md5") == Some(hex);
    }
    stored == password
}

fn scram_verifies(rest: &str, password: &str) -> Option<bool> {
    // <iterations>:<salt>$<StoredKey>:<ServerKey>
    let (params, keys) = rest.split_once('$')?;
    let (iter, salt) = params.split_once(':')?;
    let (stored_key, _server_key) = keys.split_once(':')?;
    let iterations: u32 = iter.parse().ok()?;
    let salt = B64.decode(salt).ok()?;
    let stored_key = B64.decode(stored_key).ok()?;
    let prepped = stringprep::saslprep(password).map(|p| p.into_owned()).unwrap_or_else(|_| password.to_string());
    let salted = hi(prepped.as_bytes(), &salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    Some(Sha256::digest(client_key).as_slice() == stored_key.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_verifier_verifies_only_its_password() {
        let v = verifier("s3cret");
        assert!(v.starts_with("SCRAM-SHA-256$4096:"));
        assert!(verifies(&v, "u", "s3cret"));
        assert!(!verifies(&v, "u", "other"));
    }

    #[test]
    fn md5_and_garbage() {
        let md5 = postgres_protocol::password::md5(b"pw", "alice");
        assert!(verifies(&md5, "alice", "pw"));
        assert!(!verifies(&md5, "bob", "pw"));
        assert!(!verifies("SCRAM-SHA-256$x", "u", "pw"));
    }
}
