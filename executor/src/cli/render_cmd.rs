use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::CommonArgs;
use crate::check::config_for_check;
use crate::render::render;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Playbooks to render.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    /// Output directory; files go to OUT/<host>/<dest path>.
    #[arg(long = "out", short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(a: RenderArgs) -> anyhow::Result<ExitCode> {
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
    let (summary, diags) = render(&a.playbooks, &config, &a.common.load_options(&cfg), limit.as_deref(), &a.out);
    if !diags.is_empty() {
        eprintln!("{diags}");
    }
    println!("rendered {} file(s) into {}", summary.files.len(), a.out.display());
    Ok(if diags.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
