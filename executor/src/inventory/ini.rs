//! The INI inventory format, read line by line as Ansible's `ini` plugin does.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use super::data::{Data, UNGROUPED};
use super::pyliteral::ini_value;
use super::ranges::expand_host_pattern;
use crate::diag::Diagnostic;
use crate::source::{Source, Span};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A `[g:children]` / `[g:vars]` that names a group not defined yet (it may come later in the file).
struct Pending {
    line: usize,
    state: State,
    parents: Vec<usize>,
}

fn section_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$").unwrap_or_else(|_| unreachable!()))
}

fn groupname_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").unwrap_or_else(|_| unreachable!()))
}

/// Read an INI inventory into `data`.
pub fn parse(source: &Arc<Source>, data: &mut Data) -> Result<(), Diagnostic> {
    let err = |line: usize, msg: String| {
        let text = source.line(line).unwrap_or("");
        let col = text.len() - text.trim_start().len() + 1;
        Diagnostic::error(msg).at(&Span::new(source.clone(), line, col, text.trim().chars().count()))
    };
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut pending_order: Vec<String> = Vec::new();
    let mut group = UNGROUPED;
    let mut state = State::Hosts;
    for (i, raw) in source.text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(c) = section_re().captures(line) {
            let name = c[1].to_string();
            state = match c.get(2).map(|m| m.as_str()) {
                None | Some("hosts") => State::Hosts,
                Some("children") => State::Children,
                Some("vars") => State::Vars,
                Some(other) => {
                    return Err(err(lineno, format!("section [{name}:{other}] has unknown type '{other}'"))
                        .help("a section is [group], [group:children] or [group:vars]"))
                }
            };
            if data.group(&name).is_none() && state == State::Vars && !pending.contains_key(&name) {
                pending.insert(name.clone(), Pending { line: lineno, state, parents: Vec::new() });
                pending_order.push(name.clone());
            }
            group = data.add_group(&name);
            if state != State::Vars {
                match pending.get(&name).map(|p| p.state) {
                    Some(State::Children) => add_pending_children(data, &name, &mut pending).map_err(|m| err(lineno, m))?,
                    Some(State::Vars) => {
                        pending.remove(&name);
                    }
                    _ => {}
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(err(lineno, format!("invalid section entry '{line}'"))
                .help("a section header has no spaces: [group], [group:children] or [group:vars]"));
        }
        match state {
            State::Hosts => {
                let tokens = shlex_split(line).map_err(|m| err(lineno, format!("cannot parse host definition '{line}': {m}")))?;
                let Some(pattern) = tokens.first() else { continue };
                let (names, port) = expand_host_pattern(pattern).map_err(|m| err(lineno, format!("bad host pattern '{pattern}': {m}")))?;
                if pattern.trim().ends_with(':') && port.is_none() {
                    return Err(err(lineno, format!("invalid host pattern '{pattern}': a trailing ':' is reserved for a port")));
                }
                if names.iter().any(|n| n.trim() == "---") {
                    return Err(err(lineno, "invalid host '---': this looks like a YAML file read as INI".into()));
                }
                let mut vars = Vec::new();
                for t in &tokens[1..] {
                    let Some((k, v)) = t.split_once('=') else {
                        return Err(err(lineno, format!("expected key=value host variable, got '{t}'")));
                    };
                    vars.push((k.to_string(), ini_value(v)));
                }
                for name in names {
                    if name.is_empty() {
                        return Err(err(lineno, "empty host name".into()));
                    }
                    let h = data.add_host(&name, Some(group), port);
                    for (k, v) in &vars {
                        data.set_host_var(h, k, v.clone());
                    }
                }
            }
            State::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(err(lineno, format!("expected key=value, got '{line}'")));
                };
                data.set_group_var(group, k.trim(), ini_value(v.trim())).map_err(|m| err(lineno, m))?;
            }
            State::Children => {
                let Some(c) = groupname_re().captures(line) else {
                    return Err(err(lineno, format!("expected a group name, got '{line}'")));
                };
                let child = c[1].to_string();
                match data.group(&child) {
                    Some(cg) => data.add_child_group(group, cg).map_err(|m| err(lineno, m))?,
                    None => match pending.get_mut(&child) {
                        Some(p) => p.parents.push(group),
                        None => {
                            pending.insert(child.clone(), Pending { line: lineno, state: State::Children, parents: vec![group] });
                            pending_order.push(child);
                        }
                    },
                }
            }
        }
    }
    for name in pending_order {
        let Some(p) = pending.get(&name) else { continue };
        return Err(match p.state {
            State::Vars => err(p.line, format!("section [{name}:vars] is for a group that is never defined")),
            _ => {
                let parent = p.parents.last().map(|g| data.groups[*g].name.clone()).unwrap_or_default();
                err(p.line, format!("section [{parent}:children] includes undefined group '{name}'"))
                    .help(format!("define it with a [{name}] section, or remove it"))
            }
        });
    }
    Ok(())
}

fn add_pending_children(data: &mut Data, name: &str, pending: &mut HashMap<String, Pending>) -> Result<(), String> {
    let Some(p) = pending.remove(name) else { return Ok(()) };
    let child = data.add_group(name);
    for parent in p.parents {
        data.add_child_group(parent, child)?;
        let pname = data.groups[parent].name.clone();
        if pending.get(&pname).is_some_and(|pp| pp.state == State::Children) {
            add_pending_children(data, &pname, pending)?;
        }
    }
    Ok(())
}

/// Python's `shlex.split(line, comments=True)` (POSIX mode).
pub fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    tokens.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '#' => break,
            '\\' => {
                let n = chars.next().ok_or("no escaped character")?;
                cur.push(n);
                in_token = true;
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        None => return Err("no closing quotation".into()),
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        None => return Err("no closing quotation".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            None => return Err("no closing quotation".into()),
                            Some(x @ ('"' | '\\')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                        },
                        Some(x) => cur.push(x),
                    }
                }
            }
            c => {
                cur.push(c);
                in_token = true;
            }
        }
    }
    if in_token {
        tokens.push(cur);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_like_python() {
        assert_eq!(shlex_split(r#"h a=b#c d=e"#).unwrap(), ["h", "a=b"]);
        assert_eq!(shlex_split(r#"h s="a b" q='x y' e=\q"#).unwrap(), ["h", "s=a b", "q=x y", "e=q"]);
        assert_eq!(shlex_split(r#"h d="x\"y\\z\q""#).unwrap(), ["h", r#"d=x"y\z\q"#]);
        assert!(shlex_split("h a='x").is_err());
    }
}
