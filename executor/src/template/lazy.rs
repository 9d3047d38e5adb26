//! Variables as minijinja objects that template their raw values only when a template reads them,
//! so `a: "{{ b }}-x"` / `b: "{{ c }}"` resolve on access, as in Ansible.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde_json::{Map, Value as Json};

use super::scope::{lock, Scope};
use super::{is_template, unsafe_text, Engine, DEFAULT_ANSIBLE_MANAGED, OMIT};

/// Name under which the root object hands itself to functions such as `lookup()`.
pub(crate) const SCOPE_KEY: &str = "__dpctl_scope";

/// The root of a render: every top-level variable, plus `omit` and `hostvars`.
pub(crate) struct RootVars {
    pub engine: Arc<Engine>,
    pub scope: Scope,
}

impl RootVars {
    pub fn new(engine: Arc<Engine>, scope: Scope) -> Arc<Self> {
        Arc::new(RootVars { engine, scope })
    }

    /// The value of a top-level variable, templated (cached per scope).
    pub fn var(&self, name: &str) -> Option<Value> {
        if let Some(v) = lock(&self.scope.inner.cache).get(name) {
            return Some(v.clone());
        }
        let raw = self.scope.raw_var(name)?;
        let path = format!("{}{name}", self.scope.inner.path_prefix);
        let value = materialize(&self.engine, &self.scope, &path, raw);
        if !value.is_undefined() {
            lock(&self.scope.inner.cache).insert(name.to_string(), value.clone());
        }
        Some(value)
    }
}

impl fmt::Debug for RootVars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<vars>")
    }
}

impl Object for RootVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        match name {
            SCOPE_KEY => return Some(Value::from_dyn_object(self.clone())),
            "hostvars" if self.scope.inner.hostvars.is_some() => {
                // Stateless view; other hosts' scopes are cached in this scope (`Scope::for_host`).
                return Some(Value::from_object(Hostvars { engine: self.engine.clone(), scope: self.scope.clone() }));
            }
            _ => {}
        }
        if let Some(v) = self.var(name) {
            return Some(v);
        }
        match name {
            // Ansible's `vars`: every variable, by name (`vars['kafka_' ~ x]`).
            "vars" => Some(Value::from_dyn_object(self.clone())),
            "omit" => Some(Value::from(OMIT)),
            "ansible_managed" => Some(Value::from(DEFAULT_ANSIBLE_MANAGED)),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let keys: Vec<Value> = self.scope.var_names().into_iter().map(Value::from).collect();
        Enumerator::Values(keys)
    }
}

/// Templates one raw value found at variable path `path` (for the loop guard and error messages).
/// Failures are recorded in the scope's render state and show as undefined here (see `RenderState`).
pub(crate) fn materialize(engine: &Arc<Engine>, scope: &Scope, path: &str, raw: &Json) -> Value {
    if let Some(text) = unsafe_text(raw) {
        return Value::from(text);
    }
    match raw {
        Json::String(s) if is_template(s) => {
            let state = &scope.inner.state;
            if let Err(e) = state.enter(path) {
                state.record(path, e);
                return Value::UNDEFINED;
            }
            let result = engine.render_native(s, scope);
            state.leave();
            match result {
                Ok(v) => v,
                Err(e) => {
                    state.record(path, e);
                    Value::UNDEFINED
                }
            }
        }
        Json::Array(items) if contains_template(raw) => Value::from_object(LazySeq {
            engine: engine.clone(),
            scope: scope.clone(),
            path: path.to_string(),
            items: items.clone(),
            cache: Mutex::new(HashMap::new()),
        }),
        Json::Object(map) if contains_template(raw) => Value::from_object(LazyMap {
            engine: engine.clone(),
            scope: scope.clone(),
            path: path.to_string(),
            map: map.clone(),
            cache: Mutex::new(HashMap::new()),
        }),
        other => Value::from(minijinja::value::Serde(other)),
    }
}

/// Whether any string inside `v` holds template syntax.
pub(crate) fn contains_template(v: &Json) -> bool {
    if unsafe_text(v).is_some() {
        // Not templated, but must still be unwrapped to its string by a lazy container.
        return true;
    }
    match v {
        Json::String(s) => is_template(s),
        Json::Array(a) => a.iter().any(contains_template),
        Json::Object(m) => m.values().any(contains_template),
        _ => false,
    }
}

/// A mapping whose values are templated on access.
struct LazyMap {
    engine: Arc<Engine>,
    scope: Scope,
    path: String,
    map: Map<String, Json>,
    cache: Mutex<HashMap<String, Value>>,
}

impl fmt::Debug for LazyMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<lazy map {}>", self.path)
    }
}

impl Object for LazyMap {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let k = key.as_str()?;
        if let Some(v) = lock(&self.cache).get(k) {
            return Some(v.clone());
        }
        let raw = self.map.get(k)?;
        let v = materialize(&self.engine, &self.scope, &format!("{}.{k}", self.path), raw);
        if !v.is_undefined() {
            lock(&self.cache).insert(k.to_string(), v.clone());
        }
        Some(v)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.map.keys().map(|k| Value::from(k.as_str())).collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.map.len())
    }
}

/// A list whose items are templated on access.
struct LazySeq {
    engine: Arc<Engine>,
    scope: Scope,
    path: String,
    items: Vec<Json>,
    cache: Mutex<HashMap<usize, Value>>,
}

impl fmt::Debug for LazySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<lazy list {}>", self.path)
    }
}

impl Object for LazySeq {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let idx = key.as_i64()?;
        let idx = if idx < 0 { self.items.len().checked_sub(idx.unsigned_abs() as usize)? } else { idx as usize };
        if let Some(v) = lock(&self.cache).get(&idx) {
            return Some(v.clone());
        }
        let raw = self.items.get(idx)?;
        let v = materialize(&self.engine, &self.scope, &format!("{}[{idx}]", self.path), raw);
        if !v.is_undefined() {
            lock(&self.cache).insert(idx, v.clone());
        }
        Some(v)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.items.len())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.items.len())
    }
}

/// `hostvars`: other hosts' variables, fetched from the caller's provider on access.
struct Hostvars {
    engine: Arc<Engine>,
    scope: Scope,
}

impl fmt::Debug for Hostvars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hostvars>")
    }
}

impl Object for Hostvars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let scope = self.scope.for_host(key.as_str()?)?;
        Some(Value::from_dyn_object(RootVars::new(self.engine.clone(), scope)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let names = self.scope.inner.hostvars.as_ref().map(|p| p.host_names()).unwrap_or_default();
        Enumerator::Values(names.into_iter().map(Value::from).collect())
    }
}
