//! Modules that run in the executor: debug, set_fact, assert, fail,
//! include_vars, meta, pause. Their results look like Ansible's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::exec::{Effect, ItemOutcome};
use super::host::HostRun;
use super::vars_dir::{load_dir, DirOptions};
use crate::engine::static_walk::read_vars;
use crate::engine::PlayScope;
use crate::playbook::Task;
use crate::template::{Scope, Templar};

fn ok(result: Map<String, Value>) -> ItemOutcome {
    ItemOutcome { result, effect: Effect::None }
}

fn failed(msg: impl Into<String>) -> ItemOutcome {
    let mut m = Map::new();
    m.insert("failed".into(), true.into());
    m.insert("msg".into(), Value::String(msg.into()));
    ok(m)
}

/// An integer argument that may arrive as text (`seconds=5` in a `k=v` line); the
/// typed struct already refused anything else.
fn int_arg(args: &Map<String, Value>, key: &str) -> u64 {
    match args.get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// Ansible's rule for variable names: a letter or underscore, then letters, digits, underscores.
fn valid_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn debug(args: &Map<String, Value>, scope: &Scope, templar: &Templar, verbosity: u8) -> ItemOutcome {
    let wanted = int_arg(args, "verbosity");
    if wanted > u64::from(verbosity) {
        return ok(json!({"skipped": true, "skipped_reason": "Verbosity threshold not met.", "changed": false})
            .as_object()
            .cloned()
            .unwrap_or_default());
    }
    // Ansible's debug and assert actions register `failed: false` explicitly.
    let mut m = Map::new();
    m.insert("changed".into(), false.into());
    m.insert("failed".into(), false.into());
    if let Some(var) = args.get("var").and_then(Value::as_str) {
        let value = match templar.render_value(&Value::String(format!("{{{{ {var} }}}}")), scope) {
            Ok(v) => v,
            Err(_) => Value::String("VARIABLE IS NOT DEFINED!".into()),
        };
        m.insert(var.to_string(), value);
    } else {
        m.insert("msg".into(), args.get("msg").cloned().unwrap_or_else(|| "Hello world!".into()));
    }
    ok(m)
}

pub fn set_fact(args: &Map<String, Value>, host: &mut HostRun) -> ItemOutcome {
    let facts: Map<String, Value> = args.iter().filter(|(k, _)| *k != "cacheable").map(|(k, v)| (k.clone(), v.clone())).collect();
    if facts.is_empty() {
        return failed("No key/value pairs provided, at least one is required for this action to succeed");
    }
    if let Some(bad) = facts.keys().find(|k| !valid_var_name(k)) {
        // Ansible's words; its help line follows on the console only.
        return failed(format!("Task failed: Invalid variable name '{bad}'."));
    }
    host.state.facts.extend(facts.clone());
    ok(json!({"changed": false, "ansible_facts": facts}).as_object().cloned().unwrap_or_default())
}

pub fn assert(args: &Map<String, Value>, scope: &Scope, templar: &Templar) -> ItemOutcome {
    let that: Vec<Value> = match args.get("that") {
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    };
    for cond in that {
        let holds = match &cond {
            Value::Bool(b) => Ok(*b),
            Value::String(expr) => templar.eval_condition(expr, scope),
            other => Ok(!other.is_null()),
        };
        match holds {
            Ok(true) => {}
            Ok(false) => {
                let msg = args.get("fail_msg").or_else(|| args.get("msg")).cloned().unwrap_or_else(|| "Assertion failed".into());
                let mut m = Map::new();
                m.insert("failed".into(), true.into());
                m.insert("changed".into(), false.into());
                m.insert("assertion".into(), cond.clone());
                m.insert("evaluated_to".into(), false.into());
                m.insert("msg".into(), msg);
                return ok(m);
            }
            Err(e) => return failed(format!("The conditional check '{}' failed: {e}", cond.as_str().unwrap_or_default())),
        }
    }
    let msg = args.get("success_msg").cloned().unwrap_or_else(|| "All assertions passed".into());
    ok(json!({"changed": false, "failed": false, "msg": msg}).as_object().cloned().unwrap_or_default())
}

pub fn fail(args: &Map<String, Value>) -> ItemOutcome {
    let msg = args.get("msg").cloned().unwrap_or_else(|| "Failed as requested from task".into());
    let mut m = Map::new();
    m.insert("failed".into(), true.into());
    m.insert("changed".into(), false.into());
    m.insert("msg".into(), msg);
    ok(m)
}

pub fn include_vars(args: &Map<String, Value>, ps: &PlayScope<'_>, task: &Task, host: &mut HostRun) -> ItemOutcome {
    const DIR_ONLY: &[&str] = &["dir", "depth", "files_matching", "ignore_files", "extensions", "ignore_unknown_extensions"];
    let dir_args = args.keys().any(|k| DIR_ONLY.contains(&k.as_str()));
    if dir_args && (args.contains_key("file") || args.contains_key("_raw_params")) {
        return failed("Task failed: You are mixing file only and dir only arguments, these are incompatible");
    }
    let loaded = if let Some(dir) = args.get("dir").and_then(Value::as_str) {
        load_vars_dir(dir, args, ps, task)
    } else if let Some(file) = args.get("file").or_else(|| args.get("_raw_params")).and_then(Value::as_str) {
        // Ansible looks in the role's vars/, then the playbook's vars/ and directory.
        let play_vars = ps.play.dir.join("vars");
        let found = ps.search_paths(Some(task)).into_iter().chain([play_vars]).map(|d| d.join(file)).find(|p| p.is_file());
        match found {
            Some(path) => read_vars(&path).map(|vars| (vars, vec![path])).map_err(|d| d.message),
            None => Err(format!("Could not find or access '{file}'")),
        }
    } else {
        Err("include_vars needs `file` or `dir`".into())
    };
    match loaded {
        Ok((vars, files)) => {
            let facts = match args.get("name").and_then(Value::as_str) {
                Some(name) => {
                    let mut m = Map::new();
                    m.insert(name.to_string(), Value::Object(vars));
                    m
                }
                None => vars,
            };
            host.state.include_vars.extend(facts.clone());
            let mut m = Map::new();
            m.insert("changed".into(), false.into());
            m.insert("ansible_facts".into(), Value::Object(facts));
            m.insert("ansible_included_var_files".into(), json!(files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()));
            ok(m)
        }
        Err(msg) => failed(msg),
    }
}

/// `dir` is under the role's `vars/` (or the role itself when it starts with `vars/`),
/// else next to the file the task is written in, as Ansible resolves it.
fn load_vars_dir(
    dir: &str,
    args: &Map<String, Value>,
    ps: &PlayScope<'_>,
    task: &Task,
) -> Result<(Map<String, Value>, Vec<PathBuf>), String> {
    let opts = DirOptions::from_args(args)?;
    let root = match &task.role {
        Some(role) => {
            if Path::new(dir).components().next().is_some_and(|c| c.as_os_str() == "vars") && role.path.join(dir).exists() {
                role.path.join(dir)
            } else {
                role.path.join("vars").join(dir)
            }
        }
        None => task.span.source.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(&ps.play.dir).join(dir),
    };
    // Messages and `ansible_included_var_files` name absolute paths, as Ansible's do.
    let root = std::path::absolute(&root).unwrap_or(root);
    load_dir(&root, &opts)
}

pub fn meta(args: &Map<String, Value>) -> ItemOutcome {
    let action = args.get("_raw_params").and_then(Value::as_str).unwrap_or("noop");
    let effect = match action {
        "flush_handlers" => Effect::FlushHandlers,
        "end_play" => Effect::EndPlay,
        "end_host" => Effect::EndHost,
        "end_batch" => Effect::EndBatch,
        _ => Effect::None,
    };
    ItemOutcome { result: json!({"changed": false}).as_object().cloned().unwrap_or_default(), effect }
}

pub async fn pause(args: &Map<String, Value>) -> ItemOutcome {
    let secs = int_arg(args, "seconds") + 60 * int_arg(args, "minutes");
    if secs == 0 && args.get("prompt").is_some() {
        return failed("pause: dpctl runs unattended and cannot wait for input; give `seconds` or `minutes`");
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    ok(json!({"changed": false, "delta": secs, "stdout": format!("Paused for {secs} seconds")}).as_object().cloned().unwrap_or_default())
}
