//! A small, blocking Kafka admin client on top of the `kafka-protocol` codec:
//! just what the `kafka_topic` module needs (metadata, topics, partitions,
//! topic configs), with API version negotiation so one client speaks to
//! brokers from Kafka 1.x to 4.x.

pub mod admin;
pub mod api;
pub mod conn;
pub mod error;
pub mod sasl;
pub mod tls;

pub use admin::{Admin, ConfigEntry, ConfigSource, ConnectOptions, NewTopic, TopicConfigAlter, TopicInfo};
pub use error::{KafkaError, TopicFailure};
pub use sasl::SaslPlain;
pub use tls::TlsSettings;
