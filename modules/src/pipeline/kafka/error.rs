//! Errors of the Kafka admin client, each naming the broker or topic concerned.

use std::fmt;

use kafka_protocol::error::ParseResponseErrorCode;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KafkaError {
    #[error("cannot connect to Kafka broker {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("Kafka broker {addr}: {what}: {source}")]
    Io {
        addr: String,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The codec could not encode a request or decode a response.
    #[error("Kafka broker {addr}: cannot {what}: {detail}")]
    Codec { addr: String, what: String, detail: String },
    #[error("Kafka broker {addr} does not support {api} at any version dpctl speaks (broker {broker}, dpctl {client})")]
    Unsupported { addr: String, api: String, broker: String, client: String },
    #[error("Kafka broker {addr}: {context}: {}", describe_code(*code, message.as_deref()))]
    Broker { addr: String, context: String, code: i16, message: Option<String> },
    #[error("SASL authentication with Kafka broker {addr} failed: {detail}")]
    Auth { addr: String, detail: String },
    #[error("no bootstrap server answered: {0}")]
    NoBroker(String),
    /// TLS could not be set up (bad CA or key file) or the handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// Per-topic failures of one request, all listed.
    #[error("{what} failed: {}", list(.failures))]
    Topics { what: String, failures: Vec<TopicFailure> },
    #[error("{0}")]
    NotSupported(String),
    #[error("timed out after {secs}s waiting for {what}")]
    Timeout { secs: u64, what: String },
}

/// One topic's error in a batch response.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicFailure {
    pub topic: String,
    pub code: i16,
    pub message: Option<String>,
}

impl fmt::Display for TopicFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "topic '{}': {}", self.topic, describe_code(self.code, self.message.as_deref()))
    }
}

fn list(failures: &[TopicFailure]) -> String {
    failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// `TopicAlreadyExists (36): Topic 'x' already exists.` — the name, the code and
/// the broker's own message (or the protocol's description when it sent none).
pub fn describe_code(code: i16, message: Option<&str>) -> String {
    let (name, desc) = match code.err() {
        Some(e) => (format!("{e:?}"), e.to_string()),
        None => ("NONE".to_string(), String::new()),
    };
    let text = message.filter(|m| !m.is_empty()).unwrap_or(&desc);
    if text.is_empty() {
        format!("{name} ({code})")
    } else {
        format!("{name} ({code}): {text}")
    }
}

pub const NONE: i16 = 0;
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const LEADER_NOT_AVAILABLE: i16 = 5;
pub const UNSUPPORTED_VERSION: i16 = 35;
pub const TOPIC_ALREADY_EXISTS: i16 = 36;
pub const NOT_CONTROLLER: i16 = 41;
