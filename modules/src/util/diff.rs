//! Before/after pairs for `--diff`, shaped like Ansible's: file content with
//! `path (content)` headers, and attributes/state as `key: value` lines.

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

/// A diff of named fields (`state: absent` → `state: directory`).
pub fn fields(path: &Path, before: &[(String, String)], after: &[(String, String)]) -> Diff {
    let render = |kv: &[(String, String)]| {
        let mut s = format!("path: {}\n", path.display());
        for (k, v) in kv {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s
    };
    let header = format!("{} (file attributes)", path.display());
    Diff { before_header: Some(header.clone()), after_header: Some(header), before: render(before), after: render(after) }
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
        assert_eq!(f.after, "path: /d\nstate: directory\n");
    }
}
