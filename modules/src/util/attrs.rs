//! File attributes as Ansible's `mode`, `owner` and `group` arguments mean
//! them: mode as an octal string (`"0644"`), a number, or a symbolic
//! expression (`u=rwx,g=rx,o=`, `u+x`); owner and group by name or id.
//!
//! Modules first [`plan`] (query) and only then [`AttrChange::apply`] (act),
//! so check mode predicts exactly what a real run changes.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ModuleError;

/// What a mode argument asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeSpec {
    /// An absolute mode (`"0644"`, `"644"`, or the number 420 that YAML 1.1 makes of `0644`).
    Octal(u32),
    /// A symbolic expression applied to the current mode (`u+x,g-w`, `a=r`).
    Symbolic(String),
    /// `preserve`: keep the source's mode (copy with `remote_src`).
    Preserve,
}

/// The shape a `mode` argument may take, for the generated docs.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ModeArg {
    /// `"0644"`, `"u=rw,g=r,o="`, `"preserve"`.
    Text(String),
    /// A number, used as is (`0644` in YAML 1.1 is already 420).
    Number(u32),
}

const PERM_BITS: u32 = 0o7777;

impl ModeSpec {
    /// Parse as Ansible does: a string is tried as octal first, then as symbolic.
    pub fn parse(v: &Value) -> Result<ModeSpec, String> {
        match v {
            Value::Number(n) => {
                n.as_u64().filter(|m| *m <= u64::from(PERM_BITS)).map(|m| ModeSpec::Octal(m as u32)).ok_or_else(|| format!("bad mode {n}"))
            }
            Value::String(s) => {
                let s = s.trim();
                if s == "preserve" {
                    return Ok(ModeSpec::Preserve);
                }
                let digits = s.strip_prefix("0o").unwrap_or(s);
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    return u32::from_str_radix(digits, 8)
                        .ok()
                        .filter(|m| *m <= PERM_BITS)
                        .map(ModeSpec::Octal)
                        .ok_or_else(|| format!("mode must be in octal or symbolic form: {s:?}"));
                }
                // Validate now, so a bad expression fails when the plan is checked.
                apply_symbolic(s, 0o644, false, 0o022)?;
                Ok(ModeSpec::Symbolic(s.to_string()))
            }
            other => Err(format!("mode must be a string or a number, found {other}")),
        }
    }

    /// The absolute mode for a path whose permission bits are `current`.
    pub fn resolve(&self, current: u32, is_dir: bool, source_mode: Option<u32>) -> Result<u32, ModuleError> {
        match self {
            ModeSpec::Octal(m) => Ok(*m),
            ModeSpec::Symbolic(s) => apply_symbolic(s, current & PERM_BITS, is_dir, umask()).map_err(ModuleError::BadArgs),
            ModeSpec::Preserve => source_mode.ok_or_else(|| ModuleError::BadArgs("mode=preserve needs a source file".into())),
        }
    }
}

/// Deserializer for `mode` (`#[serde(default, deserialize_with = "attrs::de_mode")]`).
pub fn de_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModeSpec>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => ModeSpec::parse(&v).map(Some).map_err(D::Error::custom),
    }
}

/// Deserializer for `owner`/`group`: a name, or a numeric id given as a number.
pub fn de_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Err(D::Error::custom("owner/group must not be empty")),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) if n.is_u64() => Ok(Some(n.to_string())),
        other => Err(D::Error::custom(format!("expected a user/group name or id, found {other}"))),
    }
}

/// The process umask (read by setting and restoring it, as Python does).
pub fn umask() -> u32 {
    // SAFETY: umask only swaps the process's mask; we put the old one back at once.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old as u32
    }
}

/// `mode` for a new file or directory when none is asked for (0644 / 0755 under umask 022).
pub fn default_mode(is_dir: bool) -> u32 {
    (if is_dir { 0o777 } else { 0o666 }) & !umask()
}

/// Ansible's `_symbolic_mode_to_octal`, clause by clause.
pub fn apply_symbolic(expr: &str, current: u32, is_dir: bool, umask: u32) -> Result<u32, String> {
    let bad = || format!("bad symbolic permission for mode: {expr}");
    let mut mode = current & PERM_BITS;
    for clause in expr.split(',') {
        let op_at = clause.find(['+', '-', '=']).ok_or_else(bad)?;
        let (who, rest) = clause.split_at(op_at);
        if !who.chars().all(|c| "ugoa".contains(c)) {
            return Err(bad());
        }
        let use_umask = who.is_empty();
        let users: Vec<char> = if who.is_empty() || who.contains('a') { vec!['u', 'g', 'o'] } else { who.chars().collect() };
        // rest is a sequence of (operator, perms) pairs: "+x-w", "=rw".
        let mut pairs: Vec<(char, String)> = Vec::new();
        for c in rest.chars() {
            if "+-=".contains(c) {
                pairs.push((c, String::new()));
            } else if "rwxXstugo".contains(c) {
                pairs.last_mut().ok_or_else(bad)?.1.push(c);
            } else {
                return Err(bad());
            }
        }
        for (op, perms) in pairs {
            for &user in &users {
                let bits = perm_bits(user, &perms, mode, is_dir, use_umask, umask);
                mode = match op {
                    '=' => {
                        let mask = match user {
                            'u' => 0o4700,
                            'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & (mask ^ PERM_BITS)) | bits
                    }
                    '+' => mode | bits,
                    _ => mode & !bits,
                };
            }
        }
    }
    Ok(mode)
}

fn perm_bits(user: char, perms: &str, prev: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let shift = match user {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let rev_umask = umask ^ PERM_BITS;
    let masked = |b: u32| if use_umask { b & rev_umask } else { b };
    let apply_x = is_dir || prev & 0o111 != 0;
    let copy_from = |src_shift: u32| ((prev >> src_shift) & 0o7) << shift;
    perms.chars().fold(0, |acc, p| {
        acc | match p {
            'r' => masked(0o4 << shift),
            'w' => masked(0o2 << shift),
            'x' => masked(0o1 << shift),
            'X' if apply_x => 0o1 << shift,
            's' if user == 'u' => 0o4000,
            's' if user == 'g' => 0o2000,
            't' if user == 'o' => 0o1000,
            'u' => copy_from(6),
            'g' => copy_from(3),
            'o' => copy_from(0),
            _ => 0,
        }
    })
}

fn id_file_lookup(file: &str, pred: impl Fn(&[&str]) -> bool) -> Option<(String, u32)> {
    let text = fs::read_to_string(file).ok()?;
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() > 2)
        .find(|f| pred(f))
        .and_then(|f| Some((f[0].to_string(), f[2].parse().ok()?)))
}

/// The uid for a user name or numeric id.
pub fn uid_of(name: &str) -> Result<u32, ModuleError> {
    if let Some((_, id)) = id_file_lookup("/etc/passwd", |f| f[0] == name) {
        return Ok(id);
    }
    name.parse().map_err(|_| ModuleError::Failed(format!("chown failed: failed to look up user {name}")))
}

/// The gid for a group name or numeric id.
pub fn gid_of(name: &str) -> Result<u32, ModuleError> {
    if let Some((_, id)) = id_file_lookup("/etc/group", |f| f[0] == name) {
        return Ok(id);
    }
    name.parse().map_err(|_| ModuleError::Failed(format!("chgrp failed: failed to look up group {name}")))
}

/// The user name for a uid, if it has one.
pub fn user_name(uid: u32) -> Option<String> {
    id_file_lookup("/etc/passwd", |f| f[2].parse() == Ok(uid)).map(|(n, _)| n)
}

/// The group name for a gid, if it has one.
pub fn group_name(gid: u32) -> Option<String> {
    id_file_lookup("/etc/group", |f| f[2].parse() == Ok(gid)).map(|(n, _)| n)
}

/// `mode` as Ansible prints it: four octal digits in a string.
pub fn mode_string(mode: u32) -> String {
    format!("{:04o}", mode & PERM_BITS)
}

/// The `mode`/`owner`/`group` a task asks for.
#[derive(Debug, Clone, Default)]
pub struct FileAttrs {
    pub mode: Option<ModeSpec>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl FileAttrs {
    pub fn new(mode: &Option<ModeSpec>, owner: &Option<String>, group: &Option<String>) -> Self {
        FileAttrs { mode: mode.clone(), owner: owner.clone(), group: group.clone() }
    }

    /// Resolve owner and group to ids (fails early on an unknown name).
    pub fn ids(&self) -> Result<(Option<u32>, Option<u32>), ModuleError> {
        Ok((self.owner.as_deref().map(uid_of).transpose()?, self.group.as_deref().map(gid_of).transpose()?))
    }

    /// The mode to create a new file or directory with.
    pub fn mode_for_new(&self, is_dir: bool, source_mode: Option<u32>) -> Result<u32, ModuleError> {
        let base = default_mode(is_dir);
        match &self.mode {
            Some(m) => m.resolve(base, is_dir, source_mode),
            None => Ok(base),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}

/// `key: value` pairs for one side of a diff.
pub type Fields = Vec<(String, String)>;

/// What would change on one path: `(before, after)` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttrChange {
    pub path: PathBuf,
    pub mode: Option<(u32, u32)>,
    pub uid: Option<(u32, u32)>,
    pub gid: Option<(u32, u32)>,
    /// Act on the link itself, not its target.
    pub no_follow: bool,
}

/// Decide what `attrs` would change on `path` (which must exist). With
/// `follow` false a symlink's own owner is planned and its mode left alone
/// (Linux has no lchmod), as Ansible does.
pub fn plan(path: &Path, attrs: &FileAttrs, follow: bool, source_mode: Option<u32>) -> Result<AttrChange, ModuleError> {
    let meta = if follow { fs::metadata(path) } else { fs::symlink_metadata(path) }
        .map_err(|e| ModuleError::io(format!("stat {}", path.display()), e))?;
    let mut change = AttrChange { path: path.to_path_buf(), no_follow: !follow, ..Default::default() };
    if attrs.is_empty() {
        return Ok(change);
    }
    let (uid, gid) = attrs.ids()?;
    if let Some(want) = uid.filter(|u| *u != meta.uid()) {
        change.uid = Some((meta.uid(), want));
    }
    if let Some(want) = gid.filter(|g| *g != meta.gid()) {
        change.gid = Some((meta.gid(), want));
    }
    if let Some(spec) = &attrs.mode {
        if !meta.file_type().is_symlink() {
            let cur = meta.permissions().mode() & PERM_BITS;
            let want = spec.resolve(cur, meta.is_dir(), source_mode)?;
            if want != cur {
                change.mode = Some((cur, want));
            }
        }
    }
    Ok(change)
}

impl AttrChange {
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.uid.is_none() && self.gid.is_none()
    }

    /// Make the planned change. Ownership first: chown clears setuid bits.
    pub fn apply(&self) -> Result<(), ModuleError> {
        let p = &self.path;
        if self.uid.is_some() || self.gid.is_some() {
            let (u, g) = (self.uid.map(|c| c.1), self.gid.map(|c| c.1));
            let r = if self.no_follow { std::os::unix::fs::lchown(p, u, g) } else { std::os::unix::fs::chown(p, u, g) };
            r.map_err(|e| ModuleError::io(format!("chown failed on {}", p.display()), e))?;
        }
        if let Some((_, m)) = self.mode {
            fs::set_permissions(p, fs::Permissions::from_mode(m))
                .map_err(|e| ModuleError::io(format!("chmod failed on {}", p.display()), e))?;
        }
        Ok(())
    }

    /// Before/after text lines for `--diff` (`mode: '0644'`, `owner: 0`).
    pub fn diff_fields(&self) -> (Fields, Fields) {
        let mut before = Vec::new();
        let mut after = Vec::new();
        if let Some((b, a)) = self.mode {
            before.push(("mode".into(), mode_string(b)));
            after.push(("mode".into(), mode_string(a)));
        }
        if let Some((b, a)) = self.uid {
            before.push(("owner".into(), b.to_string()));
            after.push(("owner".into(), a.to_string()));
        }
        if let Some((b, a)) = self.gid {
            before.push(("group".into(), b.to_string()));
            after.push(("group".into(), a.to_string()));
        }
        (before, after)
    }
}

/// Ansible's `add_path_info`: `state`, `mode`, `uid`, `gid`, `owner`, `group`, `size`.
pub fn path_info(path: &Path) -> Map<String, Value> {
    let mut m = Map::new();
    let Ok(meta) = fs::symlink_metadata(path) else {
        m.insert("state".into(), "absent".into());
        return m;
    };
    let state = if meta.file_type().is_symlink() {
        "link"
    } else if meta.is_dir() {
        "directory"
    } else if meta.nlink() > 1 {
        "hard"
    } else {
        "file"
    };
    // lstat, as Ansible: a link reports its own mode (0777) and size.
    m.insert("state".into(), state.into());
    m.insert("mode".into(), mode_string(meta.permissions().mode()).into());
    m.insert("uid".into(), meta.uid().into());
    m.insert("gid".into(), meta.gid().into());
    m.insert("owner".into(), user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string()).into());
    m.insert("group".into(), group_name(meta.gid()).unwrap_or_else(|| meta.gid().to_string()).into());
    m.insert("size".into(), meta.size().into());
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn octal_forms() {
        assert_eq!(ModeSpec::parse(&json!("0644")), Ok(ModeSpec::Octal(0o644)));
        assert_eq!(ModeSpec::parse(&json!("755")), Ok(ModeSpec::Octal(0o755)));
        assert_eq!(ModeSpec::parse(&json!(420)), Ok(ModeSpec::Octal(0o644)));
        assert_eq!(ModeSpec::parse(&json!("01777")), Ok(ModeSpec::Octal(0o1777)));
        assert!(ModeSpec::parse(&json!("0999")).is_err());
        assert!(ModeSpec::parse(&json!("u=rwz")).is_err());
        assert!(ModeSpec::parse(&json!("rw")).is_err());
    }

    // Expected values checked against ansible-core 2.19 `file` on a 0644 file / 0755 dir (umask 022).
    #[test]
    fn symbolic_like_ansible() {
        assert_eq!(apply_symbolic("u=rwx,g=rx,o=", 0o644, false, 0o022), Ok(0o750));
        assert_eq!(apply_symbolic("u+x", 0o644, false, 0o022), Ok(0o744));
        assert_eq!(apply_symbolic("a-w", 0o664, false, 0o022), Ok(0o444));
        assert_eq!(apply_symbolic("+w", 0o444, false, 0o022), Ok(0o644), "no who: umask masks the bits");
        assert_eq!(apply_symbolic("go=u", 0o700, false, 0o022), Ok(0o777));
        assert_eq!(apply_symbolic("a+X", 0o644, false, 0o022), Ok(0o644), "X only for dirs or already-executable");
        assert_eq!(apply_symbolic("a+X", 0o644, true, 0o022), Ok(0o755));
        assert_eq!(apply_symbolic("u+s,o+t", 0o755, true, 0o022), Ok(0o5755));
        assert_eq!(apply_symbolic("u=rw,u+x-w", 0o000, false, 0o022), Ok(0o500));
    }
}
