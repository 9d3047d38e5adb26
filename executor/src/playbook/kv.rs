//! Ansible's `k=v` argument strings (`parse_kv`): `copy: src=a dest="b c"`.
//! Words are split on white space outside quotes and outside `{{ }}`/`{% %}`;
//! words without `=` form the free-form `_raw_params`.

use serde_json::{Map, Value};

/// Split like Ansible's `split_args`: quotes and Jinja blocks keep spaces.
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize; // inside {{ }}, {% %}, {# #}
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut in_word = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if quote.is_none() && (c == '{' && matches!(next, Some('{' | '%' | '#'))) {
            depth += 1;
            cur.push(c);
            cur.push(next.unwrap_or_default());
            i += 2;
            in_word = true;
            continue;
        }
        if quote.is_none() && depth > 0 && matches!(c, '}' | '%' | '#') && next == Some('}') {
            depth -= 1;
            cur.push(c);
            cur.push('}');
            i += 2;
            continue;
        }
        match quote {
            Some(q) if c == q && (i == 0 || chars[i - 1] != '\\') => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if depth == 0 && (c == '"' || c == '\'') && (i == 0 || chars[i - 1] != '\\') => {
                quote = Some(c);
                cur.push(c);
                in_word = true;
            }
            None if depth == 0 && c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    if quote.is_some() {
        return Err(format!("unbalanced quotes in `{text}`"));
    }
    if depth > 0 {
        return Err(format!("unbalanced Jinja braces in `{text}`"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Remove one level of matching outer quotes, as Ansible's `unquote`.
fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        return s[1..s.len() - 1].to_string();
    }
    s.to_string()
}

/// How a module takes words that are not `k=v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeForm {
    /// Every word must be `k=v`.
    No,
    /// A lone word is `_raw_params` (`include_vars: file.yml`); any `k=v` is an option.
    Raw,
    /// A command line: only the module's known options are taken as `k=v`
    /// (`chdir=`, `creates=`, …); `echo a=b` stays part of the command.
    Command,
}

/// `k=v` words into a map; other words joined into `_raw_params`.
pub fn parse_kv(text: &str, free_form: FreeForm) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let mut raw = Vec::new();
    for orig in split_args(text)? {
        // As Ansible: options see the word with its escapes decoded, free-form words do not.
        let word = decode_escapes(&orig);
        let option = match word.split_once('=') {
            Some((k, _)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                free_form != FreeForm::Command || COMMAND_OPTIONS.contains(&k)
            }
            _ => false,
        };
        match word.split_once('=') {
            Some((k, v)) if option => {
                out.insert(k.to_string(), Value::String(unquote(v)));
            }
            _ => raw.push(orig),
        }
    }
    if !raw.is_empty() {
        if free_form == FreeForm::No {
            return Err(format!("`{}` is not in key=value form", raw.join(" ")));
        }
        out.insert("_raw_params".into(), Value::String(raw.join(" ")));
    }
    Ok(out)
}

/// Python's `unicode-escape` for the sequences Ansible's `_decode_escapes`
/// picks out (`\n`, `\t`, `\\`, `\"`, `\x41`, `\u00e9`, `\U0001F600`, …);
/// anything else (`\d`, `\s`, a lone `\`) is left as written.
fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let hex =
            |n: usize| after.get(1..=n).filter(|h| h.chars().all(|c| c.is_ascii_hexdigit())).and_then(|h| u32::from_str_radix(h, 16).ok());
        let (decoded, used) = match after.chars().next() {
            Some(c @ ('\\' | '\'' | '"')) => (Some(c), 1),
            Some('a') => (Some('\u{7}'), 1),
            Some('b') => (Some('\u{8}'), 1),
            Some('f') => (Some('\u{c}'), 1),
            Some('n') => (Some('\n'), 1),
            Some('r') => (Some('\r'), 1),
            Some('t') => (Some('\t'), 1),
            Some('v') => (Some('\u{b}'), 1),
            Some('x') => (hex(2).and_then(char::from_u32), 3),
            Some('u') => (hex(4).and_then(char::from_u32), 5),
            Some('U') => (hex(8).and_then(char::from_u32), 9),
            _ => (None, 0),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

const COMMAND_OPTIONS: &[&str] = &["chdir", "creates", "removes", "executable", "stdin", "stdin_add_newline", "strip_empty_ends", "warn"];

/// How each module takes a string of arguments.
pub fn free_form(module: &str) -> FreeForm {
    match module {
        "command" | "shell" | "raw" | "script" => FreeForm::Command,
        "include_tasks" | "import_tasks" | "include_vars" | "import_playbook" | "include_role" | "import_role" | "meta" | "group_by"
        | "add_host" | "debug" | "fail" | "pause" => FreeForm::Raw,
        _ => FreeForm::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_quotes_and_jinja() {
        assert_eq!(
            split_args(r#"a=1 b="x y" c={{ foo | default('a b') }}"#).unwrap(),
            vec!["a=1", "b=\"x y\"", "c={{ foo | default('a b') }}"]
        );
    }

    #[test]
    fn kv_and_free_form() {
        assert_eq!(Value::Object(parse_kv("src=a dest='b c'", FreeForm::No).unwrap()), json!({"src": "a", "dest": "b c"}));
        assert_eq!(
            Value::Object(parse_kv("truncate -s 1M {{ d }}/x creates=/tmp/y", FreeForm::Command).unwrap()),
            json!({"creates": "/tmp/y", "_raw_params": "truncate -s 1M {{ d }}/x"})
        );
        assert_eq!(Value::Object(parse_kv("echo a=b", FreeForm::Command).unwrap()), json!({"_raw_params": "echo a=b"}));
        assert!(parse_kv("just words", FreeForm::No).is_err());
        assert!(parse_kv("a='open", FreeForm::No).is_err());
        assert_eq!(Value::Object(parse_kv("vars.yml", FreeForm::Raw).unwrap()), json!({"_raw_params": "vars.yml"}));
    }

    /// What ansible-core 2.19's parse_kv gives for the same words (checked with `ansible -m debug -a`).
    #[test]
    fn option_values_have_escapes_decoded_free_form_words_not() {
        assert_eq!(
            Value::Object(parse_kv(r#"content="a\nb\t\x41\u00e9" regexp=^\d+\\s"#, FreeForm::No).unwrap()),
            json!({"content": "a\nb\tAé", "regexp": "^\\d+\\s"})
        );
        assert_eq!(
            Value::Object(parse_kv(r#"printf 'a\n' creates=/tmp/x\ty"#, FreeForm::Command).unwrap()),
            json!({"_raw_params": "printf 'a\\n'", "creates": "/tmp/x\ty"})
        );
        assert_eq!(decode_escapes(r"trailing \"), r"trailing \");
        assert_eq!(decode_escapes(r"\xZZ \u12"), r"\xZZ \u12");
    }
}
