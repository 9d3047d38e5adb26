use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::CommonArgs;
use crate::connection::ConnOptions;
use crate::engine::RunConfig;
use crate::output::{JsonOutput, Output, OutputOptions, TextOutput};
use crate::run::{run_playbooks, RunOptions};
use crate::template::Templar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Options of a real run (playbook and ad hoc).
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Report what would change; change nothing.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show the changes made to files (unified diffs).
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// Hosts worked on at once.
    #[arg(short = 'f', long = "forks")]
    pub forks: Option<usize>,
    /// More output (-v, -vv, -vvv).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only tasks with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip tasks with these tags.
    #[arg(long = "skip-tags", value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Run handlers even on hosts that failed.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Trust and record host keys not yet in known_hosts (like StrictHostKeyChecking=accept-new).
    #[arg(long = "accept-new-host-keys")]
    pub accept_new_host_keys: bool,
    /// Ask for the become (sudo) password on the terminal.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Connection for hosts that do not set `ansible_connection` (`local`, `ssh`).
    #[arg(short = 'c', long = "connection")]
    pub connection: Option<String>,
    /// `text` (Ansible's) or `json` (one event per line).
    #[arg(long = "output", value_enum, default_value = "text")]
    pub output: OutputFormat,
}

impl ExecArgs {
    /// The live progress line: text output with both streams on a terminal.
    pub fn live_progress(&self) -> bool {
        use std::io::IsTerminal;
        matches!(self.output, OutputFormat::Text) && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
    }

    pub fn conn_options(&self, cfg: &crate::config::Config) -> anyhow::Result<ConnOptions> {
        let mut opts = ConnOptions::from_env();
        opts.accept_new_host_keys |= self.accept_new_host_keys;
        if let Some(hkc) = cfg.host_key_checking {
            opts.host_key_checking = hkc;
        }
        if self.ask_become_pass {
            // Without echo on a terminal; a plain line from stdin when it is not one (scripts).
            use std::io::IsTerminal;
            let password = if std::io::stdin().is_terminal() {
                rpassword::prompt_password("BECOME password: ").map_err(|e| anyhow::anyhow!("cannot read the become password: {e}"))?
            } else {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\n', '\r']).to_string()
            };
            crate::secrets::register(&password);
            opts.become_password = Some(password);
        }
        Ok(opts)
    }

    pub fn output(&self) -> Box<dyn Output> {
        // every byte of run output passes the redactor (docs/vault.md)
        let stdout = crate::secrets::RedactingWriter::new(std::io::stdout());
        match self.output {
            OutputFormat::Text => Box::new(TextOutput::new(stdout, OutputOptions { verbosity: self.verbose, diff: self.diff })),
            OutputFormat::Json => Box::new(JsonOutput::new(stdout)),
        }
    }
}

#[derive(Debug, Args)]
pub struct PlaybookArgs {
    /// Playbooks to run, in order.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// List the hosts each play targets and stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks of each play and stop.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// Start the playbook at the task with this name (a glob; `role : name` also matches).
    #[arg(long = "start-at-task", value_name = "NAME")]
    pub start_at_task: Option<String>,
}

pub fn run(a: PlaybookArgs) -> anyhow::Result<ExitCode> {
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
    let config = RunConfig {
        inventory,
        templar: Arc::new(Templar::new()),
        extra_vars,
        check_mode: a.exec.check,
        diff: a.exec.diff,
        verbosity: a.exec.verbose,
        tags: a.exec.tags.clone(),
        skip_tags: a.exec.skip_tags.clone(),
    };
    let load = a.common.load_options(&cfg);
    if a.list_hosts || a.list_tasks {
        return super::list::print(&a.playbooks, &config, &load, limit.as_deref(), a.list_hosts, a.list_tasks);
    }
    let opts = RunOptions {
        forks: a.exec.forks.or(cfg.forks).unwrap_or(50),
        limit,
        force_handlers: a.exec.force_handlers,
        load,
        conn: a.exec.conn_options(&cfg)?,
        default_connection: a.exec.connection.clone(),
        live_progress: a.exec.live_progress(),
        start_at_task: a.start_at_task.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if a.exec.verbose > 0 && matches!(a.exec.output, OutputFormat::Text) {
        // ansible-playbook -v names the settings file it read.
        match &cfg.file {
            Some(f) => println!("Using {} as config file", std::path::absolute(f).unwrap_or_else(|_| f.clone()).display()),
            None => println!("No config file found; using defaults"),
        }
    }
    let output = a.exec.output();
    match runtime.block_on(run_playbooks(&a.playbooks, config, opts, output)) {
        Ok(summary) => Ok(ExitCode::from(summary.exit_code())),
        Err(diags) => {
            eprintln!("{diags}");
            Ok(ExitCode::from(4))
        }
    }
}
