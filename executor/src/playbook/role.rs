//! Roles: finding them, reading `tasks/ handlers/ defaults/ vars/ meta/`,
//! and resolving `meta/main.yml` dependencies (each role once per play
//! unless its parameters differ or it allows duplicates, as Ansible).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::load::{Loader, TaskScope};
use super::model::{RoleContext, RoleUse, Vars};
use crate::diag::Diagnostic;
use crate::source::{display_path, Span};

#[derive(Default)]
pub(crate) struct RoleLoader {
    /// Roles already used in this play, with their parameters.
    seen: Vec<(PathBuf, Value)>,
    /// Roles being loaded (dependency cycle detection).
    stack: Vec<PathBuf>,
    /// The next role loaded runs even if already seen (`include_role` of a role the play used).
    run_next_anyway: bool,
}

impl RoleLoader {
    pub fn start_play(&mut self) {
        self.seen.clear();
        self.stack.clear();
    }

    /// The roles used so far in this play.
    pub fn seen(&self) -> &[(PathBuf, Value)] {
        &self.seen
    }

    /// Go on with a play whose roles were loaded before (`include_role` at run time): its dependencies that
    /// already ran are skipped, the included role itself is not.
    pub fn continue_play(&mut self, seen: Vec<(PathBuf, Value)>) {
        self.seen = seen;
        self.stack.clear();
        self.run_next_anyway = true;
    }

    pub fn load(&mut self, l: &mut Loader, name: &str, params: Vars, tasks_from: &str, at: &Span, scope: &TaskScope) -> Vec<RoleUse> {
        let Some(path) = find_role(name, scope, &l.opts.roles_path) else {
            let searched = search_dirs(scope, &l.opts.roles_path).iter().map(|p| display_path(p)).collect::<Vec<_>>().join(", ");
            l.error(Diagnostic::error(format!("role `{name}` not found")).at(at).help(format!("searched: {searched}")));
            return Vec::new();
        };
        if self.stack.contains(&path) {
            l.error(Diagnostic::error(format!("role `{name}` depends on itself")).at(at));
            return Vec::new();
        }
        let meta = read_vars_file(l, &path.join("meta"), "main", at);
        let allow_duplicates = meta.get("allow_duplicates").and_then(Value::as_bool).unwrap_or(false);
        let key = (path.clone(), Value::Object(params.clone()));
        let run_anyway = std::mem::take(&mut self.run_next_anyway);
        if tasks_from == "main" && !allow_duplicates && !run_anyway && self.seen.contains(&key) {
            return Vec::new();
        }
        self.seen.push(key);
        self.stack.push(path.clone());

        let mut out = Vec::new();
        // Dependencies run before the role itself.
        if let Some(deps) = meta.get("dependencies").and_then(Value::as_array) {
            for dep in deps {
                let (dep_name, dep_params) = match dep {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Object(m) => {
                        let n = m.get("role").or_else(|| m.get("name")).and_then(Value::as_str).unwrap_or_default().to_string();
                        let mut p = m.clone();
                        p.remove("role");
                        p.remove("name");
                        if let Some(Value::Object(v)) = p.remove("vars") {
                            p.extend(v);
                        }
                        (n, p)
                    }
                    _ => continue,
                };
                let dep_scope = TaskScope { dir: path.clone(), role: None, playbook_dir: scope.playbook_dir.clone() };
                out.extend(self.load(l, &dep_name, dep_params, "main", at, &dep_scope));
            }
        }

        let role_name = path.file_name().and_then(|n| n.to_str()).unwrap_or(name).to_string();
        let context = Arc::new(RoleContext {
            name: role_name,
            path: path.clone(),
            defaults: read_vars_file(l, &path.join("defaults"), "main", at),
            vars: read_vars_file(l, &path.join("vars"), "main", at),
            params,
        });
        let role_scope = TaskScope { dir: path.join("tasks"), role: Some(context.clone()), playbook_dir: scope.playbook_dir.clone() };
        let tasks = match find_main(&path.join("tasks"), tasks_from) {
            Some(file) => l.load_yaml(&file, Some(at)).map(|n| l.task_list("tasks", &n, &role_scope)).unwrap_or_default(),
            None if tasks_from != "main" => {
                l.error(Diagnostic::error(format!("role `{name}` has no tasks/{tasks_from}.yml")).at(at));
                Vec::new()
            }
            None => Vec::new(),
        };
        let handler_scope = TaskScope { dir: path.join("handlers"), ..role_scope };
        let handlers = match find_main(&path.join("handlers"), "main") {
            Some(file) => l.load_yaml(&file, Some(at)).map(|n| l.task_list("handlers", &n, &handler_scope)).unwrap_or_default(),
            None => Vec::new(),
        };
        self.stack.pop();
        out.push(RoleUse { context, tasks, handlers });
        out
    }
}

fn search_dirs(scope: &TaskScope, roles_path: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = vec![scope.playbook_dir.join("roles")];
    if let Some(role) = &scope.role {
        if let Some(parent) = role.path.parent() {
            dirs.push(parent.to_path_buf());
        }
    }
    dirs.extend(roles_path.iter().cloned());
    dirs.push(scope.playbook_dir.clone());
    dirs
}

/// Ansible's search order: `roles/` next to the playbook, the roles path, the playbook dir.
fn find_role(name: &str, scope: &TaskScope, roles_path: &[PathBuf]) -> Option<PathBuf> {
    let direct = Path::new(name);
    if name.contains('/') && direct.is_dir() {
        return Some(direct.to_path_buf());
    }
    search_dirs(scope, roles_path).into_iter().map(|d| d.join(name)).find(|p| p.is_dir())
}

/// `NAME.yml`, `NAME.yaml`, `NAME` (or `NAME.json`) in a role sub-directory.
pub(crate) fn find_main(dir: &Path, name: &str) -> Option<PathBuf> {
    ["yml", "yaml", "json", ""]
        .iter()
        .map(|ext| if ext.is_empty() { dir.join(name) } else { dir.join(format!("{name}.{ext}")) })
        .find(|p| p.is_file())
}

/// A role's `defaults/main.yml` or `vars/main.yml` (or every file of a `main/` directory).
fn read_vars_file(l: &mut Loader, dir: &Path, name: &str, at: &Span) -> Vars {
    let mut files = Vec::new();
    if let Some(f) = find_main(dir, name) {
        files.push(f);
    } else if dir.join(name).is_dir() {
        if let Ok(rd) = std::fs::read_dir(dir.join(name)) {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
            v.sort();
            files = v;
        }
    }
    let mut out = Map::new();
    for f in files {
        let Some(node) = l.load_yaml(&f, Some(at)) else { continue };
        match node.to_value() {
            Value::Object(m) => out.extend(m),
            Value::Null => {}
            _ => l.error(Diagnostic::error(format!("{} must hold a mapping of variables", display_path(&f))).at(&node.span)),
        }
    }
    out
}
