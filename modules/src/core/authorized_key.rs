//! `authorized_key` (ansible.posix): SSH keys in a user's `authorized_keys`.
//! Keys are identified by their key blob, as Ansible does: the same key with
//! other options or comment is replaced in place; other lines are kept as they
//! are. The file is written atomically, mode 0600, owned by the user.
//! Fetching `key` from a URL is not supported (give the key text).

use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use super::group::PresentAbsent;
use crate::module::Diff;
use crate::util::accounts;
use crate::util::fs as ufs;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Add or remove SSH authorized keys for a user.
///
/// Keys are matched by their key blob, as ansible.posix does; the file is written
/// atomically (mode 0600, owned by the user). `key` must be the key text (URLs are
/// not fetched).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizedKey {
    /// The account whose keys are managed.
    pub user: String,
    /// One key, or several keys one per line, in `authorized_keys` format.
    pub key: String,
    /// The keys file (default `~USER/.ssh/authorized_keys`).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Create the key directory (mode 0700, owned by the user) when needed.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub manage_dir: bool,
    /// Whether the key(s) should be in the file.
    #[serde(default = "present")]
    pub state: PresentAbsent,
    /// Options prepended to the key (`no-port-forwarding,from="10.0.0.1"`), replacing the key's own.
    #[serde(default)]
    pub key_options: Option<String>,
    /// Remove every other key from the file.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub exclusive: bool,
    /// Replace the key's comment.
    #[serde(default)]
    pub comment: Option<String>,
}

fn yes() -> bool {
    true
}
fn present() -> PresentAbsent {
    PresentAbsent::Present
}

/// A parsed key line: options, type, blob, comment.
#[derive(Debug, Clone, PartialEq)]
struct KeyLine {
    options: Vec<String>,
    kind: String,
    blob: String,
    comment: String,
}

fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-sha2-") || t.starts_with("sk-ssh-") || t.starts_with("sk-ecdsa-")
}

/// Split on `sep` outside double quotes (options may contain quoted commas or spaces).
fn split_unquoted(s: &str, sep: char) -> Vec<String> {
    let (mut parts, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c == sep && !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

impl KeyLine {
    fn parse(line: &str) -> Option<KeyLine> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let words = split_unquoted(line, ' ');
        let at = words.iter().position(|w| is_key_type(w))?;
        if at > 1 {
            return None;
        }
        let options = words.first().filter(|_| at == 1).map(|o| split_unquoted(o, ',')).unwrap_or_default();
        let blob = words.get(at + 1)?.clone();
        Some(KeyLine { options, kind: words[at].clone(), blob, comment: words[at + 2..].join(" ") })
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if !self.options.is_empty() {
            s.push_str(&self.options.join(","));
            s.push(' ');
        }
        s.push_str(&self.kind);
        s.push(' ');
        s.push_str(&self.blob);
        if !self.comment.is_empty() {
            s.push(' ');
            s.push_str(&self.comment);
        }
        s
    }
}

impl AuthorizedKey {
    fn wanted_keys(&self) -> Result<Vec<KeyLine>, ModuleError> {
        let mut keys = Vec::new();
        for line in self.key.lines().filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#')) {
            let mut k = KeyLine::parse(line).ok_or_else(|| ModuleError::BadArgs(format!("invalid key specified: {line}")))?;
            if let Some(o) = &self.key_options {
                k.options = split_unquoted(o, ',');
            }
            if let Some(c) = &self.comment {
                k.comment = c.clone();
            }
            keys.push(k);
        }
        if keys.is_empty() && self.state == PresentAbsent::Present && !self.exclusive {
            return Err(ModuleError::BadArgs("invalid key specified: no key given".into()));
        }
        Ok(keys)
    }

    /// The new file content from the current one.
    fn desired(&self, current: &str, wanted: &[KeyLine]) -> String {
        let mut lines: Vec<String> = Vec::new();
        let mut placed = vec![false; wanted.len()];
        for line in current.lines() {
            match KeyLine::parse(line) {
                Some(k) => match wanted.iter().position(|w| w.blob == k.blob) {
                    Some(i) if self.state == PresentAbsent::Present => {
                        if !placed[i] {
                            lines.push(wanted[i].render());
                            placed[i] = true;
                        }
                    }
                    Some(_) => {}
                    None if self.exclusive => {}
                    None => lines.push(line.to_string()),
                },
                None => lines.push(line.to_string()),
            }
        }
        if self.state == PresentAbsent::Present {
            lines.extend(wanted.iter().zip(&placed).filter(|(_, p)| !**p).map(|(w, _)| w.render()));
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

fn ensure_dir(dir: &Path, uid: u32, gid: u32) -> Result<(), ModuleError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| ModuleError::io(format!("creating {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ModuleError::io(format!("chmod {}", dir.display()), e))?;
    chown(dir, Some(uid), Some(gid)).map_err(|e| ModuleError::io(format!("chown {}", dir.display()), e))
}

impl Module for AuthorizedKey {
    const NAME: &'static str = "authorized_key";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let account = accounts::user(&self.user)?.ok_or_else(|| ModuleError::Failed(format!("Failed to lookup user {}", self.user)))?;
        let path = self.path.clone().unwrap_or_else(|| Path::new(&account.home).join(".ssh").join("authorized_keys"));
        let wanted = self.wanted_keys()?;
        let before = ufs::read_if_exists(&path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
        let dir_missing = path.parent().is_some_and(|d| !d.exists());
        if dir_missing && !self.manage_dir && self.state == PresentAbsent::Present {
            return Err(ModuleError::Failed(format!(
                "{} does not exist and manage_dir is false",
                path.parent().unwrap_or(&path).display()
            )));
        }
        let before_text = before.clone().unwrap_or_default();
        let after = self.desired(&before_text, &wanted);
        let changed = after != before_text || (before.is_none() && self.state == PresentAbsent::Present);
        if changed && !ctx.check_mode {
            if let Some(dir) = path.parent().filter(|_| self.manage_dir) {
                if dir_missing {
                    ensure_dir(dir, account.uid, account.gid)?;
                }
            }
            ufs::write_atomic(&path, after.as_bytes(), Some(0o600))?;
            chown(&path, Some(account.uid), Some(account.gid)).map_err(|e| ModuleError::io(format!("chown {}", path.display()), e))?;
        }
        let mut o = Outcome::changed(changed)
            .with("user", self.user.clone())
            .with("key", self.key.clone())
            .with("keyfile", path.display().to_string())
            .with("path", self.path.as_ref().map(|p| p.display().to_string()))
            .with("manage_dir", self.manage_dir)
            .with("exclusive", self.exclusive)
            .with("key_options", self.key_options.clone())
            .with("state", if self.state == PresentAbsent::Present { "present" } else { "absent" });
        if changed && ctx.diff {
            let header = Some(path.display().to_string());
            o.diff.push(Diff { before_header: header.clone(), after_header: header, before: before_text, after });
        }
        Ok(o)
    }
}

register_module!(AuthorizedKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options_with_quoted_commas_and_spaces() {
        let k = KeyLine::parse(r#"from="a,b",command="echo hi" ssh-ed25519 AAAAC3 me@host extra"#).unwrap();
        assert_eq!(k.options, [r#"from="a,b""#, r#"command="echo hi""#]);
        assert_eq!((k.kind.as_str(), k.blob.as_str(), k.comment.as_str()), ("ssh-ed25519", "AAAAC3", "me@host extra"));
        assert_eq!(k.render(), r#"from="a,b",command="echo hi" ssh-ed25519 AAAAC3 me@host extra"#);
        assert!(KeyLine::parse("# a comment").is_none());
    }
}
