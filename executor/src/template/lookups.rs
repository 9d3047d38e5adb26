//! `lookup()` / `query()` / `q()`: file, env, template, vars, first_found, fileglob, list, items, dict.
//! Relative file names are searched in the scope's search paths (`BASE/files/NAME`, then
//! `BASE/NAME`; `templates/` instead of `files/` for templates), as Ansible searches role then play.

use std::path::{Path, PathBuf};

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::lazy::{RootVars, SCOPE_KEY};
use super::{TemplateError, TemplateErrorKind};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", |state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs| {
        let wantlist = kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
        let results = run(state, &name, &terms, &kwargs)?;
        Ok(if wantlist { Value::from(results) } else { join_results(results) })
    });
    let query = |state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs| run(state, &name, &terms, &kwargs).map(Value::from);
    env.add_function("query", query);
    env.add_function("q", query);
    // Ansible's `undef(hint=None)`: an undefined value whose hint becomes the error message.
    env.add_function("undef", |state: &State, kwargs: Kwargs| {
        let hint = kwargs.get::<Option<String>>("hint")?;
        kwargs.assert_all_used()?;
        if let (Some(hint), Ok(root)) = (hint, root(state)) {
            root.scope.inner.state.set_hint(hint);
        }
        Ok(Value::UNDEFINED)
    });
}

/// Ansible's non-list `lookup()` result: strings joined with ",", one value as itself.
fn join_results(results: Vec<Value>) -> Value {
    if results.is_empty() {
        return Value::from(Vec::<Value>::new());
    }
    if results.iter().all(|r| r.kind() == ValueKind::String) {
        let joined: Vec<&str> = results.iter().filter_map(|r| r.as_str()).collect();
        return Value::from(joined.join(","));
    }
    if results.len() == 1 {
        return results.into_iter().next().unwrap_or_default();
    }
    Value::from(results)
}

fn lookup_error(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.clone()).with_source(TemplateError::new(TemplateErrorKind::Lookup, msg))
}

fn root(state: &State) -> Result<std::sync::Arc<RootVars>, Error> {
    state
        .lookup(SCOPE_KEY)
        .and_then(|v| v.downcast_object::<RootVars>())
        .ok_or_else(|| lookup_error("lookup() is not available here".into()))
}

/// Flattened string terms (`lookup('file', 'a', 'b')` and `lookup('file', ['a', 'b'])`).
fn string_terms(terms: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for t in terms {
        if t.kind() == ValueKind::Seq {
            if let Ok(items) = t.try_iter() {
                out.extend(items);
            }
        } else {
            out.push(t.clone());
        }
    }
    out
}

/// Finds `name` under the search paths (`BASE/subdir/name`, `BASE/name`); absolute names as they are.
pub(crate) fn find_in_search_paths(bases: &[PathBuf], subdir: &str, name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    bases.iter().flat_map(|b| [b.join(subdir).join(name), b.join(name)]).find(|c| c.exists())
}

fn run(state: &State, name: &str, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    let root = root(state)?;
    let bases = &root.scope.inner.search_paths;
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let results = match name {
        "file" => {
            let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
            let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
            let mut out = Vec::new();
            for term in string_terms(terms) {
                let t = text(&term);
                let path = find_in_search_paths(bases, "files", &t)
                    .ok_or_else(|| lookup_error(format!("The 'file' lookup could not find '{t}' in the search paths")))?;
                // a vaulted file is decrypted, as Ansible's file lookup does
                let bytes = crate::vault::keyring::read_secret_file(&path).map_err(|e| lookup_error(e.to_string()))?;
                let mut content =
                    String::from_utf8(bytes).map_err(|_| lookup_error(format!("cannot read {}: not UTF-8 text", path.display())))?;
                if rstrip {
                    content = content.trim_end().to_string();
                }
                if lstrip {
                    content = content.trim_start().to_string();
                }
                out.push(Value::from(content));
            }
            out
        }
        "env" => {
            let default = kwargs.get::<Option<Value>>("default")?.unwrap_or_else(|| Value::from(""));
            string_terms(terms).iter().map(|t| std::env::var(text(t)).map(Value::from).unwrap_or_else(|_| default.clone())).collect()
        }
        "template" => {
            let mut out = Vec::new();
            for term in string_terms(terms) {
                let t = text(&term);
                let path = find_in_search_paths(bases, "templates", &t)
                    .ok_or_else(|| lookup_error(format!("The 'template' lookup could not find '{t}' in the search paths")))?;
                let bytes = crate::vault::keyring::read_secret_file(&path).map_err(|e| lookup_error(e.to_string()))?;
                let content =
                    String::from_utf8(bytes).map_err(|_| lookup_error(format!("cannot read {}: not UTF-8 text", path.display())))?;
                let shown = path.display().to_string();
                let rendered = root.engine.render_file(&shown, &content, &root.scope).map_err(to_mj)?;
                out.push(Value::from(rendered));
            }
            out
        }
        "vars" => {
            let default = kwargs.get::<Option<Value>>("default")?;
            let mut out = Vec::new();
            for term in string_terms(terms) {
                let t = text(&term);
                match root.var(&t).filter(|v| !v.is_undefined()) {
                    Some(v) => out.push(v),
                    None => match &default {
                        Some(d) => out.push(d.clone()),
                        None => return Err(to_mj(TemplateError::undefined(&t))),
                    },
                }
            }
            out
        }
        "first_found" => {
            let skip = kwargs.get::<Option<bool>>("skip")?.unwrap_or(false);
            let mut files: Vec<String> = Vec::new();
            let mut paths: Vec<PathBuf> =
                kwargs.get::<Option<Vec<String>>>("paths")?.unwrap_or_default().into_iter().map(PathBuf::from).collect();
            if let Some(f) = kwargs.get::<Option<Vec<String>>>("files")? {
                files.extend(f);
            }
            for term in string_terms(terms) {
                if term.kind() == ValueKind::Map {
                    for key in ["files", "paths"] {
                        if let Ok(v) = term.get_attr(key) {
                            let items: Vec<String> = if v.kind() == ValueKind::Seq {
                                v.try_iter().map(|i| i.map(|x| text(&x)).collect()).unwrap_or_default()
                            } else if v.is_undefined() {
                                Vec::new()
                            } else {
                                vec![text(&v)]
                            };
                            if key == "files" {
                                files.extend(items);
                            } else {
                                paths.extend(items.into_iter().map(PathBuf::from));
                            }
                        }
                    }
                } else {
                    files.push(text(&term));
                }
            }
            let found = files.iter().find_map(|f| {
                if paths.is_empty() {
                    find_in_search_paths(bases, "files", f)
                } else {
                    paths.iter().map(|p| p.join(f)).find(|c| c.exists())
                }
            });
            match found {
                Some(p) => vec![Value::from(p.display().to_string())],
                None if skip => Vec::new(),
                None => return Err(lookup_error("No file was found when using first_found.".into())),
            }
        }
        "fileglob" => {
            let mut out = Vec::new();
            for term in string_terms(terms) {
                let pattern = text(&term);
                let patterns: Vec<String> = if Path::new(&pattern).is_absolute() {
                    vec![pattern.clone()]
                } else {
                    bases.iter().flat_map(|b| [b.join("files").join(&pattern), b.join(&pattern)]).map(|p| p.display().to_string()).collect()
                };
                for p in patterns {
                    let matches: Vec<Value> = glob::glob(&p)
                        .map(|g| g.flatten().filter(|x| x.is_file()).map(|x| Value::from(x.display().to_string())).collect())
                        .unwrap_or_default();
                    if !matches.is_empty() {
                        out.extend(matches);
                        break;
                    }
                }
            }
            out
        }
        "list" => terms.to_vec(),
        "items" => string_terms(terms),
        "dict" => {
            let mut out = Vec::new();
            for term in terms {
                for key in term.try_iter()? {
                    let value = term.get_item(&key)?;
                    // a map (`from_iter` on pairs would make a list of pairs)
                    let pair: std::collections::BTreeMap<&str, Value> = [("key", key), ("value", value)].into_iter().collect();
                    out.push(Value::from(pair));
                }
            }
            out
        }
        other => return Err(lookup_error(format!("lookup plugin '{other}' not found"))),
    };
    Ok(results)
}

/// Carries our error through minijinja (kept intact as the source).
pub(crate) fn to_mj(e: TemplateError) -> Error {
    let kind = if e.undefined_name().is_some() { ErrorKind::UndefinedError } else { ErrorKind::InvalidOperation };
    Error::new(kind, e.message.clone()).with_source(e)
}
