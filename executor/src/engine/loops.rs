//! `loop:` and `with_<lookup>:` expanded into items, as Ansible's lookups do.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// Why a loop could not be expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopError(pub String);

impl std::fmt::Display for LoopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Expand a rendered loop value; `search` is where `with_fileglob` looks for relative patterns.
pub fn expand(lookup: Option<&str>, value: Value, search: &[PathBuf]) -> Result<Vec<Value>, LoopError> {
    match lookup {
        None => match value {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            other => Err(LoopError(format!("`loop` needs a list, got {}", kind(&other)))),
        },
        Some("items") => Ok(flatten_once(value)),
        Some("list") => Ok(match value {
            Value::Array(items) => items,
            v => vec![v],
        }),
        Some("flattened") => {
            let mut out = Vec::new();
            flatten_all(value, &mut out);
            Ok(out)
        }
        Some("indexed_items") => Ok(flatten_once(value).into_iter().enumerate().map(|(i, v)| Value::Array(vec![i.into(), v])).collect()),
        Some("dict") => match value {
            Value::Object(m) => Ok(m.into_iter().map(|(k, v)| item_kv(k, v)).collect()),
            Value::Null => Ok(Vec::new()),
            other => Err(LoopError(format!("`with_dict` needs a mapping, got {}", kind(&other)))),
        },
        Some("nested" | "cartesian") => {
            let lists = lists_of(value, "with_nested")?;
            let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
            for list in lists {
                acc = acc.into_iter().flat_map(|prefix| list.iter().map(move |x| [prefix.clone(), vec![x.clone()]].concat())).collect();
            }
            Ok(acc.into_iter().map(Value::Array).collect())
        }
        Some("together") => {
            let lists = lists_of(value, "with_together")?;
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..n).map(|i| Value::Array(lists.iter().map(|l| l.get(i).cloned().unwrap_or(Value::Null)).collect())).collect())
        }
        Some("fileglob") => {
            let mut out = Vec::new();
            for pattern in flatten_once(value) {
                let Some(p) = pattern.as_str() else { continue };
                let candidates: Vec<PathBuf> =
                    if p.starts_with('/') { vec![PathBuf::from(p)] } else { search.iter().map(|d| d.join(p)).collect() };
                for c in candidates {
                    let Ok(paths) = glob::glob(&c.to_string_lossy()) else { continue };
                    let mut found: Vec<String> =
                        paths.filter_map(Result::ok).filter(|f| f.is_file()).map(|f| f.display().to_string()).collect();
                    if !found.is_empty() {
                        found.sort();
                        out.extend(found.into_iter().map(Value::String));
                        break;
                    }
                }
            }
            Ok(out)
        }
        Some("sequence") => sequence(value),
        Some("subelements") => subelements(value),
        Some("lines") => Err(LoopError("`with_lines` runs a command on the controller; use `command` + `register` instead".into())),
        Some("random_choice") => Ok(flatten_once(value).into_iter().take(1).collect()),
        Some(other) => Err(LoopError(format!("unsupported loop `with_{other}`"))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn item_kv(k: String, v: Value) -> Value {
    let mut m = Map::new();
    m.insert("key".into(), Value::String(k));
    m.insert("value".into(), v);
    Value::Object(m)
}

fn flatten_once(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .flat_map(|i| match i {
                Value::Array(inner) => inner,
                other => vec![other],
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn flatten_all(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten_all(i, out)),
        other => out.push(other),
    }
}

fn lists_of(value: Value, what: &str) -> Result<Vec<Vec<Value>>, LoopError> {
    match value {
        Value::Array(items) => Ok(items
            .into_iter()
            .map(|i| match i {
                Value::Array(inner) => inner,
                other => vec![other],
            })
            .collect()),
        other => Err(LoopError(format!("`{what}` needs a list of lists, got {}", kind(&other)))),
    }
}

/// `with_sequence: start=1 end=5 format=host%02d` (or a mapping).
fn sequence(value: Value) -> Result<Vec<Value>, LoopError> {
    let args = match value {
        Value::String(s) => crate::playbook::kv::parse_kv(&s, crate::playbook::kv::FreeForm::No).map_err(LoopError)?,
        Value::Object(m) => m,
        other => return Err(LoopError(format!("`with_sequence` needs `start=… end=…`, got {}", kind(&other)))),
    };
    let num = |k: &str, d: i64| -> Result<i64, LoopError> {
        match args.get(k) {
            None => Ok(d),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| LoopError(format!("with_sequence: bad {k}"))),
            Some(Value::String(s)) => s.parse().map_err(|_| LoopError(format!("with_sequence: `{k}={s}` is not a number"))),
            Some(_) => Err(LoopError(format!("with_sequence: bad {k}"))),
        }
    };
    let start = num("start", 1)?;
    let stride = num("stride", 1)?;
    let end = match args.get("count") {
        Some(_) => start + (num("count", 0)? - 1) * stride,
        None => num("end", start)?,
    };
    if stride == 0 {
        return Err(LoopError("with_sequence: stride must not be 0".into()));
    }
    let format = args.get("format").and_then(Value::as_str).unwrap_or("%d").to_string();
    let mut out = Vec::new();
    let mut i = start;
    while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
        out.push(Value::String(format_int(&format, i)));
        i += stride;
    }
    Ok(out)
}

/// Python `%d`, `%02d`, `%x` with surrounding text.
fn format_int(format: &str, i: i64) -> String {
    let Some(pos) = format.find('%') else { return format.to_string() };
    let rest = &format[pos + 1..];
    let spec_len = rest.find(|c: char| c.is_ascii_alphabetic()).map(|p| p + 1).unwrap_or(rest.len());
    let (spec, tail) = rest.split_at(spec_len);
    let width: usize = spec.trim_start_matches('0').trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse().unwrap_or(0);
    let zero = spec.starts_with('0');
    let body = match spec.chars().last() {
        Some('x') => format!("{i:x}"),
        Some('X') => format!("{i:X}"),
        Some('o') => format!("{i:o}"),
        _ => i.to_string(),
    };
    let padded = if zero { format!("{body:0>width$}") } else { format!("{body:>width$}") };
    format!("{}{}{}", &format[..pos], padded, tail)
}

/// `with_subelements: [list_of_dicts, 'key']` → pairs of (dict, sub-item).
fn subelements(value: Value) -> Result<Vec<Value>, LoopError> {
    let Value::Array(args) = value else { return Err(LoopError("`with_subelements` needs [list, 'key']".into())) };
    let (Some(list), Some(Value::String(key))) = (args.first(), args.get(1)) else {
        return Err(LoopError("`with_subelements` needs [list, 'key']".into()));
    };
    let skip_missing = args.get(2).and_then(|o| o.get("skip_missing")).and_then(Value::as_bool).unwrap_or(false);
    let mut out = Vec::new();
    for parent in list.as_array().cloned().unwrap_or_default() {
        // Ansible's lookup pops the key from the parent: `item.0` does not carry the list.
        let mut parent = parent;
        let subs = parent.as_object_mut().and_then(|m| m.shift_remove(key.as_str()));
        match subs {
            Some(Value::Array(subs)) => out.extend(subs.iter().map(|s| Value::Array(vec![parent.clone(), s.clone()]))),
            _ if skip_missing => {}
            _ => return Err(LoopError(format!("with_subelements: an item has no list under `{key}`"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_expand_as_ansible() {
        assert_eq!(expand(Some("items"), json!([1, [2, 3], [[4]]]), &[]).unwrap(), vec![json!(1), json!(2), json!(3), json!([4])]);
        assert_eq!(expand(Some("dict"), json!({"a": 1}), &[]).unwrap(), vec![json!({"key": "a", "value": 1})]);
        assert_eq!(expand(Some("nested"), json!([[1, 2], ["a"]]), &[]).unwrap(), vec![json!([1, "a"]), json!([2, "a"])]);
        assert_eq!(expand(Some("together"), json!([[1, 2], ["a"]]), &[]).unwrap(), vec![json!([1, "a"]), json!([2, null])]);
        assert_eq!(
            expand(Some("sequence"), json!("start=1 end=3 format=kafka%02d"), &[]).unwrap(),
            vec![json!("kafka01"), json!("kafka02"), json!("kafka03")]
        );
        assert_eq!(
            expand(Some("subelements"), json!([[{"n": "a", "k": [1, 2]}], "k"]), &[]).unwrap(),
            vec![json!([{"n": "a"}, 1]), json!([{"n": "a"}, 2])]
        );
        assert!(expand(None, json!("text"), &[]).is_err());
    }
}
