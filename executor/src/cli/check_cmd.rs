use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::CommonArgs;
use crate::check::{check, config_for_check};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Playbooks to check.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let cfg = a.common.config()?;
    let (inventory, extra_vars, limit) = match (a.common.inventory(&cfg), a.common.extra_vars(), a.common.limit()) {
        (Ok(i), Ok(e), Ok(l)) => (i, e, l),
        (i, e, l) => {
            for d in [i.err(), e.err(), l.err()].into_iter().flatten() {
                eprintln!("{d}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let config = config_for_check(inventory, extra_vars);
    let (summary, diags) = check(&a.playbooks, &config, &a.common.load_options(&cfg), limit.as_deref());
    if !diags.is_empty() {
        eprintln!("{diags}");
    }
    let errors = diags.error_count();
    let warnings = diags.0.len() - errors;
    let what = format!(
        "{} playbook(s), {} play(s), {} task(s), {} host run(s)",
        summary.playbooks, summary.plays, summary.tasks, summary.host_runs
    );
    if errors > 0 {
        eprintln!("check failed: {errors} error(s), {warnings} warning(s) in {what}");
        Ok(ExitCode::from(1))
    } else {
        println!("check passed: {what}, {warnings} warning(s)");
        Ok(ExitCode::SUCCESS)
    }
}
