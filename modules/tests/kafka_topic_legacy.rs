//! `kafka_topic` against Kafka 1.1.1 with ZooKeeper (tests/servers/kafka-legacy.sh),
//! the generation of the original deployment: older request versions, no
//! IncrementalAlterConfigs (the whole-set AlterConfigs fallback is used), no
//! broker defaults on create, topic deletion finishing in the background.

use crate::common;
use crate::kafka_cases;

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
    let servers: Vec<String> = legacy().addr.split(',').map(String::from).collect();
    let mut admin = modules::pipeline::kafka::Admin::connect(&servers, Default::default()).unwrap();
    assert!(!admin.incremental_alter_supported().unwrap(), "Kafka 1.1 has no IncrementalAlterConfigs");
}

#[test]
fn changes_reach_the_controller_from_either_broker() {
    // A ZooKeeper-era broker that is not the controller answers CreateTopics,
    // CreatePartitions and DeleteTopics with NOT_CONTROLLER: bootstrapping from
    // each broker alone shows the requests are routed to the controller.
    let servers: Vec<String> = legacy().addr.split(',').map(String::from).collect();
    assert_eq!(servers.len(), 2, "kafka-legacy.sh runs two brokers");
    let mut agent = Agent::start();
    for server in servers {
        let name = unique("routed");
        let args = |extra: serde_json::Value| {
            let mut a = json!({"name": name, "replication_factor": 1, "bootstrap_servers": server});
            a.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            a
        };
        for (extra, what) in
            [(json!({"partitions": 1}), "create"), (json!({"partitions": 2}), "raise"), (json!({"state": "absent"}), "delete")]
        {
            let r = agent.run("kafka_topic", args(extra));
            assert!(!r.failed && r.outcome.changed, "{what} via {server}: {r:?}");
        }
    }
}
