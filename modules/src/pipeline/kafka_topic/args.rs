//! The argument types of `kafka_topic` besides the top-level struct.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;

use super::lenient;

/// One entry of the bulk form; unset fields take the top-level value.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicArgs {
    /// The topic name.
    pub name: String,
    /// Number of partitions.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    #[schemars(with = "Option<i32>")]
    pub partitions: Option<i32>,
    /// Replicas per partition.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    #[schemars(with = "Option<i16>")]
    pub replication_factor: Option<i16>,
    /// Topic-level configs, merged over the top-level `config`.
    #[serde(default)]
    pub config: BTreeMap<String, ConfigValue>,
    /// Overrides the top-level `config_exclusive`.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    #[schemars(with = "Option<bool>")]
    pub config_exclusive: Option<bool>,
    /// Overrides the top-level `state`.
    #[serde(default)]
    pub state: Option<TopicState>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopicState {
    #[default]
    Present,
    Absent,
}

/// A config value as YAML gives it; sent to Kafka as text.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Text(s) => f.write_str(s),
            ConfigValue::Int(n) => write!(f, "{n}"),
            ConfigValue::Float(x) => write!(f, "{x}"),
            ConfigValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for ConfigValue {
    fn from(s: &str) -> Self {
        ConfigValue::Text(s.to_string())
    }
}

impl From<String> for ConfigValue {
    fn from(s: String) -> Self {
        ConfigValue::Text(s)
    }
}

impl From<i64> for ConfigValue {
    fn from(n: i64) -> Self {
        ConfigValue::Int(n)
    }
}

/// `"h1:9092,h2:9092"` or `["h1:9092", "h2:9092"]`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BootstrapServers {
    Text(String),
    List(Vec<String>),
}

impl BootstrapServers {
    pub fn addresses(&self) -> Vec<String> {
        let parts: Vec<&str> = match self {
            BootstrapServers::Text(s) => s.split(',').collect(),
            BootstrapServers::List(v) => v.iter().flat_map(|s| s.split(',')).collect(),
        };
        parts.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
}

impl From<&str> for BootstrapServers {
    fn from(s: &str) -> Self {
        BootstrapServers::Text(s.to_string())
    }
}

impl From<Vec<String>> for BootstrapServers {
    fn from(v: Vec<String>) -> Self {
        BootstrapServers::List(v)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SaslMechanism {
    #[default]
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

/// SASL credentials.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaslArgs {
    /// `PLAIN` (default); the SCRAM mechanisms are not supported yet.
    #[serde(default)]
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SaslArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslArgs").field("mechanism", &self.mechanism).field("username", &self.username).finish_non_exhaustive()
    }
}

/// TLS to the brokers (rustls). Giving `tls` turns it on (`enabled` defaults to true).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsArgs {
    /// Speak TLS (default true once `tls` is given).
    #[serde(default = "yes", deserialize_with = "lenient::boolean")]
    #[schemars(with = "bool")]
    pub enabled: bool,
    /// PEM file of the CA(s) that signed the brokers' certificates; default: the webpki roots.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// PEM client certificate (with `key_file`) for brokers that require one.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// PEM private key of `cert_file`.
    #[serde(default)]
    pub key_file: Option<String>,
    /// Check the broker's certificate and name (default true); false accepts any certificate.
    #[serde(default = "yes", deserialize_with = "lenient::boolean")]
    #[schemars(with = "bool")]
    pub verify: bool,
}

fn yes() -> bool {
    true
}
