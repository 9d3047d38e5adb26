//! Before/after pairs for `--diff`, shaped like Ansible's: edited content
//! with `path (content)` headers (lineinfile, blockinfile, replace), copied
//! content with the destination as header (copy, template), and
//! attributes/state as the JSON object the file module reports.

use std::path::Path;

use crate::module::Diff;

/// Text for one side of a content diff; binary data is summarised, not dumped.
pub fn text_of(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => String::new(),
        Some(b) if b.contains(&0) => format!("(binary content, {} bytes)\n", b.len()),
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => s.to_string(),
            Err(_) => format!("(binary content, {} bytes)\n", b.len()),
        },
    }
}

/// A content diff; `None` means the file does not exist on that side.
pub fn content(path: &Path, before: Option<&[u8]>, after: Option<&[u8]>) -> Diff {
    let header = format!("{} (content)", path.display());
    Diff { before_header: Some(header.clone()), after_header: Some(header), before: text_of(before), after: text_of(after) }
}

/// A diff of named fields, as Ansible's file module reports it: a JSON
/// object per side (`{"path": …, "state": "absent"}`), sorted, indented by
/// four, no headers.
pub fn fields(path: &Path, before: &[(String, String)], after: &[(String, String)]) -> Diff {
    let render = |kv: &[(String, String)]| {
        let mut m: std::collections::BTreeMap<&str, &str> = kv.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let p = path.to_string_lossy();
        m.insert("path", &p);
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(b"    "));
        match serde::Serialize::serialize(&m, &mut ser) {
            Ok(()) => String::from_utf8_lossy(&buf).into_owned() + "\n",
            Err(_) => String::new(),
        }
    };
    Diff { before_header: None, after_header: None, before: render(before), after: render(after) }
}

/// Copied content (copy, template), headed as Ansible's copy action heads it:
/// the destination on both sides, no before header when it did not exist.
pub fn copied(path: &Path, before: Option<&[u8]>, after: Option<&[u8]>) -> Diff {
    let header = path.display().to_string();
    Diff { before_header: before.map(|_| header.clone()), after_header: Some(header), before: text_of(before), after: text_of(after) }
}

/// A `state` transition diff, as `file` reports it.
pub fn state(path: &Path, before: &str, after: &str) -> Diff {
    fields(path, &[("state".into(), before.into())], &[("state".into(), after.into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_binary() {
        let d = content(Path::new("/x"), None, Some(b"a\n"));
        assert_eq!((d.before.as_str(), d.after.as_str()), ("", "a\n"));
        assert_eq!(d.before_header.as_deref(), Some("/x (content)"));
        assert_eq!(text_of(Some(&[0, 1, 2])), "(binary content, 3 bytes)\n");
        let f = state(Path::new("/d"), "absent", "directory");
        assert_eq!(f.after, "{\n    \"path\": \"/d\",\n    \"state\": \"directory\"\n}\n");
        assert_eq!(f.before_header, None);
        let c = copied(Path::new("/x"), None, Some(b"a\n"));
        assert_eq!((c.before_header.as_deref(), c.after_header.as_deref()), (None, Some("/x")));
    }
}
