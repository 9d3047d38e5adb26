//! Ansible's Jinja tests (`x is match(...)`, `is version(...)`, `is file`, result tests…);
//! `defined`, `undefined`, `none`, `string`, `number`, `mapping`, `sequence`, `iterable` and
//! `boolean` are minijinja's own.

use std::cmp::Ordering;
use std::path::Path;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use regex::RegexBuilder;

use super::filters::fail;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_test("match", |v: &Value, p: String, kw: Kwargs| regex_test(v, &p, kw, true));
    env.add_test("search", |v: &Value, p: String, kw: Kwargs| regex_test(v, &p, kw, false));
    env.add_test("regex", regex_generic);
    env.add_test("file", |p: &str| Path::new(p).is_file());
    env.add_test("directory", |p: &str| Path::new(p).is_dir());
    env.add_test("exists", |p: &str| Path::new(p).exists());
    env.add_test("link", |p: &str| Path::new(p).is_symlink());
    env.add_test("abs", |p: &str| Path::new(p).is_absolute());
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
    // Jinja's `sequence` is "has len() and []": dicts and strings too.
    env.add_test("sequence", |v: &Value| matches!(v.kind(), ValueKind::Seq | ValueKind::Map | ValueKind::String));
    env.add_test("in", |v: &Value, container: &Value| contains(container, v));
    env.add_test("contains", |container: &Value, v: &Value| contains(container, v));
    env.add_test("subset", |a: &Value, b: &Value| all_in(a, b));
    env.add_test("superset", |a: &Value, b: &Value| all_in(b, a));
    env.add_test("truthy", |v: &Value| v.is_true());
    env.add_test("falsy", |v: &Value| !v.is_true());
    env.add_test("failed", |r: &Value| flag(r, "failed"));
    env.add_test("failure", |r: &Value| flag(r, "failed"));
    env.add_test("succeeded", |r: &Value| !flag(r, "failed"));
    env.add_test("success", |r: &Value| !flag(r, "failed"));
    env.add_test("successful", |r: &Value| !flag(r, "failed"));
    env.add_test("changed", |r: &Value| flag(r, "changed"));
    env.add_test("change", |r: &Value| flag(r, "changed"));
    env.add_test("skipped", |r: &Value| flag(r, "skipped"));
    env.add_test("skip", |r: &Value| flag(r, "skipped"));
}

/// A registered result's boolean field (missing = false).
fn flag(result: &Value, field: &str) -> bool {
    result.get_attr(field).map(|v| v.is_true()).unwrap_or(false)
}

/// Python's `v in container`: an item of a list, a key of a dict, a substring of a string.
pub(crate) fn contains(container: &Value, v: &Value) -> bool {
    match container.kind() {
        ValueKind::String => match (container.as_str(), v.as_str()) {
            (Some(c), Some(s)) => c.contains(s),
            _ => false,
        },
        ValueKind::Map => container.get_item(v).map(|x| !x.is_undefined()).unwrap_or(false),
        _ => container.try_iter().map(|mut it| it.any(|i| &i == v)).unwrap_or(false),
    }
}

fn all_in(a: &Value, b: &Value) -> bool {
    match a.try_iter() {
        Ok(mut items) => items.all(|i| contains(b, &i)),
        Err(_) => false,
    }
}

fn regex_test(value: &Value, pattern: &str, kwargs: Kwargs, anchored: bool) -> Result<bool, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    regex_is(value, pattern, ignorecase, multiline, if anchored { "match" } else { "search" })
}

/// `regex(pattern, ignorecase=False, multiline=False, match_type='search')`.
fn regex_generic(value: &Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let match_type = kwargs.get::<Option<String>>("match_type")?.unwrap_or_else(|| "search".into());
    kwargs.assert_all_used()?;
    regex_is(value, &pattern, ignorecase, multiline, &match_type)
}

fn regex_is(value: &Value, pattern: &str, ignorecase: bool, multiline: bool, match_type: &str) -> Result<bool, Error> {
    let Some(text) = value.as_str() else {
        return Err(fail(format!("regex tests expect a string, got {}", value.kind())));
    };
    let full = match match_type {
        "match" => format!(r"\A(?:{pattern})"),
        "fullmatch" => format!(r"\A(?:{pattern})\z"),
        "search" => pattern.to_string(),
        other => return Err(fail(format!("unknown match_type '{other}'"))),
    };
    let re = RegexBuilder::new(&full)
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| fail(format!("invalid regular expression {pattern:?}: {e}")))?;
    Ok(re.is_match(text))
}

/// One component of a loose version (`1.10.0rc1` → 1, 10, 0, "rc", 1).
#[derive(Debug, PartialEq, Eq)]
enum Part {
    Num(u64),
    Alpha(String),
}

/// distutils' LooseVersion split: runs of digits and runs of letters.
fn loose_parts(v: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, parts: &mut Vec<Part>| {
        if !cur.is_empty() {
            parts.push(match cur.parse::<u64>() {
                Ok(n) => Part::Num(n),
                Err(_) => Part::Alpha(cur.clone()),
            });
            cur.clear();
        }
    };
    for c in v.chars() {
        let same = cur.chars().last().is_none_or(|l| l.is_ascii_digit() == c.is_ascii_digit());
        if c == '.' || !c.is_alphanumeric() {
            flush(&mut cur, &mut parts);
        } else {
            if !same {
                flush(&mut cur, &mut parts);
            }
            cur.push(c);
        }
    }
    flush(&mut cur, &mut parts);
    parts
}

fn cmp_parts(a: &[Part], b: &[Part]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Part::Num(x), Part::Num(y)) => x.cmp(y),
            (Part::Alpha(x), Part::Alpha(y)) => x.cmp(y),
            // Python 3 cannot compare int and str; LooseVersion then fails. Numbers sort first here.
            (Part::Num(_), Part::Alpha(_)) => Ordering::Greater,
            (Part::Alpha(_), Part::Num(_)) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// `version(other, operator='eq', strict=False, version_type=None)`.
fn version_test(value: &Value, other: &Value, op: Option<String>, kwargs: Kwargs) -> Result<bool, Error> {
    let op = match op {
        Some(o) => o,
        None => kwargs.get::<Option<String>>("operator")?.unwrap_or_else(|| "eq".into()),
    };
    let _strict = kwargs.get::<Option<bool>>("strict")?;
    let _vt = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    let text = |v: &Value| if v.kind() == ValueKind::String { v.as_str().unwrap_or_default().to_string() } else { v.to_string() };
    let ord = cmp_parts(&loose_parts(&text(value)), &loose_parts(&text(other)));
    Ok(match op.as_str() {
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        other => return Err(Error::new(ErrorKind::InvalidOperation, format!("Invalid operator type ({other})"))),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn loose_versions_compare_numerically() {
        let c = |a: &str, b: &str| cmp_parts(&loose_parts(a), &loose_parts(b));
        assert_eq!(c("1.10.0", "1.9.2"), Ordering::Greater);
        assert_eq!(c("2.8", "2.8.0"), Ordering::Less);
        assert_eq!(c("3.4.1", "3.4.1"), Ordering::Equal);
    }
}
