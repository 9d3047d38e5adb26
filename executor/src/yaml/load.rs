//! Build [`Node`] trees from saphyr-parser's event stream: anchors, aliases,
//! `<<` merge keys and YAML 1.1 scalar resolution.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan, Tag};

use super::node::{Node, NodeKind};
use super::resolve::{parse_float, parse_int, resolve_plain};
use crate::diag::Diagnostic;
use crate::source::{display_path, Source, Span};

/// The most nodes one YAML text may expand to, aliases counted at their full size. Each alias
/// is a copy, so a few lines of nested aliases ("billion laughs") would otherwise take minutes
/// and gigabytes; real inventories and playbooks stay far below this.
pub const MAX_NODES: usize = 1_000_000;

/// An open collection; `first` is the node count when it started (its size is the difference).
enum Frame {
    Seq { items: Vec<Node>, span: Span, anchor: usize, tag: Option<String>, first: usize },
    Map { entries: Vec<(Node, Node)>, key: Option<Node>, span: Span, anchor: usize, tag: Option<String>, first: usize },
}

struct Composer {
    source: Arc<Source>,
    stack: Vec<Frame>,
    /// Each anchored node with its size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    docs: Vec<Node>,
    /// Nodes built so far, counting every alias copy (see [`MAX_NODES`]).
    nodes: usize,
}

impl Composer {
    fn span(&self, s: &YSpan) -> Span {
        let len = if s.end.line() == s.start.line() { s.end.index().saturating_sub(s.start.index()) } else { 1 };
        Span::new(self.source.clone(), s.start.line(), s.start.col() + 1, len.max(1))
    }

    /// Count `size` more nodes, refusing a text that expands beyond [`MAX_NODES`].
    fn grow(&mut self, size: usize, span: &Span) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(size);
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::error(format!("YAML aliases expand this text to more than {MAX_NODES} nodes"))
                .at(span)
                .help("an alias is a full copy of its anchor; nested aliases multiply"));
        }
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    if matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_)) && node.tag.is_none() {
                        return Err(Diagnostic::error("a mapping key must be a scalar").at(&node.span));
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Apply `<<` merge keys: merged entries first, explicit keys win (as PyYAML).
fn apply_merges(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, Diagnostic> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return Ok(entries);
    }
    let mut merged: Vec<(Node, Node)> = Vec::new();
    let mut explicit = Vec::new();
    for (k, v) in entries {
        if !is_merge_key(&k) {
            explicit.push((k, v));
            continue;
        }
        let sources: Vec<Node> = match v.kind {
            NodeKind::Map(_) => vec![v],
            NodeKind::Seq(items) => items,
            _ => return Err(Diagnostic::error("a `<<` merge key needs a mapping or a list of mappings").at(&v.span)),
        };
        for src in sources {
            let NodeKind::Map(m) = src.kind else {
                return Err(Diagnostic::error("a `<<` merge key needs a mapping or a list of mappings").at(&src.span));
            };
            for (mk, mv) in m {
                if !merged.iter().any(|(ek, _)| ek.key_string() == mk.key_string()) {
                    merged.push((mk, mv));
                }
            }
        }
    }
    merged.retain(|(mk, _)| !explicit.iter().any(|(ek, _): &(Node, Node)| ek.key_string() == mk.key_string()));
    merged.extend(explicit);
    Ok(merged)
}

fn is_merge_key(k: &Node) -> bool {
    k.tag.is_none() && matches!(&k.kind, NodeKind::Str(s) if s == "<<")
}

/// Turn a tag into what the node means: core tags convert, local ones stay.
fn tagged_scalar(value: &str, tag: &Tag, span: &Span) -> Result<(NodeKind, Option<String>), Diagnostic> {
    if tag.is_yaml_core_schema() {
        let bad = || Diagnostic::error(format!("`{value}` is not a valid !!{}", tag.suffix)).at(span);
        let kind = match tag.suffix.as_str() {
            "str" => NodeKind::Str(value.to_string()),
            "int" => NodeKind::Int(parse_int(value).ok_or_else(bad)?),
            "float" => NodeKind::Float(parse_float(value).or_else(|| parse_int(value).map(|i| i as f64)).ok_or_else(bad)?),
            "bool" => match resolve_plain(value) {
                k @ NodeKind::Bool(_) => k,
                _ => return Err(bad()),
            },
            "null" => NodeKind::Null,
            _ => NodeKind::Str(value.to_string()),
        };
        return Ok((kind, None));
    }
    Ok((NodeKind::Str(value.to_string()), Some(format!("{}{}", tag.handle, tag.suffix))))
}

fn local_tag(tag: Option<&Tag>) -> Option<String> {
    tag.filter(|t| !t.is_yaml_core_schema()).map(|t| format!("{}{}", t.handle, t.suffix))
}

/// Load every document of a YAML text.
pub fn load_str(source: Arc<Source>) -> Result<Vec<Node>, Diagnostic> {
    let text = source.text.clone();
    let mut c = Composer { source: source.clone(), stack: Vec::new(), anchors: HashMap::new(), docs: Vec::new(), nodes: 0 };
    for event in Parser::new_from_str(&text) {
        let (event, yspan) = event.map_err(|e| {
            let m = e.marker();
            Diagnostic::error(format!("YAML syntax error: {}", e.info())).at(&Span::new(source.clone(), m.line(), m.col() + 1, 1))
        })?;
        let span = c.span(&yspan);
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let (kind, tag) = match (&tag, style) {
                    // inline `!vault`: decrypted here with the run's secrets; the plaintext is a known secret
                    (Some(t), _) if t.handle == "!" && t.suffix == "vault" => {
                        let plain = crate::vault::keyring::decrypt_scalar(&value, &source.path)
                            .map_err(|e| Diagnostic::error(e.to_string()).at(&span))?;
                        (NodeKind::Str(plain), None)
                    }
                    (Some(t), _) => tagged_scalar(&value, t, &span)?,
                    (None, ScalarStyle::Plain) => (resolve_plain(&value), None),
                    (None, _) => (NodeKind::Str(value.to_string()), None),
                };
                c.grow(1, &span)?;
                c.finish(Node { kind, span, tag }, anchor, 1)?;
            }
            Event::SequenceStart(anchor, tag) => {
                c.stack.push(Frame::Seq { items: Vec::new(), span, anchor, tag: local_tag(tag.as_deref()), first: c.nodes })
            }
            Event::MappingStart(anchor, tag) => {
                let tag = local_tag(tag.as_deref());
                c.stack.push(Frame::Map { entries: Vec::new(), key: None, span, anchor, tag, first: c.nodes })
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, span, anchor, tag, first }) = c.stack.pop() {
                    c.grow(1, &span)?;
                    let size = c.nodes - first;
                    c.finish(Node { kind: NodeKind::Seq(items), span, tag }, anchor, size)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { entries, span, anchor, tag, first, .. }) = c.stack.pop() {
                    let entries = apply_merges(entries)?;
                    c.grow(1, &span)?;
                    let size = c.nodes - first;
                    c.finish(Node { kind: NodeKind::Map(entries), span, tag }, anchor, size)?;
                }
            }
            Event::Alias(id) => {
                let (node, size) = c.anchors.get(&id).cloned().ok_or_else(|| Diagnostic::error("unknown YAML alias").at(&span))?;
                // Checked before the copy is made.
                c.grow(size, &span)?;
                c.finish(node, 0, size)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    Ok(c.docs)
}

/// Read a file as text, decrypting it when it is vault-encrypted (then it is
/// marked secret: its values are registered by [`load_file`]).
pub fn read_source(path: &Path) -> Result<(Arc<Source>, bool), Diagnostic> {
    use crate::vault::VaultError;
    let (bytes, vaulted) = crate::vault::keyring::read_file(path).map_err(|e| match e {
        VaultError::Io { error, .. } => Diagnostic::error(format!("cannot read {}: {error}", display_path(path))),
        e => Diagnostic::error(e.to_string()),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Diagnostic::error(format!("cannot read {}: not UTF-8 text", display_path(path))))?;
    Ok((Source::new(path, text), vaulted))
}

/// Load a YAML file; `None` when it holds no document (an empty file).
/// A vault-encrypted file is decrypted with the run's secrets, and every
/// value in it becomes a known secret.
pub fn load_file(path: &Path) -> Result<(Arc<Source>, Option<Node>), Diagnostic> {
    let (source, vaulted) = read_source(path)?;
    let docs = load_str(source.clone())?;
    if vaulted {
        docs.iter().for_each(|d| crate::secrets::register_value(&d.to_value()));
    }
    if docs.len() > 1 {
        return Err(
            Diagnostic::error(format!("{} holds {} YAML documents; one was expected", display_path(path), docs.len())).at(&docs[1].span)
        );
    }
    Ok((source, docs.into_iter().next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Node {
        load_str(Source::new("t.yml", text)).unwrap().remove(0)
    }

    #[test]
    fn merges_and_positions() {
        let n = load("base: &b {a: 1, b: yes}\nchild:\n  <<: *b\n  b: off\n  c: 0755\n");
        let child = n.get("child").unwrap();
        assert_eq!(child.to_value(), serde_json::json!({"a": 1, "b": false, "c": 493}));
        let (k, _) = &n.as_map().unwrap()[1];
        assert_eq!((k.span.line, k.span.col, k.span.len), (2, 1, 5));
    }

    #[test]
    fn nested_aliases_that_expand_past_the_limit_are_refused_at_the_alias() {
        // 10 levels of 10 aliases: 10^10 nodes if copied out.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
        }
        let e = load_str(Source::new("bomb.yml", text)).unwrap_err();
        assert!(e.message.contains("more than 1000000 nodes"), "{}", e.message);
        assert_eq!(e.span.unwrap().line, 6, "the first alias that crosses the limit");
        // The same shape a few levels shallower is ordinary YAML and loads.
        let mut text = String::from("a0: &a0 [x, x]\n");
        for i in 1..5 {
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 2].join(", ")));
        }
        assert_eq!(load(&text).get("a4").unwrap().to_value().to_string().matches('x').count(), 32);
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let n = load("a: 'yes'\nb: !!str 0644\nc: !unsafe '{{ x }}'\nd: !!int '12'\n");
        assert_eq!(n.to_value(), serde_json::json!({"a": "yes", "b": "0644", "c": {"__ansible_unsafe": "{{ x }}"}, "d": 12}));
        assert_eq!(n.get("c").unwrap().tag.as_deref(), Some("!unsafe"));
    }

    #[test]
    fn syntax_error_has_position() {
        let e = load_str(Source::new("bad.yml", "a: [1, 2\nb: c\n")).unwrap_err();
        let span = e.span.unwrap();
        assert!(e.message.starts_with("YAML syntax error"), "{}", e.message);
        assert!(span.line >= 1);
    }
}
