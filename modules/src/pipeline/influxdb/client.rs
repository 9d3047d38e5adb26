//! A minimal InfluxDB 1.x `/query` client over ureq (rustls/ring for https).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::Value;

use crate::error::ModuleError;

/// https settings.
#[derive(Debug, Clone, Copy)]
pub struct Tls {
    /// Check the server certificate against the web PKI roots (rustls, ring).
    pub validate_certs: bool,
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
}

/// One series of a query result: its column names and rows.
#[derive(Debug, Default)]
pub struct Series {
    pub columns: Vec<String>,
    pub values: Vec<Vec<Value>>,
}

impl Series {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// `"name"` with `\` and `"` escaped: InfluxQL's quoted identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Client {
    pub fn new(host: &str, port: u16, ssl: Option<Tls>, username: Option<&str>, password: Option<&str>, timeout: Duration) -> Client {
        let verify = ssl.map(|t| t.validate_certs).unwrap_or(true);
        let tls = ureq::tls::TlsConfig::builder().disable_verification(!verify).build();
        let agent =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).tls_config(tls).build().new_agent();
        let ssl = ssl.is_some();
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
        let base = format!("{}://{host}:{port}", if ssl { "https" } else { "http" });
        let auth = username.map(|u| format!("Basic {}", B64.encode(format!("{u}:{}", password.unwrap_or_default()))));
        Client { agent, base, auth }
    }

    /// Run a read-only statement (GET) and return the first result's series.
    pub fn read(&self, q: &str) -> Result<Vec<Series>, ModuleError> {
        let mut req = self.agent.get(format!("{}/query", self.base)).query("q", q);
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        self.finish(q, req.call())
    }

    /// Run a statement that changes something (POST, as InfluxDB requires).
    pub fn write(&self, q: &str) -> Result<(), ModuleError> {
        let mut req = self.agent.post(format!("{}/query", self.base));
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        self.finish(q, req.send_form([("q", q)])).map(|_| ())
    }

    fn finish(&self, q: &str, resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Vec<Series>, ModuleError> {
        let ctx = || format!("InfluxDB at {} ({q})", self.base);
        let mut resp = resp.map_err(|e| ModuleError::Failed(format!("{}: {e}", ctx())))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().map_err(|e| ModuleError::Failed(format!("{}: reading the answer: {e}", ctx())))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let top_error = json.get("error").and_then(Value::as_str);
        if status == 401 {
            return Err(ModuleError::Failed(format!("{}: authentication failed: {}", ctx(), top_error.unwrap_or("401 Unauthorized"))));
        }
        if !(200..300).contains(&status) || top_error.is_some() {
            return Err(ModuleError::Failed(format!("{}: HTTP {status}: {}", ctx(), top_error.unwrap_or(text.trim()))));
        }
        let result = json.get("results").and_then(|r| r.get(0)).cloned().unwrap_or(Value::Null);
        if let Some(e) = result.get("error").and_then(Value::as_str) {
            return Err(ModuleError::Failed(format!("{}: {e}", ctx())));
        }
        let series = result.get("series").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(series
            .iter()
            .map(|s| Series {
                columns: s
                    .get("columns")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                    .unwrap_or_default(),
                values: s
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|rows| rows.iter().filter_map(|r| r.as_array().cloned()).collect())
                    .unwrap_or_default(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_escaped() {
        assert_eq!(super::quote_ident("monitoring_events"), "\"monitoring_events\"");
        assert_eq!(super::quote_ident("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
