//! String filters: regex_*, quote, comment, b64*, hash, format, basename/dirname.

use base64::Engine as _;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};
use regex::{Regex, RegexBuilder};

use super::super::pyrepr;
use super::fail;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("quote", quote);
    env.add_filter("comment", comment);
    env.add_filter("b64encode", |s: &Value| base64::engine::general_purpose::STANDARD.encode(text_of(s)));
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", hash);
    env.add_filter("md5", |s: &Value| digest_hex("md5", &text_of(s)).unwrap_or_default());
    env.add_filter("sha1", |s: &Value| digest_hex("sha1", &text_of(s)).unwrap_or_default());
    env.add_filter("checksum", |s: &Value| digest_hex("sha1", &text_of(s)).unwrap_or_default());
    env.add_filter("format", percent_format);
    env.add_filter("basename", |s: &Value| basename(&text_of(s)).to_string());
    env.add_filter("dirname", |s: &Value| dirname(&text_of(s)).to_string());
    env.add_filter("splitext", splitext);
    env.add_filter("indent", indent);
    env.add_filter("path_join", path_join);
    env.add_filter("expanduser", |s: &Value| expanduser(&text_of(s)));
    env.add_filter("normpath", |s: &Value| normpath(&text_of(s)));
    env.add_filter("center", |s: &Value, width: Option<usize>| {
        let text = text_of(s);
        let width = width.unwrap_or(80);
        let len = text.chars().count();
        if len >= width {
            return text;
        }
        // CPython's str.center split of the padding.
        let total = width - len;
        let left = total / 2 + (total & width & 1);
        format!("{}{text}{}", " ".repeat(left), " ".repeat(total - left))
    });
    env.add_filter("wordcount", |s: &Value| text_of(s).split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).count());
}

/// A value as text the way Ansible's filters coerce it (`to_text(nonstring='simplerepr')`).
pub(crate) fn text_of(v: &Value) -> String {
    if v.is_none() || v.is_undefined() {
        return String::new();
    }
    pyrepr::py_str(v)
}

/// Compiles a Python regex (flags from Ansible's `ignorecase`/`multiline` arguments).
fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| fail(format!("invalid regular expression {pattern:?}: {e}")))
}

/// Python replacement syntax (`\1`, `\g<name>`) → regex crate syntax (`${1}`, `${name}`).
fn py_replacement(rep: &str) -> String {
    let mut out = String::with_capacity(rep.len());
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut num = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        num.push(d);
                        chars.next();
                        if num.len() == 2 {
                            break;
                        }
                    }
                    out.push_str(&format!("${{{num}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn regex_replace(value: &Value, pattern: Option<String>, replacement: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let pattern = match pattern {
        Some(p) => p,
        None => kwargs.get::<Option<String>>("pattern")?.unwrap_or_default(),
    };
    let replacement = match replacement {
        Some(r) => r,
        None => kwargs.get::<Option<String>>("replacement")?.unwrap_or_default(),
    };
    kwargs.assert_all_used()?;
    let re = compile(&pattern, ignorecase, multiline)?;
    Ok(re.replacen(&text_of(value), count, py_replacement(&replacement).as_str()).into_owned())
}

fn regex_search(value: &Value, pattern: String, groups: Rest<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let re = compile(&pattern, ignorecase, multiline)?;
    let text = text_of(value);
    let Some(caps) = re.captures(&text) else { return Ok(Value::from(())) };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map(|m| m.as_str()).unwrap_or_default()));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let m = if let Some(name) = g.strip_prefix("\\g<").and_then(|s| s.strip_suffix('>')) {
            caps.name(name)
        } else if let Some(n) = g.strip_prefix('\\').and_then(|s| s.parse::<usize>().ok()) {
            caps.get(n)
        } else {
            return Err(fail("Unknown argument"));
        };
        out.push(m.map(|m| Value::from(m.as_str())).unwrap_or(Value::from(())));
    }
    Ok(Value::from(out))
}

/// Python's `re.findall`: whole matches, the group, or lists of groups.
fn regex_findall(value: &Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let re = compile(&pattern, ignorecase, multiline)?;
    let text = text_of(value);
    let groups = re.captures_len() - 1;
    let out: Vec<Value> = re
        .captures_iter(&text)
        .map(|caps| {
            let group = |i: usize| Value::from(caps.get(i).map(|m| m.as_str()).unwrap_or_default());
            match groups {
                0 => group(0),
                1 => group(1),
                n => Value::from((1..=n).map(group).collect::<Vec<_>>()),
            }
        })
        .collect();
    Ok(Value::from(out))
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

fn quote(value: &Value) -> String {
    shell_quote(&text_of(value))
}

/// Ansible's `comment` filter, a port of its Python code (styles plain, erlang, c, cblock, xml).
fn comment(value: &Value, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let text = text_of(value);
    let style = style.unwrap_or_else(|| "plain".to_string());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(fail(format!("unknown comment style '{other}'"))),
    };
    let kw = |name: &str| kwargs.get::<Option<Value>>(name);
    let decoration = kw("decoration")?.map(|v| text_of(&v)).unwrap_or_else(|| decoration.to_string());
    let prepostfix = decoration.trim_end().to_string();
    let newline = kw("newline")?.map(|v| text_of(&v)).unwrap_or_else(|| "\n".to_string());
    let beginning = kw("beginning")?.map(|v| text_of(&v)).unwrap_or_else(|| beginning.to_string());
    let prefix = kw("prefix")?.map(|v| text_of(&v)).unwrap_or_else(|| prepostfix.clone());
    let prefix_count = kw("prefix_count")?.and_then(|v| v.as_i64()).unwrap_or(1).max(0) as usize;
    let postfix = kw("postfix")?.map(|v| text_of(&v)).unwrap_or_else(|| prepostfix.clone());
    let postfix_count = kw("postfix_count")?.and_then(|v| v.as_i64()).unwrap_or(1).max(0) as usize;
    let end = kw("end")?.map(|v| text_of(&v)).unwrap_or_else(|| end.to_string());
    kwargs.assert_all_used()?;

    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let one = if prefix != newline { format!("{prefix}{newline}") } else { newline.clone() };
        out.push_str(&one.repeat(prefix_count));
    }
    let body = format!("{decoration}{}", text.replace(&newline, &format!("{newline}{decoration}")));
    out.push_str(&body.replace(&format!("{decoration}{newline}"), &format!("{}{newline}", decoration.trim_end())));
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

fn b64decode(value: &Value) -> Result<String, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text_of(value).trim())
        .map_err(|e| fail(format!("b64decode: invalid base64 input: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Hex digest of `text` with a hashlib algorithm name.
pub(crate) fn digest_hex(algo: &str, text: &str) -> Option<String> {
    use sha2::Digest;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let data = text.as_bytes();
    Some(match algo {
        "md5" => hex(&md5::Md5::digest(data)),
        "sha1" => hex(&sha1::Sha1::digest(data)),
        "sha224" => hex(&sha2::Sha224::digest(data)),
        "sha256" => hex(&sha2::Sha256::digest(data)),
        "sha384" => hex(&sha2::Sha384::digest(data)),
        "sha512" => hex(&sha2::Sha512::digest(data)),
        _ => return None,
    })
}

fn hash(value: &Value, algo: Option<String>) -> Result<String, Error> {
    let algo = algo.unwrap_or_else(|| "sha1".to_string());
    digest_hex(&algo, &text_of(value)).ok_or_else(|| fail(format!("unsupported hash type {algo}")))
}

/// `"%s-%05d" | format(a, b)`: Python's `%` string formatting.
fn percent_format(fmt: &Value, args: Rest<Value>) -> Result<String, Error> {
    let fmt = text_of(fmt);
    let args: Vec<Value> = args.0;
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(f) = chars.peek().copied().filter(|f| "-+ 0#".contains(*f)) {
            flags.push(f);
            chars.next();
        }
        let mut width = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let conv = chars.next().ok_or_else(|| fail("incomplete format"))?;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = args.get(next).cloned().ok_or_else(|| fail("not enough arguments for format string"))?;
        next += 1;
        let num = || {
            f64::try_from(arg.clone()).map_err(|_| fail(format!("%{conv} format: a number is required, not {}", pyrepr::type_name(&arg))))
        };
        let body = match conv {
            's' => {
                let s = text_of(&arg);
                match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'r' => pyrepr::py_repr(&arg),
            'd' | 'i' | 'u' => format!("{}", num()?.trunc() as i64),
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), num()?),
            'e' | 'E' => {
                let s = python_exp(num()?, precision.unwrap_or(6));
                if conv == 'E' {
                    s.to_uppercase()
                } else {
                    s
                }
            }
            'x' => format!("{:x}", num()? as i64),
            'X' => format!("{:X}", num()? as i64),
            'o' => format!("{:o}", num()? as i64),
            'c' => arg.as_i64().and_then(|i| char::from_u32(i as u32)).map(String::from).unwrap_or_else(|| text_of(&arg)),
            other => return Err(fail(format!("unsupported format character '{other}'"))),
        };
        let body = if flags.contains('+') && matches!(conv, 'd' | 'i' | 'f' | 'F' | 'e' | 'E') && !body.starts_with('-') {
            format!("+{body}")
        } else {
            body
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len >= width {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(width - len));
        } else if flags.contains('0') && conv != 's' {
            let (sign, digits) = if body.starts_with(['-', '+']) { body.split_at(1) } else { ("", body.as_str()) };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - len));
            out.push_str(&body);
        }
    }
    if next < args.len() && !(args.len() == 1 && args[0].kind() == ValueKind::Map) {
        return Err(fail("not all arguments converted during string formatting"));
    }
    Ok(out)
}

/// `%e` as Python writes it (`1.500000e+03`).
fn python_exp(f: f64, precision: usize) -> String {
    let s = format!("{f:.precision$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
        }
        None => s,
    }
}

/// Python's `os.path.basename`.
pub(crate) fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Python's `os.path.dirname`.
pub(crate) fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => {
            let head = &p[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head
            } else {
                trimmed
            }
        }
        None => "",
    }
}

/// Python's `os.path.splitext`.
fn splitext(value: &Value) -> Value {
    let p = text_of(value);
    let base_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let base = &p[base_start..];
    let dot = base.trim_start_matches('.').rfind('.').map(|i| i + (base.len() - base.trim_start_matches('.').len()));
    match dot {
        Some(i) => Value::from(vec![Value::from(&p[..base_start + i]), Value::from(&p[base_start + i..])]),
        None => Value::from(vec![Value::from(p.as_str()), Value::from("")]),
    }
}

/// Jinja's `indent(width=4, first=False, blank=False)`, a port of its Python code (which keeps
/// a trailing newline, unlike minijinja's).
fn indent(value: &Value, width: Option<Value>, first: Option<bool>, blank: Option<bool>, kwargs: Kwargs) -> Result<String, Error> {
    let width = match width {
        Some(w) => Some(w),
        None => kwargs.get::<Option<Value>>("width")?,
    };
    let first = match first {
        Some(f) => f,
        None => kwargs.get::<Option<bool>>("first")?.unwrap_or(false),
    };
    let blank = match blank {
        Some(b) => b,
        None => kwargs.get::<Option<bool>>("blank")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let indention = match width {
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or_default().to_string(),
        Some(w) => " ".repeat(w.as_i64().unwrap_or(4).max(0) as usize),
        None => "    ".to_string(),
    };
    let text = format!("{}\n", text_of(value));
    let lines: Vec<&str> = text.lines().collect();
    let mut rv = if blank {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut rv = lines.first().copied().unwrap_or_default().to_string();
        if lines.len() > 1 {
            let rest: Vec<String> =
                lines[1..].iter().map(|l| if l.is_empty() { String::new() } else { format!("{indention}{l}") }).collect();
            rv.push('\n');
            rv.push_str(&rest.join("\n"));
        }
        rv
    };
    if first {
        rv = format!("{indention}{rv}");
    }
    Ok(rv)
}

/// `os.path.join` over a list (or one string).
fn path_join(value: &Value) -> Result<String, Error> {
    let parts: Vec<String> = match value.kind() {
        ValueKind::String => vec![text_of(value)],
        _ => value.try_iter()?.map(|v| text_of(&v)).collect(),
    };
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out = p;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&p);
        } else {
            out.push('/');
            out.push_str(&p);
        }
    }
    Ok(out)
}

/// `os.path.expanduser` for the controller's own user (`~` and `~/…`).
fn expanduser(p: &str) -> String {
    match (p.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => p.to_string(),
    }
}

/// `os.path.normpath`.
fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let absolute = p.starts_with('/');
    // POSIX keeps exactly two leading slashes, folds three or more to one.
    let lead = if absolute {
        if p.starts_with("//") && !p.starts_with("///") {
            "//"
        } else {
            "/"
        }
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    let out = format!("{lead}{joined}");
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

/// Ansible's `regex_escape(re_type='python')`: Python's `re.escape` (which, unlike `regex::escape`, also escapes
/// whitespace), or for `posix_basic` a backslash before each of `].[^$*\\`.
fn regex_escape(value: &Value, re_type: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let re_type = match re_type {
        Some(t) => t,
        None => kwargs.get::<Option<String>>("re_type")?.unwrap_or_else(|| "python".into()),
    };
    kwargs.assert_all_used()?;
    let text = text_of(value);
    let special: &[char] = match re_type.as_str() {
        "python" => &[
            '(', ')', '[', ']', '{', '}', '?', '*', '+', '-', '|', '^', '$', '\\', '.', '&', '~', '#', ' ', '\t', '\n', '\r', '\x0b',
            '\x0c',
        ],
        "posix_basic" => &[']', '.', '[', '^', '$', '*', '\\'],
        other => return Err(fail(format!("Regex type ({other}) not yet implemented or invalid"))),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}
