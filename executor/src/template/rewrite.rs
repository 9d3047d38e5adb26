//! Source rewrites that give minijinja's strict undefined handling Ansible's tolerance for
//! attribute chains on an undefined base: in Ansible `nope.attr is defined` is false and
//! `nope.attr | default(1)` is 1, whereas a strict engine fails on `nope.attr`. Only chains
//! followed by `is [not] defined`/`undefined` or `| default(`/`| d(` are rewritten, and only
//! inside `{{ }}` / `{% %}`; everything else keeps failing loudly on undefined values.

use std::borrow::Cow;

/// Rewrites the code regions of a template source.
pub(crate) fn rewrite_template(src: &str) -> Cow<'_, str> {
    if !src.contains(" is ") && !src.contains('|') && !src.contains('%') {
        return Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = find_open(rest) {
        let (text, tail) = rest.split_at(start);
        out.push_str(text);
        let close = if tail.starts_with("{{") { "}}" } else { "%}" };
        let body_start = 2;
        match find_close(&tail[body_start..], close) {
            Some(end) => {
                out.push_str(&tail[..body_start]);
                out.push_str(&rewrite_expr(&tail[body_start..body_start + end]));
                out.push_str(close);
                rest = &tail[body_start + end + close.len()..];
            }
            None => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    if out == src {
        Cow::Borrowed(src)
    } else {
        Cow::Owned(out)
    }
}

pub(crate) fn find_open(s: &str) -> Option<usize> {
    match (s.find("{{"), s.find("{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The end of a code region, skipping quoted strings.
pub(crate) fn find_close(s: &str, close: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            // Bytes, not `&s[i..]`: `i` walks bytes and may sit inside a multi-byte character.
            None if bytes[i..].starts_with(close.as_bytes()) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Parses `ident(.ident|[...])*` at `i`; returns the end and the end offsets of each prefix.
fn parse_chain(s: &[u8], i: usize) -> (usize, Vec<usize>) {
    let mut j = i;
    while j < s.len() && is_ident(s[j]) {
        j += 1;
    }
    let mut ends = vec![j];
    loop {
        if j + 1 < s.len() && s[j] == b'.' && is_ident_start(s[j + 1]) {
            let mut k = j + 1;
            while k < s.len() && is_ident(s[k]) {
                k += 1;
            }
            j = k;
        } else if j < s.len() && s[j] == b'[' {
            let mut depth = 0;
            let mut k = j;
            let mut quote: Option<u8> = None;
            while k < s.len() {
                let b = s[k];
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'\'' || b == b'"' => quote = Some(b),
                    None if b == b'[' => depth += 1,
                    None if b == b']' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    None => {}
                }
                k += 1;
            }
            if k >= s.len() {
                break;
            }
            j = k + 1;
        } else {
            break;
        }
        ends.push(j);
    }
    (j, ends)
}

/// What follows a chain, if it is one of the tolerant uses.
enum Use {
    /// `is defined` (`negate`: the result is inverted), consumed up to `end`.
    Defined { negate: bool, end: usize },
    /// `| default(` or `| d(`: the chain is guarded level by level, nothing consumed.
    Default,
}

fn word_at(s: &str, i: usize, word: &str) -> Option<usize> {
    let rest = s.get(i..)?;
    let after = rest.strip_prefix(word)?;
    match after.bytes().next() {
        Some(b) if is_ident(b) => None,
        _ => Some(i + word.len()),
    }
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    while s.as_bytes().get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

fn classify(s: &str, end: usize) -> Option<Use> {
    let i = skip_ws(s, end);
    if let Some(j) = word_at(s, i, "is") {
        let mut k = skip_ws(s, j);
        let mut negate = false;
        if let Some(n) = word_at(s, k, "not") {
            negate = true;
            k = skip_ws(s, n);
        }
        if let Some(e) = word_at(s, k, "defined") {
            return Some(Use::Defined { negate, end: e });
        }
        if let Some(e) = word_at(s, k, "undefined") {
            return Some(Use::Defined { negate: !negate, end: e });
        }
        return None;
    }
    if s.as_bytes().get(i) == Some(&b'|') {
        let k = skip_ws(s, i + 1);
        for name in ["default", "d"] {
            if let Some(e) = word_at(s, k, name) {
                if s.as_bytes().get(skip_ws(s, e)) == Some(&b'(') {
                    return Some(Use::Default);
                }
            }
        }
    }
    None
}

/// Rewrites one code region.
fn rewrite_expr(code: &str) -> String {
    let s = code.as_bytes();
    // Bytes: the scan goes byte by byte, and a character may be several bytes long.
    let mut out: Vec<u8> = Vec::with_capacity(code.len());
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < s.len() {
        let b = s[i];
        if let Some(q) = quote {
            if b == b'\\' && i + 1 < s.len() {
                out.extend_from_slice(&s[i..i + 2]);
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
            out.push(b);
            i += 1;
            continue;
        }
        if b == b'\'' || b == b'"' {
            if let Some((end, text)) = percent_format(code, i) {
                out.extend_from_slice(text.as_bytes());
                i = end;
                continue;
            }
            quote = Some(b);
            out.push(b);
            i += 1;
            continue;
        }
        let boundary = i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == b'.');
        if boundary && is_ident_start(b) {
            let (end, ends) = parse_chain(s, i);
            if ends.len() > 1 {
                let prefixes: Vec<&str> = ends.iter().map(|e| &code[i..*e]).collect();
                match classify(code, end) {
                    Some(Use::Defined { negate, end: consumed }) => {
                        let all: Vec<String> = prefixes.iter().map(|p| format!("{p} is defined")).collect();
                        let joined = all.join(" and ");
                        out.extend_from_slice(if negate { format!("(not ({joined}))") } else { format!("({joined})") }.as_bytes());
                        i = consumed;
                        continue;
                    }
                    Some(Use::Default) => {
                        let mut guarded = prefixes[0].to_string();
                        for (k, e) in ends.iter().enumerate().skip(1) {
                            let accessor = &code[ends[k - 1]..*e];
                            guarded = format!("({guarded} | default({{}})){accessor}");
                            if k + 1 < ends.len() {
                                guarded = format!("({guarded})");
                            }
                        }
                        out.extend_from_slice(guarded.as_bytes());
                        i = end;
                        continue;
                    }
                    None => {}
                }
            }
            out.extend_from_slice(&s[i..end]);
            i = end;
            continue;
        }
        out.push(b);
        i += 1;
    }
    // Whole characters were copied and only ASCII inserted between them, so this is UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The end of the string literal starting at `i` (just past its closing quote).
fn literal_end(s: &[u8], i: usize) -> Option<usize> {
    let q = s[i];
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b if b == q => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// Python's `'fmt' % args` on a string literal (minijinja has no string `%`): rewritten to the
/// `format` filter. Only a parenthesized operand or a plain variable chain is taken, so the
/// precedence cannot change.
fn percent_format(code: &str, i: usize) -> Option<(usize, String)> {
    let s = code.as_bytes();
    let lit_end = literal_end(s, i)?;
    let op = skip_ws(code, lit_end);
    if s.get(op) != Some(&b'%') || s.get(op + 1) == Some(&b'}') {
        return None;
    }
    let start = skip_ws(code, op + 1);
    let (args, end) = if s.get(start) == Some(&b'(') {
        let mut depth = 0;
        let mut j = start;
        while j < s.len() {
            match s[j] {
                b'\'' | b'"' => {
                    j = literal_end(s, j)?;
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        (code.get(start + 1..j)?.to_string(), j + 1)
    } else if s.get(start).copied().is_some_and(is_ident_start) {
        let (end, _) = parse_chain(s, start);
        (code[start..end].to_string(), end)
    } else {
        return None;
    };
    let next = skip_ws(code, end);
    if matches!(s.get(next), Some(b'|' | b'.' | b'(' | b'[')) {
        return None;
    }
    Some((end, format!("({} | format({args}))", &code[i..lit_end])))
}

#[cfg(test)]
mod unit {
    use super::*;

    /// Found by the template fuzz target (tests/fuzz/regressions/template/crash-*): a multi-byte
    /// character inside a code region made the close search slice inside it and panic.
    #[test]
    fn multi_byte_characters_in_a_code_region_are_skipped_whole() {
        assert_eq!(find_close(" x܂ }} tail", "}}"), Some(5));
        assert_eq!(find_close(" 'é}}' é %}", "%}"), Some(11));
        assert_eq!(rewrite_template("{{ a܂ | default(1) }}é"), "{{ a܂ | default(1) }}é");
        assert_eq!(rewrite_template("{{ 'ü\\é' ~ x.y | d('ß') }}"), "{{ 'ü\\é' ~ (x | default({})).y | d('ß') }}");
    }

    #[test]
    fn chains_before_defined_tests_are_guarded() {
        assert_eq!(rewrite_template("{{ a.b is defined }}"), "{{ (a is defined and a.b is defined) }}");
        assert_eq!(
            rewrite_template("{% if a['x'].y is not defined %}"),
            "{% if (not (a is defined and a['x'] is defined and a['x'].y is defined)) %}"
        );
        assert_eq!(rewrite_template("{{ a.b is undefined }}"), "{{ (not (a is defined and a.b is defined)) }}");
    }

    #[test]
    fn chains_before_default_are_guarded() {
        assert_eq!(rewrite_template("{{ a.b.c | default(1) }}"), "{{ (((a | default({})).b) | default({})).c | default(1) }}");
    }

    #[test]
    fn percent_on_string_literals_becomes_format() {
        assert_eq!(rewrite_template(r#"{{ "%s-%d" % (name, 3) }}"#), r#"{{ ("%s-%d" | format(name, 3)) }}"#);
        assert_eq!(rewrite_template("{{ '%s' % x.y }}"), "{{ ('%s' | format(x.y)) }}");
        assert_eq!(rewrite_template("{{ '%s' % x | upper }}"), "{{ '%s' % x | upper }}");
    }

    #[test]
    fn other_text_is_untouched() {
        for s in
            ["a.b is defined outside tags", "{{ 'a.b is defined' }}", "{{ a.b }}", "{{ x is defined }}", "{{ a.items() | default(1) }}"]
        {
            assert_eq!(rewrite_template(s), s);
        }
    }
}
