//! The one place that knows what is secret, so that no output channel prints it.
//!
//! Two halves:
//! - [`Secret<T>`]: a value that prints as `********` in Display, Debug and serde.
//!   Vault passwords and decrypted vault bytes travel in it.
//! - the run's **redactor**: every plaintext that came out of a vault (an inline
//!   `!vault` scalar, every value of a vaulted file) is registered here. Variables
//!   stay plain `serde_json::Value`s so templates and module arguments see the
//!   real text; instead, every output channel (text, JSON events, diffs, ad hoc,
//!   diagnostics) passes through [`redact`] or a [`RedactingWriter`].
//!
//! Limits (see docs/vault.md): values shorter than [`MIN_SECRET_LEN`] and
//! booleans/nulls are not registered (they would blank out unrelated output);
//! a secret transformed by a template (`| b64encode`, `| upper`, sliced) is a
//! different text and is not recognised.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, RwLock};

use serde_json::Value;

/// What a secret is replaced with in output.
pub const MASK: &str = "********";

/// Shorter plaintexts are not redacted: masking every `yes` or `22` would make
/// output unreadable without hiding anything worth hiding.
pub const MIN_SECRET_LEN: usize = 4;

/// Ansible's wording for a result hidden by `no_log`.
pub const NO_LOG_MESSAGE: &str = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// A value that never prints itself.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The plaintext, for the code that must use it (decryption, templating).
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

/// The plaintexts known to be secret in this process, longest first so that
/// a secret containing another is masked whole.
static KNOWN: RwLock<Vec<Arc<str>>> = RwLock::new(Vec::new());

/// Register one plaintext as secret (and the forms it takes in JSON and
/// line-by-line output: its JSON-escaped text and each of its lines).
pub fn register(plaintext: &str) {
    let mut forms: Vec<String> = vec![plaintext.to_string()];
    let escaped = serde_json::to_string(plaintext).unwrap_or_default();
    forms.push(escaped[1..escaped.len().saturating_sub(1).max(1)].to_string());
    forms.extend(plaintext.lines().map(str::to_string));
    let Ok(mut known) = KNOWN.write() else { return };
    for f in forms {
        if f.trim().chars().count() >= MIN_SECRET_LEN && !known.iter().any(|k| **k == *f) {
            known.push(Arc::from(f.as_str()));
        }
    }
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
}

/// Register every scalar inside a value (a decrypted vars file).
pub fn register_value(value: &Value) {
    match value {
        Value::String(s) => register(s),
        Value::Number(n) => register(&n.to_string()),
        Value::Array(items) => items.iter().for_each(register_value),
        Value::Object(map) => map.values().for_each(register_value),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Files that were vault-encrypted: diagnostics show no excerpt of them.
static SECRET_SOURCES: RwLock<Vec<std::path::PathBuf>> = RwLock::new(Vec::new());

/// Remember that a file's text is secret (it was decrypted).
pub fn mark_secret_source(path: &std::path::Path) {
    if let Ok(mut s) = SECRET_SOURCES.write() {
        if !s.iter().any(|p| p == path) {
            s.push(path.to_path_buf());
        }
    }
}

pub fn is_secret_source(path: &std::path::Path) -> bool {
    SECRET_SOURCES.read().map(|s| s.iter().any(|p| p == path)).unwrap_or(false)
}

/// The text with every registered secret replaced by [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(known) = KNOWN.read() else { return Cow::Borrowed(text) };
    let mut out = Cow::Borrowed(text);
    for k in known.iter() {
        if out.contains(&**k) {
            out = Cow::Owned(out.replace(&**k, MASK));
        }
    }
    out
}

/// A writer that masks secrets line by line before passing output on; every
/// run output (text, JSON, ad hoc) is written through one.
pub struct RedactingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W) -> Self {
        RedactingWriter { inner, pending: Vec::new() }
    }

    fn write_redacted(&mut self, bytes: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        self.inner.write_all(redact(&text).as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last_newline) = self.pending.iter().rposition(|b| *b == b'\n') {
            let rest = self.pending.split_off(last_newline + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            self.write_redacted(&lines)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.write_redacted(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_type_never_prints_its_value() {
        let s = Secret::new("hunter2-in-a-test".to_string());
        assert_eq!(format!("{s} {s:?}"), "******** ********");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"********\"");
        assert_eq!(s.expose(), "hunter2-in-a-test");
    }

    #[test]
    fn redacts_registered_text_in_all_its_forms() {
        register("unit-test-secret \"quoted\"\nsecond-line-of-it");
        let json = serde_json::to_string(&serde_json::json!({"msg": "unit-test-secret \"quoted\"\nsecond-line-of-it"})).unwrap();
        assert!(!redact(&json).contains("unit-test-secret"), "{}", redact(&json));
        assert_eq!(redact("a second-line-of-it b"), "a ******** b");
        assert_eq!(redact("nothing here"), "nothing here");
    }

    #[test]
    fn short_values_are_not_registered() {
        register("ab");
        assert_eq!(redact("ab cab"), "ab cab");
    }

    #[test]
    fn writer_redacts_across_write_calls() {
        register("split-across-writes-secret");
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut out);
            w.write_all(b"x split-across-").unwrap();
            w.write_all(b"writes-secret y\nlast").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "x ******** y\nlast");
    }
}
