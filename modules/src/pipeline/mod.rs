//! The data-pipeline modules: each speaks its system's own protocol.

pub mod kafka;
pub mod kafka_topic;
