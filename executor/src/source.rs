//! Source files and positions in them, so every error can point at
//! `file:line:column` with an excerpt.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file's text, kept for error excerpts.
#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source { path: path.into(), text: text.into() })
    }

    /// Read a file into a `Source`.
    pub fn read(path: &Path) -> std::io::Result<Arc<Source>> {
        let text = std::fs::read_to_string(path)?;
        Ok(Source::new(path, text))
    }

    /// The text of a 1-based line, without its newline.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }

    /// The path as shown to a user: relative to the working directory when below it.
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

/// A path as shown to a user: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = path.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}

/// A place in a source: 1-based line and column, length in characters.
#[derive(Clone)]
pub struct Span {
    pub source: Arc<Source>,
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub fn new(source: Arc<Source>, line: usize, col: usize, len: usize) -> Self {
        Span { source, line, col, len }
    }

    /// A span covering a whole file, for errors that have no better place.
    pub fn file(source: Arc<Source>) -> Self {
        Span { source, line: 1, col: 1, len: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.source.path
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.source.display_path(), self.line, self.col)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.source.path.display(), self.line, self.col)
    }
}

impl PartialEq for Span {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.source, &other.source) && self.line == other.line && self.col == other.col && self.len == other.len
    }
}
