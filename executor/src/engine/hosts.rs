//! Which hosts a play runs on: its `hosts:` pattern (templated with extra
//! vars and play vars, as Ansible) narrowed by `--limit`.

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::inventory::Inventory;
use crate::playbook::Play;
use crate::template::{Scope, Templar};
use crate::vars::Vars;

/// What a play's own keywords (`hosts`, `name`) are templated with, before
/// any host is known: the play's vars and the extra vars.
pub fn play_level_scope(play: &Play, extra_vars: &Vars) -> Scope {
    let mut vars = play.vars.clone();
    vars.extend(extra_vars.clone());
    Scope::new(vars)
}

/// The play's host pattern as one Ansible pattern string.
pub fn play_pattern(play: &Play, templar: &Templar, extra_vars: &Vars) -> Result<String, Diagnostic> {
    let scope = play_level_scope(play, extra_vars);
    let rendered = templar
        .render_value(&play.hosts, &scope)
        .map_err(|e| Diagnostic::error(format!("cannot template the play's `hosts`: {e}")).at(&play.span))?;
    Ok(match rendered {
        Value::String(s) => s,
        Value::Array(items) => {
            items.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect::<Vec<_>>().join(",")
        }
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// The hosts a play targets, in inventory order, after `--limit`.
pub fn play_hosts(
    play: &Play,
    inventory: &Inventory,
    templar: &Templar,
    extra_vars: &Vars,
    limit: Option<&str>,
) -> Result<Vec<String>, Diagnostic> {
    let pattern = play_pattern(play, templar, extra_vars)?;
    let mut hosts = inventory.select(&pattern).map_err(|d| d.at_opt(Some(&play.span)))?;
    if let Some(limit) = limit {
        let allowed = inventory.select(limit)?;
        hosts.retain(|h| allowed.contains(h));
    }
    Ok(hosts)
}
