//! `cron`: manage one named entry of a crontab, marked with the same
//! `#Ansible: NAME` comment Ansible writes, so Ansible and dpctl manage the
//! same entries interchangeably.
//!
//! Where the crontab lives:
//! - `cron_file: NAME` → `/etc/cron.d/NAME`; `cron_file: /abs/path` → that file
//!   (any directory: this is also how tests and staging trees point the module
//!   at a throwaway crontab). Lines then carry the user field.
//! - otherwise the user's crontab, through `crontab [-u USER] -l` and
//!   `crontab [-u USER] FILE` (`-u` only when `user` is not the agent's user).

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::module::Diff;
use crate::util::command::{self, CommandSpec};
use crate::util::fs as ufs;
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CronState {
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpecialTime {
    Reboot,
    Yearly,
    Annually,
    Monthly,
    Weekly,
    Daily,
    Hourly,
}

impl SpecialTime {
    fn as_str(self) -> &'static str {
        match self {
            SpecialTime::Reboot => "reboot",
            SpecialTime::Yearly => "yearly",
            SpecialTime::Annually => "annually",
            SpecialTime::Monthly => "monthly",
            SpecialTime::Weekly => "weekly",
            SpecialTime::Daily => "daily",
            SpecialTime::Hourly => "hourly",
        }
    }
}

/// Manage cron.d and crontab entries.
///
/// Entries carry the same `#Ansible: NAME` marker Ansible writes, so both tools
/// manage the same crontab. `cron_file` may be any absolute path (also how tests
/// and staging trees point the module at a throwaway file); without it the user's
/// crontab is read and written with `crontab [-u USER]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cron {
    /// The entry's name: the `#Ansible: NAME` marker line (or the variable name with `env`).
    pub name: String,
    /// Whose crontab; required with `cron_file` (it becomes the user field of the line).
    #[serde(default)]
    pub user: Option<String>,
    /// The command to run (or the variable's value with `env`).
    #[serde(default, alias = "value")]
    pub job: Option<String>,
    /// A file under `/etc/cron.d`, or an absolute path, instead of the user's crontab.
    #[serde(default)]
    pub cron_file: Option<PathBuf>,
    /// Whether the entry should exist.
    #[serde(default = "present")]
    pub state: CronState,
    /// Save a copy of the crontab before changing it; the path is returned as `backup_file`.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub backup: bool,
    /// Minute (`0-59`, `*`, `*/5`, …).
    #[serde(default = "star", deserialize_with = "crate::util::scalar::string")]
    pub minute: String,
    /// Hour (`0-23`, `*`, `*/2`, …).
    #[serde(default = "star", deserialize_with = "crate::util::scalar::string")]
    pub hour: String,
    /// Day of the month.
    #[serde(default = "star", alias = "dom", deserialize_with = "crate::util::scalar::string")]
    pub day: String,
    /// Month (`1-12`, `*`, …).
    #[serde(default = "star", deserialize_with = "crate::util::scalar::string")]
    pub month: String,
    /// Day of the week.
    #[serde(default = "star", alias = "dow", deserialize_with = "crate::util::scalar::string")]
    pub weekday: String,
    /// `@reboot`, `@daily`, …; not combinable with the time fields.
    #[serde(default)]
    pub special_time: Option<SpecialTime>,
    /// Keep the entry but comment it out.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub disabled: bool,
    /// Manage a `NAME="job"` environment line instead of a job.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub env: bool,
    /// With `env`: insert the new variable after this one.
    #[serde(default)]
    pub insertafter: Option<String>,
    /// With `env`: insert the new variable before this one.
    #[serde(default)]
    pub insertbefore: Option<String>,
}

fn present() -> CronState {
    CronState::Present
}
fn star() -> String {
    "*".into()
}

const MARKER: &str = "#Ansible: ";

/// A crontab read into lines, as Ansible's `CronTab` class holds it.
struct CronTab {
    lines: Vec<String>,
    /// The text as read (without `crontab -l`'s header lines), for the diff.
    existing: String,
}

impl CronTab {
    fn parse_user_listing(out: &str) -> CronTab {
        // `crontab -l` on some systems prepends up to three "DO NOT EDIT" header lines.
        let mut existing = out.to_string();
        let mut lines = Vec::new();
        for (count, l) in out.lines().enumerate() {
            let header = count <= 2
                && (l.starts_with("# DO NOT EDIT THIS FILE - edit the master and reinstall.")
                    || (l.starts_with("# (/tmp/") && l.contains("installed on"))
                    || (l.starts_with("# (") && l.contains("version")));
            if header {
                existing = existing.replacen(&format!("{l}\n"), "", 1);
            } else {
                lines.push(l.to_string());
            }
        }
        CronTab { lines, existing }
    }

    fn comment(name: &str) -> String {
        format!("{MARKER}{name}")
    }

    /// `[comment, job]`, plus `true` when a header had to be inserted (Ansible's `find_job`).
    fn find_job(&mut self, name: &str, job: Option<&str>) -> Option<(String, String, bool)> {
        let mut comment: Option<String> = None;
        for l in &self.lines {
            if let Some(c) = &comment {
                if c == name {
                    return Some((c.clone(), l.clone(), false));
                }
                comment = None;
            } else if let Some(rest) = l.strip_prefix(MARKER) {
                comment = Some(rest.to_string());
            }
        }
        let job = job?;
        let i = self.lines.iter().position(|l| l == job)?;
        let prev = if i > 0 { self.lines.get(i - 1).cloned() } else { self.lines.last().cloned() };
        if !prev.as_deref().unwrap_or("").starts_with(MARKER) {
            self.lines.insert(i, Self::comment(name));
            return Some((Self::comment(name), job.to_string(), true));
        }
        None
    }

    fn update_job(&mut self, name: &str, job: Option<&str>) {
        let marker = Self::comment(name);
        let mut out = Vec::with_capacity(self.lines.len() + 1);
        let mut pending = false;
        for l in self.lines.drain(..) {
            if pending {
                if let Some(job) = job {
                    out.push(marker.clone());
                    out.push(job.to_string());
                }
                pending = false;
            } else if l == marker {
                pending = true;
            } else {
                out.push(l);
            }
        }
        self.lines = out;
    }

    fn find_env(&self, name: &str) -> Option<(usize, String)> {
        let prefix = format!("{name}=");
        self.lines.iter().position(|l| l.starts_with(&prefix)).map(|i| (i, self.lines[i].clone()))
    }

    fn update_env(&mut self, name: &str, decl: Option<&str>) {
        let prefix = format!("{name}=");
        let mut out = Vec::with_capacity(self.lines.len());
        for l in self.lines.drain(..) {
            if l.starts_with(&prefix) {
                if let Some(d) = decl {
                    out.push(d.to_string());
                }
            } else {
                out.push(l);
            }
        }
        self.lines = out;
    }

    fn job_names(&self) -> Vec<String> {
        self.lines.iter().filter_map(|l| l.strip_prefix(MARKER)).map(str::to_string).collect()
    }

    fn env_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.split_once('=').is_some_and(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace)))
            .filter_map(|l| l.split('=').next())
            .map(str::to_string)
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    fn render(&self) -> String {
        let text = self.lines.join("\n");
        if text.is_empty() {
            text
        } else {
            format!("{}\n", text.trim_end_matches(['\r', '\n']))
        }
    }
}

/// Where the crontab is stored and how to read/write it.
enum Store {
    File(PathBuf),
    User(Option<String>),
}

impl Store {
    fn header(&self) -> String {
        match self {
            Store::File(p) => p.display().to_string(),
            Store::User(Some(u)) => format!("crontab for user \"{u}\""),
            Store::User(None) => "crontab".into(),
        }
    }

    fn user_flag(user: &Option<String>) -> Vec<String> {
        match user {
            Some(u) if Some(u.as_str()) != current_user().as_deref() => vec!["-u".into(), u.clone()],
            _ => vec![],
        }
    }

    fn read(&self) -> Result<CronTab, ModuleError> {
        match self {
            Store::File(p) => {
                let text = ufs::read_if_exists(p)?.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                Ok(CronTab { lines: text.lines().map(str::to_string).collect(), existing: text })
            }
            Store::User(user) => {
                let mut argv = vec!["crontab".to_string()];
                argv.extend(Self::user_flag(user));
                argv.push("-l".into());
                let out = command::run(&CommandSpec::new(argv))?;
                // rc 1 means "no crontab for USER".
                match out.rc {
                    0 => Ok(CronTab::parse_user_listing(&out.stdout)),
                    1 => Ok(CronTab { lines: vec![], existing: String::new() }),
                    rc => Err(ModuleError::Failed(format!("Unable to read crontab (rc={rc}): {}", out.stderr.trim()))),
                }
            }
        }
    }

    fn write(&self, text: &str) -> Result<(), ModuleError> {
        match self {
            Store::File(p) => ufs::write_atomic(p, text.as_bytes(), None),
            Store::User(user) => {
                let tmp = temp_path("crontab");
                ufs::write_atomic(&tmp, text.as_bytes(), Some(0o644))?;
                let mut argv = vec!["crontab".to_string()];
                argv.extend(Self::user_flag(user));
                argv.push(tmp.display().to_string());
                let result = command::run(&CommandSpec::new(argv));
                let _ = std::fs::remove_file(&tmp);
                let out = result?;
                if out.rc != 0 {
                    return Err(ModuleError::Failed(format!("Failed to install new crontab (rc={}): {}", out.rc, out.stderr.trim())));
                }
                Ok(())
            }
        }
    }
}

fn temp_path(prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("{prefix}.dpctl-{}-{nanos}", std::process::id()))
}

/// The agent's own user name, from `/etc/passwd` (crontab needs `-u` only for others).
fn current_user() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|r| r.split_whitespace().next().map(str::to_string))?;
    std::fs::read_to_string("/etc/passwd").ok()?.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

impl Cron {
    fn store(&self) -> Result<Store, ModuleError> {
        match &self.cron_file {
            Some(p) if p.as_os_str() == "/etc/crontab" => {
                Err(ModuleError::BadArgs("Will not manage /etc/crontab via cron_file, see documentation.".into()))
            }
            Some(p) if p.is_absolute() => Ok(Store::File(p.clone())),
            Some(p) => Ok(Store::File(PathBuf::from("/etc/cron.d").join(p))),
            None => Ok(Store::User(self.user.clone())),
        }
    }

    /// `cron_file` is returned as given, as Ansible does.
    fn cron_file_value(&self) -> Value {
        self.cron_file.as_ref().map(|p| Value::String(p.display().to_string())).unwrap_or(Value::Null)
    }

    fn validate(&self) -> Result<(), ModuleError> {
        let times = [&self.minute, &self.hour, &self.day, &self.month, &self.weekday];
        if self.special_time.is_some() && times.iter().any(|t| t.as_str() != "*") {
            return Err(ModuleError::BadArgs("You cannot combine special_time with any of the time or day/date parameters.".into()));
        }
        if self.state == CronState::Present {
            if self.cron_file.is_some() && self.user.is_none() {
                return Err(ModuleError::BadArgs("To use cron_file=... parameter you must specify user=... as well".into()));
            }
            if self.job.is_none() {
                return Err(ModuleError::BadArgs("You must specify 'job' to install a new cron job or variable".into()));
            }
            if (self.insertafter.is_some() || self.insertbefore.is_some()) && !self.env {
                return Err(ModuleError::BadArgs("Insertafter and insertbefore parameters are valid only with env=yes".into()));
            }
        }
        if self.insertafter.is_some() && self.insertbefore.is_some() {
            return Err(ModuleError::BadArgs("parameters are mutually exclusive: insertafter|insertbefore".into()));
        }
        if self.env && self.name.contains(' ') {
            return Err(ModuleError::BadArgs("Invalid name for environment variable".into()));
        }
        Ok(())
    }

    /// The job line exactly as Ansible's `get_cron_job` renders it.
    fn job_line(&self, job: &str, file: bool) -> String {
        let job = job.trim_matches(['\r', '\n']);
        let prefix = if self.disabled { "#" } else { "" };
        let user = if file { format!(" {}", self.user.as_deref().unwrap_or("")) } else { String::new() };
        match self.special_time {
            Some(s) => format!("{prefix}@{}{user} {job}", s.as_str()),
            None => format!("{prefix}{} {} {} {} {}{user} {job}", self.minute, self.hour, self.day, self.month, self.weekday),
        }
    }

    /// Apply the request to the in-memory crontab; returns whether it changed.
    fn apply(&self, tab: &mut CronTab, file: bool) -> Result<bool, ModuleError> {
        let install = self.state == CronState::Present;
        let job = self.job.as_deref().unwrap_or("");
        let mut changed = false;
        if self.env {
            let decl = format!("{}=\"{}\"", self.name, job);
            match (install, tab.find_env(&self.name)) {
                (true, None) => {
                    insert_env(tab, decl, self.insertafter.as_deref(), self.insertbefore.as_deref())?;
                    changed = true;
                }
                (true, Some((_, old))) if old != decl => {
                    tab.update_env(&self.name, Some(&decl));
                    changed = true;
                }
                (false, Some(_)) => {
                    tab.update_env(&self.name, None);
                    changed = true;
                }
                _ => {}
            }
        } else if install {
            let line = self.job_line(job, file);
            match tab.find_job(&self.name, Some(&line)) {
                None => {
                    tab.lines.push(CronTab::comment(&self.name));
                    tab.lines.push(line);
                    changed = true;
                }
                Some((_, old, inserted)) => {
                    if old != line || inserted {
                        tab.update_job(&self.name, Some(&line));
                        changed = true;
                    }
                }
            }
        } else if tab.find_job(&self.name, None).is_some() {
            tab.update_job(&self.name, None);
            changed = true;
        }
        Ok(changed)
    }
}

fn insert_env(tab: &mut CronTab, decl: String, after: Option<&str>, before: Option<&str>) -> Result<(), ModuleError> {
    let other = match (after, before) {
        (None, None) => {
            tab.lines.insert(0, decl);
            return Ok(());
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
    };
    let (i, _) = tab.find_env(other).ok_or_else(|| ModuleError::Failed(format!("Variable named '{other}' not found.")))?;
    tab.lines.insert(if after.is_some() { i + 1 } else { i }, decl);
    Ok(())
}

impl Module for Cron {
    const NAME: &'static str = "cron";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        self.validate()?;
        let store = self.store()?;
        let is_file = matches!(store, Store::File(_));
        let mut tab = store.read()?;
        let before = tab.existing.clone();
        let mut changed = self.apply(&mut tab, is_file)?;

        // Removing the last entry of a cron_file removes the file, as Ansible does.
        if let (Store::File(path), CronState::Absent, true) = (&store, self.state, changed) {
            if tab.is_empty() {
                let exists = path.is_file();
                if !ctx.check_mode && exists {
                    std::fs::remove_file(path).map_err(|e| ModuleError::io(format!("removing {}", path.display()), e))?;
                }
                let mut o = Outcome::changed(exists).with("state", "absent");
                o.values.insert("cron_file".into(), self.cron_file_value());
                if ctx.diff {
                    o.diff.push(Diff {
                        before_header: Some(store.header()),
                        after_header: Some("/dev/null".into()),
                        before,
                        after: String::new(),
                    });
                }
                return Ok(o);
            }
        }
        // An existing crontab without a final newline is rewritten, as Ansible does.
        if !changed && !before.is_empty() && !before.ends_with(['\n', '\r']) {
            changed = true;
        }
        let after = tab.render();
        let mut o = Outcome::changed(changed).with("jobs", tab.job_names()).with("envs", tab.env_names());
        if changed {
            if self.backup && !ctx.check_mode {
                let backup = temp_path("crontab");
                ufs::write_atomic(&backup, before.as_bytes(), Some(0o600))?;
                o.values.insert("backup_file".into(), Value::String(backup.display().to_string()));
            }
            if !ctx.check_mode {
                store.write(&after)?;
            }
            if ctx.diff {
                o.diff.push(Diff { before_header: Some(store.header()), after_header: Some(store.header()), before, after });
            }
        }
        if self.cron_file.is_some() {
            o.values.insert("cron_file".into(), self.cron_file_value());
        }
        Ok(o)
    }
}

register_module!(Cron);
