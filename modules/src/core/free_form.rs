//! The `key=value` options Ansible accepts inside a free-form `command`/`shell`
//! line (`command: tar xzf a.tgz creates=/opt/a chdir=/opt`). Ansible's parser
//! pulls them out before the module runs; the executor may already have done
//! so, and doing it again here is harmless (nothing is left to pull out).
//! Everything else in the line is kept byte for byte (newlines of a script too).

use crate::ModuleError;

/// Options found in a free-form line.
#[derive(Debug, Default, PartialEq)]
pub struct FreeFormOptions {
    pub creates: Option<String>,
    pub removes: Option<String>,
    pub chdir: Option<String>,
    pub executable: Option<String>,
    pub stdin: Option<String>,
    pub stdin_add_newline: Option<bool>,
    pub strip_empty_ends: Option<bool>,
}

const KEYS: &[&str] = &["creates", "removes", "chdir", "executable", "warn", "stdin", "stdin_add_newline", "strip_empty_ends"];

/// Byte spans of the whitespace-separated words of `line` (quotes and backslashes respected).
fn word_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let (mut start, mut quote, mut escaped) = (None::<usize>, None::<char>, false);
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, quote) {
            ('\\', _) => escaped = true,
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (c, None) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    spans.push((s, i));
                }
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        spans.push((s, line.len()));
    }
    spans
}

/// Split a free-form line into the command text and its `key=value` options.
pub fn split(line: &str) -> Result<(String, FreeFormOptions), ModuleError> {
    let mut opts = FreeFormOptions::default();
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for (s, e) in word_spans(line) {
        let word = &line[s..e];
        let Some((key, raw_value)) = word.split_once('=') else { continue };
        if !KEYS.contains(&key) {
            continue;
        }
        let value = match shlex::split(raw_value) {
            Some(v) if v.len() == 1 => v.into_iter().next().unwrap_or_default(),
            Some(v) if v.is_empty() => String::new(),
            _ => raw_value.to_string(),
        };
        let flag = |v: &str| {
            crate::util::boolish::parse(&serde_json::Value::String(v.to_string()))
                .ok_or_else(|| ModuleError::BadArgs(format!("{key}={v} is not a boolean")))
        };
        match key {
            "creates" => opts.creates = Some(value),
            "removes" => opts.removes = Some(value),
            "chdir" => opts.chdir = Some(value),
            "executable" => opts.executable = Some(value),
            "stdin" => opts.stdin = Some(value),
            "stdin_add_newline" => opts.stdin_add_newline = Some(flag(&value)?),
            "strip_empty_ends" => opts.strip_empty_ends = Some(flag(&value)?),
            _ => return Err(ModuleError::BadArgs(format!("Unsupported parameters: {key}"))),
        }
        cut.push((s, e));
    }
    if cut.is_empty() {
        return Ok((line.to_string(), opts));
    }
    let mut rest = String::with_capacity(line.len());
    let mut pos = 0;
    for (s, e) in cut {
        rest.push_str(&line[pos..s]);
        pos = e;
    }
    rest.push_str(&line[pos..]);
    Ok((rest.trim_end_matches([' ', '\t']).to_string(), opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_pulled_out_and_the_rest_kept() {
        let (cmd, o) = split("tar xzf 'a b.tgz' creates=/opt/a chdir=\"/tmp/x y\"").unwrap();
        assert_eq!(cmd, "tar xzf 'a b.tgz'");
        assert_eq!((o.creates.as_deref(), o.chdir.as_deref()), (Some("/opt/a"), Some("/tmp/x y")));
        let script = "if true; then\n  echo 'creates=no'\nfi removes=/x";
        let (cmd, o) = split(script).unwrap();
        assert_eq!(cmd, "if true; then\n  echo 'creates=no'\nfi");
        assert_eq!(o.removes.as_deref(), Some("/x"));
        assert_eq!(split("echo a=b").unwrap(), ("echo a=b".to_string(), FreeFormOptions::default()));
        assert!(split("echo hi warn=false").is_err());
        assert_eq!(split("cat stdin_add_newline=no").unwrap().1.stdin_add_newline, Some(false));
    }
}
