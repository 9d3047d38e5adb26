//! File digests by the names Ansible uses (`sha1` is its default checksum).

use std::io::Read;
use std::path::Path;

use sha1::Digest;

use crate::error::ModuleError;

/// A digest algorithm Ansible knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Algorithm> {
        serde_json::from_value(serde_json::Value::String(name.to_ascii_lowercase())).ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_reader<D: Digest>(mut r: impl Read) -> std::io::Result<String> {
    let mut h = D::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

/// Hex digest of everything `r` yields.
pub fn digest_read(algo: Algorithm, r: impl Read) -> std::io::Result<String> {
    match algo {
        Algorithm::Md5 => digest_reader::<md5::Md5>(r),
        Algorithm::Sha1 => digest_reader::<sha1::Sha1>(r),
        Algorithm::Sha224 => digest_reader::<sha2::Sha224>(r),
        Algorithm::Sha256 => digest_reader::<sha2::Sha256>(r),
        Algorithm::Sha384 => digest_reader::<sha2::Sha384>(r),
        Algorithm::Sha512 => digest_reader::<sha2::Sha512>(r),
    }
}

/// Hex digest of a byte string.
pub fn digest_bytes(algo: Algorithm, bytes: &[u8]) -> String {
    digest_read(algo, bytes).unwrap_or_default()
}

/// Hex digest of a file's content.
pub fn digest_file(algo: Algorithm, path: &Path) -> Result<String, ModuleError> {
    let f = std::fs::File::open(path).map_err(|e| ModuleError::io(format!("reading {}", path.display()), e))?;
    digest_read(algo, std::io::BufReader::new(f)).map_err(|e| ModuleError::io(format!("reading {}", path.display()), e))
}

/// Ansible's `checksum` return value: sha1 of the content.
pub fn sha1_bytes(bytes: &[u8]) -> String {
    digest_bytes(Algorithm::Sha1, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(sha1_bytes(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(digest_bytes(Algorithm::Md5, b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(digest_bytes(Algorithm::Sha256, b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(Algorithm::parse("SHA256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::parse("crc"), None);
    }
}
