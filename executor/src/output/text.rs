//! Ansible's text output: `PLAY [..]`, `TASK [..]`, `ok: [host]`, and the
//! exact `PLAY RECAP` lines.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use super::{diff, Output, OutputOptions};
use crate::run::result::{HostResult, HostStats, ItemLine, Status};

pub struct TextOutput<W: Write + Send> {
    out: W,
    opts: OutputOptions,
    /// `included: FILE for h1, h2`: hosts that included the same file, printed
    /// on one line once the next event comes.
    included: Option<(String, Vec<String>)>,
}

impl<W: Write + Send> TextOutput<W> {
    pub fn new(out: W, opts: OutputOptions) -> Self {
        TextOutput { out, opts, included: None }
    }

    fn flush_included(&mut self) {
        if let Some((what, hosts)) = self.included.take() {
            let _ = writeln!(self.out, "included: {what} for {}", hosts.join(", "));
        }
    }

    fn banner(&mut self, title: &str) {
        self.flush_included();
        let stars = 79usize.saturating_sub(title.len()).max(3);
        let _ = writeln!(self.out, "\n{title} {}", "*".repeat(stars));
    }
}

fn status_word(r: &HostResult) -> &'static str {
    match r.status {
        Status::Ok => "ok",
        Status::Changed => "changed",
        Status::Failed => "fatal",
        Status::Skipped => "skipping",
        Status::Unreachable => "fatal",
    }
}

impl<W: Write + Send> TextOutput<W> {
    /// A looped task: one line per item, as Ansible's default callback
    /// prints them; then `skipping` when every item was skipped.
    fn item_lines(&mut self, r: &HostResult, host: &str) {
        let results = r.result.get("results").and_then(Value::as_array);
        // Ansible prints an include's `included:` lines after the other items' lines.
        let (includes, others): (Vec<&ItemLine>, Vec<&ItemLine>) = r.items.iter().partition(|l| l.included.is_some());
        for line in others.into_iter().chain(includes) {
            let label = if r.no_log { "(censored due to no_log)" } else { line.label.as_str() };
            let item = results.and_then(|a| a.get(line.index)).and_then(Value::as_object);
            let detail = || match (item, r.no_log) {
                (Some(m), true) => python_json(&super::censored_result(m)),
                (Some(m), false) => python_json(&shown_result(m)),
                (None, _) => String::new(),
            };
            if let Some(what) = &line.included {
                let _ = writeln!(self.out, "included: {what} for {host} => (item={label})");
                continue;
            }
            let _ = match line.status {
                Status::Failed | Status::Unreachable => writeln!(self.out, "failed: [{host}] (item={label}) => {}", detail()),
                Status::Skipped => writeln!(self.out, "skipping: [{host}] => (item={label}) "),
                Status::Ok | Status::Changed => {
                    let word = if line.status == Status::Changed { "changed" } else { "ok" };
                    match (&line.shown, r.no_log) {
                        (Some(shown), false) => writeln!(self.out, "{word}: [{host}] => (item={label}) => {}", pretty_sorted(shown)),
                        _ if self.opts.verbosity > 0 => writeln!(self.out, "{word}: [{host}] => (item={label}) => {}", detail()),
                        _ => writeln!(self.out, "{word}: [{host}] => (item={label})"),
                    }
                }
            };
        }
        if r.status == Status::Skipped {
            let _ = writeln!(self.out, "skipping: [{host}]");
        }
        if r.ignored {
            let _ = writeln!(self.out, "...ignoring");
        }
    }
}

impl<W: Write + Send> Output for TextOutput<W> {
    fn play_start(&mut self, name: &str) {
        self.banner(&format!("PLAY [{name}]"));
    }

    fn task_start(&mut self, name: &str, handler: bool) {
        self.banner(&format!("{} [{name}]", if handler { "RUNNING HANDLER" } else { "TASK" }));
    }

    fn host_result(&mut self, r: &HostResult) {
        let host = match &r.delegated {
            Some(d) => format!("{} -> {d}", r.host),
            None => r.host.clone(),
        };
        if let (Some(what), Status::Ok, true) = (&r.included, r.status, r.items.is_empty()) {
            match &mut self.included {
                Some((w, hosts)) if w == what => hosts.push(host),
                _ => {
                    self.flush_included();
                    self.included = Some((what.clone(), vec![host]));
                }
            }
            return;
        }
        self.flush_included();
        if self.opts.diff && !r.no_log {
            for d in r.result.get("diff").and_then(Value::as_array).into_iter().flatten() {
                let before = d.get("before").and_then(Value::as_str).unwrap_or("");
                let after = d.get("after").and_then(Value::as_str).unwrap_or("");
                // `--- before: HEADER`, or `--- before` without one; an empty line after each, as Ansible.
                let header = |key: &str, side: &str| match d.get(key).and_then(Value::as_str) {
                    Some(h) => format!("{side}: {h}"),
                    None => side.to_string(),
                };
                let text = diff::unified(before, after, &header("before_header", "before"), &header("after_header", "after"));
                if !text.is_empty() {
                    let _ = writeln!(self.out, "{text}");
                }
            }
        }
        let word = status_word(r);
        let failed = matches!(r.status, Status::Failed | Status::Unreachable);
        if !r.items.is_empty() {
            self.item_lines(r, &host);
            return;
        }
        if let (Some(shown), false) = (&r.shown, r.no_log) {
            let _ = writeln!(self.out, "{word}: [{host}] => {}", pretty_sorted(shown));
            return;
        }
        // `assert` results are always shown, pretty, as Ansible's `_ansible_verbose_always`.
        let verbose = self.opts.verbosity > 0 || r.verbose_always;
        let detail = if r.no_log {
            Some(python_json(&super::censored(r)))
        } else if r.verbose_always {
            Some(pretty_sorted(&shown_result(&r.result)))
        } else if failed || verbose {
            Some(python_json(&shown_result(&r.result)))
        } else {
            None
        };
        let _ = match (detail, r.status) {
            (Some(d), Status::Failed) => writeln!(self.out, "{word}: [{host}]: FAILED! => {d}"),
            (Some(d), Status::Unreachable) => writeln!(self.out, "{word}: [{host}]: UNREACHABLE! => {d}"),
            (Some(d), _) if verbose => writeln!(self.out, "{word}: [{host}] => {d}"),
            _ => writeln!(self.out, "{word}: [{host}]"),
        };
        if r.ignored {
            let _ = writeln!(self.out, "...ignoring");
        }
    }

    fn retrying(&mut self, host: &str, task: &str, retries_left: u64) {
        self.flush_included();
        let _ = writeln!(self.out, "FAILED - RETRYING: [{host}]: {task} ({retries_left} retries left).");
        let _ = self.out.flush();
    }

    fn warning(&mut self, msg: &str) {
        self.flush_included();
        let _ = writeln!(self.out, "[WARNING]: {msg}");
    }

    fn recap(&mut self, stats: &BTreeMap<String, HostStats>, elapsed: Duration) {
        self.banner("PLAY RECAP");
        let width = stats.keys().map(String::len).max().unwrap_or(0).max(26);
        for (host, s) in stats {
            let _ = writeln!(
                self.out,
                "{host:<width$} : ok={:<4} changed={:<4} unreachable={:<4} failed={:<4} skipped={:<4} rescued={:<4} ignored={:<4}",
                s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored
            );
        }
        // ansible-playbook ends its recap with an empty line.
        let _ = writeln!(self.out);
        // Not in ansible-playbook's output: only from -vv on, so -v reads as Ansible's.
        if self.opts.verbosity > 1 {
            let _ = writeln!(self.out, "elapsed: {:.3}s", elapsed.as_secs_f64());
        }
        let _ = self.out.flush();
    }
}

/// A result as the default callback shows it after `=>`: without `failed`,
/// which the status word already says.
pub(super) fn shown_result(m: &serde_json::Map<String, Value>) -> Value {
    Value::Object(m.iter().filter(|(k, _)| k.as_str() != "failed").map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// JSON on one line as Python's `json.dumps(v, sort_keys=True)` writes it
/// (`{"a": 1, "b": [2, 3]}`), which is how Ansible prints a result.
fn python_json(v: &Value) -> String {
    serialized_sorted(v, PythonSeparators)
}

/// JSON as Python's `json.dumps(v, indent=4, sort_keys=True)` writes it.
pub(super) fn pretty_sorted(v: &Value) -> String {
    serialized_sorted(v, serde_json::ser::PrettyFormatter::with_indent(b"    "))
}

fn serialized_sorted(v: &Value, formatter: impl serde_json::ser::Formatter) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    match serde::Serialize::serialize(&sorted(v), &mut ser) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => v.to_string(),
    }
}

/// Python's default `json.dumps` separators: `", "` and `": "`.
struct PythonSeparators;

impl serde_json::ser::Formatter for PythonSeparators {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.begin_array_value(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}
