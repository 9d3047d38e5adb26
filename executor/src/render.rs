//! `dpctl render`: write, for every host, every file that `template` and
//! `copy content:` tasks would put on it, under `OUT/<host>/<dest>`, without
//! connecting. Snapshot tests are built on this.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::collector::Collector;
use crate::engine::hosts::play_hosts;
use crate::engine::scope::HostvarsTable;
use crate::engine::static_walk::{StaticWalker, VisitedTask, Visitor};
use crate::engine::{PlayScope, RunConfig};
use crate::playbook::{LoadOptions, Loader};
use crate::source::display_path;
use crate::template::{Scope, TemplateError};

/// Render a template file for a visited task, with Ansible's template variables.
pub fn render_template(ps: &PlayScope<'_>, v: &VisitedTask<'_, '_>, path: &Path) -> Result<String, TemplateError> {
    let other = |m: String| TemplateError::new(crate::template::TemplateErrorKind::Other, m);
    let bytes = crate::vault::keyring::read_secret_file(path).map_err(|e| other(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| other(format!("cannot read {}: not UTF-8 text", display_path(path))))?;
    let mut extra = serde_json::Map::new();
    extra.insert("template_path".into(), path.display().to_string().into());
    extra.insert("template_fullpath".into(), path.display().to_string().into());
    extra.insert("template_host".into(), "dpctl".into());
    extra.insert("template_uid".into(), "root".into());
    extra.insert("template_destpath".into(), v.args.get("dest").cloned().unwrap_or(Value::Null));
    let mut vars = v.scope.vars().clone();
    vars.extend(extra);
    if !vars.contains_key("ansible_managed") {
        vars.insert("ansible_managed".into(), "Ansible managed".into());
    }
    let scope = Scope::new(vars).with_search_paths(ps.search_paths(Some(v.flat.task))).with_hostvars(ps.hostvars.clone());
    ps.config.templar.render_template_file(&display_path(path), &text, &scope)
}

/// What was written.
#[derive(Debug, Default)]
pub struct RenderSummary {
    pub files: Vec<PathBuf>,
}

/// Render playbooks for every targeted host into `out`.
pub fn render(
    playbooks: &[PathBuf],
    config: &RunConfig,
    load: &LoadOptions,
    limit: Option<&str>,
    out: &Path,
) -> (RenderSummary, Diagnostics) {
    let mut sink = Collector::default();
    let mut visitor = RenderVisitor { out: out.to_path_buf(), summary: RenderSummary::default() };
    for path in playbooks {
        let mut loader = Loader::new(load.clone());
        let pb = loader.load_playbook(path);
        let load_failed = loader.diags.has_errors();
        sink.extend(loader.diags);
        if load_failed {
            continue;
        }
        let hostvars = HostvarsTable::new(config.inventory.clone());
        for play in &pb.plays {
            let hosts = match play_hosts(play, &config.inventory, &config.templar, &config.extra_vars, limit) {
                Ok(h) => h,
                Err(d) => {
                    sink.push(d, None);
                    continue;
                }
            };
            let ps = PlayScope::new(play, config, hosts.clone(), hostvars.clone());
            let walker = StaticWalker::new(&ps, load.clone());
            for host in &hosts {
                walker.walk_host(host, &mut visitor, &mut sink);
            }
        }
    }
    (visitor.summary, sink.finish())
}

struct RenderVisitor {
    out: PathBuf,
    summary: RenderSummary,
}

/// `OUT/<host>/<dest>`; refuses `..` so a dest cannot escape the output dir.
fn output_path(out: &Path, host: &str, dest: &str) -> Option<PathBuf> {
    let rel = Path::new(dest);
    if rel.components().any(|c| matches!(c, Component::ParentDir)) || host.contains('/') {
        return None;
    }
    let stripped: PathBuf = rel.components().filter(|c| matches!(c, Component::Normal(_))).collect();
    Some(out.join(host).join(stripped))
}

impl Visitor for RenderVisitor {
    fn task(&mut self, ps: &PlayScope<'_>, v: &VisitedTask<'_, '_>, sink: &mut Collector) {
        let task = v.flat.task;
        let module = modules::registry::canonical_name(&task.action.module);
        let content = match module {
            "template" => {
                let Some(src) = v.args.get("src").and_then(Value::as_str) else { return };
                let Some(path) = crate::check::find_file(ps, task, src) else {
                    sink.push(Diagnostic::error(format!("template `{src}` not found")).at(task.action.arg_span("src")), Some(v.host));
                    return;
                };
                match render_template(ps, v, &path) {
                    Ok(text) => text,
                    Err(e) => {
                        sink.push(Diagnostic::error(format!("template {}: {e}", display_path(&path))).at(&task.action.span), Some(v.host));
                        return;
                    }
                }
            }
            "copy" => match v.args.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(other) if !other.is_null() => serde_json::to_string_pretty(other).unwrap_or_default(),
                _ => return,
            },
            // secor_conf writes its property files itself: render them with the module's own renderer
            "secor_conf" => {
                let files = modules::module::parse_args::<modules::pipeline::secor_conf::SecorConf>(&Value::Object(v.args.clone()))
                    .and_then(|conf| conf.files());
                match files {
                    Ok(files) => {
                        for (path, content) in files {
                            self.write(v.host, &path.display().to_string(), &content, task, sink);
                        }
                    }
                    Err(e) => sink.push(Diagnostic::error(format!("secor_conf: {e}")).at(&task.action.span), Some(v.host)),
                }
                return;
            }
            _ => return,
        };
        let Some(dest) = v.args.get("dest").or_else(|| v.args.get("path")).and_then(Value::as_str) else { return };
        self.write(v.host, dest, &content, task, sink);
    }
}

impl RenderVisitor {
    fn write(&mut self, host: &str, dest: &str, content: &str, task: &crate::playbook::Task, sink: &mut Collector) {
        let Some(target) = output_path(&self.out, host, dest) else {
            sink.push(
                Diagnostic::error(format!("refusing to render outside the output directory: `{dest}`")).at(&task.action.span),
                Some(host),
            );
            return;
        };
        let written =
            target.parent().map(std::fs::create_dir_all).unwrap_or(Ok(())).and_then(|_| std::fs::write(&target, content.as_bytes()));
        match written {
            Ok(()) => self.summary.files.push(target),
            Err(e) => sink.push(Diagnostic::error(format!("cannot write {}: {e}", target.display())), Some(host)),
        }
    }
}
