//! The YAML inventory format (`all:` / `hosts:` / `children:` / `vars:`), read
//! as Ansible's `yaml` plugin does, with YAML 1.1 scalars.

use super::data::Data;
use super::ranges::expand_host_pattern;
use crate::diag::Diagnostic;
use crate::yaml::{Node, NodeKind};

/// Read a YAML inventory document into `data`; `warnings` collects the keys Ansible skips with a warning.
pub fn parse(doc: &Node, data: &mut Data, warnings: &mut Vec<Diagnostic>) -> Result<(), Diagnostic> {
    let Some(_) = doc.as_map() else {
        return Err(Diagnostic::error(format!("a YAML inventory must be a mapping of groups, found {}", doc.type_name())).at(&doc.span));
    };
    if let Some(p) = doc.get("plugin") {
        return Err(Diagnostic::error("inventory plugin configuration files are not supported")
            .at(&p.span)
            .help("list hosts and groups instead"));
    }
    for (key, value) in entries(doc) {
        parse_group(key, value, data, warnings)?;
    }
    Ok(())
}

/// A mapping's entries, a repeated key keeping its first place and last value (as PyYAML into a dict).
fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    let mut out: Vec<(&Node, &Node)> = Vec::new();
    for (k, v) in node.as_map().unwrap_or(&[]) {
        match out.iter_mut().find(|(ok, _)| ok.key_string() == k.key_string()) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

fn group_name(key: &Node) -> Result<String, Diagnostic> {
    match &key.kind {
        NodeKind::Str(s) if !s.is_empty() => Ok(s.clone()),
        NodeKind::Str(_) => Err(Diagnostic::error("empty group name").at(&key.span)),
        _ => Err(Diagnostic::error(format!("a group name must be a string, found {}", key.type_name())).at(&key.span).help("quote it")),
    }
}

/// Returns the group's index, or `None` when Ansible skips the definition.
fn parse_group(key: &Node, value: &Node, data: &mut Data, warnings: &mut Vec<Diagnostic>) -> Result<Option<usize>, Diagnostic> {
    let name = group_name(key)?;
    if !matches!(value.kind, NodeKind::Map(_) | NodeKind::Null) {
        warnings.push(
            Diagnostic::warning(format!("skipping '{name}': a group definition must be a mapping, found {}", value.type_name()))
                .at(&value.span),
        );
        return Ok(None);
    }
    let g = data.add_group(&name);
    for (section_key, section) in entries(value) {
        let section_name = section_key.key_string().unwrap_or_default();
        let is_known = matches!(section_name.as_str(), "vars" | "children" | "hosts");
        // `hosts: web1` means `hosts: {web1: }`.
        let single;
        let section = match (&section.kind, is_known) {
            (NodeKind::Str(s), true) => {
                let k = Node::new(NodeKind::Str(s.clone()), section.span.clone());
                single = Node::new(NodeKind::Map(vec![(k, Node::new(NodeKind::Null, section.span.clone()))]), section.span.clone());
                &single
            }
            _ => section,
        };
        match (&section.kind, is_known) {
            (NodeKind::Null, _) => continue,
            (NodeKind::Map(_), _) => {}
            (_, true) => {
                return Err(Diagnostic::error(format!(
                    "'{section_name}' of group '{name}' must be a mapping, found {}",
                    section.type_name()
                ))
                .at(&section.span))
            }
            (_, false) => {
                warnings.push(
                    Diagnostic::warning(format!("skipping key '{section_name}' in group '{name}': it is not a mapping"))
                        .at(&section_key.span),
                );
                continue;
            }
        }
        match section_name.as_str() {
            "vars" => {
                for (k, v) in entries(section) {
                    let key = k.key_string().ok_or_else(|| Diagnostic::error("a variable name must be a scalar").at(&k.span))?;
                    data.set_group_var(g, &key, v.to_value()).map_err(|m| Diagnostic::error(m).at(&v.span))?;
                }
            }
            "children" => {
                for (k, v) in entries(section) {
                    if let Some(child) = parse_group(k, v, data, warnings)? {
                        data.add_child_group(g, child).map_err(|m| Diagnostic::error(m).at(&k.span))?;
                    } else {
                        let child_name = group_name(k)?;
                        match data.group(&child_name) {
                            Some(child) => data.add_child_group(g, child).map_err(|m| Diagnostic::error(m).at(&k.span))?,
                            None => return Err(Diagnostic::error(format!("'{child_name}' is not a known group")).at(&k.span)),
                        }
                    }
                }
            }
            "hosts" => {
                for (k, v) in entries(section) {
                    let NodeKind::Str(pattern) = &k.kind else {
                        return Err(Diagnostic::error(format!("host pattern must be a string, found {}", k.type_name()))
                            .at(&k.span)
                            .help("enclose numbers in quotation marks"));
                    };
                    let (names, port) = expand_host_pattern(pattern)
                        .map_err(|m| Diagnostic::error(format!("bad host pattern '{pattern}': {m}")).at(&k.span))?;
                    let vars = match &v.kind {
                        NodeKind::Null => Vec::new(),
                        NodeKind::Map(_) => entries(v)
                            .into_iter()
                            .map(|(vk, vv)| {
                                vk.key_string()
                                    .map(|s| (s, vv.to_value()))
                                    .ok_or_else(|| Diagnostic::error("a variable name must be a scalar").at(&vk.span))
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                        _ => {
                            return Err(Diagnostic::error(format!(
                                "variables of host '{pattern}' must be a mapping, found {}",
                                v.type_name()
                            ))
                            .at(&v.span))
                        }
                    };
                    for name in names {
                        let h = data.add_host(&name, Some(g), port);
                        for (vk, vv) in &vars {
                            data.set_host_var(h, vk, vv.clone());
                        }
                    }
                }
            }
            other => warnings.push(
                Diagnostic::warning(format!(
                    "skipping unexpected key '{other}' in group '{name}': only 'vars', 'children' and 'hosts' are valid"
                ))
                .at(&section_key.span),
            ),
        }
    }
    Ok(Some(g))
}
