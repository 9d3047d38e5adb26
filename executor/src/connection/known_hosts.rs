//! Host key verification against OpenSSH `known_hosts` files.
//!
//! Written here rather than taken from russh because russh's checker skips
//! wildcard patterns, negations, `@revoked` and `@cert-authority` lines.
//! Understood: plain and hashed (`|1|salt|hash`) host names, `[host]:port`,
//! `*`/`?` wildcards, `!` negation, `@revoked` (refused). `@cert-authority`
//! lines are ignored: we do not accept host certificates.

use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use hmac::Mac;
use russh::keys::PublicKey;

/// The outcome of looking a host key up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Known,
    Unknown,
    /// A different key of the same type is recorded for this host.
    Changed {
        file: PathBuf,
        line: usize,
    },
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// The name a host is recorded under: `host`, or `[host]:port` off port 22.
pub fn host_pattern_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Checks `key` for `host:port` against every file (missing files count as empty).
pub fn check(files: &[PathBuf], host: &str, port: u16, key: &PublicKey) -> Verdict {
    let name = host_pattern_name(host, port);
    let mut known = false;
    let mut changed = None;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let Some(entry) = parse_line(raw) else { continue };
            if !hosts_match(entry.hosts, &name) {
                continue;
            }
            let Ok(recorded) = russh::keys::parse_public_key_base64(entry.key_b64) else { continue };
            let same = recorded.key_data() == key.key_data();
            match entry.marker {
                Some("@revoked") if same => return Verdict::Revoked { file: file.clone(), line: line_no },
                Some(_) => {}
                None if same => known = true,
                None if recorded.algorithm() == key.algorithm() && changed.is_none() => {
                    changed = Some((file.clone(), line_no));
                }
                None => {}
            }
        }
    }
    match (known, changed) {
        (true, _) => Verdict::Known,
        (false, Some((file, line))) => Verdict::Changed { file, line },
        (false, None) => Verdict::Unknown,
    }
}

/// Appends `host:port key` to `file` (creating it and its directory), as
/// OpenSSH does for `StrictHostKeyChecking=accept-new`.
pub fn learn(file: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let needs_newline = std::fs::read(file).map(|b| !b.is_empty() && !b.ends_with(b"\n")).unwrap_or(false);
    let openssh = key.to_openssh().map_err(std::io::Error::other)?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file)?;
    let mut line = String::new();
    if needs_newline {
        line.push('\n');
    }
    line.push_str(&host_pattern_name(host, port));
    line.push(' ');
    // `to_openssh` may carry a comment; the type and base64 are what matter.
    line.push_str(&openssh.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
    line.push('\n');
    f.write_all(line.as_bytes())
}

struct Entry<'a> {
    marker: Option<&'a str>,
    hosts: &'a str,
    key_b64: &'a str,
}

fn parse_line(raw: &str) -> Option<Entry<'_>> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let mut marker = None;
    if first.starts_with('@') {
        marker = Some(first);
        first = fields.next()?;
    }
    let _key_type = fields.next()?;
    let key_b64 = fields.next()?;
    Some(Entry { marker, hosts: first, key_b64 })
}

/// OpenSSH semantics: any negated match wins; otherwise any positive match.
fn hosts_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pat in patterns.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if glob_match(neg, name) {
                return false;
            }
        } else if pat.starts_with("|1|") {
            matched |= hashed_match(pat, name);
        } else if glob_match(pat, name) {
            matched = true;
        }
    }
    matched
}

fn hashed_match(pat: &str, name: &str) -> bool {
    let mut parts = pat.split('|').skip(2);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else { return false };
    let (Ok(salt), Ok(hash)) = (BASE64.decode(salt.as_bytes()), BASE64.decode(hash.as_bytes())) else { return false };
    let Ok(mac) = <hmac::Hmac<sha1::Sha1> as Mac>::new_from_slice(&salt) else { return false };
    mac.chain_update(name.as_bytes()).verify_slice(&hash).is_ok()
}

/// `*` and `?` wildcards, case-insensitive like OpenSSH host names.
fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.to_ascii_lowercase().chars().collect();
    let n: Vec<char> = name.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G1sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    fn file_with(text: &str) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, text).unwrap();
        (dir, vec![path])
    }

    #[test]
    fn plain_bracketed_and_wildcard_entries_match() {
        let (_d, files) =
            file_with(&format!("# c\n[127.0.0.1]:2201 ssh-ed25519 {KEY_A}\n*.example.org,!bad.example.org ssh-ed25519 {KEY_B}\n"));
        assert_eq!(check(&files, "127.0.0.1", 2201, &key(KEY_A)), Verdict::Known);
        assert_eq!(check(&files, "127.0.0.1", 22, &key(KEY_A)), Verdict::Unknown);
        assert_eq!(check(&files, "web.example.org", 22, &key(KEY_B)), Verdict::Known);
        assert_eq!(check(&files, "bad.example.org", 22, &key(KEY_B)), Verdict::Unknown);
    }

    #[test]
    fn changed_key_names_file_and_line() {
        let (_d, files) = file_with(&format!("other ssh-ed25519 {KEY_B}\n[h]:2222 ssh-ed25519 {KEY_B}\n"));
        assert_eq!(check(&files, "h", 2222, &key(KEY_A)), Verdict::Changed { file: files[0].clone(), line: 2 });
    }

    #[test]
    fn hashed_entries_match_like_ssh_keygen_writes_them() {
        // From russh's own test vector: `|1|…` hashes "example.com".
        let (_d, files) = file_with(&format!("|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_A}\n"));
        assert_eq!(check(&files, "example.com", 22, &key(KEY_A)), Verdict::Known);
        assert_eq!(check(&files, "example.net", 22, &key(KEY_A)), Verdict::Unknown);
    }

    #[test]
    fn revoked_key_is_refused_even_when_also_listed() {
        let (_d, files) =
            file_with(&format!("h ssh-ed25519 {KEY_A}\n@revoked * ssh-ed25519 {KEY_A}\n@cert-authority * ssh-ed25519 {KEY_B}\n"));
        assert_eq!(check(&files, "h", 22, &key(KEY_A)), Verdict::Revoked { file: files[0].clone(), line: 2 });
        // Another key of the same type for `h` is recorded on line 1.
        assert_eq!(check(&files, "h", 22, &key(KEY_B)), Verdict::Changed { file: files[0].clone(), line: 1 });
        assert_eq!(check(&files, "other", 22, &key(KEY_B)), Verdict::Unknown);
    }

    #[test]
    fn learn_appends_a_line_check_then_accepts() {
        let (_d, files) = file_with("x ssh-ed25519 AAAA");
        learn(&files[0], "127.0.0.1", 2300, &key(KEY_A)).unwrap();
        assert_eq!(check(&files, "127.0.0.1", 2300, &key(KEY_A)), Verdict::Known);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.ends_with(&format!("[127.0.0.1]:2300 ssh-ed25519 {KEY_A}\n")), "{text}");
    }
}
