//! Running one task on one host: conditions, loop, templating of the
//! arguments, the module (in the executor or through the host's agent),
//! `until` retries, `changed_when`/`failed_when`, and registering the result.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::async_task::{self, AsyncSpec};
use super::controller;
use super::host::HostRun;
use super::keywords;
use super::result::{debug_view, HostResult, ItemLine, Status};
use super::rtree::{self, BlockCtx, Chain, RtItem};
use super::Shared;
use crate::connection::ConnParams;
use crate::engine::{loops, PlayScope};
use crate::playbook::{Play, Task};
use crate::template::{Scope, Templar};
use crate::vars::Vars;

/// What a task asks of the scheduler besides its result.
#[derive(Debug, Clone, Default)]
pub enum Effect {
    #[default]
    None,
    /// Run these tasks next on this host (include_tasks / include_role).
    Include {
        items: Arc<Vec<RtItem>>,
        ctx: Option<Arc<BlockCtx>>,
        handlers: Arc<Vec<RtItem>>,
        /// What `included: … for host` names: the file's path, or the role.
        label: String,
    },
    FlushHandlers,
    EndPlay,
    EndHost,
    EndBatch,
}

/// One loop item's (or the single run's) result.
pub struct ItemOutcome {
    pub result: Map<String, Value>,
    pub effect: Effect,
}

pub struct TaskOutcome {
    pub result: HostResult,
    pub effect: Effect,
}

pub(super) fn failed(msg: impl Into<String>) -> ItemOutcome {
    let mut m = Map::new();
    m.insert("failed".into(), true.into());
    m.insert("msg".into(), Value::String(msg.into()));
    ItemOutcome { result: m, effect: Effect::None }
}

/// The executor-side modules never reach the agent, whose typed parsing
/// refuses bad arguments for every other module: check theirs here, after
/// templating, against the same typed structs (`dpctl check` uses them too).
/// Includes are left to their expansion, which reads only the names it needs.
fn invalid_controller_args(module: &str, args: &Map<String, Value>) -> Option<String> {
    let spec = modules::lookup(module).filter(|s| s.side == modules::Side::Controller)?;
    if matches!(module, "include_tasks" | "include_role") {
        return None;
    }
    (spec.validate)(&Value::Object(args.clone())).err().map(|e| e.to_string())
}

pub(super) fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => modules::args::ansible_bool(s).unwrap_or(false),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

pub struct Exec<'a> {
    pub ps: &'a PlayScope<'a>,
    pub shared: &'a Shared,
    /// For what is printed while a task runs (`FAILED - RETRYING: …`).
    pub output: &'a std::sync::Mutex<Box<dyn crate::output::Output>>,
}

impl Exec<'_> {
    fn templar(&self) -> &Templar {
        &self.ps.config.templar
    }

    fn play(&self) -> &Play {
        self.ps.play
    }

    /// A keyword's effective value for this task, templated, as a boolean.
    fn flag(
        &self,
        chain: &Chain,
        task: &Task,
        scope: &Scope,
        pick: impl Fn(&crate::playbook::Inherited) -> Option<&Value>,
    ) -> Option<bool> {
        let v = keywords::resolve(self.play(), chain, task, pick)?;
        let rendered = self.templar().render_value(v, scope).unwrap_or_else(|_| v.clone());
        Some(truthy(Some(&rendered)))
    }

    fn scope(&self, host: &HostRun, task: &Task, chain: &Chain, extra: &Vars) -> Scope {
        let block_vars: Vec<&Vars> = chain.iter().map(|b| &b.vars).collect();
        self.ps.scope(&host.name, &host.state, Some(task), &block_vars, &host.inventory_vars, extra)
    }

    /// Run `task` on `host`.
    pub async fn run(&self, host: &mut HostRun, task: &Task, chain: &Chain) -> TaskOutcome {
        let start = Instant::now();
        let scope = self.scope(host, task, chain, &Map::new());
        let mut outcome = self.run_inner(host, task, chain, &scope).await;
        outcome.result.duration = start.elapsed();
        outcome.result.no_log = self.flag(chain, task, &scope, |i| i.no_log.as_ref()).unwrap_or(false);
        if let Some(name) = &task.register {
            host.state.facts.insert(name.clone(), Value::Object(outcome.result.result.clone()));
        }
        if matches!(outcome.result.status, Status::Failed | Status::Unreachable) {
            let ignore = match outcome.result.status {
                Status::Unreachable => self.flag(chain, task, &scope, |i| i.ignore_unreachable.as_ref()),
                _ => self.flag(chain, task, &scope, |i| i.ignore_errors.as_ref()),
            };
            outcome.result.ignored = ignore.unwrap_or(false);
        }
        if outcome.result.status == Status::Changed {
            for n in task.notify.iter().chain(chain.iter().flat_map(|b| b.inherited.notify.iter())) {
                let name = self.templar().render_str(n, &scope).unwrap_or_else(|_| n.clone());
                host.notify(&name);
            }
        }
        outcome
    }

    /// The play's, the blocks', then the task's own conditions. `Err` holds
    /// the result of a task they stop: skipped, or failed when one cannot be
    /// evaluated.
    fn conditions(&self, task: &Task, chain: &Chain, scope: &Scope) -> Result<(), Map<String, Value>> {
        let conds =
            self.play().inherited.when.iter().chain(chain.iter().flat_map(|b| b.inherited.when.iter())).chain(task.inherited.when.iter());
        for cond in conds {
            let holds = match &cond.value {
                Value::Bool(b) => Ok(*b),
                Value::String(expr) => self.templar().eval_condition(expr, scope),
                other => Ok(!other.is_null()),
            };
            match holds {
                Ok(true) => {}
                Ok(false) => {
                    let mut m = Map::new();
                    m.insert("changed".into(), false.into());
                    m.insert("skipped".into(), true.into());
                    m.insert("false_condition".into(), cond.value.clone());
                    m.insert("skip_reason".into(), "Conditional result was False".into());
                    return Err(m);
                }
                Err(e) => {
                    return Err(
                        failed(format!("The conditional check '{}' failed. The error was: {e}", cond.value.as_str().unwrap_or(""))).result
                    )
                }
            }
        }
        Ok(())
    }

    async fn run_inner(&self, host: &mut HostRun, task: &Task, chain: &Chain, scope: &Scope) -> TaskOutcome {
        let name = host.name.clone();
        // With a loop, Ansible evaluates the conditions once per item (they may use `item`).
        if task.loop_.is_none() {
            if let Err(result) = self.conditions(task, chain, scope) {
                let status = status_of(&result);
                return TaskOutcome { result: HostResult::new(&name, status, result), effect: Effect::None };
            }
        }
        let Some(lp) = &task.loop_ else {
            let out = self.run_item(host, task, chain, scope).await;
            let status = status_of(&out.result);
            let mut r = HostResult::new(&name, status, out.result);
            r.delegated = self.delegate_name(task, chain, scope);
            if let Effect::Include { label, .. } = &out.effect {
                r.included = Some(label.clone());
            }
            match modules::registry::canonical_name(&task.action.module) {
                "debug" if status == Status::Ok => r.show_as_debug(),
                "assert" => r.verbose_always = true,
                "meta" => r.silent = status == Status::Ok,
                _ => {}
            }
            return TaskOutcome { result: r, effect: out.effect };
        };
        let items = match self.templar().render_value(&lp.items, scope) {
            Ok(v) => match loops::expand(lp.lookup.as_deref(), v, &self.ps.search_paths(Some(task))) {
                Ok(items) => items,
                Err(e) => {
                    return TaskOutcome {
                        result: HostResult::new(&name, Status::Failed, failed(e.to_string()).result),
                        effect: Effect::None,
                    }
                }
            },
            Err(e) => {
                return TaskOutcome {
                    result: HostResult::new(&name, Status::Failed, failed(format!("cannot template the loop: {e}")).result),
                    effect: Effect::None,
                }
            }
        };
        let loop_var = task.loop_control.loop_var.clone().unwrap_or_else(|| "item".into());
        let mut results = Vec::new();
        let mut lines = Vec::new();
        let is_debug = modules::registry::canonical_name(&task.action.module) == "debug";
        let mut effect = Effect::None;
        // `include_tasks`/`include_role` with a loop include the file once per item, each seeing its own item.
        let mut included = IncludedItems::default();
        let pause = task.loop_control.pause.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
        for (i, item) in items.iter().enumerate() {
            if i > 0 && pause > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(pause)).await;
            }
            let mut extra = Map::new();
            extra.insert(loop_var.clone(), item.clone());
            if let Some(iv) = &task.loop_control.index_var {
                extra.insert(iv.clone(), i.into());
            }
            extra.insert(
                "ansible_loop".into(),
                json!({"index": i + 1, "index0": i, "first": i == 0, "last": i + 1 == items.len(), "length": items.len(),
                       "revindex": items.len() - i, "revindex0": items.len() - i - 1}),
            );
            let item_scope = self.scope(host, task, chain, &extra);
            let mut included_label = None;
            let mut out = match self.conditions(task, chain, &item_scope) {
                Ok(()) => self.run_item(host, task, chain, &item_scope).await,
                Err(result) => ItemOutcome { result, effect: Effect::None },
            };
            out.result.insert(loop_var.clone(), item.clone());
            out.result.insert("ansible_loop_var".into(), loop_var.clone().into());
            match std::mem::take(&mut out.effect) {
                Effect::None => {}
                Effect::Include { items, ctx, handlers, label } => {
                    included_label = Some(label);
                    included.push(items, ctx, &extra, &handlers)
                }
                other => effect = other,
            }
            let label = match &task.loop_control.label {
                Some(l) => self.templar().render_value(l, &item_scope).unwrap_or_else(|_| l.clone()),
                None => item.clone(),
            };
            let status = status_of(&out.result);
            let shown = (is_debug && status == Status::Ok).then(|| debug_view(&out.result));
            lines.push(ItemLine { status, label: crate::template::python_str(&label), shown, index: i, included: included_label });
            results.push(Value::Object(out.result));
        }
        if let Some(include) = included.into_effect() {
            effect = include;
        }
        let any = |k: &str| results.iter().any(|r| truthy(r.get(k)));
        let all_skipped = !results.is_empty() && results.iter().all(|r| truthy(r.get("skipped")));
        let mut m = Map::new();
        m.insert("changed".into(), any("changed").into());
        let failed_any = any("failed");
        if failed_any {
            m.insert("failed".into(), true.into());
            m.insert("msg".into(), "One or more items failed".into());
        } else {
            m.insert("msg".into(), "All items completed".into());
        }
        if all_skipped || results.is_empty() {
            m.insert("skipped".into(), true.into());
        }
        m.insert("results".into(), Value::Array(results));
        let status = status_of(&m);
        let mut r = HostResult::new(&name, status, m);
        r.delegated = self.delegate_name(task, chain, scope);
        r.items = lines;
        TaskOutcome { result: r, effect }
    }

    fn delegate_name(&self, task: &Task, chain: &Chain, scope: &Scope) -> Option<String> {
        let v = keywords::resolve(self.play(), chain, task, |i| i.delegate_to.as_ref())?;
        self.templar().render_value(v, scope).ok().and_then(|v| v.as_str().map(str::to_string))
    }

    /// One run of the module (one loop item), with `until` retries and `changed_when`/`failed_when`.
    async fn run_item(&self, host: &mut HostRun, task: &Task, chain: &Chain, scope: &Scope) -> ItemOutcome {
        let layers = std::iter::once(&self.play().inherited).chain(chain.iter().map(|b| &b.inherited)).chain([&task.inherited]);
        let raw = crate::playbook::module_defaults::apply(layers, &task.action.module, &task.action.args);
        let args = match self.templar().render_value(&Value::Object(raw), scope) {
            Ok(Value::Object(m)) => m.into_iter().filter(|(_, v)| !Templar::is_omit(v)).collect::<Map<_, _>>(),
            Ok(_) => Map::new(),
            Err(e) => return failed(format!("{e} (in task `{}` at {})", task.display_name(), task.action.span)),
        };
        let retries = task
            .retries
            .as_ref()
            .and_then(|r| self.templar().render_value(r, scope).ok())
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let delay = task
            .delay
            .as_ref()
            .and_then(|r| self.templar().render_value(r, scope).ok())
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()));
        let attempts_max = if task.until.is_empty() { 1 } else { retries.unwrap_or(3) + 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut out = self.dispatch(host, task, chain, scope, &args).await;
            let judged = self.judge(task, scope, &mut out.result);
            if let Err(msg) = judged {
                return failed(msg);
            }
            if task.until.is_empty() {
                return out;
            }
            let done = self.eval_with_result(task, scope, &out.result, &task.until).unwrap_or(false);
            out.result.insert("attempts".into(), attempt.into());
            if done {
                return out;
            }
            if attempt >= attempts_max {
                // ansible-core 2.19 reports one attempt fewer than it ran once retries run out.
                out.result.insert("attempts".into(), (attempt - 1).max(1).into());
                out.result.insert("failed".into(), true.into());
                out.result.entry("msg").or_insert_with(|| "Retries exhausted".into());
                return out;
            }
            let left = attempts_max - attempt;
            self.output.lock().unwrap_or_else(|e| e.into_inner()).retrying(&host.name, &task.display_name(), left);
            tokio::time::sleep(Duration::from_secs_f64(delay.unwrap_or(5.0))).await;
        }
    }

    /// All of `conds` hold, with the result registered under the task's `register` name.
    fn eval_with_result(&self, task: &Task, scope: &Scope, result: &Map<String, Value>, conds: &[Value]) -> Result<bool, String> {
        let mut vars = scope.vars().clone();
        if let Some(r) = &task.register {
            vars.insert(r.clone(), Value::Object(result.clone()));
        }
        let s = Scope::new(vars).with_hostvars(self.ps.hostvars.clone());
        for c in conds {
            let holds = match c {
                Value::Bool(b) => *b,
                Value::String(expr) => {
                    self.templar().eval_condition(expr, &s).map_err(|e| format!("The conditional check '{expr}' failed: {e}"))?
                }
                other => !other.is_null(),
            };
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Apply `changed_when` and `failed_when`.
    fn judge(&self, task: &Task, scope: &Scope, result: &mut Map<String, Value>) -> Result<(), String> {
        if truthy(result.get("unreachable")) {
            return Ok(());
        }
        if !task.changed_when.is_empty() {
            let changed = self.eval_with_result(task, scope, result, &task.changed_when)?;
            result.insert("changed".into(), changed.into());
        }
        if !task.failed_when.is_empty() {
            let f = self.eval_with_result(task, scope, result, &task.failed_when)?;
            result.insert("failed_when_result".into(), f.into());
            result.insert("failed".into(), f.into());
        }
        Ok(())
    }

    async fn dispatch(&self, host: &mut HostRun, task: &Task, chain: &Chain, scope: &Scope, args: &Map<String, Value>) -> ItemOutcome {
        let module = modules::registry::canonical_name(&task.action.module).to_string();
        let verbosity = self.ps.config.verbosity;
        if let Some(msg) = invalid_controller_args(&module, args) {
            return failed(msg);
        }
        match module.as_str() {
            "debug" => controller::debug(args, scope, self.templar(), verbosity),
            "set_fact" => controller::set_fact(args, host),
            "assert" => controller::assert(args, scope, self.templar()),
            "fail" => controller::fail(args),
            "include_vars" => controller::include_vars(args, self.ps, task, host),
            "meta" => controller::meta(args),
            "pause" => controller::pause(args).await,
            "include_tasks" => self.include_tasks(task, args),
            "include_role" => self.include_role(task, args),
            "template" => match self.template_to_copy(task, scope, args) {
                Ok(copy_args) => self.remote(host, task, chain, scope, "copy", copy_args).await,
                Err(msg) => failed(msg),
            },
            "copy" if args.get("src").is_some() && !truthy(args.get("remote_src")) => {
                let src = args.get("src").and_then(Value::as_str).unwrap_or_default();
                match self.find(task, src) {
                    Some(dir) if dir.is_dir() => {
                        super::transfer::copy_dir(self, host, task, chain, scope, args, &dir, src.ends_with('/')).await
                    }
                    _ => match self.local_src_to_content(task, args) {
                        Ok(copy_args) => self.remote(host, task, chain, scope, "copy", copy_args).await,
                        Err(msg) => failed(msg),
                    },
                }
            }
            "unarchive" if args.get("src").is_some() && !truthy(args.get("remote_src")) => {
                let src = args.get("src").and_then(Value::as_str).unwrap_or_default();
                match self.find(task, src) {
                    Some(archive) if archive.is_file() => {
                        super::transfer::unarchive_local(self, host, task, chain, scope, args, &archive).await
                    }
                    _ => failed(format!("Could not find or access '{src}'")),
                }
            }
            _ => self.remote(host, task, chain, scope, &module, args.clone()).await,
        }
    }

    fn include_tasks(&self, task: &Task, args: &Map<String, Value>) -> ItemOutcome {
        let Some(file) = args.get("file").or_else(|| args.get("_raw_params")).and_then(Value::as_str) else {
            return failed("include_tasks needs a file name");
        };
        let base = task.action.span.path().parent().map(Path::to_path_buf).unwrap_or_default();
        let path = base.join(file);
        match crate::playbook::load_task_file(&path, task.role.clone(), &self.play().dir, &self.shared.load) {
            Ok(items) => ItemOutcome {
                result: json!({"changed": false, "include": file}).as_object().cloned().unwrap_or_default(),
                effect: Effect::Include {
                    items: rtree::build(&items),
                    ctx: include_ctx(task),
                    handlers: Arc::new(Vec::new()),
                    label: std::path::absolute(&path).unwrap_or(path.clone()).display().to_string(),
                },
            },
            Err(d) => failed(d.to_string()),
        }
    }

    fn include_role(&self, task: &Task, args: &Map<String, Value>) -> ItemOutcome {
        let Some(name) = args.get("name").and_then(Value::as_str) else { return failed("include_role needs `name`") };
        let tasks_from = args.get("tasks_from").and_then(Value::as_str).unwrap_or("main");
        match crate::playbook::load_role_runtime(
            name,
            task.vars.clone(),
            tasks_from,
            &task.action.span,
            &self.play().dir,
            &self.shared.load,
            &self.play().roles_seen,
        ) {
            Ok(uses) => {
                let mut items = Vec::new();
                let mut handlers = Vec::new();
                for u in uses {
                    items.extend(u.tasks);
                    handlers.extend(u.handlers);
                }
                ItemOutcome {
                    result: json!({"changed": false, "include_role": name}).as_object().cloned().unwrap_or_default(),
                    effect: Effect::Include {
                        items: rtree::build(&items),
                        ctx: include_ctx(task),
                        handlers: rtree::build(&handlers),
                        label: name.to_string(),
                    },
                }
            }
            Err(d) => failed(d.to_string()),
        }
    }

    /// Render the template here and ship the text with `copy`.
    fn template_to_copy(&self, task: &Task, scope: &Scope, args: &Map<String, Value>) -> Result<Map<String, Value>, String> {
        let src = args.get("src").and_then(Value::as_str).ok_or("template needs `src`")?;
        let path = self.find(task, src).ok_or_else(|| format!("Could not find or access '{src}'"))?;
        let bytes = crate::vault::keyring::read_secret_file(&path).map_err(|e| e.to_string())?;
        let text = String::from_utf8(bytes).map_err(|_| format!("cannot read {}: not UTF-8 text", path.display()))?;
        let mut vars = scope.vars().clone();
        vars.insert("template_path".into(), path.display().to_string().into());
        vars.insert("template_fullpath".into(), path.display().to_string().into());
        vars.insert("template_destpath".into(), args.get("dest").cloned().unwrap_or(Value::Null));
        vars.insert("template_host".into(), "dpctl".into());
        vars.insert("template_uid".into(), "root".into());
        vars.entry("ansible_managed").or_insert_with(|| "Ansible managed".into());
        let tscope = Scope::new(vars).with_search_paths(self.ps.search_paths(Some(task))).with_hostvars(self.ps.hostvars.clone());
        // Jinja environment overrides would need a second template environment: refuse them clearly.
        for (key, default) in [("trim_blocks", true), ("lstrip_blocks", false), ("keep_trailing_newline", false)] {
            if args.get(key).is_some_and(|v| truthy(Some(v)) != default) {
                return Err(format!("template: `{key}` other than the default ({default}) is not supported yet"));
            }
        }
        for key in [
            "block_start_string",
            "block_end_string",
            "variable_start_string",
            "variable_end_string",
            "comment_start_string",
            "comment_end_string",
        ] {
            if args.contains_key(key) {
                return Err(format!("template: `{key}` is not supported yet"));
            }
        }
        let mut rendered = self.templar().render_template_file(&path.display().to_string(), &text, &tscope).map_err(|e| e.to_string())?;
        match args.get("newline_sequence").and_then(Value::as_str) {
            None | Some("\n") => {}
            Some(nl @ ("\r\n" | "\r")) => rendered = rendered.replace('\n', nl),
            Some(other) => return Err(format!("template: newline_sequence must be \\n, \\r\\n or \\r, not {other:?}")),
        }
        let mut copy = Map::new();
        copy.insert("content".into(), rendered.into());
        for key in ["dest", "mode", "owner", "group", "backup", "validate", "force"] {
            if let Some(v) = args.get(key) {
                copy.insert(key.into(), v.clone());
            }
        }
        Ok(copy)
    }

    /// `copy src=` from the controller: send the bytes (text as `content`, else base64).
    fn local_src_to_content(&self, task: &Task, args: &Map<String, Value>) -> Result<Map<String, Value>, String> {
        let src = args.get("src").and_then(Value::as_str).unwrap_or_default();
        let path = self.find(task, src).ok_or_else(|| format!("Could not find or access '{src}'"))?;
        if path.is_dir() {
            return Err(format!(
                "copying the directory {} from the controller is not supported yet; use remote_src or one task per file",
                path.display()
            ));
        }
        let mut copy = args.clone();
        copy.remove("src");
        // `decrypt: yes` (Ansible's default): a vaulted source is decrypted here, on the controller
        let bytes = if copy.remove("decrypt").is_none_or(|d| truthy(Some(&d))) {
            crate::vault::keyring::read_secret_file(&path).map_err(|e| e.to_string())?
        } else {
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        let mut dest = copy.get("dest").and_then(Value::as_str).unwrap_or_default().to_string();
        if dest.ends_with('/') {
            dest.push_str(path.file_name().and_then(|n| n.to_str()).unwrap_or("file"));
            copy.insert("dest".into(), dest.into());
        }
        match String::from_utf8(bytes) {
            Ok(text) => copy.insert("content".into(), text.into()),
            Err(e) => copy.insert("content_base64".into(), base64::engine::general_purpose::STANDARD.encode(e.into_bytes()).into()),
        };
        Ok(copy)
    }

    pub(super) fn find(&self, task: &Task, src: &str) -> Option<std::path::PathBuf> {
        let p = Path::new(src);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        self.ps.search_paths(Some(task)).into_iter().map(|d| d.join(src)).find(|c| c.exists())
    }

    /// Connection parameters for `target` (the host itself or a delegate).
    fn conn_params(&self, host: &HostRun, target: &str, scope: &Scope) -> Result<ConnParams, String> {
        let inventory = &self.ps.config.inventory;
        let raw: Vars = if target == host.name {
            scope.vars().clone()
        } else if inventory.host(target).is_some() {
            inventory.host_vars(target)
        } else if matches!(target, "localhost" | "127.0.0.1" | "::1") {
            return Ok(ConnParams::implicit_localhost(&self.shared.conn));
        } else {
            Map::new()
        };
        let mut conn_vars = Map::new();
        for (k, v) in raw.iter().filter(|(k, _)| k.starts_with("ansible_")) {
            let s = Scope::new(raw.clone());
            conn_vars.insert(k.clone(), self.templar().render_value(v, &s).unwrap_or_else(|_| v.clone()));
        }
        if let Some(c) = &self.shared.default_connection {
            conn_vars.entry("ansible_connection").or_insert_with(|| Value::String(c.clone()));
        }
        ConnParams::from_host_vars(target, &conn_vars, &self.shared.conn).map_err(|e| e.to_string())
    }

    pub(super) async fn remote(
        &self,
        host: &mut HostRun,
        task: &Task,
        chain: &Chain,
        scope: &Scope,
        module: &str,
        args: Map<String, Value>,
    ) -> ItemOutcome {
        let delegate = self.delegate_name(task, chain, scope);
        let params = match (&delegate, &host.conn) {
            (None, Some(p)) => p.clone(),
            _ => {
                let target = delegate.clone().unwrap_or_else(|| host.name.clone());
                match self.conn_params(host, &target, scope) {
                    Ok(p) => {
                        if delegate.is_none() {
                            host.conn = Some(p.clone());
                        }
                        p
                    }
                    Err(msg) => {
                        let mut m = failed(msg);
                        m.result.insert("unreachable".into(), true.into());
                        return m;
                    }
                }
            }
        };
        let become_ = self.flag(chain, task, scope, |i| i.become_.as_ref()).unwrap_or(false);
        let become_user = if become_ {
            let u = keywords::resolve(self.play(), chain, task, |i| i.become_user.as_ref())
                .and_then(|v| self.templar().render_value(v, scope).ok())
                .and_then(|v| v.as_str().map(str::to_string));
            Some(u.unwrap_or_else(|| "root".into()))
        } else {
            None
        };
        let check = self.flag(chain, task, scope, |i| i.check_mode.as_ref()).unwrap_or(self.ps.config.check_mode);
        let diff = self.flag(chain, task, scope, |i| i.diff.as_ref()).unwrap_or(self.ps.config.diff);
        let environment = self.environment(task, chain, scope);
        let req =
            modules::protocol::Request { check, diff, environment, ..modules::protocol::Request::new(0, module, Value::Object(args)) };
        let render = |v: &Option<Value>| v.as_ref().map(|v| self.templar().render_value(v, scope).unwrap_or_else(|_| v.clone()));
        let async_spec = match AsyncSpec::from_values(render(&task.async_).as_ref(), render(&task.poll).as_ref()) {
            Ok(s) => s,
            Err(msg) => return failed(msg),
        };
        let reply = match async_spec {
            Some(spec) => async_task::run(&self.shared.pool, &params, become_user.as_deref(), req, spec).await,
            None => self.shared.pool.call(&params, become_user.as_deref(), req).await,
        };
        match reply {
            Ok(reply) => {
                let mut m = match serde_json::to_value(&reply.outcome) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                if reply.failed {
                    m.insert("failed".into(), true.into());
                }
                ItemOutcome { result: m, effect: Effect::None }
            }
            Err(e) => {
                let mut m = failed(e.result_message());
                if e.is_unreachable() {
                    m.result.remove("failed");
                    m.result.insert("unreachable".into(), true.into());
                }
                m.result.insert("changed".into(), false.into());
                m
            }
        }
    }

    /// `environment:` of the play, blocks and task, merged outer to inner and templated.
    fn environment(&self, task: &Task, chain: &Chain, scope: &Scope) -> Option<Map<String, Value>> {
        let all = self
            .play()
            .inherited
            .environment
            .iter()
            .chain(chain.iter().flat_map(|b| b.inherited.environment.iter()))
            .chain(task.inherited.environment.iter());
        let mut env = Map::new();
        for e in all {
            if let Ok(Value::Object(m)) = self.templar().render_value(e, scope) {
                env.extend(m.into_iter().map(|(k, v)| (k, Value::String(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))));
            }
        }
        (!env.is_empty()).then_some(env)
    }
}

/// An include task's keywords (when, tags, become, vars) apply to the included tasks.
/// The lists a looped include brought in, one per item, each wrapped in a block whose vars hold that item.
#[derive(Default)]
struct IncludedItems {
    blocks: Vec<RtItem>,
    handlers: Vec<RtItem>,
}

impl IncludedItems {
    fn push(&mut self, items: Arc<Vec<RtItem>>, ctx: Option<Arc<BlockCtx>>, loop_vars: &Vars, handlers: &[RtItem]) {
        let mut ctx = ctx.map(|c| BlockCtx { vars: c.vars.clone(), inherited: c.inherited.clone() }).unwrap_or_default();
        ctx.vars.extend(loop_vars.clone());
        let empty = Arc::new(Vec::new());
        self.blocks.push(RtItem::Block(Arc::new(rtree::RtBlock {
            ctx: Arc::new(ctx),
            block: items,
            rescue: empty.clone(),
            always: empty,
        })));
        self.handlers.extend(handlers.iter().cloned());
    }

    fn into_effect(self) -> Option<Effect> {
        (!self.blocks.is_empty()).then(|| Effect::Include {
            items: Arc::new(self.blocks),
            ctx: None,
            handlers: Arc::new(self.handlers),
            label: String::new(),
        })
    }
}

fn include_ctx(task: &Task) -> Option<Arc<BlockCtx>> {
    let mut inherited = task.inherited.clone();
    // its own `when` was already evaluated for the include itself
    inherited.when.clear();
    Some(Arc::new(BlockCtx { vars: task.vars.clone(), inherited }))
}

/// The status a result dict stands for.
pub fn status_of(r: &Map<String, Value>) -> Status {
    if truthy(r.get("unreachable")) {
        Status::Unreachable
    } else if truthy(r.get("failed")) {
        Status::Failed
    } else if truthy(r.get("skipped")) {
        Status::Skipped
    } else if truthy(r.get("changed")) {
        Status::Changed
    } else {
        Status::Ok
    }
}
