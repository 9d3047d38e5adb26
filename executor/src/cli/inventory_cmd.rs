use std::process::ExitCode;

use clap::Args;

use super::CommonArgs;
use crate::secrets::redact;

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Print every group and host as JSON, like `ansible-inventory --list`.
    #[arg(long, conflicts_with_all = ["host", "graph"])]
    pub list: bool,
    /// Print one host's variables as JSON.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Print the group tree (optionally below GROUP).
    #[arg(long, value_name = "GROUP", num_args = 0..=1, default_missing_value = "all")]
    pub graph: Option<String>,
    /// With --graph, show variables too.
    #[arg(long)]
    pub vars: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(a: InventoryArgs) -> anyhow::Result<ExitCode> {
    let cfg = a.common.config()?;
    let inventory = match a.common.inventory(&cfg) {
        Ok(i) => i,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(host) = &a.host {
        match inventory.to_host_json(host) {
            Some(v) => println!("{}", redact(&crate::inventory::ansible_json_text(&v))),
            None => {
                eprintln!("error: host `{host}` is not in the inventory");
                return Ok(ExitCode::from(1));
            }
        }
    } else if let Some(group) = &a.graph {
        print!("{}", redact(&inventory.to_graph(group, a.vars)));
    } else {
        let limit = match a.common.limit() {
            Ok(l) => l,
            Err(d) => {
                eprintln!("{d}");
                return Ok(ExitCode::from(1));
            }
        };
        let list = match limit.as_deref().map(|l| inventory.to_list_json_limited(l)) {
            None => inventory.to_list_json(),
            Some(Ok((list, warnings))) => {
                warnings.iter().for_each(|w| eprintln!("warning: {w}"));
                list
            }
            Some(Err(d)) => {
                eprintln!("{d}");
                return Ok(ExitCode::from(1));
            }
        };
        println!("{}", redact(&crate::inventory::ansible_json_text(&list)));
    }
    Ok(ExitCode::SUCCESS)
}
