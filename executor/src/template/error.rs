//! Template errors: what went wrong, in which template and on which line.
//! The caller (playbook engine) adds the task `file:line` and the host.

use std::fmt;

/// What kind of failure a [`TemplateError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// A variable (or attribute) that does not exist was used; `name` is the expression, e.g. `kafka_heap` or `cfg.port`.
    Undefined { name: String },
    /// The template text does not parse.
    Syntax,
    /// Variables refer to each other in a loop; `chain` lists them in the order they were entered.
    Recursion { chain: Vec<String> },
    /// A filter, test or function failed (bad argument, bad input).
    Filter,
    /// A `lookup()`/`query()` failed (missing file, unknown plugin).
    Lookup,
    /// A condition (`when:` …) did not evaluate to a boolean.
    Condition,
    /// Anything else the engine reports.
    Other,
}

/// A templating failure, with the template name and line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
    /// The template the failure is in: a file name, or the caller-given name of a string.
    pub template: Option<String>,
    /// 1-based line inside that template.
    pub line: Option<usize>,
}

impl TemplateError {
    pub fn new(kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        TemplateError { kind, message: message.into(), template: None, line: None }
    }

    /// An undefined-variable error naming the variable as Ansible does (`'x' is undefined`).
    pub fn undefined(name: &str) -> Self {
        TemplateError::new(TemplateErrorKind::Undefined { name: name.to_string() }, format!("'{name}' is undefined"))
    }

    pub fn condition(message: impl Into<String>) -> Self {
        TemplateError::new(TemplateErrorKind::Condition, message)
    }

    /// Sets the template name and line unless a deeper (more precise) place is already known.
    pub fn at(mut self, template: Option<&str>, line: Option<usize>) -> Self {
        if self.template.is_none() {
            self.template = template.map(str::to_string);
            self.line = line;
        }
        self
    }

    /// The undefined variable's name, for undefined-variable errors.
    pub fn undefined_name(&self) -> Option<&str> {
        match &self.kind {
            TemplateErrorKind::Undefined { name } => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        match (&self.template, self.line) {
            (Some(t), Some(l)) => write!(f, " (template {t}, line {l})"),
            (Some(t), None) => write!(f, " (template {t})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for TemplateError {}

/// Turns a minijinja error into ours. `display_name` replaces the internal cache key minijinja knows the template by.
pub(crate) fn from_minijinja(err: &minijinja::Error, display_name: Option<&str>) -> TemplateError {
    use minijinja::ErrorKind as K;
    // An error inside an included file names that file (its absolute path); our own cache keys start with NUL.
    let display_name = err.name().filter(|n| !n.starts_with('\u{0}')).or(display_name);
    // A failing `{% include %}` wraps the included file's error: report that one.
    if let Some(inner) = std::error::Error::source(err).and_then(|s| s.downcast_ref::<minijinja::Error>()) {
        return from_minijinja(inner, display_name);
    }
    // Errors raised by our own filters/objects carry a TemplateError as source: keep it as is.
    if let Some(inner) = std::error::Error::source(err).and_then(|s| s.downcast_ref::<TemplateError>()) {
        return inner.clone().at(display_name, err.line());
    }
    let kind = match err.kind() {
        K::UndefinedError => {
            let name = undefined_expr(err).unwrap_or_else(|| "variable".to_string());
            return TemplateError::undefined(&name).at(display_name, err.line());
        }
        K::SyntaxError | K::BadEscape | K::InvalidDelimiter => TemplateErrorKind::Syntax,
        K::UnknownFilter
        | K::UnknownTest
        | K::UnknownFunction
        | K::UnknownMethod
        | K::InvalidOperation
        | K::MissingArgument
        | K::TooManyArguments
        | K::CannotDeserialize => TemplateErrorKind::Filter,
        _ => TemplateErrorKind::Other,
    };
    let message = match err.detail() {
        Some(d) => format!("{}: {d}", err.kind()),
        None => err.kind().to_string(),
    };
    TemplateError::new(kind, message).at(display_name, err.line())
}

/// The source text of the expression that produced the undefined value (debug info), e.g. `kafka_heap`.
fn undefined_expr(err: &minijinja::Error) -> Option<String> {
    let src = err.template_source()?;
    let text = src.get(err.range()?)?.trim();
    if text.is_empty() {
        return None;
    }
    // `{{ x | upper }}` reports the whole filter call: keep the operand.
    let head = text.split('|').next().unwrap_or(text).trim().trim_start_matches('(').trim();
    if head.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') {
        return Some(head.to_string());
    }
    // A whole expression (`(item == 'a'` in a condition): name its first variable.
    Some(first_variable(head).unwrap_or(head).to_string())
}

/// The first identifier path outside string literals that is not a keyword.
fn first_variable(expr: &str) -> Option<&str> {
    const KEYWORDS: &[&str] = &["and", "or", "not", "is", "in", "if", "else", "true", "false", "none", "True", "False", "None"];
    let bytes = expr.as_bytes();
    let mut i = 0;
    // The word after `is` / `is not` names a test, not a variable.
    let mut after_is = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            let word = expr.get(start..i)?.trim_end_matches('.');
            let after_dot = start > 0 && bytes[start - 1] == b'.';
            if !KEYWORDS.contains(&word) && !after_dot && !after_is {
                return Some(word);
            }
            after_is = word == "is" || after_is && word == "not";
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod first_variable_tests {
    use super::first_variable;

    #[test]
    fn names_the_first_variable_outside_strings() {
        assert_eq!(first_variable("item == 'a'"), Some("item"));
        assert_eq!(first_variable("'a' == x.y and z"), Some("x.y"));
        assert_eq!(first_variable("not 'it''s' in other"), Some("other"));
        assert_eq!(first_variable("\"q\\\"x\" is defined"), None);
    }
}
