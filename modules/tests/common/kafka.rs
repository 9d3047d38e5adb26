//! The real Kafka broker for tests: `$DPCTL_TEST_KAFKA` when CI started one,
//! else `tests/servers/kafka.sh ensure` (starts it once, reuses it after).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use modules::pipeline::kafka::{Admin, ConfigSource, ConnectOptions};
use std::collections::BTreeMap;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/servers/kafka.sh")
}

fn server(args: &[&str]) -> String {
    let out = Command::new("bash").arg(script()).args(args).output().expect("run tests/servers/kafka.sh");
    assert!(out.status.success(), "kafka.sh {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("address is text").trim().to_string()
}

/// The PLAINTEXT listener, `127.0.0.1:PORT`.
pub fn bootstrap() -> &'static str {
    static ADDR: OnceLock<String> = OnceLock::new();
    ADDR.get_or_init(|| std::env::var("DPCTL_TEST_KAFKA").ok().filter(|a| !a.is_empty()).unwrap_or_else(|| server(&["ensure"])))
}

/// The SASL_PLAINTEXT listener (PLAIN, admin / admin-secret) of the script's broker.
pub fn sasl_bootstrap() -> String {
    if let Ok(addr) = std::env::var("DPCTL_TEST_KAFKA_SASL") {
        return addr;
    }
    bootstrap();
    server(&["addr", "sasl"])
}

/// `kafka.sh describe`: the topics as Kafka's own Java AdminClient sees them
/// (lines `topic NAME partitions=N replication_factor=N`, `config NAME K=V`).
pub fn describe_with_kafka_admin(topics: &[String]) -> String {
    let mut args = vec!["describe", bootstrap()];
    args.extend(topics.iter().map(String::as_str));
    server(&args)
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
    pub fn new() -> Observer {
        Observer(Admin::connect(&[bootstrap().to_string()], ConnectOptions::default()).expect("connect to the test broker"))
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
