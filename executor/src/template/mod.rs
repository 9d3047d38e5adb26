//! Templating as Ansible does it, on minijinja: lazy variables, native types for single
//! expressions, Ansible's filters, tests and lookups, and the template module's whitespace rules.
//!
//! One [`Templar`] serves a whole run: every distinct template string is compiled once and cached,
//! whatever host renders it. Variables live in a [`Scope`] and are templated only when read.

mod convert;
mod error;
mod filters;
mod includes;
mod lazy;
mod lookups;
mod names;
mod pyrepr;
mod rewrite;
mod scope;
mod tests;
mod yaml_emit;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value as Json;

pub use error::{TemplateError, TemplateErrorKind};
pub use scope::{HostvarsProvider, Scope};

use lazy::RootVars;
use scope::lock;

/// The value of `omit`: a task argument equal to it is left out (see [`Templar::is_omit`]).
pub const OMIT: &str = "__omit_place_holder__dpctl";

/// `ansible_managed` when the variables do not set it (Ansible's default string).
pub const DEFAULT_ANSIBLE_MANAGED: &str = "Ansible managed";

/// Prefixes of the internal cache keys minijinja knows compiled templates by.
const KEY_TEXT: &str = "\u{0}t:";
const KEY_EXPR: &str = "\u{0}e:";
const KEY_FILE: &str = "\u{0}f:";
/// The variable an expression template stores its native result in.
const RESULT_VAR: &str = "__dpctl_result";

/// The JSON form of a YAML `!unsafe` string (as Ansible's JSON encoder writes it): never templated.
pub const UNSAFE_KEY: &str = "__ansible_unsafe";

/// `{"__ansible_unsafe": "text"}` → `text`: a string that must be used as is.
pub fn unsafe_text(value: &Json) -> Option<&str> {
    match value {
        Json::Object(m) if m.len() == 1 => m.get(UNSAFE_KEY).and_then(Json::as_str),
        _ => None,
    }
}

/// Whether a string holds template syntax at all (anything else is used as is).
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// How a template string is rendered, decided once per distinct string.
#[derive(Clone)]
enum Shape {
    /// Exactly one `{{ expr }}`: yields the expression's native value.
    Native(Arc<str>),
    /// Anything else: yields a string.
    Text,
}

/// The shared engine behind a [`Templar`] (lazy variables hold it to render on access).
pub(crate) struct Engine {
    env: Environment<'static>,
    shapes: Mutex<HashMap<String, Shape>>,
}

/// Renders strings, values, conditions and template files. Create one per run and share it.
#[derive(Clone)]
pub struct Templar {
    engine: Arc<Engine>,
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new()
    }
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templar")
    }
}

impl Templar {
    /// A templar with Ansible's filters, tests, lookups and whitespace defaults.
    pub fn new() -> Self {
        Templar { engine: Arc::new(Engine { env: build_env(), shapes: Mutex::new(HashMap::new()) }) }
    }

    /// Like [`Templar::new`], but each render stops with an error after about `fuel` instructions:
    /// `{% for i in range(10**9) %}` is valid Jinja, so only a budget bounds the time of a template
    /// that cannot be trusted to be sensible (the fuzz target renders such text).
    pub fn with_fuel(fuel: u64) -> Self {
        let mut env = build_env();
        env.set_fuel(Some(fuel));
        Templar { engine: Arc::new(Engine { env, shapes: Mutex::new(HashMap::new()) }) }
    }

    /// Templates every string inside `value` (recursively). A string that is exactly one
    /// `{{ expr }}` becomes the expression's native value (list, dict, int, bool…); mixed text
    /// becomes a string; strings without template syntax are kept as they are, and so are
    /// `!unsafe` strings given as `{"__ansible_unsafe": "…"}` (see [`unsafe_text`]).
    pub fn render_value(&self, value: &Json, scope: &Scope) -> Result<Json, TemplateError> {
        self.outermost(scope, || self.render_value_inner(value, scope))
    }

    fn render_value_inner(&self, value: &Json, scope: &Scope) -> Result<Json, TemplateError> {
        if let Some(text) = unsafe_text(value) {
            return Ok(Json::String(text.to_string()));
        }
        match value {
            Json::String(s) if is_template(s) => {
                let v = self.engine.render_native(s, scope)?;
                // An undefined value deep inside a lazy container: report why it is undefined.
                convert::to_json(&v).map_err(|e| scope.inner.state.last_soft().unwrap_or(e))
            }
            Json::Array(items) => items.iter().map(|i| self.render_value_inner(i, scope)).collect::<Result<Vec<_>, _>>().map(Json::Array),
            Json::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    let key =
                        if is_template(k) { self.engine.render_text(KEY_TEXT, k, scope.inner.name.as_deref(), scope)? } else { k.clone() };
                    out.insert(key, self.render_value_inner(v, scope)?);
                }
                Ok(Json::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    /// Renders a string to a string (native values are printed as Ansible prints them).
    pub fn render_str(&self, text: &str, scope: &Scope) -> Result<String, TemplateError> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        self.outermost(scope, || self.engine.render_text(KEY_TEXT, text, scope.inner.name.as_deref(), scope))
    }

    /// Evaluates a bare condition (`when:`, `changed_when:`, `failed_when:`, `assert that:`).
    /// As in ansible-core 2.19 the result must be a boolean: `when: some_string` is an error,
    /// not a truthiness test. A condition written as a whole template (`"{{ x }}"`) also works.
    pub fn eval_condition(&self, expr: &str, scope: &Scope) -> Result<bool, TemplateError> {
        let expr = expr.trim();
        if expr.is_empty() {
            return Err(TemplateError::condition("Empty conditional expressions are not allowed."));
        }
        let value = self.outermost(scope, || {
            let v = if is_template(expr) { self.engine.render_native(expr, scope)? } else { self.engine.eval_expr(expr, scope)? };
            if v.is_undefined() {
                return Err(TemplateError::undefined(expr));
            }
            Ok(v)
        })?;
        match value.kind() {
            minijinja::value::ValueKind::Bool => Ok(value.is_true()),
            _ => Err(TemplateError::condition(format!(
                "Conditional result ({}) was derived from value of type '{}'. Conditionals must have a boolean result.",
                if value.is_true() { "True" } else { "False" },
                pyrepr::type_name(&value)
            ))),
        }
    }

    /// Renders a template file with the template module's semantics: `trim_blocks`, no
    /// `lstrip_blocks`, the text's trailing newlines kept, `ansible_managed` defaulted,
    /// `{% include %}` resolved next to `name` and in the scope's search paths.
    /// `name` (the file's path) is used in errors.
    pub fn render_template_file(&self, name: &str, text: &str, scope: &Scope) -> Result<String, TemplateError> {
        // The template module's `template_path` / `template_fullpath`, unless the caller set them.
        let mut extra = serde_json::Map::new();
        if scope.raw_var("template_path").is_none() {
            extra.insert("template_path".into(), Json::String(name.to_string()));
        }
        if scope.raw_var("template_fullpath").is_none() {
            let full = std::path::absolute(name).map(|p| p.display().to_string()).unwrap_or_else(|_| name.to_string());
            extra.insert("template_fullpath".into(), Json::String(full));
        }
        let scope = if extra.is_empty() { scope.clone() } else { scope.with_vars(extra) };
        self.outermost(&scope, || self.engine.render_file(name, text, &scope))
    }

    /// Parses a template without rendering it (for `dpctl check`): syntax errors, and filters,
    /// tests or lookups that do not exist (which Jinja only reports when rendering).
    pub fn check_syntax(&self, name: &str, text: &str) -> Result<(), TemplateError> {
        let key = format!("{KEY_FILE}{name}\u{0}{text}");
        self.engine.env.get_template(&key).map_err(|e| error::from_minijinja(&e, Some(name)))?;
        match names::first_unknown(text) {
            Some(e) => {
                let line = e.line;
                Err(e.at(Some(name), line))
            }
            None => Ok(()),
        }
    }

    /// Parses a bare condition (`when:` …) without evaluating it (for `dpctl check`).
    pub fn check_condition(&self, name: &str, expr: &str) -> Result<(), TemplateError> {
        let expr = expr.trim();
        if expr.is_empty() {
            return Err(TemplateError::condition("Empty conditional expressions are not allowed.").at(Some(name), None));
        }
        if is_template(expr) {
            return self.check_syntax(name, expr);
        }
        self.check_syntax(name, &format!("{{{{ {expr} }}}}"))
    }

    /// Whether a rendered value is the `omit` placeholder (the argument must be dropped).
    pub fn is_omit(value: &Json) -> bool {
        value.as_str() == Some(OMIT)
    }

    /// Runs an API call; the outermost one clears and then reports errors that lazy variables
    /// could only record (loops, errors hidden behind an undefined value).
    fn outermost<T>(&self, scope: &Scope, f: impl FnOnce() -> Result<T, TemplateError>) -> Result<T, TemplateError> {
        let state = &scope.inner.state;
        if !state.is_outermost() {
            return f();
        }
        state.reset();
        let result = f();
        if let Some(hard) = state.take_hard() {
            return Err(hard);
        }
        result.map_err(|e| refine(e, scope))
    }
}

/// Replaces "'a' is undefined" by the deeper reason when `a` was defined but failed to template.
fn refine(mut err: TemplateError, scope: &Scope) -> TemplateError {
    let state = &scope.inner.state;
    for _ in 0..64 {
        let Some(name) = err.undefined_name() else { break };
        let path = format!("{}{name}", scope.inner.path_prefix);
        match state.soft_for(&path) {
            Some(deeper) if deeper != err => err = deeper,
            _ => break,
        }
    }
    err
}

impl Engine {
    /// Renders one template string to its value: native for a single expression, else a string.
    pub(crate) fn render_native(self: &Arc<Self>, text: &str, scope: &Scope) -> Result<Value, TemplateError> {
        if !is_template(text) {
            return Ok(Value::from(text));
        }
        match self.shape(text) {
            Shape::Native(expr) => self.eval_expr(&expr, scope),
            Shape::Text => self.render_text(KEY_TEXT, text, scope.inner.name.as_deref(), scope).map(Value::from),
        }
        .map_err(|e| refine(e, scope))
    }

    fn shape(&self, text: &str) -> Shape {
        if let Some(s) = lock(&self.shapes).get(text) {
            return s.clone();
        }
        let shape = match single_expression(text) {
            Some(expr) if self.env.get_template(&format!("{KEY_EXPR}{expr}")).is_ok() => Shape::Native(Arc::from(expr)),
            _ => Shape::Text,
        };
        lock(&self.shapes).insert(text.to_string(), shape.clone());
        shape
    }

    fn root(self: &Arc<Self>, scope: &Scope) -> Value {
        Value::from_dyn_object(RootVars::new(self.clone(), scope.clone()))
    }

    /// Evaluates a bare expression to its native value.
    pub(crate) fn eval_expr(self: &Arc<Self>, expr: &str, scope: &Scope) -> Result<Value, TemplateError> {
        let name = scope.inner.name.as_deref();
        let key = format!("{KEY_EXPR}{expr}");
        let tmpl = self.env.get_template(&key).map_err(|e| error::from_minijinja(&e, name))?;
        let captured = tmpl.render_captured(self.root(scope)).map_err(|e| error::from_minijinja(&e, name))?;
        match captured.state().lookup(RESULT_VAR) {
            // `{% set %}` accepts an undefined value silently; Ansible reports it.
            Some(v) if !v.is_undefined() => Ok(v),
            _ => match scope.inner.state.take_hint() {
                // `x: "{{ undef(hint='…') }}"`: the hint is the message, the variable the name.
                Some(hint) => {
                    let var = scope.inner.state.current().unwrap_or_else(|| expr.to_string());
                    Err(TemplateError::new(TemplateErrorKind::Undefined { name: var }, hint))
                }
                None => Err(TemplateError::undefined(expr).at(name, Some(1))),
            },
        }
    }

    /// Renders a template file's text (template-module semantics; cached by name and text).
    pub(crate) fn render_file(self: &Arc<Self>, name: &str, text: &str, scope: &Scope) -> Result<String, TemplateError> {
        let dirs = includes::dirs_for(name, &scope.inner.search_paths);
        includes::with_dirs(dirs, || self.render_text(&format!("{KEY_FILE}{name}\u{0}"), text, Some(name), scope))
    }

    /// Renders template text (cached under `prefix` + text) to a string.
    fn render_text(self: &Arc<Self>, prefix: &str, text: &str, name: Option<&str>, scope: &Scope) -> Result<String, TemplateError> {
        let key = format!("{prefix}{text}");
        let tmpl = self.env.get_template(&key).map_err(|e| error::from_minijinja(&e, name))?;
        let mut out = tmpl.render(self.root(scope)).map_err(|e| error::from_minijinja(&e, name))?;
        restore_trailing_newlines(text, &mut out);
        Ok(out)
    }
}

/// Jinja (`keep_trailing_newline=False`) drops the source's last newline; Ansible then pads the
/// result back to as many trailing newlines as the source had (never removing any).
fn restore_trailing_newlines(source: &str, out: &mut String) {
    let count = |s: &str| s.len() - s.trim_end_matches('\n').len();
    let (want, have) = (count(source), count(out));
    if want > have {
        out.push_str(&"\n".repeat(want - have));
    }
}

/// `{{ expr }}` and nothing else → `expr` (whether it parses alone is checked by compiling it).
fn single_expression(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    let inner = inner.trim();
    (!inner.is_empty()).then_some(inner)
}

/// The environment: Ansible's whitespace rules (`trim_blocks`, no `lstrip_blocks`, see also
/// [`restore_trailing_newlines`]), strict undefined, Python-like printing, and a
/// loader that compiles a template from its cache key (so each distinct text compiles once).
fn build_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_debug(true);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_reload(false);
    let syntax = minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(false).keep_trailing_newline(false).build();
    if let Ok(syntax) = syntax {
        env.set_syntax(syntax);
    }
    env.set_loader(|key: &str| {
        if let Some(expr) = key.strip_prefix(KEY_EXPR) {
            return Ok(Some(rewrite::rewrite_template(&format!("{{% set {RESULT_VAR} = ({expr}) %}}")).into_owned()));
        }
        if let Some(text) = key.strip_prefix(KEY_TEXT) {
            return Ok(Some(rewrite::rewrite_template(text).into_owned()));
        }
        if let Some(rest) = key.strip_prefix(KEY_FILE) {
            return Ok(rest.split_once('\u{0}').map(|(_, text)| rewrite::rewrite_template(text).into_owned()));
        }
        Ok(includes::load(key).map(|text| rewrite::rewrite_template(&text).into_owned()))
    });
    env.set_path_join_callback(includes::join);
    env.set_formatter(pyrepr::formatter);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    filters::register(&mut env);
    tests::register(&mut env);
    lookups::register(&mut env);
    env
}

/// Data as Python's `str` writes it: text as it is, anything else as its
/// `repr` (`{'a': 1, 'b': True}`), as Ansible shows a loop item.
pub(crate) fn python_str(value: &serde_json::Value) -> String {
    pyrepr::py_str(&convert::from_json(value))
}
