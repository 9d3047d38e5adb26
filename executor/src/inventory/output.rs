//! What `ansible-inventory --list`, `--host H` and `--graph [--vars]` print.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::data::ALL;
use super::{remove_internal, Inventory};
use crate::yaml::python_float;

const ALL_PATTERN: &str = "all";

impl Inventory {
    /// `ansible-inventory --list`: groups with `hosts`/`children` (empty ones left out; `all` lists no hosts)
    /// and `_meta.hostvars` for hosts that have variables.
    pub fn to_list_json(&self) -> Value {
        self.list_json(None)
    }

    /// `ansible-inventory --list --limit LIMIT`: only the hosts the limit keeps; a group left without hosts or
    /// children is left out (its parents still name it, as Ansible's output does). `--host` and `--graph`
    /// ignore the limit in Ansible, and so in dpctl.
    pub fn to_list_json_limited(&self, limit: &str) -> Result<(Value, Vec<String>), crate::diag::Diagnostic> {
        let sel = self.select_limited(ALL_PATTERN, Some(limit))?;
        let keep: HashSet<&str> = sel.hosts.iter().map(String::as_str).collect();
        Ok((self.list_json(Some(&keep)), sel.warnings))
    }

    fn list_json(&self, keep: Option<&HashSet<&str>>) -> Value {
        let kept = |name: &str| keep.is_none_or(|k| k.contains(name));
        let mut out = Map::new();
        let mut seen = HashSet::new();
        self.format_group(ALL, &mut seen, &kept, &mut out);
        let mut hostvars = Map::new();
        for h in self.data.group_hosts(ALL) {
            let name = &self.data.hosts[h].name;
            if !kept(name) {
                continue;
            }
            let vars = remove_internal(self.host_vars(name));
            if !vars.is_empty() {
                hostvars.insert(name.clone(), Value::Object(vars));
            }
        }
        out.insert("_meta".into(), json!({"hostvars": hostvars, "profile": "inventory_legacy"}));
        Value::Object(out)
    }

    fn format_group(&self, g: usize, seen: &mut HashSet<usize>, kept: &dyn Fn(&str) -> bool, out: &mut Map<String, Value>) {
        let group = &self.data.groups[g];
        let mut entry = Map::new();
        if g != ALL {
            let hosts: Vec<Value> = group
                .hosts
                .iter()
                .map(|&h| &self.data.hosts[h].name)
                .filter(|name| kept(name))
                .map(|name| Value::String(name.clone()))
                .collect();
            if !hosts.is_empty() {
                entry.insert("hosts".into(), Value::Array(hosts));
            }
        }
        let children: Vec<Value> = group.children.iter().map(|&c| Value::String(self.data.groups[c].name.clone())).collect();
        if !children.is_empty() {
            entry.insert("children".into(), Value::Array(children));
        }
        if !entry.is_empty() {
            out.insert(group.name.clone(), Value::Object(entry));
        }
        for &c in &group.children {
            if seen.insert(c) {
                self.format_group(c, seen, kept, out);
            }
        }
    }

    /// `ansible-inventory --host H`: the host's merged variables; `None` for a host not in the inventory
    /// (the implicit localhost excepted).
    pub fn to_host_json(&self, host: &str) -> Option<Value> {
        if self.host(host).is_none() && !self.is_implicit_localhost(host) {
            return None;
        }
        Some(Value::Object(remove_internal(self.host_vars(host))))
    }

    /// `ansible-inventory --graph [PATTERN] [--vars]` (without the final newline); empty when `pattern` is not a group.
    pub fn to_graph(&self, pattern: &str, with_vars: bool) -> String {
        let Some(g) = self.data.group(pattern) else { return String::new() };
        let mut lines = Vec::new();
        self.graph_group(g, 0, with_vars, &mut lines);
        lines.join("\n")
    }

    fn graph_group(&self, g: usize, depth: usize, with_vars: bool, lines: &mut Vec<String>) {
        let group = &self.data.groups[g];
        lines.push(graph_name(&format!("@{}:", group.name), depth));
        for &c in &group.children {
            self.graph_group(c, depth + 1, with_vars, lines);
        }
        if g != ALL {
            for &h in &group.hosts {
                let name = &self.data.hosts[h].name;
                lines.push(graph_name(name, depth + 1));
                if with_vars {
                    show_vars(&remove_internal(self.host_vars(name)), depth + 2, lines);
                }
            }
        }
        if with_vars {
            show_vars(&self.group_vars_for_display(g), depth + 1, lines);
        }
    }
}

fn graph_name(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}

fn show_vars(vars: &Map<String, Value>, depth: usize, lines: &mut Vec<String>) {
    let mut keys: Vec<&String> = vars.keys().collect();
    keys.sort();
    for k in keys {
        lines.push(graph_name(&format!("{{{k} = {}}}", python_str(&vars[k])), depth));
    }
}

/// JSON text as `ansible-inventory` prints it (`json.dumps(sort_keys=True, indent=4)`: sorted keys, four-space
/// indent, Python's float spelling), without a final newline.
pub fn ansible_json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, 0, &mut out);
    out
}

fn write_json(v: &Value, depth: usize, out: &mut String) {
    let pad = |d: usize| "    ".repeat(d);
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write_json(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&json_string(k));
                out.push_str(": ");
                write_json(&map[k.as_str()], depth + 1, out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        Value::String(s) => out.push_str(&json_string(s)),
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.is_finite() => out.push_str(&python_float(f)),
            Some(f) if f.is_nan() => out.push_str("NaN"),
            Some(f) if f > 0.0 => out.push_str("Infinity"),
            Some(_) => out.push_str("-Infinity"),
            None => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Ansible's encoder writes it (`ensure_ascii` off: only quotes, backslashes and control characters
/// are escaped).
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Python's `str()` of a value: strings bare, containers with `repr()` inside.
pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()` of a JSON-like value.
pub fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => python_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => repr_str(s),
        Value::Array(items) => format!("[{}]", items.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{}: {}", repr_str(k), python_repr(v))).collect::<Vec<_>>().join(", "))
        }
    }
}

fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_like_python() {
        assert_eq!(python_str(&json!("a b")), "a b");
        assert_eq!(python_str(&json!([1, "a", null, true, 1.5])), "[1, 'a', None, True, 1.5]");
        assert_eq!(python_str(&json!({"k": "it's"})), "{'k': \"it's\"}");
        assert_eq!(python_str(&json!(2.0)), "2.0");
    }

    #[test]
    fn json_text_like_python() {
        let v = json!({"b": [1, 2.0, "é\n", 1e20], "a": {}, "c": [], "d": {"y": null, "x": true}});
        let want = "{\n    \"a\": {},\n    \"b\": [\n        1,\n        2.0,\n        \"é\\n\",\n        1e+20\n    ],\n    \"c\": [],\n    \"d\": {\n        \"x\": true,\n        \"y\": null\n    }\n}";
        assert_eq!(ansible_json_text(&v), want);
    }
}
