//! `uri`: one HTTP(S) request, with Ansible's return values (`status`,
//! `content`, `json`, every response header lower-cased with `_`, …) and
//! failure when the status is not in `status_code`. Blocking `ureq` with
//! rustls (ring). Differences from Ansible: basic auth credentials are sent
//! with the first request (as with `force_basic_auth: true`); no
//! `form-multipart`, `unix_socket`, `src`, client certificates or netrc.
//! Like Ansible's, the module does not run in check mode (skipped).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::util::fs as ufs;
use crate::util::http_client;
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BodyFormat {
    Raw,
    Json,
    FormUrlencoded,
}

/// Interacts with web services.
///
/// Differences from Ansible: basic auth is always sent with the first request;
/// no `form-multipart`, `unix_socket`, `src` or netrc;
/// `msg` uses the standard reason phrase. Skipped in check mode, as in Ansible.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Uri {
    /// `http://` or `https://` URL.
    pub url: String,
    /// The HTTP method, upper case.
    #[serde(default = "get")]
    pub method: String,
    /// The request body: text, or data encoded per `body_format`.
    #[serde(default)]
    pub body: Option<Value>,
    /// How to encode a non-text `body` (and the Content-Type to send).
    #[serde(default = "raw")]
    pub body_format: BodyFormat,
    /// Request headers.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Status codes that count as success.
    #[serde(default = "ok_codes", deserialize_with = "status_codes")]
    pub status_code: Vec<u16>,
    /// Return the body as `content`.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub return_content: bool,
    /// Seconds for the whole request.
    #[serde(default = "thirty", deserialize_with = "crate::util::scalar::int")]
    pub timeout: u64,
    /// Verify the server's TLS certificate.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub validate_certs: bool,
    /// A PEM file with the client certificate for TLS client authentication (it may hold the key too).
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// A PEM file with the client certificate's private key (not needed when `client_cert` holds it).
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Use a proxy from the `http_proxy`/`https_proxy`/`all_proxy` environment variables
    /// (the task's `environment:` first); `false` always connects directly.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub use_proxy: bool,
    /// Basic auth user name.
    #[serde(default, alias = "user")]
    pub url_username: Option<String>,
    /// Basic auth password.
    #[serde(default, alias = "password")]
    pub url_password: Option<String>,
    /// Accepted for compatibility: credentials are always sent up front.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub force_basic_auth: bool,
    /// Save the body to this file (written only when it differs).
    #[serde(default)]
    pub dest: Option<PathBuf>,
    /// `safe`/`all`/`yes`/`urllib2` follow redirects; `none`/`no` do not.
    #[serde(default = "safe")]
    pub follow_redirects: String,
    /// Do not send the request when this path exists.
    #[serde(default)]
    pub creates: Option<PathBuf>,
    /// Do not send the request when this path does not exist.
    #[serde(default)]
    pub removes: Option<PathBuf>,
}

fn get() -> String {
    "GET".into()
}
fn raw() -> BodyFormat {
    BodyFormat::Raw
}
fn ok_codes() -> Vec<u16> {
    vec![200]
}
fn thirty() -> u64 {
    30
}
fn yes() -> bool {
    true
}
fn safe() -> String {
    "safe".into()
}

/// Request body bytes and the Content-Type its encoding implies.
type EncodedBody = (Vec<u8>, Option<&'static str>);

/// `status_code: 200`, `[200, 201]` or `"200,201"`.
fn status_codes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u16>, D::Error> {
    let items = crate::util::scalar::list(d)?;
    items.iter().map(|s| s.trim().parse::<u16>().map_err(|_| serde::de::Error::custom(format!("invalid status code {s:?}")))).collect()
}

fn form_encode(map: &Map<String, Value>) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    map.iter().map(|(k, v)| format!("{}={}", enc(k), enc(&text(v)))).collect::<Vec<_>>().join("&")
}

impl Uri {
    /// The body bytes and the Content-Type they imply.
    fn body_bytes(&self) -> Result<Option<EncodedBody>, ModuleError> {
        let Some(body) = &self.body else { return Ok(None) };
        Ok(Some(match (self.body_format, body) {
            (BodyFormat::Raw, Value::String(s)) => (s.clone().into_bytes(), None),
            (BodyFormat::Raw, other) => (other.to_string().into_bytes(), None),
            (BodyFormat::Json, Value::String(s)) => (s.clone().into_bytes(), Some("application/json")),
            (BodyFormat::Json, other) => (serde_json::to_vec(other).unwrap_or_default(), Some("application/json")),
            (BodyFormat::FormUrlencoded, Value::Object(m)) => (form_encode(m).into_bytes(), Some("application/x-www-form-urlencoded")),
            (BodyFormat::FormUrlencoded, Value::String(s)) => (s.clone().into_bytes(), Some("application/x-www-form-urlencoded")),
            (BodyFormat::FormUrlencoded, _) => {
                return Err(ModuleError::BadArgs("failed to parse body as form_urlencoded: expected a mapping".into()))
            }
        }))
    }

    fn agent(&self) -> Result<ureq::Agent, ModuleError> {
        let redirects = if matches!(self.follow_redirects.as_str(), "none" | "no") { 0 } else { 10 };
        let tls = http_client::tls_config(self.validate_certs, self.client_cert.as_deref(), self.client_key.as_deref())?;
        Ok(ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(self.timeout.max(1))))
            .max_redirects(redirects)
            .max_redirects_will_error(false)
            .allow_non_standard_methods(true)
            .proxy(http_client::proxy(self.use_proxy)?)
            .tls_config(tls)
            .build()
            .into())
    }

    fn request(&self) -> Result<ureq::http::Request<Vec<u8>>, ModuleError> {
        let body = self.body_bytes()?;
        let mut req = ureq::http::Request::builder().method(self.method.as_str()).uri(self.url.as_str());
        let has_header = |name: &str| self.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
        if let (Some((_, Some(ct))), false) = (&body, has_header("content-type")) {
            req = req.header("Content-Type", *ct);
        }
        if let (Some(user), false) = (&self.url_username, has_header("authorization")) {
            let pair = format!("{user}:{}", self.url_password.as_deref().unwrap_or(""));
            req = req.header("Authorization", format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)));
        }
        req.body(body.map(|(b, _)| b).unwrap_or_default()).map_err(|e| ModuleError::BadArgs(format!("invalid request: {e}")))
    }
}

impl Module for Uri {
    const NAME: &'static str = "uri";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.method.is_empty() || !self.method.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ModuleError::BadArgs("Parameter 'method' needs to be a single word in uppercase, like GET or POST.".into()));
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(ModuleError::BadArgs(format!("unsupported URL scheme in {:?} (http:// or https://)", self.url)));
        }
        let request = self.request()?;
        if let Some(c) = self.creates.as_ref().filter(|c| c.exists()) {
            return Ok(Outcome::changed(false).with("stdout", format!("skipped, since '{}' exists", c.display())));
        }
        if let Some(r) = self.removes.as_ref().filter(|r| !r.exists()) {
            return Ok(Outcome::changed(false).with("stdout", format!("skipped, since '{}' does not exist", r.display())));
        }
        if ctx.check_mode {
            let mut o = Outcome::changed(false).with_msg("uri does not run in check mode");
            o.skipped = true;
            return Ok(o);
        }
        let started = Instant::now();
        let mut o = Outcome::changed(false).with("url", self.url.clone());
        let mut resp = match self.agent()?.run(request) {
            Ok(r) => r,
            Err(e) => {
                o = o.with("status", -1).with("elapsed", started.elapsed().as_secs()).with("redirected", false);
                return Err(ModuleError::failed_with(o, format!("Status code was -1 and not {:?}: Request failed: {e}", self.status_code)));
            }
        };
        let status = resp.status().as_u16();
        let final_url = ureq::ResponseExt::get_uri(&resp).to_string();
        let mut headers = Map::new();
        for name in resp.headers().keys() {
            let values: Vec<String> =
                resp.headers().get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
            headers.insert(name.as_str().to_ascii_lowercase().replace('-', "_"), Value::String(values.join(", ")));
        }
        let content = resp.body_mut().with_config().limit(1 << 30).read_to_vec().map_err(|e| {
            ModuleError::failed_with(o.clone().with("status", status), format!("reading the response from {}: {e}", self.url))
        })?;
        let reason = resp.status().canonical_reason().unwrap_or("");
        let ok = self.status_code.contains(&status);
        let content_type = headers.get("content_type").and_then(Value::as_str).unwrap_or("").to_string();
        let content_length = headers.get("content_length").cloned().unwrap_or(Value::Null);
        o.values.extend(headers);
        o = o
            .with("status", status)
            .with("url", final_url.clone())
            .with("redirected", final_url.trim_end_matches('/') != self.url.trim_end_matches('/'))
            .with("elapsed", started.elapsed().as_secs())
            .with("content_length", content_length)
            .with("cookies", Map::new())
            .with("cookies_string", "");
        let text = String::from_utf8_lossy(&content).into_owned();
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let sub = mime.split('/').nth(1).unwrap_or("");
        let sub = sub.rsplit('+').next().unwrap_or(sub);
        if matches!(sub, "json" | "javascript" | "ecmascript") {
            if let Ok(js) = serde_json::from_str::<Value>(&text) {
                o = o.with("json", js);
            }
        }
        if self.return_content {
            o = o.with("content", text);
        }
        if !ok {
            let http = if status >= 400 { format!("HTTP Error {status}: {reason}") } else { format!("{reason} ({} bytes)", content.len()) };
            return Err(ModuleError::failed_with(o, format!("Status code was {status} and not {:?}: {http}", self.status_code)));
        }
        if let (Some(dest), false) = (&self.dest, status == 304) {
            let current = ufs::read_if_exists(dest)?;
            if current.as_deref() != Some(content.as_slice()) {
                ufs::write_atomic(dest, &content, None)?;
                o.changed = true;
            }
            o = o.with("path", dest.display().to_string());
        }
        Ok(o.with_msg(format!("OK ({} bytes)", content.len())))
    }
}

register_module!(Uri);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        let m = serde_json::json!({"a b": "x&y", "n": 1}).as_object().cloned().unwrap();
        assert_eq!(form_encode(&m), "a+b=x%26y&n=1");
    }
}
