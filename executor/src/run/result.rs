//! What running a task on a host gave, and the per-host counts of the
//! PLAY RECAP.

use std::time::Duration;

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

/// One task's outcome on one host (all loop items together).
#[derive(Debug, Clone)]
pub struct HostResult {
    pub host: String,
    /// `delegate_to` target, shown as `[host -> delegate]`.
    pub delegated: Option<String>,
    pub status: Status,
    /// The registered value: `changed`, `failed`, `msg`, module returns, `results` for loops.
    pub result: Map<String, Value>,
    /// The failure was ignored (`ignore_errors`).
    pub ignored: bool,
    /// The failure was handled by a `rescue:` section.
    pub rescued: bool,
    pub duration: Duration,
    /// Hide the result (`no_log`).
    pub no_log: bool,
    /// What the text output prints after `=>` even without `-v`: the cleaned
    /// view of a `debug` result, as Ansible's default callback shows it.
    pub shown: Option<Value>,
    /// Neither printed nor counted in the recap: a `meta` task, which
    /// ansible-playbook shows only as its TASK banner.
    pub silent: bool,
    /// A looped task's items, each printed on its own line as Ansible does
    /// (`changed: [h] => (item=a)`); empty for a task without a loop.
    pub items: Vec<ItemLine>,
    /// An `include_tasks`/`include_role` that included this (file or role),
    /// printed as `included: … for host`.
    pub included: Option<String>,
    /// Printed in full even without `-v` (`assert`), as Ansible's
    /// `_ansible_verbose_always` results.
    pub verbose_always: bool,
}

/// One loop item as the text output prints it. `index` points into the
/// task result's `results` list.
#[derive(Debug, Clone)]
pub struct ItemLine {
    pub status: Status,
    /// `loop_control.label` or the item, as Python prints it.
    pub label: String,
    /// The `debug` view of this item's result.
    pub shown: Option<Value>,
    pub index: usize,
    /// The file or role this item included.
    pub included: Option<String>,
}

impl HostResult {
    pub fn new(host: &str, status: Status, result: Map<String, Value>) -> Self {
        HostResult {
            host: host.to_string(),
            delegated: None,
            status,
            result,
            ignored: false,
            rescued: false,
            duration: Duration::ZERO,
            no_log: false,
            shown: None,
            silent: false,
            items: Vec::new(),
            included: None,
            verbose_always: false,
        }
    }

    /// A `debug` result as Ansible's default callback prints it: with `msg`
    /// only the message (and warnings), else the variable without the
    /// bookkeeping keys.
    pub fn show_as_debug(&mut self) {
        self.shown = Some(debug_view(&self.result));
    }

    pub fn msg(&self) -> Option<&str> {
        self.result.get("msg").and_then(Value::as_str)
    }
}

/// What Ansible's default callback prints for a `debug` result: with `msg`
/// only the message, else the variable without the bookkeeping keys.
pub fn debug_view(result: &Map<String, Value>) -> Value {
    const HIDDEN: &[&str] = &[
        "changed",
        "failed",
        "skipped",
        "invocation",
        "skip_reason",
        "ansible_loop_var",
        "ansible_index_var",
        "ansible_loop",
        "_ansible_item_label",
    ];
    let view: Map<String, Value> = if result.contains_key("msg") {
        result.iter().filter(|(k, _)| *k == "msg").map(|(k, v)| (k.clone(), v.clone())).collect()
    } else {
        result.iter().filter(|(k, _)| !HIDDEN.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    Value::Object(view)
}

/// PLAY RECAP counts for one host, as ansible-playbook counts them
/// (`ok` includes `changed`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct HostStats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

impl HostStats {
    pub fn record(&mut self, r: &HostResult) {
        // Ansible counts a looped include once per file it included.
        let includes = r.items.iter().filter(|i| i.included.is_some()).count() as u32;
        match r.status {
            Status::Ok if includes > 1 => self.ok += includes,
            Status::Ok => self.ok += 1,
            Status::Changed => {
                self.ok += 1;
                self.changed += 1;
            }
            Status::Skipped => self.skipped += 1,
            // An ignored failure counts as ok too (and as changed when it changed), as in Ansible's strategy.
            Status::Unreachable if r.ignored => {
                self.ok += 1;
                self.ignored += 1;
            }
            Status::Unreachable => self.unreachable += 1,
            Status::Failed if r.ignored => {
                self.ok += 1;
                self.ignored += 1;
                if r.result.get("changed").and_then(serde_json::Value::as_bool) == Some(true) {
                    self.changed += 1;
                }
            }
            Status::Failed if r.rescued => self.rescued += 1,
            Status::Failed => self.failed += 1,
        }
    }
}
