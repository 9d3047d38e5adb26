//! `dpctl check`: load everything and, for every host each play targets,
//! resolve variables, parse every template and check every module's
//! arguments against its typed struct — without connecting to any host.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::engine::collector::Collector;
use crate::engine::hosts::play_hosts;
use crate::engine::scope::HostvarsTable;
use crate::engine::static_walk::{StaticWalker, VisitedTask, Visitor};
use crate::engine::walk::play_tasks;
use crate::engine::{PlayScope, RunConfig};
use crate::moddoc::argument_names;
use crate::playbook::{LoadOptions, Loader, Playbook, Task};
use crate::source::display_path;

/// What was checked, for the summary line.
#[derive(Debug, Default)]
pub struct CheckSummary {
    pub playbooks: usize,
    pub plays: usize,
    pub host_runs: usize,
    pub tasks: usize,
}

/// Check playbooks against an inventory; every problem is in the returned diagnostics.
pub fn check(playbooks: &[PathBuf], config: &RunConfig, load: &LoadOptions, limit: Option<&str>) -> (CheckSummary, Diagnostics) {
    let mut sink = Collector::default();
    let mut summary = CheckSummary::default();
    for path in playbooks {
        let mut loader = Loader::new(load.clone());
        let pb = loader.load_playbook(path);
        sink.extend(loader.diags);
        summary.playbooks += 1;
        check_playbook(&pb, config, load, limit, &mut sink, &mut summary);
    }
    (summary, sink.finish())
}

fn check_playbook(
    pb: &Playbook,
    config: &RunConfig,
    load: &LoadOptions,
    limit: Option<&str>,
    sink: &mut Collector,
    summary: &mut CheckSummary,
) {
    let hostvars = HostvarsTable::new(config.inventory.clone());
    for play in &pb.plays {
        summary.plays += 1;
        for flat in play_tasks(play, true) {
            static_argument_names(flat.task, sink);
            summary.tasks += 1;
        }
        let hosts = match play_hosts(play, &config.inventory, &config.templar, &config.extra_vars, limit) {
            Ok(h) => h,
            Err(d) => {
                sink.push(d, None);
                continue;
            }
        };
        let ps = PlayScope::new(play, config, hosts.clone(), hostvars.clone());
        let walker = StaticWalker::new(&ps, load.clone());
        let mut visitor = CheckVisitor;
        for host in &hosts {
            summary.host_runs += 1;
            walker.walk_host(host, &mut visitor, sink);
        }
    }
}

/// Unknown argument names, found once per task before any templating.
fn static_argument_names(task: &Task, sink: &mut Collector) {
    let Some(spec) = modules::lookup(&task.action.module) else { return };
    let Some(known) = argument_names(spec) else { return };
    for key in task.action.args.keys() {
        if known.iter().any(|k| k == key) || key == "_raw_params" && known.iter().any(|k| k == "cmd" || k == "file") {
            continue;
        }
        let mut d = Diagnostic::error(format!("unknown argument `{key}` for module `{}`", spec.name)).at(task.action.arg_span(key));
        d = match did_you_mean(key, known.iter().map(String::as_str)) {
            Some(s) => d.label(format!("did you mean `{s}`?")),
            None => d.help(format!("`{}` takes: {}", spec.name, known.join(", "))),
        };
        sink.push(d, None);
    }
}

struct CheckVisitor;

impl Visitor for CheckVisitor {
    fn task(&mut self, ps: &PlayScope<'_>, v: &VisitedTask<'_, '_>, sink: &mut Collector) {
        let task = v.flat.task;
        let Some(spec) = modules::lookup(&task.action.module) else { return };
        if let Err(e) = (spec.validate)(&Value::Object(v.args.clone())) {
            let msg = e.to_string();
            // unknown arguments were already reported with their own position
            if !msg.contains("unknown field") {
                sink.push(Diagnostic::error(format!("invalid arguments: {msg}")).at(&task.action.span), Some(v.host));
            }
        }
        if spec.name == "template" {
            check_template(ps, v, sink);
        }
        if spec.name == "copy" {
            if let Some(src) = v.args.get("src").and_then(Value::as_str) {
                let remote = v.args.get("remote_src").is_some_and(|r| r == true || r == "yes" || r == "true");
                if !remote && find_file(ps, task, src).is_none() {
                    sink.push(
                        Diagnostic::error(format!("copy: source file `{src}` not found")).at(task.action.arg_span("src")),
                        Some(v.host),
                    );
                }
            }
        }
    }
}

/// The file a role/playbook-relative `src` names, as Ansible searches it.
pub fn find_file(ps: &PlayScope<'_>, task: &Task, src: &str) -> Option<PathBuf> {
    let p = Path::new(src);
    if p.is_absolute() {
        return p.is_file().then(|| p.to_path_buf());
    }
    ps.search_paths(Some(task)).into_iter().map(|d| d.join(src)).find(|c| c.exists())
}

fn check_template(ps: &PlayScope<'_>, v: &VisitedTask<'_, '_>, sink: &mut Collector) {
    let task = v.flat.task;
    let Some(src) = v.args.get("src").and_then(Value::as_str) else { return };
    let Some(path) = find_file(ps, task, src) else {
        sink.push(Diagnostic::error(format!("template `{src}` not found")).at(task.action.arg_span("src")), Some(v.host));
        return;
    };
    match crate::render::render_template(ps, v, &path) {
        Ok(_) => {}
        Err(e) => sink.push(
            Diagnostic::error(format!("template {}: {e}", display_path(&path)))
                .at(&task.action.span)
                .label(format!("in task `{}`", task.display_name())),
            Some(v.host),
        ),
    }
}

/// A config for checking: the run settings that matter without hosts.
pub fn config_for_check(inventory: Arc<crate::inventory::Inventory>, extra_vars: crate::vars::Vars) -> RunConfig {
    RunConfig {
        inventory,
        templar: Arc::new(crate::template::Templar::new()),
        extra_vars,
        check_mode: true,
        diff: false,
        verbosity: 0,
        tags: Vec::new(),
        skip_tags: Vec::new(),
    }
}
