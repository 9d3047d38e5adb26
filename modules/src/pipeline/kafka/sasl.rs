//! SASL/PLAIN (RFC 4616) over the Kafka SaslHandshake + SaslAuthenticate APIs.
//! Over a plaintext connection the password crosses the wire in clear, as it
//! does with every Kafka client on a SASL_PLAINTEXT listener.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;

use super::conn::Connection;
use super::error::{describe_code, KafkaError};

#[derive(Clone, PartialEq, Eq)]
pub struct SaslPlain {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SaslPlain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslPlain").field("username", &self.username).field("password", &"<hidden>").finish()
    }
}

impl SaslPlain {
    pub(super) fn authenticate(&self, conn: &mut Connection) -> Result<(), KafkaError> {
        let addr = conn.addr().to_string();
        let fail = |detail: String| KafkaError::Auth { addr: addr.clone(), detail };
        if !conn.supports(ApiKey::SaslAuthenticate) {
            return Err(fail("the broker has no SaslAuthenticate API (Kafka older than 1.0); not supported".into()));
        }
        let (handshake, _) = conn.send(&SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN")))?;
        if handshake.error_code != 0 {
            let enabled: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(fail(format!(
                "mechanism PLAIN refused: {} (the listener accepts: {})",
                describe_code(handshake.error_code, None),
                enabled.join(", ")
            )));
        }
        let mut token = Vec::with_capacity(self.username.len() + self.password.len() + 2);
        token.push(0);
        token.extend_from_slice(self.username.as_bytes());
        token.push(0);
        token.extend_from_slice(self.password.as_bytes());
        let (auth, _) = conn.send(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token)))?;
        if auth.error_code != 0 {
            let message = auth.error_message.as_ref().map(|m| m.as_str().to_string());
            return Err(fail(describe_code(auth.error_code, message.as_deref())));
        }
        Ok(())
    }
}
