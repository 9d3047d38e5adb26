//! Diagnostics: errors that name the file, line, column and key, shown with
//! an excerpt and a caret, in the style of rustc and cargo.

use std::fmt;

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the user's files.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Shown under the caret.
    pub label: Option<String>,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), span: None, label: None, help: None }
    }
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }
    pub fn at(mut self, span: &Span) -> Self {
        self.span = Some(span.clone());
        self
    }
    pub fn at_opt(mut self, span: Option<&Span>) -> Self {
        self.span = span.cloned();
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{kind}: {}", crate::secrets::redact(&self.message))?;
        if let Some(span) = &self.span {
            let gutter = span.line.to_string().len();
            let pad = " ".repeat(gutter);
            writeln!(f, "{pad}--> {span}")?;
            if crate::secrets::is_secret_source(&span.source.path) {
                writeln!(f, "{pad} = (no excerpt: the file is vault-encrypted)")?;
            } else if let Some(text) = span.source.line(span.line) {
                writeln!(f, "{pad} |")?;
                writeln!(f, "{} | {}", span.line, crate::secrets::redact(text.trim_end()))?;
                let lead: String = text.chars().take(span.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let carets = "^".repeat(span.len.max(1));
                match &self.label {
                    Some(label) => writeln!(f, "{pad} | {lead}{carets} {}", crate::secrets::redact(label))?,
                    None => writeln!(f, "{pad} | {lead}{carets}")?,
                }
            }
        } else if let Some(label) = &self.label {
            writeln!(f, "  = {}", crate::secrets::redact(label))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {}", crate::secrets::redact(help))?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in one pass; an error when any of them is an error.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Err(self)` when any error was found, else `Ok(value)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(value)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to a misspelled name, for "did you mean" hints.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    closest(word, candidates).map(|(_, c)| c)
}

/// Like [`did_you_mean`], with the edit distance, to compare suggestions from two lists.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<(usize, &'a str)> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keyword() {
        assert_eq!(did_you_mean("whn", ["when", "with_items", "register"]), Some("when"));
        assert_eq!(did_you_mean("zzzzzz", ["when", "register"]), None);
    }
}
