//! `password_hash`: SHA-512 crypt (`$6$`), the algorithm Ansible uses by default; with its
//! default of 656000 rounds (ansible-core sets passlib's rounds to crypt's implicit value).

use minijinja::value::{Kwargs, Value};
use minijinja::Error;
use sha2::{Digest, Sha512};

use super::fail;
use super::text::text_of;

/// Ansible's rounds for sha512 when none are given.
const DEFAULT_ROUNDS: u32 = 656_000;
const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub(crate) fn password_hash(value: &Value, hashtype: Option<String>, salt: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let hashtype = match hashtype {
        Some(h) => h,
        None => kwargs.get::<Option<String>>("hashtype")?.unwrap_or_else(|| "sha512".into()),
    };
    let salt = match salt {
        Some(s) => Some(s),
        None => kwargs.get::<Option<String>>("salt")?,
    };
    let rounds = kwargs.get::<Option<u32>>("rounds")?.unwrap_or(DEFAULT_ROUNDS);
    kwargs.assert_all_used()?;
    if hashtype != "sha512" && hashtype != "sha512_crypt" {
        return Err(fail(format!("password_hash: hash type '{hashtype}' is not supported by dpctl (sha512 is)")));
    }
    let salt = match salt {
        Some(s) => s,
        None => random_salt()?,
    };
    if salt.is_empty() || !salt.bytes().all(|b| ITOA64.contains(&b)) {
        return Err(fail("password_hash: the salt must be made of the characters ./0-9A-Za-z"));
    }
    Ok(sha512_crypt(text_of(value).as_bytes(), &salt, rounds))
}

fn random_salt() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    let mut f = std::fs::File::open("/dev/urandom").map_err(|e| fail(format!("password_hash: no random salt: {e}")))?;
    std::io::Read::read_exact(&mut f, &mut bytes).map_err(|e| fail(format!("password_hash: no random salt: {e}")))?;
    Ok(bytes.iter().map(|b| ITOA64[(b & 0x3f) as usize] as char).collect())
}

/// Repeats `digest` to `len` bytes.
fn stretch(digest: &[u8], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// Ulrich Drepper's SHA-512 crypt.
pub(crate) fn sha512_crypt(pw: &[u8], salt: &str, rounds: u32) -> String {
    let rounds = rounds.clamp(1000, 999_999_999);
    let salt: Vec<u8> = salt.bytes().take(16).collect();
    let b = Sha512::new().chain_update(pw).chain_update(&salt).chain_update(pw).finalize();
    let mut a = Sha512::new().chain_update(pw).chain_update(&salt);
    a.update(stretch(&b, pw.len()));
    let mut n = pw.len();
    while n > 0 {
        if n & 1 == 1 {
            a.update(b);
        } else {
            a.update(pw);
        }
        n >>= 1;
    }
    let a = a.finalize();
    let mut dp = Sha512::new();
    for _ in 0..pw.len() {
        dp.update(pw);
    }
    let p = stretch(&dp.finalize(), pw.len());
    let mut ds = Sha512::new();
    for _ in 0..16 + a[0] as usize {
        ds.update(&salt);
    }
    let s = stretch(&ds.finalize(), salt.len());
    let mut c = a.to_vec();
    for i in 0..rounds {
        let mut h = Sha512::new();
        if i % 2 == 1 {
            h.update(&p);
        } else {
            h.update(&c);
        }
        if i % 3 != 0 {
            h.update(&s);
        }
        if i % 7 != 0 {
            h.update(&p);
        }
        if i % 2 == 1 {
            h.update(&c);
        } else {
            h.update(&p);
        }
        c = h.finalize().to_vec();
    }
    const ORDER: [(usize, usize, usize); 21] = [
        (0, 21, 42),
        (22, 43, 1),
        (44, 2, 23),
        (3, 24, 45),
        (25, 46, 4),
        (47, 5, 26),
        (6, 27, 48),
        (28, 49, 7),
        (50, 8, 29),
        (9, 30, 51),
        (31, 52, 10),
        (53, 11, 32),
        (12, 33, 54),
        (34, 55, 13),
        (56, 14, 35),
        (15, 36, 57),
        (37, 58, 16),
        (59, 17, 38),
        (18, 39, 60),
        (40, 61, 19),
        (62, 20, 41),
    ];
    let mut out = String::from("$6$");
    if rounds != 5000 {
        out.push_str(&format!("rounds={rounds}$"));
    }
    out.push_str(&String::from_utf8_lossy(&salt));
    out.push('$');
    let mut b64 = |b2: u8, b1: u8, b0: u8, n: usize| {
        let mut w = ((b2 as u32) << 16) | ((b1 as u32) << 8) | b0 as u32;
        for _ in 0..n {
            out.push(ITOA64[(w & 0x3f) as usize] as char);
            w >>= 6;
        }
    };
    for (x, y, z) in ORDER {
        b64(c[x], c[y], c[z], 4);
    }
    b64(0, 0, c[63], 2);
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    // References from `openssl passwd -6 -salt …`.
    #[test]
    fn matches_glibc_sha512_crypt() {
        assert_eq!(
            sha512_crypt(b"secret", "saltsalt", 5000),
            "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
        );
        assert_eq!(
            sha512_crypt(b"secret", "saltsalt", 10000),
            "$6$rounds=10000$saltsalt$WowrPBpEDVlCoruBosYlrZycTCx3//TyDHYqEhX9DUHHt0XTztUqzQDDUuvUGRA8aUe9p55hcAxeGcu58sm3u."
        );
    }

    #[test]
    fn filter_uses_the_given_salt_and_rounds() {
        let env = crate::template::Templar::new();
        let scope = crate::template::Scope::new(serde_json::Map::new());
        let out = env.render_str("{{ 'secret' | password_hash('sha512', 'saltsalt', rounds=5000) }}", &scope).unwrap();
        assert_eq!(out, "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1");
        assert!(env.render_str("{{ 'secret' | password_hash('md5') }}", &scope).is_err());
    }
}
