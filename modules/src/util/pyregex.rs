//! Ansible's modules take Python regular expressions and Python replacement
//! templates (`\1`, `\g<name>`). The `regex` crate reads the same pattern
//! syntax for everything but look-around and backreferences inside the
//! pattern (those are refused with a clear error), and its templates are
//! spelled `${1}`: this translates.

use regex::bytes::Regex;

use crate::error::ModuleError;

/// Compile a Python-syntax pattern (`\Z` is Python's end of text).
pub fn compile(what: &str, pattern: &str) -> Result<Regex, ModuleError> {
    Regex::new(&pattern.replace(r"\Z", r"\z"))
        .map_err(|e| ModuleError::BadArgs(format!("{what}: invalid regular expression {pattern:?}: {e}")))
}

/// Compile like Python's `re.match`: anchored at the start only.
pub fn compile_match(what: &str, pattern: &str) -> Result<Regex, ModuleError> {
    compile(what, &format!("^(?:{pattern})"))
}

/// Translate a Python replacement template into the `regex` crate's.
pub fn template(py: &str) -> String {
    let mut out = String::with_capacity(py.len());
    let chars: Vec<char> = py.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' {
            out.push_str("$$");
        } else if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            i += 1;
            match n {
                '0'..='9' => {
                    let mut num = n.to_string();
                    if i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
                        i += 1;
                        num.push(chars[i]);
                    }
                    out.push_str(&format!("${{{num}}}"));
                }
                'g' if chars.get(i + 1) == Some(&'<') => match chars[i + 2..].iter().position(|&ch| ch == '>') {
                    Some(end) => {
                        let name: String = chars[i + 2..i + 2 + end].iter().collect();
                        out.push_str(&format!("${{{name}}}"));
                        i += 2 + end;
                    }
                    None => out.push_str("\\g"),
                },
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_templates_become_rust_ones() {
        assert_eq!(template(r"\1=\g<v> $x \\"), "${1}=${v} $$x \\");
        let re = compile("regexp", r"^(\w+)=(?P<v>.*)$").unwrap();
        let caps = re.captures(b"key=val").unwrap();
        let mut dst = Vec::new();
        caps.expand(template(r"\g<v>:\1").as_bytes(), &mut dst);
        assert_eq!(dst, b"val:key");
        assert!(compile_match("p", "b").unwrap().is_match(b"bc"));
        assert!(!compile_match("p", "c").unwrap().is_match(b"bc"));
        assert!(compile("regexp", "(?<=x)y").is_err());
    }
}
