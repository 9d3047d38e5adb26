//! Python's `ast.literal_eval`, for INI inventory values: Ansible's INI plugin
//! evaluates every host and group variable as a Python literal and keeps the
//! text when that fails. So `port=22` is an int, `flag=True` a bool,
//! `x="a b"` a string, `l=[1, 2]` a list, `yes` and `0644` stay strings.

use serde_json::{Map, Number, Value};

use crate::yaml::python_float;

/// The value Ansible gives an INI variable written as `text`.
pub fn ini_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// `Some(value)` when `text` is a Python literal; tuples and sets become lists.
pub fn literal_eval(text: &str) -> Option<Value> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0 };
    p.skip_ws();
    let first = p.expr()?;
    p.skip_ws();
    // A bare `1, 2` is a tuple.
    let value = if p.peek() == Some(b',') {
        let mut items = vec![first];
        while p.eat(b',') {
            p.skip_ws();
            if p.at_end() {
                break;
            }
            items.push(p.expr()?);
            p.skip_ws();
        }
        Value::Array(items)
    } else {
        first
    };
    p.skip_ws();
    p.at_end().then_some(value)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Whitespace and a `#` comment up to the end of the text.
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\x0c' => self.i += 1,
                b'#' => self.i = self.s.len(),
                _ => break,
            }
        }
    }

    fn expr(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'[' => self.seq(b']').map(Value::Array),
            b'(' => {
                self.i += 1;
                self.skip_ws();
                if self.eat(b')') {
                    return Some(Value::Array(vec![]));
                }
                let first = self.expr()?;
                self.skip_ws();
                if self.eat(b')') {
                    return Some(first);
                }
                let mut items = vec![first];
                while self.eat(b',') {
                    self.skip_ws();
                    if self.peek() == Some(b')') {
                        break;
                    }
                    items.push(self.expr()?);
                    self.skip_ws();
                }
                self.eat(b')').then_some(Value::Array(items))
            }
            b'{' => self.dict_or_set(),
            b'-' | b'+' => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                self.skip_ws();
                match self.number()? {
                    Value::Number(n) if neg => negate(&n),
                    v => Some(v),
                }
            }
            b'0'..=b'9' | b'.' => self.number(),
            _ => self.string_or_name(),
        }
    }

    fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expr()?);
            self.skip_ws();
            if !self.eat(b',') {
                self.skip_ws();
                return self.eat(close).then_some(items);
            }
        }
    }

    fn dict_or_set(&mut self) -> Option<Value> {
        self.i += 1;
        self.skip_ws();
        if self.eat(b'}') {
            return Some(Value::Object(Map::new()));
        }
        let first = self.expr()?;
        self.skip_ws();
        if self.eat(b':') {
            let mut map = Map::new();
            let v = self.expr()?;
            map.insert(json_key(&first), v);
            loop {
                self.skip_ws();
                if self.eat(b'}') {
                    return Some(Value::Object(map));
                }
                if !self.eat(b',') {
                    return None;
                }
                self.skip_ws();
                if self.eat(b'}') {
                    return Some(Value::Object(map));
                }
                let k = self.expr()?;
                self.skip_ws();
                if !self.eat(b':') {
                    return None;
                }
                let v = self.expr()?;
                map.insert(json_key(&k), v);
            }
        }
        // A set: Ansible turns it into a list; duplicates collapse.
        let mut items = vec![first];
        loop {
            self.skip_ws();
            if self.eat(b'}') {
                return Some(Value::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
            self.skip_ws();
            if self.eat(b'}') {
                return Some(Value::Array(items));
            }
            let v = self.expr()?;
            if !items.contains(&v) {
                items.push(v);
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let prev = if self.i > start { self.s[self.i - 1] } else { 0 };
            let exp_sign = (c == b'+' || c == b'-') && (prev == b'e' || prev == b'E') && !self.text[start..].starts_with("0x");
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exp_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        parse_number(&self.text[start..self.i])
    }

    fn string_or_name(&mut self) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        let word = &self.text[start..self.i];
        match (word, self.peek()) {
            ("True", _) => Some(Value::Bool(true)),
            ("False", _) => Some(Value::Bool(false)),
            ("None", _) => Some(Value::Null),
            (prefix, Some(b'\'' | b'"')) => {
                let lower = prefix.to_ascii_lowercase();
                let (raw, bytes) = match lower.as_str() {
                    "" | "u" => (false, false),
                    "r" => (true, false),
                    "b" => (false, true),
                    "br" | "rb" => (true, true),
                    _ => return None, // f-strings and unknown prefixes are not literals
                };
                let mut out = self.quoted(raw)?;
                // Adjacent literals concatenate: `'a' 'b'` is `'ab'`.
                loop {
                    let save = self.i;
                    self.skip_ws();
                    let ws = self.i;
                    while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                        self.i += 1;
                    }
                    let p = self.text[ws..self.i].to_ascii_lowercase();
                    let (raw, b) = match p.as_str() {
                        "" | "u" => (false, false),
                        "r" => (true, false),
                        "b" => (false, true),
                        "br" | "rb" => (true, true),
                        _ => {
                            self.i = save;
                            break;
                        }
                    };
                    if !matches!(self.peek(), Some(b'\'' | b'"')) {
                        self.i = save;
                        break;
                    }
                    if b != bytes {
                        return None; // cannot mix bytes and str
                    }
                    out.push_str(&self.quoted(raw)?);
                }
                Some(Value::String(out))
            }
            ("", Some(b'.')) if self.text[self.i..].starts_with("...") => {
                self.i += 3;
                Some(Value::String("...".into()))
            }
            _ => None,
        }
    }

    /// A quoted string starting at the quote.
    fn quoted(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let c = rest.chars().next()?;
            if c as u32 == q as u32 {
                if !triple {
                    self.i += 1;
                    return Some(out);
                }
                if rest.as_bytes().get(..3) == Some(&[q, q, q][..]) {
                    self.i += 3;
                    return Some(out);
                }
            }
            if c == '\n' && !triple {
                return None;
            }
            if c == '\\' {
                let next = rest[1..].chars().next()?;
                if raw {
                    out.push('\\');
                    out.push(next);
                    self.i += 1 + next.len_utf8();
                    continue;
                }
                self.i += 1 + next.len_utf8();
                match next {
                    '\n' => {}
                    '\\' => out.push('\\'),
                    '\'' => out.push('\''),
                    '"' => out.push('"'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    'x' => out.push(self.hex_escape(2)?),
                    'u' => out.push(self.hex_escape(4)?),
                    'U' => out.push(self.hex_escape(8)?),
                    '0'..='7' => {
                        let mut n = next.to_digit(8)?;
                        for _ in 0..2 {
                            match self.peek() {
                                Some(d @ b'0'..=b'7') => {
                                    n = n * 8 + u32::from(d - b'0');
                                    self.i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(char::from_u32(n)?);
                    }
                    other => {
                        // Python keeps unknown escapes as written.
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            out.push(c);
            self.i += c.len_utf8();
        }
    }

    fn hex_escape(&mut self, n: usize) -> Option<char> {
        let digits = self.text.get(self.i..self.i + n)?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        self.i += n;
        char::from_u32(v)
    }
}

fn negate(n: &Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return Some(Value::Number((-i).into()));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

/// A Python int or float literal (`22`, `0x1F`, `0o17`, `1_000`, `1.5`, `1e3`); `0644` is a syntax error.
fn parse_number(t: &str) -> Option<Value> {
    if t.starts_with('_') || t.ends_with('_') || t.contains("__") || t.contains("_.") || t.contains("._") {
        return None;
    }
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(d) = lower.strip_prefix(prefix) {
            return i64::from_str_radix(d, radix).ok().map(|i| Value::Number(i.into()));
        }
    }
    if lower.bytes().all(|b| b.is_ascii_digit()) {
        if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
            return None; // leading zeros are a SyntaxError in Python 3
        }
        // Python ints are unbounded; JSON numbers here reach u64.
        return match lower.parse::<i64>() {
            Ok(i) => Some(Value::Number(i.into())),
            Err(_) => lower.parse::<u64>().ok().map(|u| Value::Number(u.into())),
        };
    }
    if lower.ends_with('j') {
        return None; // complex: Ansible keeps the text
    }
    let valid =
        lower.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-')) && lower.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// A Python dict key as `json.dumps` writes it.
fn json_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => python_float(f),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_as_python_reads_them() {
        assert_eq!(ini_value("22"), json!(22));
        assert_eq!(ini_value("-5"), json!(-5));
        assert_eq!(ini_value("True"), json!(true));
        assert_eq!(ini_value("None"), json!(null));
        assert_eq!(ini_value("'x'"), json!("x"));
        assert_eq!(ini_value("\"a\" 'b'"), json!("ab"));
        assert_eq!(ini_value("[1, 'a', [2]]"), json!([1, "a", [2]]));
        assert_eq!(ini_value("(1, 2)"), json!([1, 2]));
        assert_eq!(ini_value("1, 2"), json!([1, 2]));
        assert_eq!(ini_value("{'a': 1, 2: None}"), json!({"a": 1, "2": null}));
        assert_eq!(ini_value("0x1f"), json!(31));
        assert_eq!(ini_value("1_000"), json!(1000));
        assert_eq!(ini_value("1.5"), json!(1.5));
        assert_eq!(ini_value("1e3"), json!(1000.0));
        assert_eq!(ini_value("12345678901234567890"), json!(12345678901234567890u64));
        assert_eq!(ini_value("5 # comment"), json!(5));
        assert_eq!(ini_value("'a\\tb'"), json!("a\tb"));
    }

    #[test]
    fn non_literals_stay_text() {
        for t in ["yes", "0644", "--5", "a b", "hello # c", "", "1+2", "f'x'", "[1, 2", "true", "1j"] {
            assert_eq!(ini_value(t), json!(t), "{t}");
        }
    }
}
