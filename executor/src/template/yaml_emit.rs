//! A YAML emitter that writes what Ansible's `to_yaml` / `to_nice_yaml` write: PyYAML's
//! `yaml.dump(sort_keys=True, allow_unicode=True)` through libyaml (CSafeDumper), which ansible-core
//! uses when available. A port of libyaml's emitter logic for the node shapes JSON data has:
//! scalar style selection (plain, single- or double-quoted), width-80 folding, indentless
//! sequences in mappings, flow style for leaf collections when `default_flow_style=None`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use super::pyrepr::float_repr;

/// Options of `yaml.dump` that Ansible's filters set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DumpOptions {
    pub indent: usize,
    /// `None`: flow style for collections holding only scalars; `Some(false)`: block everywhere.
    pub default_flow_style: Option<bool>,
}

const BEST_WIDTH: usize = 80;

/// `yaml.dump(value)` as text.
pub(crate) fn dump(value: &Json, opts: DumpOptions) -> String {
    let indent = if (2..10).contains(&opts.indent) { opts.indent } else { 2 };
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
        best_indent: indent,
        opts,
    };
    e.node(value, Ctx::Root);
    e.write_indent();
    e.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Sequence,
    MappingValue,
    SimpleKey,
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    best_indent: usize,
    opts: DumpOptions,
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

fn sorted(m: &serde_json::Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

impl Emitter {
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(" ");
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(" ");
        }
        self.put(ind);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { self.best_indent } else { 0 }),
            Some(i) if !indentless => Some(i + self.best_indent),
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(None);
    }

    /// Flow style for a collection: PyYAML's representer choice, or empty (always flow).
    fn flow_style(&self, v: &Json) -> bool {
        let leaf = match v {
            Json::Array(a) => a.iter().all(is_scalar),
            Json::Object(m) => m.values().all(is_scalar),
            _ => true,
        };
        match self.opts.default_flow_style {
            Some(f) => f,
            None => leaf,
        }
    }

    fn node(&mut self, v: &Json, ctx: Ctx) {
        match v {
            Json::Array(items) => {
                if self.flow_level > 0 || items.is_empty() || self.flow_style(v) {
                    self.flow_sequence(items);
                } else {
                    self.block_sequence(items, ctx);
                }
            }
            Json::Object(map) => {
                if self.flow_level > 0 || map.is_empty() || self.flow_style(v) {
                    self.flow_mapping(map);
                } else {
                    self.block_mapping(map);
                }
            }
            scalar => self.scalar(scalar, ctx),
        }
    }

    fn block_sequence(&mut self, items: &[Json], ctx: Ctx) {
        let indentless = ctx == Ctx::MappingValue && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::Sequence);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, map: &serde_json::Map<String, Json>) {
        self.increase_indent(false, false);
        for (k, v) in sorted(map) {
            self.write_indent();
            self.scalar(&Json::String(k.clone()), Ctx::SimpleKey);
            self.write_indicator(":", false, false, false);
            self.node(v, Ctx::MappingValue);
        }
        self.pop_indent();
    }

    fn flow_sequence(&mut self, items: &[Json]) {
        self.write_indicator("[", true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.node(item, Ctx::Sequence);
        }
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, map: &serde_json::Map<String, Json>) {
        self.write_indicator("{", true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        for (i, (k, v)) in sorted(map).into_iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.scalar(&Json::String(k.clone()), Ctx::SimpleKey);
            self.write_indicator(":", false, false, false);
            self.node(v, Ctx::MappingValue);
        }
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator("}", false, false, false);
    }

    fn scalar(&mut self, v: &Json, ctx: Ctx) {
        let (text, implicit_str) = match v {
            Json::Null => ("null".to_string(), false),
            Json::Bool(b) => (b.to_string(), false),
            Json::Number(n) => (number_text(n), false),
            Json::String(s) => (s.clone(), !resolves_to_non_str(s)),
            _ => (String::new(), false),
        };
        let is_string = matches!(v, Json::String(_));
        self.increase_indent(true, false);
        let a = analyze(&text);
        let simple_key = ctx == Ctx::SimpleKey;
        let mut style = Style::Plain;
        if (self.flow_level > 0 && !a.flow_plain) || (self.flow_level == 0 && !a.block_plain) {
            style = Style::Single;
        }
        if text.is_empty() && (self.flow_level > 0 || simple_key) {
            style = Style::Single;
        }
        if is_string && !implicit_str {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(&text, allow_breaks),
            Style::Single => self.write_single(&text, allow_breaks),
            Style::Double => self.write_double(&text, allow_breaks),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, text: &str, allow_breaks: bool) {
        if !self.whitespace && (!text.is_empty() || self.flow_level > 0) {
            self.put(" ");
        }
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.get(i + 1) != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                self.put(&c.to_string());
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != chars.len() - 1 && chars.get(i + 1) != Some(&' ') {
                    self.write_indent();
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put("''");
                } else {
                    self.put(&c.to_string());
                }
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if breaks {
            self.write_indent();
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                let esc = match c {
                    '\0' => "0".to_string(),
                    '\u{7}' => "a".into(),
                    '\u{8}' => "b".into(),
                    '\t' => "t".into(),
                    '\n' => "n".into(),
                    '\u{b}' => "v".into(),
                    '\u{c}' => "f".into(),
                    '\r' => "r".into(),
                    '\u{1b}' => "e".into(),
                    '"' => "\"".into(),
                    '\\' => "\\".into(),
                    '\u{85}' => "N".into(),
                    '\u{a0}' => "_".into(),
                    '\u{2028}' => "L".into(),
                    '\u{2029}' => "P".into(),
                    c if (c as u32) <= 0xff => format!("x{:02X}", c as u32),
                    c if (c as u32) <= 0xffff => format!("u{:04X}", c as u32),
                    c => format!("U{:08X}", c as u32),
                };
                self.put(&format!("\\{esc}"));
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != chars.len() - 1 {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put("\\");
                    }
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                self.put(&c.to_string());
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's IS_PRINTABLE (note: characters beyond the BMP are not "printable" to it).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a || (0x20..=0x7e).contains(&u) || (0xa0..=0xd7ff).contains(&u) || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

fn is_blankz(c: Option<char>) -> bool {
    matches!(c, None | Some(' ' | '\t' | '\0')) || c.is_some_and(is_break)
}

struct Analysis {
    flow_plain: bool,
    block_plain: bool,
    single_quoted: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis { flow_plain: false, block_plain: true, single_quoted: true };
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut flow_ind, mut block_ind) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = is_blankz(chars.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                flow_ind = true;
                block_ind = true;
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if c == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                if followed_by_ws {
                    block_ind = true;
                }
            }
            if c == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(Some(c));
    }
    let mut a = Analysis { flow_plain: true, block_plain: true, single_quoted: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if break_space {
        a = Analysis { flow_plain: false, block_plain: false, single_quoted: false };
    }
    if space_break || special {
        a = Analysis { flow_plain: false, block_plain: false, single_quoted: false };
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// A number as PyYAML's SafeRepresenter writes it.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        if f.is_nan() {
            return ".nan".into();
        }
        if f.is_infinite() {
            return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
        }
        let r = float_repr(f).to_lowercase();
        if !r.contains('.') && r.contains('e') {
            return r.replacen('e', ".0e", 1);
        }
        return r;
    }
    n.to_string()
}

/// Whether PyYAML's (YAML 1.1) resolver would read this plain text as something other than a string,
/// in which case the dumper must quote it.
fn resolves_to_non_str(s: &str) -> bool {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    res.iter().any(|r| r.is_match(s))
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    fn nice(v: Json) -> String {
        dump(&v, DumpOptions { indent: 4, default_flow_style: Some(false) })
    }

    fn terse(v: Json) -> String {
        dump(&v, DumpOptions { indent: 2, default_flow_style: None })
    }

    // Expected strings below were produced by ansible-core 2.19's to_yaml / to_nice_yaml (libyaml).
    #[test]
    fn nested_block_and_flow() {
        let v = json!({"b": [1, 2, {"x": "y", "a": []}], "l": [[1, 2], [3]], "e": ""});
        assert_eq!(terse(v.clone()), "b:\n- 1\n- 2\n- a: []\n  x: y\ne: ''\nl:\n- [1, 2]\n- [3]\n");
        assert_eq!(nice(v), "b:\n- 1\n- 2\n-   a: []\n    x: y\ne: ''\nl:\n-   - 1\n    - 2\n-   - 3\n");
    }

    #[test]
    fn scalar_quoting() {
        let v = json!({"a": {"c": "a: b", "h": "#x", "k": "v w", "q": "it's", "s": "yes", "tab": "a\tb", "u": "héllo", "n": null, "t": true, "f": 1.5, "big": 1e16}});
        assert_eq!(
            nice(v),
            "a:\n    big: 1.0e+16\n    c: 'a: b'\n    f: 1.5\n    h: '#x'\n    k: v w\n    n: null\n    q: it's\n    s: 'yes'\n    t: true\n    tab: \"a\\tb\"\n    u: héllo\n"
        );
    }

    #[test]
    fn multiline_and_long_strings() {
        let long = "word ".repeat(30);
        let v = json!({"a": {"long": long, "ml": "line1\nline2\n"}});
        assert_eq!(
            terse(v),
            "a: {long: 'word word word word word word word word word word word word word word word\n    word word word word word word word word word word word word word word word ',\n  ml: 'line1\n\n    line2\n\n    '}\n"
        );
    }

    #[test]
    fn root_scalar() {
        assert_eq!(terse(json!("abc")), "abc\n");
    }
}
