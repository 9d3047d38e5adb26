//! `{% include %}`, `{% import %}` and `{% extends %}` in template files, resolved as the template
//! module does: next to the including template, then in each search path's `templates/` and the
//! search path itself. The directories are those of the file being rendered on this thread, so
//! an include name becomes the absolute path of the file (a unique cache key).

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    static INCLUDE_DIRS: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `dirs` as the include directories of this thread.
pub(crate) fn with_dirs<T>(dirs: Vec<PathBuf>, f: impl FnOnce() -> T) -> T {
    let old = INCLUDE_DIRS.with(|d| std::mem::replace(&mut *d.borrow_mut(), dirs));
    let result = f();
    INCLUDE_DIRS.with(|d| *d.borrow_mut() = old);
    result
}

/// The include directories for template file `name` rendered with `search_paths`.
pub(crate) fn dirs_for(name: &str, search_paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(parent) = Path::new(name).parent().filter(|p| !p.as_os_str().is_empty()) {
        dirs.push(parent.to_path_buf());
    }
    for base in search_paths {
        dirs.push(base.join("templates"));
        dirs.push(base.to_path_buf());
    }
    dirs
}

/// minijinja's path-join callback: an include name → the absolute path of the file found.
pub(crate) fn join<'s>(name: &'s str, _parent: &'s str) -> Cow<'s, str> {
    if Path::new(name).is_absolute() {
        return Cow::Borrowed(name);
    }
    let found = INCLUDE_DIRS.with(|d| d.borrow().iter().map(|dir| dir.join(name)).find(|p| p.is_file()));
    match found.and_then(|p| std::path::absolute(p).ok()) {
        Some(p) => Cow::Owned(p.display().to_string()),
        None => Cow::Borrowed(name),
    }
}

/// The loader's part: the text of an included file (by absolute path).
pub(crate) fn load(name: &str) -> Option<String> {
    let p = Path::new(name);
    if !p.is_absolute() {
        return None;
    }
    std::fs::read_to_string(p).ok()
}
