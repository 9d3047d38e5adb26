//! `--list-hosts` / `--list-tasks`, in ansible-playbook's layout.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine::hosts::play_hosts;
use crate::engine::walk::play_tasks;
use crate::engine::RunConfig;
use crate::playbook::LoadOptions;
use crate::run::keywords;

pub fn print(
    playbooks: &[PathBuf],
    config: &RunConfig,
    load: &LoadOptions,
    limit: Option<&str>,
    hosts: bool,
    tasks: bool,
) -> anyhow::Result<ExitCode> {
    let loaded = match crate::run::load_all(playbooks, load) {
        Ok(l) => l,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::from(4));
        }
    };
    for (pb, path) in loaded.iter().zip(playbooks) {
        println!("\nplaybook: {}\n", path.display());
        for (i, play) in pb.plays.iter().enumerate() {
            // An empty line between plays, none after the last (as ansible-playbook).
            if i > 0 {
                println!();
            }
            let tags: Vec<String> = play.inherited.tags.clone();
            println!("  play #{} ({}): {}\tTAGS: [{}]", i + 1, hosts_pattern(play), play.display_name(), tags.join(", "));
            if hosts {
                let hs = play_hosts(play, &config.inventory, &config.templar, &config.extra_vars, limit).unwrap_or_default();
                println!("    pattern: ['{}']\n    hosts ({}):", hosts_pattern(play), hs.len());
                for h in hs {
                    println!("      {h}");
                }
            }
            if tasks {
                println!("    tasks:");
                for f in play_tasks(play, false) {
                    let chain = std::sync::Arc::new(
                        f.blocks
                            .iter()
                            .map(|(b, _)| {
                                std::sync::Arc::new(crate::run::rtree::BlockCtx {
                                    vars: Default::default(),
                                    inherited: b.inherited.clone(),
                                })
                            })
                            .collect::<Vec<_>>(),
                    );
                    let mut t = keywords::tags(play, &chain, f.task);
                    t.sort();
                    t.dedup();
                    if !keywords::selected(&t, &config.tags, &config.skip_tags) {
                        continue;
                    }
                    println!("      {}\tTAGS: [{}]", f.task.display_name(), t.join(", "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hosts_pattern(play: &crate::playbook::Play) -> String {
    match &play.hosts {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}
