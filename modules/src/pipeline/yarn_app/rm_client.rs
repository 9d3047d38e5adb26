//! A small blocking client for the YARN ResourceManager REST API (`/ws/v1/cluster/…`):
//! list active applications, submit one, kill one, read one's state.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;

/// States in which an application still exists from the user's point of view (it may run).
pub const ACTIVE_STATES: &[&str] = &["NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING"];
/// States an application never leaves.
pub const FINAL_STATES: &[&str] = &["FINISHED", "FAILED", "KILLED"];

#[derive(Debug, Error)]
pub enum RmError {
    #[error("{method} {url}: {source}")]
    Http {
        method: &'static str,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("{method} {url}: HTTP {status}: {body}")]
    Status { method: &'static str, url: String, status: u16, body: String },
    #[error("{method} {url}: unexpected answer ({reason}): {body}")]
    Decode { method: &'static str, url: String, reason: String, body: String },
}

/// One application as the RM reports it (the fields dpctl uses).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct App {
    pub id: String,
    pub name: String,
    pub state: String,
    #[serde(rename = "applicationType", default)]
    pub application_type: String,
    #[serde(default)]
    pub queue: String,
    #[serde(rename = "startedTime", default)]
    pub started_time: i64,
    #[serde(default)]
    pub diagnostics: String,
    #[serde(rename = "applicationTags", default)]
    pub application_tags: String,
}

/// What to submit through the REST API (`POST /ws/v1/cluster/apps`).
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub name: String,
    pub queue: String,
    pub application_type: String,
    pub am_command: String,
    pub memory_mb: u64,
    pub vcores: u64,
    pub max_app_attempts: u32,
    pub environment: Vec<(String, String)>,
    pub tags: Vec<String>,
}

pub struct RmClient {
    base: String,
    agent: ureq::Agent,
}

impl RmClient {
    /// `base` is the RM web address, e.g. `http://127.0.0.1:8088`.
    pub fn new(base: &str) -> RmClient {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))).http_status_as_error(false).build().into();
        RmClient { base: base.trim_end_matches('/').to_string(), agent }
    }

    /// Every application in an active state (NEW … RUNNING), in the RM's order.
    pub fn active_apps(&self) -> Result<Vec<App>, RmError> {
        let url = format!("{}/ws/v1/cluster/apps?states={}", self.base, ACTIVE_STATES.join(","));
        let body = self.request("GET", &url, None)?;
        // An empty list is `{"apps":null}` or `{"apps":{}}`.
        let apps = body.get("apps").and_then(|a| a.get("app")).cloned().unwrap_or(Value::Array(vec![]));
        serde_json::from_value(apps).map_err(|e| decode("GET", &url, e, &body))
    }

    /// One application, whatever its state.
    pub fn app(&self, id: &str) -> Result<App, RmError> {
        let url = format!("{}/ws/v1/cluster/apps/{id}", self.base);
        let body = self.request("GET", &url, None)?;
        let app = body.get("app").cloned().unwrap_or(Value::Null);
        serde_json::from_value(app).map_err(|e| decode("GET", &url, e, &body))
    }

    /// Ask the RM to kill an application; it answers before the kill has finished.
    pub fn kill(&self, id: &str) -> Result<(), RmError> {
        let url = format!("{}/ws/v1/cluster/apps/{id}/state", self.base);
        self.request("PUT", &url, Some(json!({"state": "KILLED"}))).map(|_| ())
    }

    /// Get a new application id and submit the application under it; returns the id.
    pub fn submit(&self, s: &Submission) -> Result<String, RmError> {
        let url = format!("{}/ws/v1/cluster/apps/new-application", self.base);
        let body = self.request("POST", &url, None)?;
        let id =
            body.get("application-id").and_then(Value::as_str).ok_or_else(|| decode("POST", &url, "no application-id", &body))?.to_string();
        let environment: Vec<Value> = s.environment.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        let request = json!({
            "application-id": id,
            "application-name": s.name,
            "queue": s.queue,
            "am-container-spec": {
                "commands": {"command": s.am_command},
                "environment": {"entry": environment},
            },
            "max-app-attempts": s.max_app_attempts,
            "resource": {"memory": s.memory_mb, "vCores": s.vcores},
            "application-type": s.application_type,
            "application-tags": {"tag": s.tags},
        });
        let url = format!("{}/ws/v1/cluster/apps", self.base);
        self.request("POST", &url, Some(request))?;
        Ok(id)
    }

    fn request(&self, method: &'static str, url: &str, body: Option<Value>) -> Result<Value, RmError> {
        let http = |source| RmError::Http { method, url: url.to_string(), source: Box::new(source) };
        let result = match (method, body) {
            ("GET", _) => self.agent.get(url).header("Accept", "application/json").call(),
            ("PUT", Some(b)) => {
                self.agent.put(url).header("Accept", "application/json").content_type("application/json").send(b.to_string())
            }
            ("POST", Some(b)) => {
                self.agent.post(url).header("Accept", "application/json").content_type("application/json").send(b.to_string())
            }
            (_, _) => self.agent.post(url).header("Accept", "application/json").send_empty(),
        };
        let mut resp = result.map_err(http)?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().map_err(http)?;
        if !(200..300).contains(&status) {
            return Err(RmError::Status { method, url: url.to_string(), status, body: text });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| RmError::Decode { method, url: url.to_string(), reason: e.to_string(), body: text })
    }
}

fn decode(method: &'static str, url: &str, reason: impl ToString, body: &Value) -> RmError {
    RmError::Decode { method, url: url.to_string(), reason: reason.to_string(), body: body.to_string() }
}
