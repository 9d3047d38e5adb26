//! Host patterns and `--limit`, with Ansible's grammar and order:
//! `all`, `*`, globs, `a:b` / `a,b` (union), `a:&b` (intersection),
//! `a:!b` (exclusion), `~regex`, and subscripts `g[0]`, `g[-1]`, `g[1:3]`, `g[2:]`.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::ranges::parse_address;
use super::{Inventory, LOCALHOST_NAMES};
use crate::diag::Diagnostic;

/// The hosts a pattern selects, and the warnings Ansible would print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub hosts: Vec<String>,
    pub warnings: Vec<String>,
}

/// Split `a:b,c` into single patterns (Ansible's `split_host_pattern`): `,` separates; without a comma `:`
/// does too, unless the whole text is a host address (`host:22`, an IPv6 address, a range `web[1:3]`).
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    static WORDS: OnceLock<Regex> = OnceLock::new();
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern, true).is_some() {
        vec![pattern.to_string()]
    } else {
        let re = WORDS.get_or_init(|| Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").unwrap_or_else(|_| unreachable!()));
        re.find_iter(pattern).map(|m| m.as_str().to_string()).collect()
    };
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// Regular patterns first, then `&` intersections, then `!` exclusions; only exclusions means `all` minus them.
fn order_patterns(patterns: Vec<String>) -> Vec<String> {
    let mut regular = Vec::new();
    let mut and = Vec::new();
    let mut not = Vec::new();
    for p in patterns.into_iter().filter(|p| !p.is_empty()) {
        match p.as_bytes()[0] {
            b'!' => not.push(p),
            b'&' => and.push(p),
            _ => regular.push(p),
        }
    }
    if regular.is_empty() {
        regular.push("all".to_string());
    }
    regular.into_iter().chain(and).chain(not).collect()
}

pub fn select(inv: &Inventory, pattern: &str, limit: Option<&str>) -> Result<Selection, Diagnostic> {
    let mut warnings = Vec::new();
    let mut hosts = evaluate(inv, split_host_pattern(pattern), &mut warnings)?;
    if let Some(limit) = limit {
        let subset: HashSet<String> = evaluate(inv, limit_patterns(limit)?, &mut warnings)?.into_iter().collect();
        hosts.retain(|h| subset.contains(h));
    }
    // Sets, not list searches: a range line can make 100 000 hosts.
    let mut seen = HashSet::new();
    hosts.retain(|h| seen.insert(h.clone()));
    Ok(Selection { hosts, warnings })
}

/// `--limit` patterns; `@file` reads one pattern per line.
fn limit_patterns(limit: &str) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    for p in split_host_pattern(limit) {
        match p.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file).map_err(|e| Diagnostic::error(format!("cannot read limit file {file}: {e}")))?;
                out.extend(text.split('\n').map(|l| l.trim().to_string()));
            }
            None => out.push(p),
        }
    }
    Ok(out)
}

fn evaluate(inv: &Inventory, patterns: Vec<String>, warnings: &mut Vec<String>) -> Result<Vec<String>, Diagnostic> {
    let mut hosts: Vec<String> = Vec::new();
    for p in order_patterns(patterns) {
        if inv.data.host_index.contains_key(&p) {
            hosts.push(p);
            continue;
        }
        let that = match_one(inv, &p, warnings)?;
        match p.as_bytes()[0] {
            b'!' => {
                let that: HashSet<String> = that.into_iter().collect();
                hosts.retain(|h| !that.contains(h));
            }
            b'&' => {
                let that: HashSet<String> = that.into_iter().collect();
                hosts.retain(|h| that.contains(h));
            }
            _ => {
                let existing: HashSet<String> = hosts.iter().cloned().collect();
                hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
            }
        }
    }
    Ok(hosts)
}

fn match_one(inv: &Inventory, pattern: &str, warnings: &mut Vec<String>) -> Result<Vec<String>, Diagnostic> {
    let bare = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
    if bare.is_empty() {
        return Err(Diagnostic::error(format!("empty host pattern '{pattern}'")));
    }
    let (expr, subscript) = split_subscript(bare);
    let hosts = enumerate_matches(inv, &expr, warnings)?;
    apply_subscript(hosts, subscript).ok_or_else(|| Diagnostic::error(format!("no hosts matched the subscripted pattern '{bare}'")))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscript {
    Index(i64),
    /// `[start:end]`, both inclusive; `end` is `None` for `[start:]`.
    Range(usize, Option<usize>),
}

fn split_subscript(pattern: &str) -> (String, Option<Subscript>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    if pattern.starts_with('~') {
        return (pattern.to_string(), None);
    }
    let re = RE.get_or_init(|| Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").unwrap_or_else(|_| unreachable!()));
    let Some(c) = re.captures(pattern) else { return (pattern.to_string(), None) };
    let sub = if let Some(idx) = c.get(2) {
        idx.as_str().parse().ok().map(Subscript::Index)
    } else {
        let start = c.get(3).and_then(|m| m.as_str().parse().ok());
        let end = c.get(5).map(|m| m.as_str()).filter(|s| !s.is_empty()).and_then(|s| s.parse().ok());
        // Ansible treats `[x:0]` as the single index x (`if end:` is false for 0).
        match (start, end) {
            (Some(s), Some(0)) => Some(Subscript::Index(s as i64)),
            (Some(s), e) => Some(Subscript::Range(s, e)),
            _ => None,
        }
    };
    (c[1].to_string(), sub)
}

/// `None` when a single index is out of range (Ansible: an error); ranges clamp like Python slices.
fn apply_subscript(hosts: Vec<String>, sub: Option<Subscript>) -> Option<Vec<String>> {
    let Some(sub) = sub else { return Some(hosts) };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len();
    match sub {
        Subscript::Index(i) => {
            let idx = if i < 0 { len as i64 + i } else { i };
            usize::try_from(idx).ok().and_then(|i| hosts.get(i).cloned()).map(|h| vec![h])
        }
        Subscript::Range(start, end) => {
            let end = end.unwrap_or(len - 1).saturating_add(1).min(len);
            Some(if start >= end { Vec::new() } else { hosts[start..end].to_vec() })
        }
    }
}

/// Groups whose name matches (all their hosts), then hosts whose name matches (for globs, regexes and when no group
/// matched), then the implicit localhost.
fn enumerate_matches(inv: &Inventory, pattern: &str, warnings: &mut Vec<String>) -> Result<Vec<String>, Diagnostic> {
    let matcher = Matcher::new(pattern)?;
    let data = &inv.data;
    let mut results: Vec<String> = Vec::new();
    let groups: Vec<usize> = (0..data.groups.len()).filter(|&g| matcher.is_match(&data.groups[g].name)).collect();
    for &g in &groups {
        results.extend(data.group_hosts(g).into_iter().map(|h| data.hosts[h].name.clone()));
    }
    if groups.is_empty() || pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']) {
        results.extend(data.hosts.iter().filter(|h| matcher.is_match(&h.name)).map(|h| h.name.clone()));
    }
    if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
        // Ansible reuses a localhost-like host of the inventory, else creates `pattern` implicitly.
        let explicit = data.hosts.iter().find(|h| LOCALHOST_NAMES.contains(&h.name.as_str()));
        results.push(explicit.map(|h| h.name.clone()).unwrap_or_else(|| pattern.to_string()));
    }
    if results.is_empty() && groups.is_empty() && pattern != "all" {
        warnings.push(format!("Could not match supplied host pattern, ignoring: {pattern}"));
    }
    Ok(results)
}

/// `~regex` (Python `re.match`: anchored at the start) or a shell glob (`fnmatch`: the whole name).
struct Matcher(Regex);

impl Matcher {
    fn new(pattern: &str) -> Result<Matcher, Diagnostic> {
        let re = match pattern.strip_prefix('~') {
            Some(r) => format!("^(?:{r})"),
            None => format!("^(?s:{})\\z", fnmatch_translate(pattern)),
        };
        Regex::new(&re).map(Matcher).map_err(|e| Diagnostic::error(format!("invalid host pattern '{pattern}': {e}")))
    }
    fn is_match(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// Python's `fnmatch.translate`, for the Rust regex dialect.
fn fnmatch_translate(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                if !out.ends_with(".*") {
                    out.push_str(".*");
                }
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                } else {
                    let stuff: String = chars[i..j].iter().collect();
                    i = j + 1;
                    let (neg, body) = match stuff.strip_prefix('!') {
                        Some(b) => (true, b.to_string()),
                        None => (false, stuff),
                    };
                    let mut class = String::from("[");
                    if neg {
                        class.push('^');
                    }
                    for ch in body.chars() {
                        if matches!(ch, '\\' | '[' | ']' | '&' | '~' | '^') {
                            class.push('\\');
                        }
                        class.push(ch);
                    }
                    class.push(']');
                    out.push_str(&class);
                }
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_ansible() {
        assert_eq!(split_host_pattern("web:&db:!x"), ["web", "&db", "!x"]);
        assert_eq!(split_host_pattern("a, b[1], c[2:3] , d"), ["a", "b[1]", "c[2:3]", "d"]);
        assert_eq!(split_host_pattern("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split_host_pattern("host:22"), ["host:22"]);
        assert_eq!(split_host_pattern("fe80::1"), ["fe80::1"]);
        assert_eq!(split_host_pattern("g1:g2"), ["g1", "g2"]);
    }

    #[test]
    fn subscripts() {
        assert_eq!(split_subscript("web[0]"), ("web".into(), Some(Subscript::Index(0))));
        assert_eq!(split_subscript("web[-1]"), ("web".into(), Some(Subscript::Index(-1))));
        assert_eq!(split_subscript("web[1:3]"), ("web".into(), Some(Subscript::Range(1, Some(3)))));
        assert_eq!(split_subscript("web[1:]"), ("web".into(), Some(Subscript::Range(1, None))));
        assert_eq!(split_subscript("~web[0]"), ("~web[0]".into(), None));
        let hosts: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(apply_subscript(hosts.clone(), Some(Subscript::Index(-1))), Some(vec!["c".to_string()]));
        assert_eq!(apply_subscript(hosts.clone(), Some(Subscript::Index(5))), None);
        assert_eq!(apply_subscript(hosts, Some(Subscript::Range(1, Some(9)))), Some(vec!["b".to_string(), "c".to_string()]));
    }

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| Matcher::new(p).unwrap().is_match(s);
        assert!(m("kafka*", "kafka1"));
        assert!(!m("kafka*", "xkafka1"));
        assert!(m("k?fka[0-9]", "kafka1"));
        assert!(m("k[!x]", "ka"));
        assert!(!m("k[!a]", "ka"));
        assert!(m("~ka", "kafka"));
        assert!(!m("~fka", "kafka"));
        assert!(m("a.b", "a.b"));
        assert!(!m("a.b", "axb"));
    }
}
