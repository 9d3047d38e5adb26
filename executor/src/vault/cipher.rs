//! VaultAES256: PBKDF2-HMAC-SHA256 (10000 rounds) derives 80 bytes — the
//! AES-256 key, the HMAC-SHA256 key and the CTR initial counter; the
//! plaintext is PKCS#7-padded to 16 bytes, encrypted with AES-256-CTR, and
//! the ciphertext authenticated with HMAC-SHA256.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use vault_hmac::{Hmac, KeyInit, Mac};
use vault_sha2::Sha256;

use super::error::VaultError;

const ROUNDS: u32 = 10_000;
const BLOCK: usize = 16;
pub const SALT_LEN: usize = 32;

type Aes256Ctr = ctr::Ctr128BE<Aes256>;

/// The three keys derived from a password and salt.
struct Keys {
    aes: [u8; 32],
    hmac: [u8; 32],
    iv: [u8; 16],
}

fn derive(password: &[u8], salt: &[u8]) -> Keys {
    let mut okm = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut okm);
    let mut k = Keys { aes: [0; 32], hmac: [0; 32], iv: [0; 16] };
    k.aes.copy_from_slice(&okm[..32]);
    k.hmac.copy_from_slice(&okm[32..64]);
    k.iv.copy_from_slice(&okm[64..]);
    k
}

fn mac(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

fn ctr_apply(keys: &Keys, data: &mut [u8]) {
    let mut c = Aes256Ctr::new(&keys.aes.into(), &keys.iv.into());
    c.apply_keystream(data);
}

/// Encrypt: returns (hmac, ciphertext).
pub fn encrypt(plaintext: &[u8], password: &[u8], salt: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let keys = derive(password, salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut data = Vec::with_capacity(plaintext.len() + pad);
    data.extend_from_slice(plaintext);
    data.extend(std::iter::repeat_n(pad as u8, pad));
    ctr_apply(&keys, &mut data);
    let mut m = mac(&keys.hmac);
    m.update(&data);
    (m.finalize().into_bytes().to_vec(), data)
}

/// Decrypt after checking the HMAC in constant time. `Ok(None)` means the
/// HMAC did not match (a wrong password or altered data).
pub fn decrypt(ciphertext: &[u8], hmac: &[u8], password: &[u8], salt: &[u8]) -> Result<Option<Vec<u8>>, VaultError> {
    let keys = derive(password, salt);
    let mut m = mac(&keys.hmac);
    m.update(ciphertext);
    if m.verify_slice(hmac).is_err() {
        return Ok(None);
    }
    let mut data = ciphertext.to_vec();
    ctr_apply(&keys, &mut data);
    let pad = data.last().copied().unwrap_or(0) as usize;
    if pad == 0 || pad > BLOCK || pad > data.len() || data[data.len() - pad..].iter().any(|b| *b as usize != pad) {
        return Err(VaultError::Padding);
    }
    data.truncate(data.len() - pad);
    Ok(Some(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_password() {
        for len in [0, 1, 15, 16, 17, 100] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let (h, c) = encrypt(&plain, b"pw", &[7; 32]);
            assert_eq!(c.len() % 16, 0);
            assert_eq!(decrypt(&c, &h, b"pw", &[7; 32]).unwrap(), Some(plain));
            assert_eq!(decrypt(&c, &h, b"other", &[7; 32]).unwrap(), None);
        }
    }
}
