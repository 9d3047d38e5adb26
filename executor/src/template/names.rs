//! Finds filters, tests and lookups a template names that do not exist, so `dpctl check` can
//! report them before anything runs (Jinja itself only fails when the line is rendered).

use super::error::{TemplateError, TemplateErrorKind};
use super::rewrite::{find_close, find_open};

/// minijinja's built-in filters plus ours (see `filters/`).
const FILTERS: &[&str] = &[
    "safe",
    "escape",
    "e",
    "lower",
    "upper",
    "title",
    "capitalize",
    "replace",
    "length",
    "count",
    "dictsort",
    "items",
    "reverse",
    "trim",
    "join",
    "split",
    "lines",
    "default",
    "d",
    "round",
    "abs",
    "int",
    "float",
    "attr",
    "first",
    "last",
    "min",
    "max",
    "sort",
    "list",
    "string",
    "bool",
    "batch",
    "slice",
    "sum",
    "indent",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
    "map",
    "groupby",
    "unique",
    "chain",
    "zip",
    "pprint",
    "format",
    "tojson",
    "urlencode",
    "ternary",
    "mandatory",
    "type_debug",
    "regex_replace",
    "regex_search",
    "regex_findall",
    "regex_escape",
    "quote",
    "comment",
    "b64encode",
    "b64decode",
    "hash",
    "md5",
    "sha1",
    "checksum",
    "basename",
    "dirname",
    "splitext",
    "union",
    "intersect",
    "difference",
    "symmetric_difference",
    "flatten",
    "product",
    "dict2items",
    "items2dict",
    "combine",
    "extract",
    "subelements",
    "path_join",
    "expanduser",
    "normpath",
    "center",
    "wordcount",
    "to_json",
    "to_nice_json",
    "from_json",
    "to_yaml",
    "to_nice_yaml",
    "from_yaml",
    "json_query",
    "password_hash",
];

/// minijinja's built-in tests plus ours (see `tests.rs`).
const TESTS: &[&str] = &[
    "undefined",
    "defined",
    "none",
    "safe",
    "escaped",
    "boolean",
    "odd",
    "even",
    "divisibleby",
    "number",
    "integer",
    "int",
    "float",
    "string",
    "sequence",
    "iterable",
    "mapping",
    "startingwith",
    "endingwith",
    "lower",
    "upper",
    "sameas",
    "eq",
    "equalto",
    "ne",
    "lt",
    "lessthan",
    "le",
    "gt",
    "greaterthan",
    "ge",
    "match",
    "search",
    "regex",
    "file",
    "directory",
    "exists",
    "link",
    "abs",
    "version",
    "version_compare",
    "in",
    "contains",
    "subset",
    "superset",
    "truthy",
    "falsy",
    "failed",
    "failure",
    "succeeded",
    "success",
    "successful",
    "changed",
    "change",
    "skipped",
    "skip",
];

/// Lookup plugins `lookups.rs` implements.
const LOOKUPS: &[&str] = &["file", "env", "template", "vars", "first_found", "fileglob", "list", "items", "dict"];

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first unknown filter, test or lookup in a template, with its line.
pub(crate) fn first_unknown(text: &str) -> Option<TemplateError> {
    let mut offset = 0;
    let mut rest = text;
    while let Some(start) = find_open(rest) {
        let tail = &rest[start..];
        let close = if tail.starts_with("{{") { "}}" } else { "%}" };
        let end = find_close(&tail[2..], close)?;
        let code_start = offset + start + 2;
        if let Some((pos, err)) = check_code(&tail[2..2 + end]) {
            let line = text[..code_start + pos].matches('\n').count() + 1;
            return Some(TemplateError { line: Some(line), ..err });
        }
        let consumed = start + 2 + end + close.len();
        offset += consumed;
        rest = &rest[consumed..];
    }
    None
}

/// Scans one code region (strings skipped) for `| name`, `is [not] name` and `lookup('name'`.
fn check_code(code: &str) -> Option<(usize, TemplateError)> {
    let s = code.as_bytes();
    let word_at = |i: usize| -> &str {
        let mut j = i;
        while j < s.len() && is_ident(s[j]) {
            j += 1;
        }
        &code[i..j]
    };
    let skip_ws = |mut i: usize| {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < s.len() {
        let b = s[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'|' => {
                let n = skip_ws(i + 1);
                let name = word_at(n);
                if !name.is_empty() && !FILTERS.contains(&name) {
                    return Some((n, TemplateError::new(TemplateErrorKind::Filter, format!("no filter named '{name}'"))));
                }
            }
            _ if (i == 0 || !is_ident(s[i - 1])) && is_ident(b) => {
                let word = word_at(i);
                if word == "is" {
                    let mut n = skip_ws(i + 2);
                    if word_at(n) == "not" {
                        n = skip_ws(n + 3);
                    }
                    let name = word_at(n);
                    if !name.is_empty() && !TESTS.contains(&name) {
                        return Some((n, TemplateError::new(TemplateErrorKind::Filter, format!("no test named '{name}'"))));
                    }
                } else if matches!(word, "lookup" | "query" | "q") {
                    let n = skip_ws(i + word.len());
                    if s.get(n) == Some(&b'(') {
                        let a = skip_ws(n + 1);
                        if let Some(&q) = s.get(a).filter(|q| **q == b'\'' || **q == b'"') {
                            let name_end = code[a + 1..].find(q as char).map(|e| a + 1 + e).unwrap_or(a + 1);
                            let name = &code[a + 1..name_end];
                            let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
                            if !LOOKUPS.contains(&short) {
                                return Some((
                                    a,
                                    TemplateError::new(TemplateErrorKind::Lookup, format!("lookup plugin '{name}' not found")),
                                ));
                            }
                        }
                    }
                }
                i += word.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn unknown_names_are_reported_with_their_line() {
        let err = first_unknown("ok {{ x | upper }}\n{{ y | to_nice_jsn }}").unwrap();
        assert_eq!(err.message, "no filter named 'to_nice_jsn'");
        assert_eq!(err.line, Some(2));
        assert_eq!(first_unknown("{% if x is definedd %}{% endif %}").unwrap().message, "no test named 'definedd'");
        assert_eq!(first_unknown("{{ lookup('pipe', 'ls') }}").unwrap().message, "lookup plugin 'pipe' not found");
    }

    #[test]
    fn every_listed_filter_and_test_exists() {
        let env = super::super::build_env();
        // password_hash is slow by design (656000 rounds); it is tested in filters/password.rs.
        for name in FILTERS.iter().filter(|n| **n != "password_hash") {
            let err = env.render_str(&format!("{{{{ 1 | {name} }}}}"), ()).err();
            assert!(err.is_none_or(|e| e.kind() != minijinja::ErrorKind::UnknownFilter), "filter {name} is listed but not registered");
        }
        for name in TESTS {
            let err = env.render_str(&format!("{{{{ 1 is {name} }}}}"), ()).err();
            assert!(err.is_none_or(|e| e.kind() != minijinja::ErrorKind::UnknownTest), "test {name} is listed but not registered");
        }
    }

    #[test]
    fn known_names_and_strings_pass() {
        assert!(first_unknown(
            "{{ x | default('a | b') | to_nice_yaml(indent=2) }}{% if y is not defined %}{% endif %}{{ lookup('file', 'f') }}"
        )
        .is_none());
    }
}
