//! The real Kafka brokers for tests, each started once and reused:
//! Kafka 4.4 (`$DPCTL_TEST_KAFKA`, else `tests/servers/kafka.sh ensure`) and
//! Kafka 1.1 with ZooKeeper (`$DPCTL_TEST_KAFKA_LEGACY`, else
//! `tests/servers/kafka-legacy.sh ensure`).

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use modules::pipeline::kafka::{Admin, ConfigSource, ConnectOptions};
use std::collections::BTreeMap;

use super::servers::{address, run_script};

/// A broker the shared test cases run against.
pub struct Broker {
    /// The PLAINTEXT listener(s), `127.0.0.1:PORT[,127.0.0.1:PORT…]`.
    pub addr: String,
    /// Whether Kafka's own (4.x) Java AdminClient can talk to it; it dropped brokers before 2.1.
    pub java_admin: bool,
}

/// Kafka 4.4, KRaft.
pub fn current() -> &'static Broker {
    static B: OnceLock<Broker> = OnceLock::new();
    B.get_or_init(|| Broker { addr: address("kafka", "DPCTL_TEST_KAFKA"), java_admin: true })
}

/// Two Kafka 1.1.1 brokers with ZooKeeper: the original deployment's generation.
pub fn legacy() -> &'static Broker {
    static B: OnceLock<Broker> = OnceLock::new();
    B.get_or_init(|| Broker { addr: address("kafka-legacy", "DPCTL_TEST_KAFKA_LEGACY"), java_admin: false })
}

/// The PLAINTEXT listener of the Kafka 4.4 broker.
pub fn bootstrap() -> &'static str {
    &current().addr
}

/// The SASL_PLAINTEXT listener (PLAIN, admin / admin-secret) of the Kafka 4.4 broker.
pub fn sasl_bootstrap() -> String {
    if let Ok(addr) = std::env::var("DPCTL_TEST_KAFKA_SASL") {
        return addr;
    }
    current();
    run_script("kafka", &["addr", "sasl"])
}

/// The SSL listener of the Kafka 4.4 broker and the PEM of its self-signed certificate.
pub fn tls_bootstrap() -> (String, String) {
    current();
    let addr = run_script("kafka", &["addr", "tls"]);
    let dir = std::env::var("DPCTL_SERVERS_DIR").unwrap_or_else(|_| "/tmp/dpctl-servers".into());
    (addr, format!("{dir}/kafka/tls/ca.pem"))
}

/// `kafka.sh describe`: the topics as Kafka's own Java AdminClient sees them
/// (lines `topic NAME partitions=N replication_factor=N`, `config NAME K=V`).
pub fn describe_with_kafka_admin(broker: &Broker, topics: &[String]) -> String {
    let mut args = vec!["describe", broker.addr.as_str()];
    args.extend(topics.iter().map(String::as_str));
    run_script("kafka", &args)
}

/// A topic name no other test (or earlier run on the same broker) uses.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("t{}-{nanos:x}.{name}", std::process::id())
}

/// A reader of what the broker has, independent of any module run.
pub struct Observer(Admin);

/// One topic as the broker shows it: partitions, replication factor, the
/// configs set on the topic itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub partitions: i32,
    pub replication_factor: i16,
    pub config: BTreeMap<String, String>,
}

impl Observer {
    pub fn new(broker: &Broker) -> Observer {
        let servers: Vec<String> = broker.addr.split(',').map(String::from).collect();
        Observer(Admin::connect(&servers, ConnectOptions::default()).expect("connect to the test broker"))
    }

    pub fn topic(&mut self, name: &str) -> Option<Shown> {
        let mut found = self.0.metadata(&[name.to_string()]).expect("metadata");
        let info = found.remove(name)?;
        let mut configs = self.0.describe_topic_configs(&[name.to_string()]).expect("describe configs");
        let config = configs
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.source == ConfigSource::DynamicTopic)
            .map(|c| (c.name, c.value.unwrap_or_default()))
            .collect();
        Some(Shown { partitions: info.partitions, replication_factor: info.replication_factor, config })
    }

    /// The client underneath, for tests of the admin client itself.
    pub fn admin(&mut self) -> &mut Admin {
        &mut self.0
    }

    /// The effective value of one config, wherever it comes from.
    pub fn effective(&mut self, topic: &str, key: &str) -> Option<String> {
        let mut configs = self.0.describe_topic_configs(&[topic.to_string()]).expect("describe configs");
        configs.remove(topic)?.into_iter().find(|c| c.name == key).and_then(|c| c.value)
    }
}
