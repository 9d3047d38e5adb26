//! Reading typed keyword values out of YAML nodes, with a diagnostic at the
//! value's position when the type is wrong.

use serde_json::{Map, Value};

use super::model::Spanned;
use crate::diag::Diagnostic;
use crate::yaml::{Node, NodeKind};

pub fn string(key: &str, node: &Node) -> Result<String, Diagnostic> {
    match &node.kind {
        NodeKind::Str(s) => Ok(s.clone()),
        NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Ok(node.key_string().unwrap_or_default()),
        _ => Err(type_error(key, node, "a string")),
    }
}

/// A string or a list of strings (`tags: a` or `tags: [a, b]`, `notify`, `listen`).
pub fn string_list(key: &str, node: &Node) -> Result<Vec<String>, Diagnostic> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(|n| string(key, n)).collect(),
        // Ansible splits comma-separated tags
        NodeKind::Str(s) if key == "tags" => Ok(s.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()),
        _ => Ok(vec![string(key, node)?]),
    }
}

/// Conditions: a bare expression, a boolean, or a list of them.
pub fn conditions(key: &str, node: &Node) -> Result<Vec<Spanned<Value>>, Diagnostic> {
    let one = |n: &Node| match &n.kind {
        NodeKind::Str(_) | NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => {
            Ok(Spanned { value: n.to_value(), span: n.span.clone() })
        }
        _ => Err(type_error(key, n, "a condition (an expression or a boolean)")),
    };
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(one).collect(),
        _ => Ok(vec![one(node)?]),
    }
}

/// `vars:` as a mapping (a list of mappings, the old form, is merged).
pub fn vars(key: &str, node: &Node) -> Result<Map<String, Value>, Diagnostic> {
    match &node.kind {
        NodeKind::Null => Ok(Map::new()),
        NodeKind::Map(_) => match node.to_value() {
            Value::Object(m) => Ok(m),
            _ => Err(type_error(key, node, "a mapping")),
        },
        NodeKind::Seq(items) => {
            let mut out = Map::new();
            for item in items {
                out.extend(vars(key, item)?);
            }
            Ok(out)
        }
        _ => Err(type_error(key, node, "a mapping of variable names to values")),
    }
}

pub fn mapping<'a>(key: &str, node: &'a Node) -> Result<&'a [(Node, Node)], Diagnostic> {
    node.as_map().ok_or_else(|| type_error(key, node, "a mapping"))
}

pub fn list<'a>(key: &str, node: &'a Node) -> Result<&'a [Node], Diagnostic> {
    match &node.kind {
        NodeKind::Null => Ok(&[]),
        NodeKind::Seq(items) => Ok(items),
        _ => Err(type_error(key, node, "a list")),
    }
}

/// A scalar kept as a value to template later (`become: "{{ x }}"`, `serial: 2`).
pub fn scalar(key: &str, node: &Node) -> Result<Value, Diagnostic> {
    match &node.kind {
        NodeKind::Seq(_) | NodeKind::Map(_) if key != "serial" && key != "hosts" => Err(type_error(key, node, "a single value")),
        _ => Ok(node.to_value()),
    }
}

pub fn type_error(key: &str, node: &Node, wanted: &str) -> Diagnostic {
    Diagnostic::error(format!("`{key}` must be {wanted}, found {}", node.type_name())).at(&node.span).label(format!("in `{key}`"))
}
