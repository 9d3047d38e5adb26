//! The variables a template sees: raw (untemplated) values, templated lazily on first use.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value as Json};

use super::error::{TemplateError, TemplateErrorKind};

/// Gives templates another host's merged variables (`hostvars['kafka1'].x`), asked lazily.
pub trait HostvarsProvider: Send + Sync {
    /// The raw merged variables of `host`, or `None` when there is no such host.
    fn host_vars(&self, host: &str) -> Option<Arc<Map<String, Json>>>;
    /// Every host name known (for iterating `hostvars`).
    fn host_names(&self) -> Vec<String>;
}

/// Variables for one render context (one host, one task): merged raw values plus where lookups search.
///
/// Build once with [`Scope::new`] and the `with_*` builders, then use it for any number of renders.
/// Each variable is templated on first access and the result is kept for the life of the Scope;
/// so a Scope must not outlive a change of its variables (build a new one, e.g. per task or loop item).
#[derive(Clone)]
pub struct Scope {
    pub(crate) inner: Arc<ScopeInner>,
}

pub(crate) struct ScopeInner {
    pub vars: Arc<Map<String, Json>>,
    /// Variables layered over `vars` (task vars, loop item…), the last one wins.
    pub layers: Vec<Arc<Map<String, Json>>>,
    pub search_paths: Vec<PathBuf>,
    pub hostvars: Option<Arc<dyn HostvarsProvider>>,
    pub name: Option<String>,
    /// Prefix of variable paths in recursion chains (`hostvars['h'].` for another host's scope).
    pub path_prefix: String,
    /// Rendered top-level variables.
    pub cache: Mutex<HashMap<String, minijinja::Value>>,
    /// Scopes of other hosts read through `hostvars`, kept so their templated values are reused.
    pub host_scopes: Mutex<HashMap<String, Scope>>,
    pub state: Arc<RenderState>,
}

impl Scope {
    /// A scope over merged, untemplated variables (strings may hold `{{ }}`).
    pub fn new(vars: Map<String, Json>) -> Self {
        Scope::from_shared(Arc::new(vars))
    }

    /// Like [`Scope::new`], sharing an already-merged map.
    pub fn from_shared(vars: Arc<Map<String, Json>>) -> Self {
        Scope {
            inner: Arc::new(ScopeInner {
                vars,
                layers: Vec::new(),
                search_paths: Vec::new(),
                hostvars: None,
                name: None,
                path_prefix: String::new(),
                cache: Mutex::new(HashMap::new()),
                host_scopes: Mutex::new(HashMap::new()),
                state: Arc::new(RenderState::default()),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut ScopeInner)) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => f(inner),
            None => {
                let old = &self.inner;
                let mut inner = ScopeInner {
                    vars: old.vars.clone(),
                    layers: old.layers.clone(),
                    search_paths: old.search_paths.clone(),
                    hostvars: old.hostvars.clone(),
                    name: old.name.clone(),
                    path_prefix: old.path_prefix.clone(),
                    cache: Mutex::new(HashMap::new()),
                    host_scopes: Mutex::new(HashMap::new()),
                    state: Arc::new(RenderState::default()),
                };
                f(&mut inner);
                self.inner = Arc::new(inner);
            }
        }
        self
    }

    /// Base directories for `lookup('file'|'template'|'first_found')`, in order: e.g. the role
    /// directory, then the playbook directory. `NAME` is looked for as `BASE/files/NAME`
    /// (`BASE/templates/NAME` for templates), then `BASE/NAME`, as Ansible does.
    pub fn with_search_paths(self, paths: Vec<PathBuf>) -> Self {
        self.edit(|i| i.search_paths = paths)
    }

    /// Where `hostvars[...]` gets other hosts' variables.
    pub fn with_hostvars(self, provider: Arc<dyn HostvarsProvider>) -> Self {
        self.edit(|i| i.hostvars = Some(provider))
    }

    /// The name used in errors for strings rendered in this scope (e.g. `roles/kafka/tasks/main.yml`).
    pub fn with_name(self, name: impl Into<String>) -> Self {
        self.edit(|i| i.name = Some(name.into()))
    }

    /// A new scope with `extra` variables over this one's (e.g. task vars, `item`), without
    /// copying the base variables. It templates afresh: a base variable may refer to `extra`.
    pub fn with_vars(&self, extra: Map<String, Json>) -> Scope {
        let old = &self.inner;
        let mut layers = old.layers.clone();
        layers.push(Arc::new(extra));
        Scope {
            inner: Arc::new(ScopeInner {
                vars: old.vars.clone(),
                layers,
                search_paths: old.search_paths.clone(),
                hostvars: old.hostvars.clone(),
                name: old.name.clone(),
                path_prefix: old.path_prefix.clone(),
                cache: Mutex::new(HashMap::new()),
                host_scopes: Mutex::new(HashMap::new()),
                state: Arc::new(RenderState::default()),
            }),
        }
    }

    /// The raw (untemplated) value of a variable, layers first.
    pub fn raw_var(&self, name: &str) -> Option<&Json> {
        self.inner.layers.iter().rev().find_map(|l| l.get(name)).or_else(|| self.inner.vars.get(name))
    }

    /// Every variable name, base and layers.
    pub fn var_names(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let all = self.inner.vars.keys().chain(self.inner.layers.iter().flat_map(|l| l.keys()));
        all.filter(|k| seen.insert(k.as_str())).cloned().collect()
    }

    /// The base variables (without the layers of [`Scope::with_vars`]), untemplated.
    pub fn vars(&self) -> &Map<String, Json> {
        &self.inner.vars
    }

    /// The scope of another host's variables (shares search paths, hostvars and the loop guard);
    /// `None` when the provider does not know the host.
    pub(crate) fn for_host(&self, host: &str) -> Option<Scope> {
        if let Some(s) = lock(&self.inner.host_scopes).get(host) {
            return Some(s.clone());
        }
        let vars = self.inner.hostvars.as_ref()?.host_vars(host)?;
        let scope = self.new_host_scope(host, vars);
        lock(&self.inner.host_scopes).insert(host.to_string(), scope.clone());
        Some(scope)
    }

    fn new_host_scope(&self, host: &str, vars: Arc<Map<String, Json>>) -> Scope {
        Scope {
            inner: Arc::new(ScopeInner {
                vars,
                layers: Vec::new(),
                search_paths: self.inner.search_paths.clone(),
                hostvars: self.inner.hostvars.clone(),
                name: self.inner.name.clone(),
                path_prefix: format!("hostvars['{host}']."),
                cache: Mutex::new(HashMap::new()),
                host_scopes: Mutex::new(HashMap::new()),
                state: self.inner.state.clone(),
            }),
        }
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("vars", &self.inner.vars.len())
            .field("layers", &self.inner.layers.len())
            .field("name", &self.inner.name)
            .finish()
    }
}

/// Bookkeeping across nested renders: the variables being resolved (loop guard) and errors that
/// minijinja's object interface cannot carry (lookups return `Option`).
#[derive(Default)]
pub(crate) struct RenderState {
    stack: Mutex<Vec<String>>,
    /// Failures inside a lazily templated variable, by variable path; used when the outer render
    /// then fails because that variable was undefined.
    soft: Mutex<HashMap<String, TemplateError>>,
    last_soft: Mutex<Option<TemplateError>>,
    /// A failure that must fail the whole render even if the template tolerated the undefined value.
    hard: Mutex<Option<TemplateError>>,
    /// The hint of the last `undef(hint=…)` evaluated: the message when that undefined surfaces.
    hint: Mutex<Option<String>>,
}

impl RenderState {
    /// Enters variable `path`; errors when it is already being resolved.
    pub fn enter(&self, path: &str) -> Result<(), TemplateError> {
        let mut stack = lock(&self.stack);
        if let Some(pos) = stack.iter().position(|p| p == path) {
            let mut chain: Vec<String> = stack[pos..].to_vec();
            chain.push(path.to_string());
            let msg = format!("recursive loop detected in template: variable '{path}' refers to itself ({})", chain.join(" -> "));
            return Err(TemplateError::new(TemplateErrorKind::Recursion { chain }, msg));
        }
        stack.push(path.to_string());
        Ok(())
    }

    /// The variable being resolved innermost, if any.
    pub fn current(&self) -> Option<String> {
        lock(&self.stack).last().cloned()
    }

    pub fn set_hint(&self, hint: String) {
        *lock(&self.hint) = Some(hint);
    }

    pub fn take_hint(&self) -> Option<String> {
        lock(&self.hint).take()
    }

    pub fn leave(&self) {
        lock(&self.stack).pop();
    }

    /// True when no variable is being resolved: the call is an outermost render.
    pub fn is_outermost(&self) -> bool {
        lock(&self.stack).is_empty()
    }

    pub fn record(&self, path: &str, err: TemplateError) {
        match err.kind {
            TemplateErrorKind::Undefined { .. } => {
                *lock(&self.last_soft) = Some(err.clone());
                lock(&self.soft).insert(path.to_string(), err);
            }
            _ => {
                let mut hard = lock(&self.hard);
                if hard.is_none() {
                    *hard = Some(err);
                }
            }
        }
    }

    pub fn reset(&self) {
        lock(&self.soft).clear();
        *lock(&self.last_soft) = None;
        *lock(&self.hint) = None;
        *lock(&self.hard) = None;
    }

    pub fn take_hard(&self) -> Option<TemplateError> {
        lock(&self.hard).take()
    }

    pub fn last_soft(&self) -> Option<TemplateError> {
        lock(&self.last_soft).clone()
    }

    pub fn soft_for(&self, path: &str) -> Option<TemplateError> {
        lock(&self.soft).get(path).cloned()
    }
}

/// Locks a mutex, going on with the data if a panicking thread poisoned it (the data is a cache).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
