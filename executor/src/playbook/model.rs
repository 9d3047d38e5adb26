//! The loaded playbook: plays, blocks and tasks with their keywords, still
//! untemplated (values are templated per host when a task runs), each with
//! the position it was written at.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::source::Span;

/// A value as written, with where it was written.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

pub type Vars = Map<String, Value>;

/// Keywords that plays, blocks, roles and tasks share and that inherit
/// downwards (a task's own value wins over its block's, over its play's).
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    pub become_: Option<Value>,
    pub become_user: Option<Value>,
    pub become_method: Option<Value>,
    pub remote_user: Option<Value>,
    pub connection: Option<Value>,
    pub check_mode: Option<Value>,
    pub diff: Option<Value>,
    pub environment: Vec<Value>,
    pub ignore_errors: Option<Value>,
    pub ignore_unreachable: Option<Value>,
    pub any_errors_fatal: Option<Value>,
    pub no_log: Option<Value>,
    pub run_once: Option<Value>,
    pub delegate_to: Option<Value>,
    pub module_defaults: Vec<Value>,
    pub tags: Vec<String>,
    /// Conditions, outermost first; all must hold.
    pub when: Vec<Spanned<Value>>,
    /// Handlers notified by every task inside (block `notify:`).
    pub notify: Vec<String>,
}

/// Where a task came from when it belongs to a role.
#[derive(Debug)]
pub struct RoleContext {
    pub name: String,
    pub path: PathBuf,
    pub defaults: Vars,
    pub vars: Vars,
    /// Parameters given where the role is used (`roles: [{role: x, port: 1}]`).
    pub params: Vars,
}

/// The module a task runs.
#[derive(Debug, Clone)]
pub struct Action {
    /// The module name as written (`ansible.builtin.copy`).
    pub module: String,
    /// Arguments (a mapping; `k=v` strings are already split).
    pub args: Map<String, Value>,
    /// Where each argument key was written, for errors about one argument.
    pub arg_spans: Vec<(String, Span)>,
    pub span: Span,
}

impl Action {
    /// The position of argument `key`, else of the module.
    pub fn arg_span(&self, key: &str) -> &Span {
        self.arg_spans.iter().find(|(k, _)| k == key).map(|(_, s)| s).unwrap_or(&self.span)
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoopControl {
    pub loop_var: Option<String>,
    pub index_var: Option<String>,
    pub label: Option<Value>,
    pub pause: Option<Value>,
    pub extended: Option<Value>,
}

/// `loop:` or `with_<lookup>:`.
#[derive(Debug, Clone)]
pub struct Loop {
    /// `None` for `loop:`, `Some("items")` for `with_items:`.
    pub lookup: Option<String>,
    pub items: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub name: Option<String>,
    pub action: Action,
    pub span: Span,
    pub inherited: Inherited,
    pub vars: Vars,
    pub loop_: Option<Loop>,
    pub loop_control: LoopControl,
    pub register: Option<String>,
    pub notify: Vec<String>,
    /// Handler topics this task answers to (handlers only).
    pub listen: Vec<String>,
    pub changed_when: Vec<Value>,
    pub failed_when: Vec<Value>,
    pub until: Vec<Value>,
    pub retries: Option<Value>,
    pub delay: Option<Value>,
    pub delegate_facts: Option<Value>,
    pub async_: Option<Value>,
    pub poll: Option<Value>,
    pub role: Option<Arc<RoleContext>>,
}

impl Task {
    /// A task running `action`, with every keyword unset.
    pub fn new(action: Action, span: Span) -> Task {
        Task {
            name: None,
            action,
            span,
            inherited: Inherited::default(),
            vars: Vars::new(),
            loop_: None,
            loop_control: LoopControl::default(),
            register: None,
            notify: Vec::new(),
            listen: Vec::new(),
            changed_when: Vec::new(),
            failed_when: Vec::new(),
            until: Vec::new(),
            retries: None,
            delay: None,
            delegate_facts: None,
            async_: None,
            poll: None,
            role: None,
        }
    }

    /// The name shown in output: the task's name, else the module name (as Ansible).
    pub fn display_name(&self) -> String {
        let base = self.name.clone().unwrap_or_else(|| match self.action.args.get("name").and_then(Value::as_str) {
            // Ansible names an unnamed include_role after its role: `include_role : kafka`.
            Some(role) if modules::registry::canonical_name(&self.action.module) == "include_role" => {
                format!("{} : {role}", self.action.module)
            }
            _ => self.action.module.clone(),
        });
        match &self.role {
            Some(r) => format!("{} : {}", r.name, base),
            None => base,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Block {
    pub name: Option<String>,
    pub span: Span,
    pub vars: Vars,
    pub block: Vec<Item>,
    pub rescue: Vec<Item>,
    pub always: Vec<Item>,
    pub inherited: Inherited,
}

#[derive(Debug, Clone)]
pub enum Item {
    Task(Box<Task>),
    Block(Box<Block>),
}

/// A role as used by a play (`roles:`) after its dependencies were resolved.
#[derive(Debug, Clone)]
pub struct RoleUse {
    pub context: Arc<RoleContext>,
    pub tasks: Vec<Item>,
    pub handlers: Vec<Item>,
}

#[derive(Debug, Clone)]
pub struct Play {
    pub name: Option<String>,
    pub span: Span,
    pub hosts: Value,
    pub vars: Vars,
    /// `vars_files` entries (templated at run time: `{{ inventory_dir }}/secrets.yml`).
    pub vars_files: Vec<Spanned<Value>>,
    pub roles: Vec<RoleUse>,
    pub pre_tasks: Vec<Item>,
    pub tasks: Vec<Item>,
    pub post_tasks: Vec<Item>,
    pub handlers: Vec<Item>,
    pub inherited: Inherited,
    pub gather_facts: Option<Value>,
    pub serial: Option<Value>,
    pub strategy: Option<Value>,
    pub max_fail_percentage: Option<Value>,
    pub force_handlers: Option<Value>,
    /// The roles (path, parameters) that `roles:` and `import_role` used, dependencies included: a role
    /// included at run time does not run those dependencies again (Ansible runs a role once per play).
    pub roles_seen: Vec<(PathBuf, Value)>,
    /// The directory of the playbook file the play is in.
    pub dir: PathBuf,
}

impl Play {
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| match &self.hosts {
            Value::String(s) => s.clone(),
            Value::Array(a) => {
                a.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect::<Vec<_>>().join(",")
            }
            other => other.to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Playbook {
    pub path: PathBuf,
    pub plays: Vec<Play>,
}
