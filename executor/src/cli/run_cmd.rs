//! `dpctl run PATTERN -m MODULE -a ARGS`: one module on many hosts, like `ansible`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde_json::{Map, Value};

use super::playbook_cmd::{ExecArgs, OutputFormat};
use super::CommonArgs;
use crate::diag::Diagnostic;
use crate::engine::RunConfig;
use crate::output::{AdHocOutput, JsonOutput, Output};
use crate::playbook::kv::{free_form, parse_kv};
use crate::playbook::{Action, Inherited, Item, Play, Playbook, Task};
use crate::run::{RunOptions, Runner};
use crate::secrets::RedactingWriter;
use crate::source::{Source, Span};
use crate::template::Templar;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Host pattern (`all`, `kafka`, `web:&prod`, `localhost`).
    pub pattern: String,
    /// Module name.
    #[arg(short = 'm', long = "module-name", default_value = "command")]
    pub module: String,
    /// Module arguments: `k=v …`, or a JSON/YAML mapping.
    #[arg(short = 'a', long = "args", default_value = "")]
    pub args: String,
    /// Run with become (sudo).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// The user to become.
    #[arg(long = "become-user")]
    pub become_user: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
}

fn parse_args(module: &str, text: &str) -> Result<Map<String, Value>, Diagnostic> {
    let t = text.trim();
    if t.starts_with('{') {
        let docs = crate::yaml::load_str(Source::new("<-a>", t))?;
        return match docs.into_iter().next().map(|n| n.to_value()) {
            Some(Value::Object(m)) => Ok(m),
            _ => Err(Diagnostic::error("-a must be `k=v …` or a mapping")),
        };
    }
    parse_kv(t, free_form(modules::registry::canonical_name(module))).map_err(|e| Diagnostic::error(format!("-a: {e}")))
}

pub fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    let cfg = a.common.config()?;
    let (inventory, extra_vars, limit) = match (a.common.inventory(&cfg), a.common.extra_vars(), a.common.limit()) {
        (Ok(i), Ok(e), Ok(l)) => (i, e, l),
        (i, e, l) => {
            for d in [i.err(), e.err(), l.err()].into_iter().flatten() {
                eprintln!("{d}");
            }
            return Ok(ExitCode::from(4));
        }
    };
    let Some(spec) = modules::lookup(&a.module) else {
        eprintln!("error: no module named `{}`", a.module);
        return Ok(ExitCode::from(4));
    };
    let args = match parse_args(&a.module, &a.args) {
        Ok(m) => m,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::from(4));
        }
    };
    if let Some(names) = crate::moddoc::argument_names(spec) {
        if let Some(bad) = args.keys().find(|k| !names.contains(k) && *k != "_raw_params") {
            eprintln!("error: unknown argument `{bad}` for module `{}` (it takes: {})", spec.name, names.join(", "));
            return Ok(ExitCode::from(4));
        }
    }
    let source = Source::new("<ad hoc>", format!("{} -m {} -a {}", a.pattern, a.module, a.args));
    let span = Span::file(source);
    let mut inherited = Inherited::default();
    if a.become_ {
        inherited.become_ = Some(Value::Bool(true));
        inherited.become_user = a.become_user.clone().map(Value::String);
    }
    let mut task = Task::new(Action { module: a.module.clone(), args, arg_spans: Vec::new(), span: span.clone() }, span.clone());
    task.name = Some(a.module.clone());
    task.inherited = inherited;
    let play = Play {
        name: Some(format!("Ansible Ad-Hoc: {}", a.module)),
        span,
        hosts: Value::String(a.pattern.clone()),
        vars: Map::new(),
        vars_files: Vec::new(),
        roles: Vec::new(),
        pre_tasks: Vec::new(),
        tasks: vec![Item::Task(Box::new(task))],
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        inherited: Inherited::default(),
        gather_facts: Some(Value::Bool(false)),
        serial: None,
        strategy: None,
        max_fail_percentage: None,
        force_handlers: None,
        roles_seen: Vec::new(),
        dir: std::env::current_dir().unwrap_or_default(),
    };
    let config = RunConfig {
        inventory,
        templar: Arc::new(Templar::new()),
        extra_vars,
        check_mode: a.exec.check,
        diff: a.exec.diff,
        verbosity: a.exec.verbose,
        tags: Vec::new(),
        skip_tags: Vec::new(),
    };
    let opts = RunOptions {
        forks: a.exec.forks.or(cfg.forks).unwrap_or(50),
        limit,
        force_handlers: false,
        load: a.common.load_options(&cfg),
        conn: a.exec.conn_options(&cfg)?,
        default_connection: a.exec.connection.clone(),
        live_progress: false,
        start_at_task: None,
    };
    let output: Box<dyn Output> = match a.exec.output {
        OutputFormat::Text => Box::new(AdHocOutput::new(RedactingWriter::new(std::io::stdout()), &a.module)),
        OutputFormat::Json => Box::new(JsonOutput::new(RedactingWriter::new(std::io::stdout()))),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let pb = Playbook { path: "<ad hoc>".into(), plays: vec![play] };
    let summary = runtime.block_on(async { Runner::new(config, opts, output).run(std::slice::from_ref(&pb)).await });
    Ok(ExitCode::from(summary.exit_code()))
}
