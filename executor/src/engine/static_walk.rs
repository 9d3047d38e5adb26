//! Walking a play for one host without touching it: conditions, loops,
//! `set_fact` and `include_vars` are evaluated where their inputs are known;
//! what only a real run can know (registered results, gathered facts) is
//! treated as unknown instead of as an error. `check` and `render` both
//! visit tasks this way.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Map, Value};

use super::collector::Collector;
use super::loops;
use super::scope::{HostState, PlayScope};
use super::walk::{flatten, play_tasks, FlatTask};
use crate::diag::Diagnostic;
use crate::playbook::{load_task_file, Block, Item, LoadOptions, Play};
use crate::template::{Scope, Templar, TemplateError};
use crate::vars::Vars;

/// One task on one host, with its arguments templated.
pub struct VisitedTask<'a, 'b> {
    pub host: &'b str,
    pub flat: &'b FlatTask<'a>,
    pub scope: &'b Scope,
    /// The module's arguments after templating and removing `omit`.
    pub args: Map<String, Value>,
}

pub trait Visitor {
    fn task(&mut self, ps: &PlayScope<'_>, visited: &VisitedTask<'_, '_>, sink: &mut Collector);
}

/// Variables only a real run defines: registered results, set_fact and
/// include_vars names we could not evaluate, loop variables, and gathered facts.
pub fn runtime_names(play: &Play) -> HashSet<String> {
    let mut names: HashSet<String> =
        ["item", "ansible_loop", "ansible_facts", "ansible_loop_var", "ansible_index_var"].map(String::from).into();
    for f in play_tasks(play, true) {
        let t = f.task;
        if let Some(r) = &t.register {
            names.insert(r.clone());
        }
        if let Some(v) = &t.loop_control.loop_var {
            names.insert(v.clone());
        }
        if let Some(v) = &t.loop_control.index_var {
            names.insert(v.clone());
        }
        match modules::registry::canonical_name(&t.action.module) {
            "set_fact" => names.extend(t.action.args.keys().cloned()),
            "include_vars" => {
                if let Some(n) = t.action.args.get("name").and_then(Value::as_str) {
                    names.insert(n.to_string());
                }
            }
            _ => {}
        }
    }
    names
}

/// The root variable of an undefined expression (`out.stdout` → `out`).
fn root_name(expr: &str) -> &str {
    expr.split(['.', '[', ' ', '|']).next().unwrap_or(expr).trim()
}

pub struct StaticWalker<'p, 'a> {
    pub ps: &'p PlayScope<'a>,
    pub runtime: HashSet<String>,
    pub gather_facts: bool,
    /// For loading `include_tasks` files while walking.
    pub load: LoadOptions,
    depth: std::cell::Cell<usize>,
}

/// How deep `include_tasks` may nest before we call it a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

impl<'p, 'a> StaticWalker<'p, 'a> {
    pub fn new(ps: &'p PlayScope<'a>, load: LoadOptions) -> Self {
        let gather_facts = match &ps.play.gather_facts {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => modules::args::ansible_bool(s).unwrap_or(true),
            Some(_) => true,
        };
        StaticWalker { ps, runtime: runtime_names(ps.play), gather_facts, load, depth: std::cell::Cell::new(0) }
    }

    /// Is this error only because a run-time value is missing?
    pub fn is_runtime_unknown(&self, e: &TemplateError) -> bool {
        match e.undefined_name() {
            Some(name) => {
                let root = root_name(name);
                self.runtime.contains(root) || (self.gather_facts && root.starts_with("ansible_"))
            }
            None => false,
        }
    }

    fn templar(&self) -> &Templar {
        &self.ps.config.templar
    }

    /// Walk every task of the play for `host`.
    pub fn walk_host(&self, host: &str, visitor: &mut dyn Visitor, sink: &mut Collector) {
        let inventory_vars = self.ps.config.inventory.host_vars(host);
        let mut state = HostState::default();
        self.load_vars_files(host, &inventory_vars, &mut state, sink);
        let tasks = play_tasks(self.ps.play, true);
        for flat in &tasks {
            self.visit(host, flat, &inventory_vars, &mut state, visitor, sink);
        }
    }

    fn load_vars_files(&self, host: &str, inventory_vars: &Vars, state: &mut HostState, sink: &mut Collector) {
        for loaded in load_vars_files(self.ps, host, inventory_vars, state) {
            match loaded {
                Ok(v) => state.vars_files.extend(v),
                Err(d) => sink.push(d, Some(host)),
            }
        }
    }

    /// `Some(false)` when a condition is known to be false, `None` when unknown.
    fn conditions(&self, host: &str, flat: &FlatTask<'_>, scope: &Scope, sink: &mut Collector) -> Option<bool> {
        let mut known = true;
        let block_conds = flat.blocks.iter().flat_map(|(b, _)| b.inherited.when.iter());
        for cond in block_conds.chain(flat.task.inherited.when.iter()) {
            let result = match &cond.value {
                Value::Bool(b) => Ok(*b),
                Value::String(expr) => self.templar().eval_condition(expr, scope),
                other => Ok(!other.is_null()),
            };
            match result {
                Ok(false) => return Some(false),
                Ok(true) => {}
                Err(e) if self.is_runtime_unknown(&e) => known = false,
                Err(e) => {
                    sink.push(Diagnostic::error(format!("cannot evaluate condition: {e}")).at(&cond.span), Some(host));
                    known = false;
                }
            }
        }
        known.then_some(true)
    }

    fn visit(
        &self,
        host: &str,
        flat: &FlatTask<'_>,
        inventory_vars: &Vars,
        state: &mut HostState,
        visitor: &mut dyn Visitor,
        sink: &mut Collector,
    ) {
        let task = flat.task;
        let scope = self.ps.scope(host, state, Some(flat.task), &flat.block_vars(), inventory_vars, &Map::new());
        // With a loop the conditions are evaluated per item, as in a run (they may use `item`).
        if task.loop_.is_none() && self.conditions(host, flat, &scope, sink) == Some(false) {
            return;
        }
        let items: Vec<Option<Value>> = match &task.loop_ {
            None => vec![None],
            Some(l) => match self.templar().render_value(&l.items, &scope) {
                Ok(v) => match loops::expand(l.lookup.as_deref(), v, &self.ps.search_paths(Some(task))) {
                    Ok(items) => items.into_iter().map(Some).collect(),
                    Err(e) => {
                        sink.push(Diagnostic::error(e.to_string()).at(&l.span), Some(host));
                        return;
                    }
                },
                Err(e) if self.is_runtime_unknown(&e) => return,
                Err(e) => {
                    sink.push(Diagnostic::error(format!("cannot template the loop: {e}")).at(&l.span), Some(host));
                    return;
                }
            },
        };
        let loop_var = task.loop_control.loop_var.clone().unwrap_or_else(|| "item".into());
        for (index, item) in items.into_iter().enumerate() {
            let mut extra = Map::new();
            let scope = match &item {
                None => scope.clone(),
                Some(item) => {
                    extra.insert(loop_var.clone(), item.clone());
                    if let Some(iv) = &task.loop_control.index_var {
                        extra.insert(iv.clone(), index.into());
                    }
                    let scope = self.ps.scope(host, state, Some(flat.task), &flat.block_vars(), inventory_vars, &extra);
                    if self.conditions(host, flat, &scope, sink) == Some(false) {
                        continue;
                    }
                    scope
                }
            };
            let layers =
                std::iter::once(&self.ps.play.inherited).chain(flat.blocks.iter().map(|(b, _)| &b.inherited)).chain([&task.inherited]);
            let raw = crate::playbook::module_defaults::apply(layers, &task.action.module, &task.action.args);
            let args = match self.templar().render_value(&Value::Object(raw), &scope) {
                Ok(Value::Object(m)) => m.into_iter().filter(|(_, v)| !Templar::is_omit(v)).collect(),
                Ok(_) => Map::new(),
                Err(e) if self.is_runtime_unknown(&e) => continue,
                Err(e) => {
                    sink.push(
                        Diagnostic::error(format!("in task `{}`: {e}", task.display_name()))
                            .at(&task.action.span)
                            .label("while templating these arguments"),
                        Some(host),
                    );
                    continue;
                }
            };
            self.apply_static_effects(task, &args, state, host, sink);
            visitor.task(self.ps, &VisitedTask { host, flat, scope: &scope, args: args.clone() }, sink);
            if modules::registry::canonical_name(&task.action.module) == "include_tasks" {
                self.walk_include(host, flat, &args, &extra, inventory_vars, state, visitor, sink);
            }
        }
    }

    /// Follow an `include_tasks` whose file name is known without running anything; `loop_vars` (the include's
    /// loop item) are seen by every included task, as in a run.
    #[allow(clippy::too_many_arguments)]
    fn walk_include(
        &self,
        host: &str,
        flat: &FlatTask<'_>,
        args: &Map<String, Value>,
        loop_vars: &Vars,
        inventory_vars: &Vars,
        state: &mut HostState,
        visitor: &mut dyn Visitor,
        sink: &mut Collector,
    ) {
        let task = flat.task;
        let Some(file) = args.get("file").or_else(|| args.get("_raw_params")).and_then(Value::as_str) else { return };
        if self.depth.get() >= MAX_INCLUDE_DEPTH {
            sink.push(Diagnostic::error("include_tasks nests too deep (a file including itself?)").at(&task.action.span), Some(host));
            return;
        }
        let base = task.action.span.path().parent().map(Path::to_path_buf).unwrap_or_default();
        let path = base.join(file);
        if !path.is_file() {
            sink.push(
                Diagnostic::error(format!("included task file {} not found", crate::source::display_path(&path))).at(&task.action.span),
                Some(host),
            );
            return;
        }
        let items = match load_task_file(&path, task.role.clone(), &self.ps.play.dir, &self.load) {
            Ok(items) => items,
            Err(diags) => {
                sink.extend(diags);
                return;
            }
        };
        // the include's vars and keywords apply to what it includes; its own `when` was evaluated already
        let mut inherited = task.inherited.clone();
        inherited.when.clear();
        let mut vars = task.vars.clone();
        vars.extend(loop_vars.clone());
        let wrapper = Block { name: None, span: task.span.clone(), vars, block: items, rescue: Vec::new(), always: Vec::new(), inherited };
        let mut stack = flat.blocks.clone();
        let mut flats = Vec::new();
        let wrapped = [Item::Block(Box::new(wrapper))];
        flatten(&wrapped, flat.section, &mut stack, &mut flats);
        self.depth.set(self.depth.get() + 1);
        for f in &flats {
            self.visit(host, f, inventory_vars, state, visitor, sink);
        }
        self.depth.set(self.depth.get() - 1);
    }

    /// set_fact and include_vars change what later tasks see.
    fn apply_static_effects(
        &self,
        task: &crate::playbook::Task,
        args: &Map<String, Value>,
        state: &mut HostState,
        host: &str,
        sink: &mut Collector,
    ) {
        match modules::registry::canonical_name(&task.action.module) {
            "set_fact" => {
                for (k, v) in args {
                    if k != "cacheable" {
                        state.facts.insert(k.clone(), v.clone());
                    }
                }
            }
            "include_vars" => {
                let Some(file) = args.get("file").or_else(|| args.get("_raw_params")).and_then(Value::as_str) else { return };
                let Some(path) = self.ps.search_paths(Some(task)).into_iter().map(|d| d.join(file)).find(|p| p.is_file()) else {
                    sink.push(Diagnostic::error(format!("include_vars: file `{file}` not found")).at(&task.action.span), Some(host));
                    return;
                };
                match read_vars(&path) {
                    Ok(v) => match args.get("name").and_then(Value::as_str) {
                        Some(name) => {
                            state.include_vars.insert(name.to_string(), Value::Object(v));
                        }
                        None => state.include_vars.extend(v),
                    },
                    Err(d) => sink.push(d, Some(host)),
                }
            }
            _ => {}
        }
    }
}

/// The play's `vars_files` for one host: names templated with the host's
/// variables (`{{ inventory_dir }}/secrets.yml`), a list entry meaning "the
/// first of these that exists", as Ansible.
pub fn load_vars_files(ps: &PlayScope<'_>, host: &str, inventory_vars: &Vars, state: &HostState) -> Vec<Result<Vars, Diagnostic>> {
    let mut out = Vec::new();
    let mut state = state.clone();
    for vf in &ps.play.vars_files {
        let scope = ps.scope(host, &state, None, &[], inventory_vars, &Map::new());
        let name = match ps.config.templar.render_value(&vf.value, &scope) {
            Ok(Value::String(s)) => s,
            Ok(Value::Array(options)) => match options.iter().filter_map(Value::as_str).find(|p| ps.play.dir.join(p).is_file()) {
                Some(p) => p.to_string(),
                None => {
                    out.push(Err(Diagnostic::error("none of the vars_files alternatives exists").at(&vf.span)));
                    continue;
                }
            },
            Ok(other) => {
                out.push(Err(Diagnostic::error(format!("vars_files entry must be a file name, got {other}")).at(&vf.span)));
                continue;
            }
            Err(e) => {
                out.push(Err(Diagnostic::error(format!("cannot template vars_files entry: {e}")).at(&vf.span)));
                continue;
            }
        };
        let loaded = read_vars(&ps.play.dir.join(&name)).map_err(|d| d.at_opt(Some(&vf.span)));
        if let Ok(v) = &loaded {
            state.vars_files.extend(v.clone());
        }
        out.push(loaded);
    }
    out
}

/// A YAML/JSON file of variables.
pub fn read_vars(path: &Path) -> Result<Vars, Diagnostic> {
    let (_, node) = crate::yaml::load_file(path)?;
    match node.as_ref().map(|n| n.to_value()) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(Diagnostic::error(format!("{} must hold a mapping of variables", crate::source::display_path(path)))
            .at_opt(node.as_ref().map(|n| &n.span))),
    }
}
