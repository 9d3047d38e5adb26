//! From YAML nodes to the playbook model. Every problem becomes a
//! diagnostic with its position; loading goes on after an error so that one
//! `dpctl check` run reports all of them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fields;
use super::keywords;
use super::kv::{free_form, parse_kv};
use super::model::*;
use super::role::RoleLoader;
use crate::diag::{closest, did_you_mean, Diagnostic, Diagnostics};
use crate::source::display_path;
use crate::yaml::{self, Node, NodeKind};

/// A task's module name, its arguments, and where each argument was written.
type ParsedAction = (String, Map<String, Value>, Vec<(String, crate::source::Span)>);

/// Where roles are looked for besides `roles/` next to the playbook.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub roles_path: Vec<PathBuf>,
}

/// Where the tasks being read live: relative `import_tasks` paths and role
/// files resolve from here.
#[derive(Clone)]
pub(crate) struct TaskScope {
    pub dir: PathBuf,
    pub role: Option<Arc<RoleContext>>,
    /// The playbook's directory (roles/ next to it is searched first).
    pub playbook_dir: PathBuf,
}

pub struct Loader {
    pub opts: LoadOptions,
    pub diags: Diagnostics,
    /// Handlers brought in by `import_role` inside task lists, added to the play.
    pub(crate) extra_handlers: Vec<Item>,
    pub(crate) roles: RoleLoader,
    import_depth: usize,
}

const MAX_IMPORT_DEPTH: usize = 64;

impl Loader {
    pub fn new(opts: LoadOptions) -> Self {
        Loader { opts, diags: Diagnostics::default(), extra_handlers: Vec::new(), roles: RoleLoader::default(), import_depth: 0 }
    }

    pub(crate) fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Load a YAML file, reporting a problem as a diagnostic.
    pub(crate) fn load_yaml(&mut self, path: &Path, from: Option<&crate::source::Span>) -> Option<Node> {
        match yaml::load_file(path) {
            Ok((_, Some(node))) => Some(node),
            Ok((_, None)) => None,
            Err(mut d) => {
                if d.span.is_none() {
                    d = d.at_opt(from);
                }
                self.error(d);
                None
            }
        }
    }

    /// Load a playbook file (following `import_playbook`).
    pub fn load_playbook(&mut self, path: &Path) -> Playbook {
        let plays = self.playbook_plays(path, None);
        Playbook { path: path.to_path_buf(), plays }
    }

    /// Load a playbook from text, as if it were the file `path` (imports resolve next to `path`).
    pub fn load_playbook_text(&mut self, path: &Path, text: &str) -> Playbook {
        let root = match yaml::load_str(crate::source::Source::new(path, text)) {
            Ok(docs) if docs.len() > 1 => {
                let d = Diagnostic::error(format!("{} holds {} YAML documents; one was expected", display_path(path), docs.len()));
                self.error(d.at(&docs[1].span));
                None
            }
            Ok(docs) => docs.into_iter().next(),
            Err(d) => {
                self.error(d);
                None
            }
        };
        let plays = root.map(|root| self.plays_of(&root, path)).unwrap_or_default();
        Playbook { path: path.to_path_buf(), plays }
    }

    fn playbook_plays(&mut self, path: &Path, from: Option<&crate::source::Span>) -> Vec<Play> {
        let Some(root) = self.load_yaml(path, from) else { return Vec::new() };
        self.plays_of(&root, path)
    }

    fn plays_of(&mut self, root: &Node, path: &Path) -> Vec<Play> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let Some(entries) = root.as_seq() else {
            self.error(Diagnostic::error("a playbook must be a list of plays").at(&root.span));
            return Vec::new();
        };
        let mut plays = Vec::new();
        for entry in entries {
            if let Some(import) = entry.get("import_playbook").or_else(|| entry.get("ansible.builtin.import_playbook")) {
                plays.extend(self.import_playbook(entry, import, &dir));
                continue;
            }
            if let Some(play) = self.play(entry, &dir) {
                plays.push(play);
            }
        }
        plays
    }

    fn import_playbook(&mut self, entry: &Node, import: &Node, dir: &Path) -> Vec<Play> {
        let mut extra_vars = Map::new();
        let mut when = Vec::new();
        for (k, v) in entry.as_map().unwrap_or(&[]) {
            match k.key_string().as_deref() {
                Some("import_playbook" | "ansible.builtin.import_playbook" | "name") => {}
                Some("vars") => extra_vars = fields::vars("vars", v).unwrap_or_else(|d| self.push(d, Map::new())),
                Some("when") => when = fields::conditions("when", v).unwrap_or_else(|d| self.push(d, Vec::new())),
                Some("tags") => {}
                Some(other) => self.error(
                    Diagnostic::error(format!("`{other}` is not allowed next to `import_playbook`"))
                        .at(&k.span)
                        .help("allowed: name, vars, when, tags"),
                ),
                None => {}
            }
        }
        let Some(file) = import.as_str() else {
            self.error(fields::type_error("import_playbook", import, "a file name"));
            return Vec::new();
        };
        if self.import_depth >= MAX_IMPORT_DEPTH {
            self.error(Diagnostic::error("import_playbook nests too deep (a playbook importing itself?)").at(&import.span));
            return Vec::new();
        }
        let path = dir.join(file);
        if !path.is_file() {
            self.error(Diagnostic::error(format!("imported playbook {} not found", display_path(&path))).at(&import.span));
            return Vec::new();
        }
        self.import_depth += 1;
        let mut plays = self.playbook_plays(&path, Some(&import.span));
        self.import_depth -= 1;
        for play in &mut plays {
            for (k, v) in &extra_vars {
                play.vars.insert(k.clone(), v.clone());
            }
            let mut w = when.clone();
            w.append(&mut play.inherited.when);
            play.inherited.when = w;
        }
        plays
    }

    fn push<T>(&mut self, d: Diagnostic, fallback: T) -> T {
        self.error(d);
        fallback
    }

    /// Apply a keyword shared by plays, blocks and tasks; false when `key` is not one.
    fn inherited_keyword(&mut self, key: &str, v: &Node, inh: &mut Inherited) -> bool {
        let scalar = |l: &mut Self| fields::scalar(key, v).map(Some).unwrap_or_else(|d| l.push(d, None));
        match key {
            "become" => inh.become_ = scalar(self),
            "become_user" => inh.become_user = scalar(self),
            "become_method" => inh.become_method = scalar(self),
            "remote_user" => inh.remote_user = scalar(self),
            "connection" => inh.connection = scalar(self),
            "check_mode" => inh.check_mode = scalar(self),
            "diff" => inh.diff = scalar(self),
            "ignore_errors" => inh.ignore_errors = scalar(self),
            "ignore_unreachable" => inh.ignore_unreachable = scalar(self),
            "any_errors_fatal" => inh.any_errors_fatal = scalar(self),
            "no_log" => inh.no_log = scalar(self),
            "run_once" => inh.run_once = scalar(self),
            "delegate_to" => inh.delegate_to = scalar(self),
            "environment" => inh.environment.push(v.to_value()),
            "module_defaults" => inh.module_defaults.push(v.to_value()),
            "tags" => inh.tags = fields::string_list(key, v).unwrap_or_else(|d| self.push(d, Vec::new())),
            "when" => inh.when = fields::conditions(key, v).unwrap_or_else(|d| self.push(d, Vec::new())),
            "notify" => inh.notify = fields::string_list(key, v).unwrap_or_else(|d| self.push(d, Vec::new())),
            "become_exe" | "become_flags" | "collections" | "debugger" | "port" | "throttle" | "timeout" => {}
            _ => return false,
        }
        true
    }

    fn play(&mut self, node: &Node, dir: &Path) -> Option<Play> {
        let Some(entries) = node.as_map() else {
            self.error(Diagnostic::error(format!("a play must be a mapping, found {}", node.type_name())).at(&node.span));
            return None;
        };
        let mut play = Play {
            name: None,
            span: node.span.clone(),
            hosts: Value::Null,
            vars: Map::new(),
            vars_files: Vec::new(),
            roles: Vec::new(),
            pre_tasks: Vec::new(),
            tasks: Vec::new(),
            post_tasks: Vec::new(),
            handlers: Vec::new(),
            inherited: Inherited::default(),
            gather_facts: None,
            serial: None,
            strategy: None,
            max_fail_percentage: None,
            force_handlers: None,
            roles_seen: Vec::new(),
            dir: dir.to_path_buf(),
        };
        let scope = TaskScope { dir: dir.to_path_buf(), role: None, playbook_dir: dir.to_path_buf() };
        let mut hosts_seen = false;
        self.extra_handlers.clear();
        self.roles.start_play();
        // Roles first: their tasks run between pre_tasks and tasks whatever the key order.
        if let Some(roles) = node.get("roles") {
            match fields::list("roles", roles) {
                Ok(items) => {
                    for r in items {
                        let uses = self.role_entry(r, &scope);
                        play.roles.extend(uses);
                    }
                }
                Err(d) => self.error(d),
            }
        }
        for (k, v) in entries {
            let Some(key) = k.key_string() else { continue };
            if self.inherited_keyword(&key, v, &mut play.inherited) {
                continue;
            }
            match key.as_str() {
                "name" => play.name = fields::string("name", v).map(Some).unwrap_or_else(|d| self.push(d, None)),
                "hosts" => {
                    hosts_seen = true;
                    play.hosts = v.to_value();
                }
                "vars" => play.vars = fields::vars("vars", v).unwrap_or_else(|d| self.push(d, Map::new())),
                "vars_files" => match &v.kind {
                    NodeKind::Seq(items) => {
                        play.vars_files = items.iter().map(|n| Spanned { value: n.to_value(), span: n.span.clone() }).collect()
                    }
                    NodeKind::Str(_) => play.vars_files = vec![Spanned { value: v.to_value(), span: v.span.clone() }],
                    NodeKind::Null => {}
                    _ => self.error(fields::type_error("vars_files", v, "a list of file names")),
                },
                "roles" => {}
                "pre_tasks" => play.pre_tasks = self.task_list("pre_tasks", v, &scope),
                "tasks" => play.tasks = self.task_list("tasks", v, &scope),
                "post_tasks" => play.post_tasks = self.task_list("post_tasks", v, &scope),
                "handlers" => play.handlers = self.task_list("handlers", v, &scope),
                "gather_facts" => play.gather_facts = Some(v.to_value()),
                "serial" => play.serial = Some(v.to_value()),
                "strategy" => play.strategy = Some(v.to_value()),
                "max_fail_percentage" => play.max_fail_percentage = Some(v.to_value()),
                "force_handlers" => play.force_handlers = Some(v.to_value()),
                "fact_path" | "gather_subset" | "gather_timeout" | "order" | "vars_prompt" => {}
                other => {
                    let mut d = Diagnostic::error(format!("unknown play keyword `{other}`")).at(&k.span);
                    if let Some(s) = did_you_mean(other, keywords::COMMON.iter().chain(keywords::PLAY).copied()) {
                        d = d.label(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
            }
        }
        if !hosts_seen {
            self.error(Diagnostic::error("a play needs `hosts`").at(&node.span).label("this play has no `hosts:`"));
        }
        let mut handlers = std::mem::take(&mut self.extra_handlers);
        for r in &play.roles {
            handlers.extend(r.handlers.iter().cloned());
        }
        handlers.append(&mut play.handlers);
        play.handlers = handlers;
        play.roles_seen = self.roles.seen().to_vec();
        Some(play)
    }

    /// A list of tasks (or blocks); `import_tasks`/`import_role` are expanded here.
    pub(crate) fn task_list(&mut self, key: &str, node: &Node, scope: &TaskScope) -> Vec<Item> {
        let items = match fields::list(key, node) {
            Ok(items) => items,
            Err(d) => return self.push(d, Vec::new()),
        };
        let mut out = Vec::new();
        for item in items {
            out.extend(self.item(item, scope));
        }
        out
    }

    fn item(&mut self, node: &Node, scope: &TaskScope) -> Vec<Item> {
        let Some(entries) = node.as_map() else {
            self.error(Diagnostic::error(format!("a task must be a mapping, found {}", node.type_name())).at(&node.span));
            return Vec::new();
        };
        if node.get("block").is_some() {
            return self.block(node, entries, scope).into_iter().collect();
        }
        self.task(node, entries, scope)
    }

    fn block(&mut self, node: &Node, entries: &[(Node, Node)], scope: &TaskScope) -> Option<Item> {
        let mut b = Block {
            name: None,
            span: node.span.clone(),
            vars: Map::new(),
            block: Vec::new(),
            rescue: Vec::new(),
            always: Vec::new(),
            inherited: Inherited::default(),
        };
        for (k, v) in entries {
            let Some(key) = k.key_string() else { continue };
            if self.inherited_keyword(&key, v, &mut b.inherited) {
                continue;
            }
            match key.as_str() {
                "name" => b.name = fields::string("name", v).ok(),
                "vars" => b.vars = fields::vars("vars", v).unwrap_or_else(|d| self.push(d, Map::new())),
                "block" => b.block = self.task_list("block", v, scope),
                "rescue" => b.rescue = self.task_list("rescue", v, scope),
                "always" => b.always = self.task_list("always", v, scope),
                "delegate_facts" => {}
                other => {
                    let mut d = Diagnostic::error(format!("unknown block keyword `{other}`")).at(&k.span);
                    if let Some(s) = did_you_mean(other, keywords::COMMON.iter().chain(keywords::BLOCK).copied()) {
                        d = d.label(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
            }
        }
        Some(Item::Block(Box::new(b)))
    }

    fn task(&mut self, node: &Node, entries: &[(Node, Node)], scope: &TaskScope) -> Vec<Item> {
        let mut t = Task::new(
            Action { module: String::new(), args: Map::new(), arg_spans: Vec::new(), span: node.span.clone() },
            node.span.clone(),
        );
        t.role = scope.role.clone();
        let mut actions: Vec<(&Node, &Node)> = Vec::new();
        let mut extra_args: Option<&Node> = None;
        for (k, v) in entries {
            let Some(key) = k.key_string() else { continue };
            if key == "notify" {
                t.notify = fields::string_list("notify", v).unwrap_or_else(|d| self.push(d, Vec::new()));
                continue;
            }
            if self.inherited_keyword(&key, v, &mut t.inherited) {
                continue;
            }
            let conds = |l: &mut Self| -> Vec<Value> {
                fields::conditions(&key, v).map(|c| c.into_iter().map(|s| s.value).collect()).unwrap_or_else(|d| l.push(d, Vec::new()))
            };
            match key.as_str() {
                "name" => t.name = fields::string("name", v).map(Some).unwrap_or_else(|d| self.push(d, None)),
                "vars" => t.vars = fields::vars("vars", v).unwrap_or_else(|d| self.push(d, Map::new())),
                "register" => t.register = fields::string("register", v).map(Some).unwrap_or_else(|d| self.push(d, None)),
                "listen" => t.listen = fields::string_list("listen", v).unwrap_or_else(|d| self.push(d, Vec::new())),
                "changed_when" => t.changed_when = conds(self),
                "failed_when" => t.failed_when = conds(self),
                "until" => t.until = conds(self),
                "retries" => t.retries = Some(v.to_value()),
                "delay" => t.delay = Some(v.to_value()),
                "delegate_facts" => t.delegate_facts = Some(v.to_value()),
                "async" => t.async_ = Some(v.to_value()),
                "poll" => t.poll = Some(v.to_value()),
                "args" => extra_args = Some(v),
                "loop" => t.loop_ = Some(Loop { lookup: None, items: v.to_value(), span: v.span.clone() }),
                "loop_control" => t.loop_control = self.loop_control(v),
                "action" | "local_action" => {
                    if key == "local_action" {
                        t.inherited.delegate_to = Some(Value::String("localhost".into()));
                    }
                    actions.push((k, v));
                }
                k2 if k2.starts_with("with_") => {
                    let lookup = &k2[5..];
                    if keywords::WITH_LOOKUPS.contains(&lookup) {
                        t.loop_ = Some(Loop { lookup: Some(lookup.to_string()), items: v.to_value(), span: v.span.clone() });
                    } else {
                        self.error(Diagnostic::error(format!("unsupported loop `{k2}`")).at(&k.span).help(format!(
                            "supported: loop, {}",
                            keywords::WITH_LOOKUPS.iter().map(|l| format!("with_{l}")).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
                _ => actions.push((k, v)),
            }
        }
        let Some((key_node, value)) = self.pick_action(node, &actions) else { return Vec::new() };
        let (module, mut args, arg_spans) = match self.action(key_node, value) {
            Some(a) => a,
            None => return Vec::new(),
        };
        if let Some(extra) = extra_args {
            match extra.to_value() {
                Value::Object(m) => {
                    for (k, v) in m {
                        args.entry(k).or_insert(v);
                    }
                }
                _ => self.error(fields::type_error("args", extra, "a mapping")),
            }
        }
        t.action = Action { module: module.clone(), args, arg_spans, span: key_node.span.clone() };
        match modules::registry::canonical_name(&module) {
            "import_tasks" => self.import_tasks(t, scope),
            "import_role" => self.import_role(t, scope),
            _ => vec![Item::Task(Box::new(t))],
        }
    }

    fn loop_control(&mut self, v: &Node) -> LoopControl {
        let mut lc = LoopControl::default();
        let Some(entries) = v.as_map() else {
            self.error(fields::type_error("loop_control", v, "a mapping"));
            return lc;
        };
        for (k, val) in entries {
            match k.key_string().as_deref() {
                Some("loop_var") => lc.loop_var = fields::string("loop_var", val).ok(),
                Some("index_var") => lc.index_var = fields::string("index_var", val).ok(),
                Some("label") => lc.label = Some(val.to_value()),
                Some("pause") => lc.pause = Some(val.to_value()),
                Some("extended") => lc.extended = Some(val.to_value()),
                Some("extended_allitems" | "break_when") => {}
                Some(other) => {
                    let mut d = Diagnostic::error(format!("unknown loop_control key `{other}`")).at(&k.span);
                    if let Some(s) = did_you_mean(other, keywords::LOOP_CONTROL.iter().copied()) {
                        d = d.label(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
                None => {}
            }
        }
        lc
    }

    /// The one key that names the task's module; everything else must be a keyword.
    fn pick_action<'n>(&mut self, task: &Node, candidates: &[(&'n Node, &'n Node)]) -> Option<(&'n Node, &'n Node)> {
        let mut modules_found = Vec::new();
        for &(k, v) in candidates {
            let name = k.key_string().unwrap_or_default();
            if name == "action" || name == "local_action" || modules::lookup(&name).is_some() {
                modules_found.push((k, v));
                continue;
            }
            let names: Vec<&str> = modules::registry::all().iter().map(|m| m.name).collect();
            let keyword = closest(&name, keywords::task_keywords());
            let module = closest(modules::registry::canonical_name(&name), names);
            match (keyword, module) {
                (Some((dk, kw)), m) if m.is_none_or(|(dm, _)| dk < dm) => self
                    .error(Diagnostic::error(format!("unknown task keyword `{name}`")).at(&k.span).label(format!("did you mean `{kw}`?"))),
                (_, Some((_, m))) => self.error(
                    Diagnostic::error(format!("unknown module or task keyword `{name}`"))
                        .at(&k.span)
                        .label(format!("did you mean the module `{m}`?")),
                ),
                _ => self.error(Diagnostic::error(format!("unknown module or task keyword `{name}`")).at(&k.span)),
            }
        }
        match modules_found.len() {
            1 => Some(modules_found[0]),
            0 => {
                if candidates.is_empty() {
                    self.error(
                        Diagnostic::error("no module given in this task")
                            .at(&task.span)
                            .help("a task needs exactly one module, e.g. `copy:`"),
                    );
                }
                None
            }
            _ => {
                let names: Vec<String> = modules_found.iter().filter_map(|(k, _)| k.key_string()).collect();
                self.error(
                    Diagnostic::error(format!("a task runs one module, this one names {}", names.join(", "))).at(&modules_found[1].0.span),
                );
                None
            }
        }
    }

    /// Module name and arguments of `module: args` / `action: module args`.
    fn action(&mut self, key: &Node, value: &Node) -> Option<ParsedAction> {
        let mut name = key.key_string().unwrap_or_default();
        let mut text_args: Option<String> = None;
        let mut map_node: Option<&Node> = None;
        let action_form = name == "action" || name == "local_action";
        if action_form {
            match &value.kind {
                NodeKind::Str(s) => {
                    let s = s.trim();
                    let (m, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                    name = m.to_string();
                    text_args = Some(rest.to_string());
                }
                NodeKind::Map(_) => {
                    let Some(m) = value.get("module").and_then(Node::as_str) else {
                        self.error(Diagnostic::error(format!("`{name}` needs a `module:` key")).at(&value.span));
                        return None;
                    };
                    name = m.to_string();
                    map_node = Some(value);
                }
                _ => {
                    self.error(fields::type_error(&name, value, "a module name with arguments"));
                    return None;
                }
            }
            if modules::lookup(&name).is_none() {
                self.error(Diagnostic::error(format!("unknown module `{name}`")).at(&value.span));
                return None;
            }
        } else {
            match &value.kind {
                NodeKind::Str(s) => text_args = Some(s.clone()),
                NodeKind::Map(_) => map_node = Some(value),
                NodeKind::Null => {}
                NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => text_args = value.key_string(),
                NodeKind::Seq(_) => {
                    self.error(fields::type_error(&name, value, "a mapping of arguments or a `k=v` string"));
                    return None;
                }
            }
        }
        let canonical = modules::registry::canonical_name(&name).to_string();
        let mut args = Map::new();
        let mut spans = Vec::new();
        if let Some(text) = text_args {
            match parse_kv(&text, free_form(&canonical)) {
                Ok(m) => {
                    spans = m.keys().map(|k| (k.clone(), value.span.clone())).collect();
                    args = m;
                }
                Err(e) => {
                    self.error(Diagnostic::error(format!("cannot read the arguments of `{name}`: {e}")).at(&value.span));
                    return None;
                }
            }
        }
        if let Some(m) = map_node {
            for (k, v) in m.as_map().unwrap_or(&[]) {
                let Some(key) = k.key_string() else { continue };
                if action_form && key == "module" {
                    continue;
                }
                spans.push((key.clone(), k.span.clone()));
                args.insert(key, v.to_value());
            }
        }
        Some((name, args, spans))
    }

    fn import_tasks(&mut self, t: Task, scope: &TaskScope) -> Vec<Item> {
        let file = t.action.args.get("_raw_params").or_else(|| t.action.args.get("file")).and_then(Value::as_str).map(str::to_string);
        let Some(file) = file else {
            self.error(Diagnostic::error("import_tasks needs a file name").at(&t.action.span));
            return Vec::new();
        };
        if file.contains("{{") {
            self.error(
                Diagnostic::error("import_tasks is static: its file name cannot use variables")
                    .at(&t.action.span)
                    .help("use include_tasks for a file chosen at run time"),
            );
            return Vec::new();
        }
        let path = scope.dir.join(&file);
        if !path.is_file() {
            self.error(
                Diagnostic::error(format!("imported task file {} not found", display_path(&path))).at(t.action.arg_span("_raw_params")),
            );
            return Vec::new();
        }
        if self.import_depth >= MAX_IMPORT_DEPTH {
            self.error(Diagnostic::error("import_tasks nests too deep (a file importing itself?)").at(&t.action.span));
            return Vec::new();
        }
        let Some(node) = self.load_yaml(&path, Some(&t.action.span)) else { return Vec::new() };
        let inner = TaskScope { dir: path.parent().map(Path::to_path_buf).unwrap_or_default(), ..scope.clone() };
        self.import_depth += 1;
        let tasks = self.task_list("tasks", &node, &inner);
        self.import_depth -= 1;
        vec![wrap_in_block(t, tasks)]
    }

    fn import_role(&mut self, t: Task, scope: &TaskScope) -> Vec<Item> {
        let name = t.action.args.get("name").or_else(|| t.action.args.get("_raw_params")).and_then(Value::as_str).map(str::to_string);
        let Some(name) = name else {
            self.error(Diagnostic::error("import_role needs `name`").at(&t.action.span));
            return Vec::new();
        };
        let tasks_from = t.action.args.get("tasks_from").and_then(Value::as_str).unwrap_or("main").to_string();
        let params = t.vars.clone();
        let uses = self.load_role(&name, params, &tasks_from, &t.action.span, scope);
        let mut items = Vec::new();
        for u in uses {
            self.extra_handlers.extend(u.handlers);
            items.extend(u.tasks);
        }
        vec![wrap_in_block(t, items)]
    }

    /// Resolve and load a role with its dependencies.
    pub(crate) fn load_role(
        &mut self,
        name: &str,
        params: Vars,
        tasks_from: &str,
        at: &crate::source::Span,
        scope: &TaskScope,
    ) -> Vec<RoleUse> {
        let mut roles = std::mem::take(&mut self.roles);
        let out = roles.load(self, name, params, tasks_from, at, scope);
        self.roles = roles;
        out
    }

    /// One entry of a play's `roles:` list.
    fn role_entry(&mut self, node: &Node, scope: &TaskScope) -> Vec<RoleUse> {
        match &node.kind {
            NodeKind::Str(name) => self.load_role(name, Map::new(), "main", &node.span, scope),
            NodeKind::Map(entries) => {
                let mut name = None;
                let mut params = Map::new();
                let mut inherited = Inherited::default();
                for (k, v) in entries {
                    let Some(key) = k.key_string() else { continue };
                    if key == "role" || key == "name" {
                        name = v.as_str().map(str::to_string);
                        continue;
                    }
                    if key == "vars" {
                        params.extend(fields::vars("vars", v).unwrap_or_else(|d| self.push(d, Map::new())));
                        continue;
                    }
                    if self.inherited_keyword(&key, v, &mut inherited) {
                        continue;
                    }
                    // Anything else is a role parameter, as Ansible does.
                    params.insert(key, v.to_value());
                }
                let Some(name) = name else {
                    self.error(Diagnostic::error("a role entry needs `role:` (or `name:`)").at(&node.span));
                    return Vec::new();
                };
                let mut uses = self.load_role(&name, params, "main", &node.span, scope);
                if has_any(&inherited) {
                    for u in &mut uses {
                        let tasks = std::mem::take(&mut u.tasks);
                        u.tasks = vec![Item::Block(Box::new(Block {
                            name: None,
                            span: node.span.clone(),
                            vars: Map::new(),
                            block: tasks,
                            rescue: Vec::new(),
                            always: Vec::new(),
                            inherited: inherited.clone(),
                        }))];
                    }
                }
                uses
            }
            _ => {
                self.error(fields::type_error("roles", node, "a role name or a mapping with `role:`"));
                Vec::new()
            }
        }
    }
}

fn has_any(i: &Inherited) -> bool {
    i.become_.is_some()
        || i.become_user.is_some()
        || !i.when.is_empty()
        || !i.tags.is_empty()
        || !i.environment.is_empty()
        || i.delegate_to.is_some()
}

/// Keywords on an `import_*` task apply to every imported task: keep them on a block around them.
fn wrap_in_block(t: Task, tasks: Vec<Item>) -> Item {
    Item::Block(Box::new(Block {
        name: t.name.clone(),
        span: t.span.clone(),
        vars: t.vars.clone(),
        block: tasks,
        rescue: Vec::new(),
        always: Vec::new(),
        inherited: t.inherited,
    }))
}

/// Load a playbook and everything it imports; `Err` holds every problem found.
pub fn load_playbook(path: &Path, opts: &LoadOptions) -> Result<Playbook, Diagnostics> {
    let mut loader = Loader::new(opts.clone());
    let pb = loader.load_playbook(path);
    loader.diags.into_result(pb)
}

/// Load a playbook from text as if it were the file `path`; `Err` holds every problem found.
pub fn load_playbook_text(path: &Path, text: &str, opts: &LoadOptions) -> Result<Playbook, Diagnostics> {
    let mut loader = Loader::new(opts.clone());
    let pb = loader.load_playbook_text(path, text);
    loader.diags.into_result(pb)
}

/// Load a task file at run time (`include_tasks`), relative to `dir`.
pub fn load_task_file(
    path: &Path,
    role: Option<Arc<RoleContext>>,
    playbook_dir: &Path,
    opts: &LoadOptions,
) -> Result<Vec<Item>, Diagnostics> {
    let mut loader = Loader::new(opts.clone());
    let Some(node) = loader.load_yaml(path, None) else {
        return loader.diags.into_result(Vec::new());
    };
    let scope = TaskScope { dir: path.parent().map(Path::to_path_buf).unwrap_or_default(), role, playbook_dir: playbook_dir.to_path_buf() };
    let items = loader.task_list("tasks", &node, &scope);
    loader.diags.into_result(items)
}

/// Load a role at run time (`include_role`), with its dependencies.
#[allow(clippy::too_many_arguments)]
pub fn load_role_runtime(
    name: &str,
    params: Vars,
    tasks_from: &str,
    at: &crate::source::Span,
    playbook_dir: &Path,
    opts: &LoadOptions,
    roles_seen: &[(std::path::PathBuf, Value)],
) -> Result<Vec<RoleUse>, Diagnostics> {
    let mut loader = Loader::new(opts.clone());
    loader.roles.continue_play(roles_seen.to_vec());
    let scope = TaskScope { dir: playbook_dir.to_path_buf(), role: None, playbook_dir: playbook_dir.to_path_buf() };
    let uses = loader.load_role(name, params, tasks_from, at, &scope);
    loader.diags.into_result(uses)
}
