//! `kafka_topic` against Kafka 1.1.1 with ZooKeeper (tests/servers/kafka-legacy.sh),
//! the generation of the original deployment: older request versions, no
//! IncrementalAlterConfigs (the whole-set AlterConfigs fallback is used), no
//! broker defaults on create, topic deletion finishing in the background.

mod common;
mod kafka_cases;

use common::kafka::{legacy, unique};
use common::Agent;
use serde_json::json;

kafka_cases::kafka_cases!(legacy());

#[test]
fn creating_without_replication_factor_is_a_clear_error_on_old_brokers() {
    let name = unique("no-rf");
    let mut agent = Agent::start();
    let r = agent.run("kafka_topic", json!({"name": name, "partitions": 1, "bootstrap_servers": legacy().addr}));
    assert!(r.failed);
    let msg = r.outcome.msg.as_deref().unwrap_or("");
    assert!(msg.contains("needs partitions and replication_factor"), "{msg}");
}

#[test]
fn config_changes_use_the_whole_set_fallback() {
    let mut admin = modules::pipeline::kafka::Admin::connect(std::slice::from_ref(&legacy().addr), Default::default()).unwrap();
    assert!(!admin.incremental_alter_supported().unwrap(), "Kafka 1.1 has no IncrementalAlterConfigs");
}
