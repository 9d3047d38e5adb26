//! to_json / to_nice_json / from_json / to_yaml / to_nice_yaml / from_yaml, written the way
//! Python's `json.dumps` and PyYAML (libyaml) write them.

use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};
use serde_json::Value as Json;

use super::super::convert;
use super::super::pyrepr::float_repr;
use super::super::yaml_emit::{self, DumpOptions};
use super::collections::json_of;
use super::fail;
use crate::source::Source;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", to_yaml);
    env.add_filter("to_nice_yaml", to_nice_yaml);
    env.add_filter("from_yaml", from_yaml);
}

/// `json.dumps` options Ansible's filters use.
struct JsonStyle {
    indent: Option<usize>,
    sort_keys: bool,
    item_sep: &'static str,
    ensure_ascii: bool,
}

fn to_json(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?;
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let style = JsonStyle { indent, sort_keys, item_sep: if indent.is_some() { "," } else { ", " }, ensure_ascii };
    Ok(dumps(&json_of(value)?, &style))
}

fn to_nice_json(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(4);
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let style = JsonStyle { indent: Some(indent), sort_keys, item_sep: ",", ensure_ascii };
    Ok(dumps(&json_of(value)?, &style))
}

/// Python's `json.dumps(value, indent=…, sort_keys=…, separators=(item_sep, ': '))`.
fn dumps(value: &Json, style: &JsonStyle) -> String {
    let mut out = String::new();
    write_json(&mut out, value, style, 0);
    out
}

fn newline_indent(out: &mut String, style: &JsonStyle, level: usize) {
    if let Some(n) = style.indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * level));
    }
}

fn write_json(out: &mut String, value: &Json, style: &JsonStyle, level: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) if f.is_nan() => out.push_str("NaN"),
            Some(f) if f.is_infinite() => out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" }),
            Some(f) => out.push_str(&float_repr(f)),
            None => out.push_str(&n.to_string()),
        },
        Json::String(s) => write_json_str(out, s, style.ensure_ascii),
        Json::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(style.item_sep);
                }
                newline_indent(out, style, level + 1);
                write_json(out, item, style, level + 1);
            }
            newline_indent(out, style, level);
            out.push(']');
        }
        Json::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<_> = map.iter().collect();
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(style.item_sep);
                }
                newline_indent(out, style, level + 1);
                write_json_str(out, k, style.ensure_ascii);
                out.push_str(": ");
                write_json(out, v, style, level + 1);
            }
            newline_indent(out, style, level);
            out.push('}');
        }
    }
}

/// A JSON string as Python writes it (`ensure_ascii` escapes every non-ASCII character).
fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn from_json(value: &Value) -> Result<Value, Error> {
    let text = value.as_str().ok_or_else(|| fail("from_json expects a string"))?;
    let parsed: Json = serde_json::from_str(text).map_err(|e| fail(format!("from_json: {e}")))?;
    Ok(convert::from_json(&parsed))
}

fn yaml_opts(kwargs: &Kwargs, indent: usize, flow: Option<bool>) -> Result<DumpOptions, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent);
    let flow = match kwargs.get::<Option<Value>>("default_flow_style")? {
        Some(v) if v.is_none() => None,
        Some(v) => Some(v.is_true()),
        None => flow,
    };
    kwargs.assert_all_used()?;
    Ok(DumpOptions { indent, default_flow_style: flow })
}

fn to_yaml(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = yaml_opts(&kwargs, 2, None)?;
    Ok(yaml_emit::dump(&json_of(value)?, opts))
}

fn to_nice_yaml(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let opts = yaml_opts(&kwargs, 4, Some(false))?;
    Ok(yaml_emit::dump(&json_of(value)?, opts))
}

/// `from_yaml`, read with the project's YAML 1.1 loader (as Ansible reads YAML).
fn from_yaml(value: &Value) -> Result<Value, Error> {
    let Some(text) = value.as_str() else { return Ok(value.clone()) };
    let source: Arc<Source> = Source::new("<from_yaml>", text);
    let docs = crate::yaml::load_str(source).map_err(|d| fail(format!("from_yaml: {}", d.message)))?;
    Ok(match docs.first() {
        Some(node) => convert::from_json(&node.to_value()),
        None => Value::from(()),
    })
}
