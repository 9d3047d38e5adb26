//! `service_facts`: every service the host knows, as Ansible returns them in
//! `ansible_facts.services` (`name`, `state`, `source`, and `status` for systemd).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::util::command::{self, CommandSpec};
use crate::util::services;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Return service state information as fact data.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceFacts {}

fn run_quiet(argv: &[&str]) -> Result<command::CommandOutput, ModuleError> {
    let mut spec = CommandSpec::new(argv.iter().copied());
    spec.output_via_files = true;
    command::run(&spec)
}

/// `service --status-all`: `[ + ]` running, `[ - ]` stopped; `[ ? ]` lines are left out, as Ansible does.
pub fn parse_status_all(out: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for line in out.lines() {
        let l = line.trim_start();
        let (state, rest) = match (l.strip_prefix("[ + ]"), l.strip_prefix("[ - ]")) {
            (Some(r), _) => ("running", r),
            (_, Some(r)) => ("stopped", r),
            _ => continue,
        };
        let name = rest.trim();
        if !name.is_empty() {
            m.insert(name.to_string(), json!({"name": name, "state": state, "source": "sysv"}));
        }
    }
    m
}

fn systemd_services() -> Result<Map<String, Value>, ModuleError> {
    let mut m = Map::new();
    let units = run_quiet(&["systemctl", "list-units", "--no-pager", "--type", "service", "--all", "--plain", "--no-legend"])?;
    for line in units.stdout.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || !f[0].ends_with(".service") {
            continue;
        }
        let bad = f[1..4].iter().find(|s| matches!(**s, "not-found" | "masked" | "failed"));
        let status = bad.copied().unwrap_or(f[2]);
        let state = if f[3] == "running" { "running" } else { "stopped" };
        m.insert(f[0].to_string(), json!({"name": f[0], "state": state, "status": status, "source": "systemd"}));
    }
    let files = run_quiet(&["systemctl", "list-unit-files", "--no-pager", "--type", "service", "--all", "--no-legend"])?;
    for line in files.stdout.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 2 || !f[0].ends_with(".service") {
            continue;
        }
        match m.get_mut(f[0]) {
            Some(Value::Object(entry)) => {
                let bad = entry.get("status").and_then(Value::as_str).is_some_and(|s| matches!(s, "not-found" | "masked" | "failed"));
                if !bad {
                    entry.insert("status".into(), f[1].into());
                }
            }
            _ => {
                let show = run_quiet(&["systemctl", "show", f[0], "--property=ActiveState"])?;
                let state = show.stdout.trim().strip_prefix("ActiveState=").unwrap_or("unknown").to_string();
                m.insert(f[0].to_string(), json!({"name": f[0], "state": state, "status": f[1], "source": "systemd"}));
            }
        }
    }
    Ok(m)
}

impl Module for ServiceFacts {
    const NAME: &'static str = "service_facts";
    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        let mut services = Map::new();
        if command::which("service").is_some() {
            services.extend(parse_status_all(&run_quiet(&["service", "--status-all"])?.stdout));
        }
        if services::systemd_is_init() {
            services.extend(systemd_services()?);
        }
        Ok(Outcome::changed(false).with("ansible_facts", json!({ "services": services })))
    }
}

register_module!(ServiceFacts);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_all_lines() {
        let m = parse_status_all(" [ - ]  dbus\n [ ? ]  hwclock.sh\n [ + ]  influxdb\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m["influxdb"], json!({"name": "influxdb", "state": "running", "source": "sysv"}));
        assert_eq!(m["dbus"]["state"], "stopped");
    }
}
