//! `yarn_app`: a YARN application, found by its exact name, is running, stopped or restarted.
//!
//! The original deployment found the job to kill with `yarn application -list | grep -i NAME`, so
//! stopping `DeDuplication_1` also killed `DerivedDeDuplication_1`. This module reads the
//! ResourceManager's REST API and compares names with `==`.
//!
//! The checksum of the last package this module deployed is kept in a state file,
//! `<state_dir>/<name>.json` (default `/var/lib/dpctl/yarn_app`), because a job submitted by a
//! command (Samza's `run-job.sh`) cannot carry dpctl's own tags. With `package_checksum` set, a
//! running application whose recorded checksum differs (or is unknown) is restarted.
//!
//! From Rust:
//! ```no_run
//! use modules::yarn_app::{AppState, Submit, YarnApp};
//! use modules::{Context, Module};
//! let app = YarnApp {
//!     name: "DeDuplication_1".into(),
//!     state: AppState::Running,
//!     resourcemanager: "http://127.0.0.1:8088".into(),
//!     submit: Some(Submit {
//!         command: Some(vec!["bin/run-job.sh".into(), "--config-path=config/dedup.properties".into()]),
//!         chdir: Some("/home/hduser/samza-jobs/dev/dedup".into()),
//!         ..Submit::default()
//!     }),
//!     package_checksum: None,
//!     state_dir: None,
//!     wait_timeout: 300,
//!     application_type: None,
//! };
//! let outcome = app.run(&Context::default())?;
//! println!("{:?} {:?}", outcome.values.get("application_id"), outcome.values.get("actions"));
//! # Ok::<(), modules::ModuleError>(())
//! ```

mod rm_client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use rm_client::{App, RmClient, RmError, Submission, ACTIVE_STATES, FINAL_STATES};

use crate::module::Diff;
use crate::util::command::{self, CommandSpec};
use crate::util::fs::{read_if_exists, write_atomic};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Ensure a YARN application (matched by its exact name) is running, stopped or restarted.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YarnApp {
    /// The application name, compared exactly (case and all).
    pub name: String,
    /// `running` (submit when absent), `stopped` (kill every active application of that name)
    /// or `restarted` (kill, then submit).
    #[serde(default)]
    pub state: AppState,
    /// The ResourceManager web address, e.g. `http://yarn-master:8088`.
    pub resourcemanager: String,
    /// How to start the application when it must be (required for `running`/`restarted`).
    #[serde(default)]
    pub submit: Option<Submit>,
    /// The checksum of the package to run; a running application deployed from another
    /// package (per the state file) is restarted.
    #[serde(default)]
    pub package_checksum: Option<String>,
    /// Where the last deployed checksum is recorded (default `/var/lib/dpctl/yarn_app`).
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
    /// Seconds to wait for RUNNING after a submit, and for KILLED after a kill.
    #[serde(default = "default_wait")]
    pub wait_timeout: u64,
    /// Only applications of this type match (compared without case, as YARN does); also the
    /// type given to a REST submission.
    #[serde(default)]
    pub application_type: Option<String>,
}

fn default_wait() -> u64 {
    300
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AppState {
    #[default]
    Running,
    Stopped,
    Restarted,
}

/// How to submit: exactly one of `command` (an argv run on the host) or `rest`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// Program and arguments, run without a shell (e.g. Samza's `bin/run-job.sh --config-path=…`).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Directory to run `command` in.
    #[serde(default)]
    pub chdir: Option<PathBuf>,
    /// Extra environment for `command`, or for the AM container with `rest`.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Submit through the RM REST API instead.
    #[serde(default)]
    pub rest: Option<RestSubmit>,
}

/// A submission through `POST /ws/v1/cluster/apps`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestSubmit {
    /// The AM container's command line (run by the NodeManager with bash).
    pub am_command: String,
    #[serde(default = "default_queue")]
    pub queue: String,
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    #[serde(default = "one")]
    pub vcores: u64,
    #[serde(default = "one_u32")]
    pub max_app_attempts: u32,
    /// Application tags (YARN lowercases them).
    #[serde(default)]
    pub tags: Vec<String>,
}

fn default_queue() -> String {
    "default".into()
}
fn default_memory() -> u64 {
    256
}
fn one() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}

/// What the module decided to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Kill(String),
    Submit,
}

impl Action {
    fn describe(&self) -> String {
        match self {
            Action::Kill(id) => format!("kill {id}"),
            Action::Submit => "submit".into(),
        }
    }
}

/// What the state file records about the last deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Deployed {
    package_checksum: Option<String>,
    application_id: Option<String>,
}

impl YarnApp {
    fn validate(&self) -> Result<(), ModuleError> {
        if self.name.is_empty() {
            return Err(ModuleError::BadArgs("yarn_app: name must not be empty".into()));
        }
        if self.state != AppState::Stopped {
            let submit = self.submit.as_ref().ok_or_else(|| {
                ModuleError::BadArgs(format!("yarn_app: state={} needs `submit` (command or rest)", state_word(self.state)))
            })?;
            match (&submit.command, &submit.rest) {
                (Some(c), None) if !c.is_empty() => {}
                (Some(_), None) => return Err(ModuleError::BadArgs("yarn_app: submit.command is empty".into())),
                (None, Some(_)) => {}
                _ => return Err(ModuleError::BadArgs("yarn_app: submit needs exactly one of `command` or `rest`".into())),
            }
        }
        Ok(())
    }

    /// Active applications whose name (and type, when given) match exactly.
    pub fn matching(&self, apps: &[App]) -> Vec<App> {
        apps.iter()
            .filter(|a| a.name == self.name)
            .filter(|a| self.application_type.as_ref().is_none_or(|t| a.application_type.eq_ignore_ascii_case(t)))
            .cloned()
            .collect()
    }

    fn state_file(&self) -> PathBuf {
        let dir = self.state_dir.clone().unwrap_or_else(|| PathBuf::from("/var/lib/dpctl/yarn_app"));
        let safe: String = self.name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
        dir.join(format!("{safe}.json"))
    }

    fn read_deployed(&self) -> Result<Option<Deployed>, ModuleError> {
        let path = self.state_file();
        match read_if_exists(&path)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ModuleError::Failed(format!("yarn_app: state file {} is not valid: {e}", path.display()))),
        }
    }

    /// Decide what to do given the matching active applications.
    pub fn plan(&self, matching: &[App], deployed_checksum: Option<&str>) -> Vec<Action> {
        let kill_all = || matching.iter().map(|a| Action::Kill(a.id.clone())).collect::<Vec<_>>();
        match self.state {
            AppState::Stopped => kill_all(),
            AppState::Restarted => {
                let mut v = kill_all();
                v.push(Action::Submit);
                v
            }
            AppState::Running if matching.is_empty() => vec![Action::Submit],
            AppState::Running => match &self.package_checksum {
                Some(want) if deployed_checksum != Some(want.as_str()) => {
                    let mut v = kill_all();
                    v.push(Action::Submit);
                    v
                }
                _ => vec![],
            },
        }
    }

    fn submit_now(&self, rm: &RmClient) -> Result<String, ModuleError> {
        let submit = self.submit.as_ref().ok_or_else(|| ModuleError::BadArgs("yarn_app: no `submit` given".into()))?;
        if let Some(rest) = &submit.rest {
            let s = Submission {
                name: self.name.clone(),
                queue: rest.queue.clone(),
                application_type: self.application_type.clone().unwrap_or_else(|| "YARN".into()),
                am_command: rest.am_command.clone(),
                memory_mb: rest.memory_mb,
                vcores: rest.vcores,
                max_app_attempts: rest.max_app_attempts,
                environment: submit.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                tags: rest.tags.clone(),
            };
            let id = rm.submit(&s).map_err(rm_err)?;
            return self.wait_running(rm, Some(&id));
        }
        let argv = submit.command.clone().unwrap_or_default();
        let spec = CommandSpec {
            argv: argv.clone(),
            chdir: submit.chdir.clone(),
            stdin: None,
            env: submit.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ..Default::default()
        };
        let out = command::run(&spec)?;
        if out.rc != 0 {
            return Err(ModuleError::Failed(format!(
                "yarn_app {}: submit command {:?} exited with {}: {}{}",
                self.name,
                argv,
                out.rc,
                out.stderr.trim(),
                if out.stderr.trim().is_empty() { out.stdout.trim() } else { "" }
            )));
        }
        self.wait_running(rm, None)
    }

    /// Wait until the application (by id, or the first of that name to appear) is RUNNING.
    fn wait_running(&self, rm: &RmClient, id: Option<&str>) -> Result<String, ModuleError> {
        let deadline = Instant::now() + Duration::from_secs(self.wait_timeout);
        let mut last = String::from("not yet listed");
        loop {
            let app = match id {
                Some(id) => Some(rm.app(id).map_err(rm_err)?),
                None => self.matching(&rm.active_apps().map_err(rm_err)?).into_iter().next(),
            };
            if let Some(app) = app {
                if app.state == "RUNNING" {
                    return Ok(app.id);
                }
                if FINAL_STATES.contains(&app.state.as_str()) {
                    return Err(ModuleError::Failed(format!(
                        "yarn_app {}: application {} ended in state {} instead of RUNNING: {}",
                        self.name, app.id, app.state, app.diagnostics
                    )));
                }
                last = format!("{} is {}", app.id, app.state);
            }
            if Instant::now() >= deadline {
                return Err(ModuleError::Failed(format!("yarn_app {}: not RUNNING within {}s ({last})", self.name, self.wait_timeout)));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn kill_and_wait(&self, rm: &RmClient, id: &str) -> Result<(), ModuleError> {
        rm.kill(id).map_err(rm_err)?;
        let deadline = Instant::now() + Duration::from_secs(self.wait_timeout);
        loop {
            let app = rm.app(id).map_err(rm_err)?;
            if FINAL_STATES.contains(&app.state.as_str()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ModuleError::Failed(format!(
                    "yarn_app {}: application {id} still {} {}s after the kill",
                    self.name, app.state, self.wait_timeout
                )));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn record(&self, id: &str) -> Result<(), ModuleError> {
        if self.package_checksum.is_none() {
            return Ok(());
        }
        let path = self.state_file();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ModuleError::io(format!("creating {}", dir.display()), e))?;
        }
        let d = Deployed { package_checksum: self.package_checksum.clone(), application_id: Some(id.to_string()) };
        let text = serde_json::to_string_pretty(&d).map_err(|e| ModuleError::Failed(format!("encoding state: {e}")))?;
        write_atomic(&path, text.as_bytes(), Some(0o644))
    }
}

fn state_word(s: AppState) -> &'static str {
    match s {
        AppState::Running => "running",
        AppState::Stopped => "stopped",
        AppState::Restarted => "restarted",
    }
}

fn rm_err(e: RmError) -> ModuleError {
    ModuleError::Failed(format!("yarn_app: {e}"))
}

fn describe(apps: &[App], checksum: Option<&str>) -> String {
    let mut s = String::new();
    if apps.is_empty() {
        s.push_str("state: absent\n");
    }
    for a in apps {
        s.push_str(&format!("application: {} {}\n", a.id, a.state));
    }
    if let Some(c) = checksum {
        s.push_str(&format!("package_checksum: {c}\n"));
    }
    s
}

impl Module for YarnApp {
    const NAME: &'static str = "yarn_app";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        self.validate()?;
        let rm = RmClient::new(&self.resourcemanager);
        let matching = self.matching(&rm.active_apps().map_err(rm_err)?);
        let deployed = if self.package_checksum.is_some() { self.read_deployed()? } else { None };
        let deployed_sum = deployed.as_ref().and_then(|d| d.package_checksum.as_deref());
        let actions = self.plan(&matching, deployed_sum);
        let words: Vec<Value> = actions.iter().map(|a| Value::String(a.describe())).collect();

        let mut outcome = Outcome::changed(!actions.is_empty()).with("actions", Value::Array(words.clone()));
        if ctx.diff && !actions.is_empty() {
            let after = match self.state {
                AppState::Stopped => "state: absent\n".to_string(),
                _ => format!(
                    "application: (new) RUNNING\n{}",
                    self.package_checksum.as_ref().map(|c| format!("package_checksum: {c}\n")).unwrap_or_default()
                ),
            };
            outcome.diff.push(Diff {
                before_header: Some(format!("yarn application {}", self.name)),
                after_header: Some(format!("yarn application {}", self.name)),
                before: describe(&matching, deployed_sum),
                after,
            });
        }
        let current_id = matching.first().map(|a| a.id.clone());
        let current_state = matching.first().map(|a| a.state.clone()).unwrap_or_else(|| "absent".into());
        if actions.is_empty() || ctx.check_mode {
            let msg = if actions.is_empty() {
                format!("{} is {}", self.name, current_state)
            } else {
                format!("would {}", words.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", then "))
            };
            return Ok(outcome.with("application_id", current_id).with("state", current_state).with_msg(msg));
        }

        let mut new_id = None;
        for action in &actions {
            match action {
                Action::Kill(id) => self.kill_and_wait(&rm, id)?,
                Action::Submit => {
                    let id = self.submit_now(&rm)?;
                    self.record(&id)?;
                    new_id = Some(id);
                }
            }
        }
        let (id, state) = match new_id {
            Some(id) => (Some(id), "RUNNING".to_string()),
            None => (None, "KILLED".to_string()),
        };
        let msg = words.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ");
        Ok(outcome.with("application_id", id).with("state", state).with_msg(msg))
    }
}

register_module!(YarnApp);

/// The recorded checksum path for `name` under `state_dir` (for tools and tests).
pub fn state_file_for(state_dir: &Path, name: &str) -> PathBuf {
    YarnApp {
        name: name.into(),
        state: AppState::Stopped,
        resourcemanager: String::new(),
        submit: None,
        package_checksum: None,
        state_dir: Some(state_dir.to_path_buf()),
        wait_timeout: 0,
        application_type: None,
    }
    .state_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, name: &str, ty: &str) -> App {
        App {
            id: id.into(),
            name: name.into(),
            state: "RUNNING".into(),
            application_type: ty.into(),
            queue: "default".into(),
            started_time: 0,
            diagnostics: String::new(),
            application_tags: String::new(),
        }
    }

    fn module(name: &str, state: AppState) -> YarnApp {
        YarnApp {
            name: name.into(),
            state,
            resourcemanager: "http://127.0.0.1:1".into(),
            submit: None,
            package_checksum: None,
            state_dir: None,
            wait_timeout: 1,
            application_type: None,
        }
    }

    #[test]
    fn names_match_exactly_never_by_substring_or_case() {
        let apps =
            [app("a1", "DerivedDeDuplication_1", "Samza"), app("a2", "DeDuplication_1", "Samza"), app("a3", "deduplication_1", "Samza")];
        let m = module("DeDuplication_1", AppState::Stopped).matching(&apps);
        assert_eq!(m.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a2"]);
    }

    #[test]
    fn application_type_filters_without_case() {
        let apps = [app("a1", "X", "SAMZA"), app("a2", "X", "MAPREDUCE")];
        let mut m = module("X", AppState::Stopped);
        m.application_type = Some("samza".into());
        assert_eq!(m.matching(&apps).len(), 1);
    }

    #[test]
    fn plans() {
        let running = [app("a1", "X", "YARN")];
        let mut m = module("X", AppState::Running);
        assert_eq!(m.plan(&[], None), [Action::Submit]);
        assert!(m.plan(&running, None).is_empty());
        m.package_checksum = Some("c2".into());
        assert!(m.plan(&running, Some("c2")).is_empty());
        assert_eq!(m.plan(&running, Some("c1")), [Action::Kill("a1".into()), Action::Submit]);
        assert_eq!(m.plan(&running, None), [Action::Kill("a1".into()), Action::Submit], "unknown deployed package restarts");
        assert_eq!(module("X", AppState::Stopped).plan(&running, None), [Action::Kill("a1".into())]);
        assert!(module("X", AppState::Stopped).plan(&[], None).is_empty());
        assert_eq!(module("X", AppState::Restarted).plan(&running, None), [Action::Kill("a1".into()), Action::Submit]);
    }

    #[test]
    fn submit_is_required_to_run_and_must_be_one_kind() {
        let m = module("X", AppState::Running);
        assert!(m.validate().unwrap_err().to_string().contains("needs `submit`"));
        let mut m = module("X", AppState::Running);
        m.submit = Some(Submit::default());
        assert!(m.validate().unwrap_err().to_string().contains("exactly one"));
        assert!(module("X", AppState::Stopped).validate().is_ok());
    }
}
