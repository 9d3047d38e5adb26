//! Topic administration over a few broker connections: each call is one
//! batched request for all the topics it is given.
//!
//! Topic creation, deletion and partition changes go to the controller named
//! in Metadata (a ZooKeeper-era broker insists on it; a KRaft broker forwards
//! from any node). A NOT_CONTROLLER answer refreshes the metadata and retries
//! only the topics that got it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    alter_configs_request, incremental_alter_configs_request, AlterConfigsRequest, ApiKey, CreatePartitionsRequest, CreateTopicsRequest,
    DeleteTopicsRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest, MetadataRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::conn::Connection;
use super::error::{KafkaError, TopicFailure, LEADER_NOT_AVAILABLE, NONE, NOT_CONTROLLER, UNKNOWN_TOPIC_OR_PARTITION};
use super::sasl::SaslPlain;

/// Resource type TOPIC in DescribeConfigs / AlterConfigs.
const RESOURCE_TOPIC: i8 = 2;
/// IncrementalAlterConfigs operations.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;
/// How often a batch is retried after NOT_CONTROLLER.
const CONTROLLER_RETRIES: usize = 3;

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub timeout: Duration,
    pub client_id: String,
    pub sasl: Option<SaslPlain>,
    /// TLS to every broker (`None`: plain TCP).
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { timeout: Duration::from_secs(30), client_id: "dpctl".into(), sasl: None, tls: None }
    }
}

/// What Metadata says about one existing topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: i32,
    /// Replicas per partition (the largest, should a reassignment be running).
    pub replication_factor: i16,
}

/// Where a config value comes from (DescribeConfigs `config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic itself: what `config_exclusive` may reset.
    DynamicTopic,
    /// A broker-wide default (static or dynamic) or Kafka's built-in default.
    Default,
    Other(i8),
}

impl ConfigSource {
    fn from_code(code: i8) -> ConfigSource {
        match code {
            1 => ConfigSource::DynamicTopic,
            2..=5 => ConfigSource::Default,
            c => ConfigSource::Other(c),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// `None` for sensitive values, which the broker does not reveal.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub read_only: bool,
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    /// `None`: the broker's `num.partitions` (needs CreateTopics v4+, Kafka 2.4+).
    pub partitions: Option<i32>,
    /// `None`: the broker's `default.replication.factor` (same).
    pub replication_factor: Option<i16>,
    pub config: BTreeMap<String, String>,
}

/// Config changes for one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicConfigAlter {
    pub topic: String,
    pub set: BTreeMap<String, String>,
    pub delete: BTreeSet<String>,
    /// The topic's dynamic configs now: the legacy AlterConfigs API replaces
    /// the whole set, so the fallback must send what stays as well.
    pub dynamic_before: BTreeMap<String, String>,
}

pub struct Admin {
    opts: ConnectOptions,
    /// Connections by address; the first one made is the bootstrap broker.
    conns: HashMap<String, Connection>,
    bootstrap: String,
    brokers: HashMap<i32, String>,
    controller: Option<i32>,
    legacy_alter: bool,
}

impl Admin {
    /// Connect to the first bootstrap server that answers.
    pub fn connect(bootstrap_servers: &[String], opts: ConnectOptions) -> Result<Admin, KafkaError> {
        let mut errors = Vec::new();
        for addr in bootstrap_servers {
            match Connection::open(addr, opts.timeout, &opts.client_id, opts.sasl.as_ref(), opts.tls.as_ref()) {
                Ok(conn) => {
                    let mut conns = HashMap::new();
                    conns.insert(addr.clone(), conn);
                    return Ok(Admin {
                        opts,
                        conns,
                        bootstrap: addr.clone(),
                        brokers: HashMap::new(),
                        controller: None,
                        legacy_alter: false,
                    });
                }
                // A failed SASL login fails the same way on every broker: say so at once.
                Err(e @ KafkaError::Auth { .. }) => return Err(e),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if errors.is_empty() {
            errors.push("bootstrap_servers is empty".into());
        }
        Err(KafkaError::NoBroker(errors.join("; ")))
    }

    /// The bootstrap connection: for requests any broker can answer.
    fn any(&mut self) -> Result<&mut Connection, KafkaError> {
        let addr = self.bootstrap.clone();
        self.conn_to(&addr)
    }

    fn conn_to(&mut self, addr: &str) -> Result<&mut Connection, KafkaError> {
        if !self.conns.contains_key(addr) {
            let conn = Connection::open(addr, self.opts.timeout, &self.opts.client_id, self.opts.sasl.as_ref(), self.opts.tls.as_ref())?;
            self.conns.insert(addr.to_string(), conn);
        }
        self.conns.get_mut(addr).ok_or_else(|| KafkaError::NoBroker(format!("lost the connection to {addr}")))
    }

    fn controller(&mut self) -> Result<&mut Connection, KafkaError> {
        if self.controller.is_none() {
            self.metadata(&[])?;
        }
        match self.controller.and_then(|id| self.brokers.get(&id)).cloned() {
            Some(addr) => self.conn_to(&addr),
            None => self.any(),
        }
    }

    /// Metadata for `topics` (none: cluster only). Never creates topics.
    /// Returns the topics that exist; the others are absent.
    pub fn metadata(&mut self, topics: &[String]) -> Result<BTreeMap<String, TopicInfo>, KafkaError> {
        let conn = self.any()?;
        let version = conn.version_for(ApiKey::Metadata)?;
        let request = MetadataRequest::default()
            .with_topics(Some(topics.iter().map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t)))).collect()))
            // Before v4 the field does not exist and the broker's own setting decides.
            .with_allow_auto_topic_creation(version < 4);
        let (response, _) = conn.send(&request)?;
        let addr = conn.addr().to_string();
        self.brokers = response.brokers.iter().map(|b| (b.node_id.0, format!("{}:{}", b.host.as_str(), b.port))).collect();
        self.controller = Some(response.controller_id.0).filter(|id| *id >= 0);
        let mut found = BTreeMap::new();
        let mut failures = Vec::new();
        for topic in response.topics {
            let name = topic.name.as_ref().map(|n| n.0.as_str().to_string()).unwrap_or_default();
            match topic.error_code {
                NONE | LEADER_NOT_AVAILABLE => {
                    let replication_factor = topic.partitions.iter().map(|p| p.replica_nodes.len()).max().unwrap_or(0);
                    let info = TopicInfo {
                        name: name.clone(),
                        partitions: i32::try_from(topic.partitions.len()).unwrap_or(i32::MAX),
                        replication_factor: i16::try_from(replication_factor).unwrap_or(i16::MAX),
                    };
                    found.insert(name, info);
                }
                UNKNOWN_TOPIC_OR_PARTITION => {}
                code => failures.push(TopicFailure { topic: name, code, message: None }),
            }
        }
        if !failures.is_empty() {
            return Err(KafkaError::Topics { what: format!("Metadata from {addr}"), failures });
        }
        Ok(found)
    }

    /// Every topic-level config of each topic, with where its value comes
    /// from. Topics the broker does not know are left out.
    pub fn describe_topic_configs(&mut self, topics: &[String]) -> Result<BTreeMap<String, Vec<ConfigEntry>>, KafkaError> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let request = DescribeConfigsRequest::default().with_resources(
            topics
                .iter()
                .map(|t| {
                    DescribeConfigsResource::default()
                        .with_resource_type(RESOURCE_TOPIC)
                        .with_resource_name(str_bytes(t))
                        .with_configuration_keys(None)
                })
                .collect(),
        );
        let (response, _) = self.any()?.send(&request)?;
        let mut out = BTreeMap::new();
        let mut failures = Vec::new();
        for result in response.results {
            let topic = result.resource_name.as_str().to_string();
            // Just deleted: Metadata and the config view of a broker catch up
            // separately. Absent here means absent.
            if result.error_code == UNKNOWN_TOPIC_OR_PARTITION {
                continue;
            }
            if result.error_code != NONE {
                failures.push(TopicFailure { topic, code: result.error_code, message: opt_string(&result.error_message) });
                continue;
            }
            let entries = result
                .configs
                .into_iter()
                .map(|c| ConfigEntry {
                    name: c.name.as_str().to_string(),
                    value: opt_string(&c.value),
                    source: ConfigSource::from_code(c.config_source),
                    read_only: c.read_only,
                })
                .collect();
            out.insert(topic, entries);
        }
        if !failures.is_empty() {
            return Err(KafkaError::Topics { what: "DescribeConfigs".into(), failures });
        }
        Ok(out)
    }

    /// Create all `topics` in one request (`validate_only`: the broker checks, creates nothing).
    pub fn create_topics(&mut self, topics: &[NewTopic], validate_only: bool) -> Result<(), KafkaError> {
        let timeout_ms = self.timeout_ms();
        let mut pending: Vec<&NewTopic> = topics.iter().collect();
        self.with_controller_retry("CreateTopics", &mut pending, |conn, batch| {
            let version = conn.version_for(ApiKey::CreateTopics)?;
            let mut wire = Vec::with_capacity(batch.len());
            for t in batch {
                if version < 4 && (t.partitions.is_none() || t.replication_factor.is_none()) {
                    return Err(KafkaError::NotSupported(format!(
                        "topic '{}': this broker (CreateTopics v{version}) needs partitions and replication_factor to create a topic",
                        t.name
                    )));
                }
                wire.push(
                    CreatableTopic::default()
                        .with_name(topic_name(&t.name))
                        .with_num_partitions(t.partitions.unwrap_or(-1))
                        .with_replication_factor(t.replication_factor.unwrap_or(-1))
                        .with_configs(
                            t.config
                                .iter()
                                .map(|(k, v)| CreatableTopicConfig::default().with_name(str_bytes(k)).with_value(Some(str_bytes(v))))
                                .collect(),
                        ),
                );
            }
            let request = CreateTopicsRequest::default().with_topics(wire).with_timeout_ms(timeout_ms).with_validate_only(validate_only);
            let (response, _) = conn.send(&request)?;
            Ok(response.topics.into_iter().map(|r| (r.name.0.as_str().to_string(), r.error_code, opt_string(&r.error_message))).collect())
        })
    }

    /// Raise partition counts: `(topic, new total count)`.
    pub fn create_partitions(&mut self, counts: &[(String, i32)], validate_only: bool) -> Result<(), KafkaError> {
        let timeout_ms = self.timeout_ms();
        let mut pending: Vec<&(String, i32)> = counts.iter().collect();
        self.with_controller_retry("CreatePartitions", &mut pending, |conn, batch| {
            let request = CreatePartitionsRequest::default()
                .with_topics(
                    batch
                        .iter()
                        .map(|(t, count)| {
                            CreatePartitionsTopic::default().with_name(topic_name(t)).with_count(*count).with_assignments(None)
                        })
                        .collect(),
                )
                .with_timeout_ms(timeout_ms)
                .with_validate_only(validate_only);
            let (response, _) = conn.send(&request)?;
            Ok(response.results.into_iter().map(|r| (r.name.0.as_str().to_string(), r.error_code, opt_string(&r.error_message))).collect())
        })
    }

    pub fn delete_topics(&mut self, topics: &[String]) -> Result<(), KafkaError> {
        let timeout_ms = self.timeout_ms();
        let mut pending: Vec<&String> = topics.iter().collect();
        self.with_controller_retry("DeleteTopics", &mut pending, |conn, batch| {
            let version = conn.version_for(ApiKey::DeleteTopics)?;
            let mut request = DeleteTopicsRequest::default().with_timeout_ms(timeout_ms);
            if version >= 6 {
                request.topics = batch.iter().map(|t| DeleteTopicState::default().with_name(Some(topic_name(t)))).collect();
            } else {
                request.topic_names = batch.iter().map(|t| topic_name(t)).collect();
            }
            let (response, _) = conn.send(&request)?;
            Ok(response
                .responses
                .into_iter()
                .map(|r| (r.name.map(|n| n.0.as_str().to_string()).unwrap_or_default(), r.error_code, opt_string(&r.error_message)))
                .collect())
        })
    }

    /// Whether config changes go out incrementally (Kafka 2.3+) or through the
    /// legacy whole-set AlterConfigs.
    pub fn incremental_alter_supported(&mut self) -> Result<bool, KafkaError> {
        let legacy = self.legacy_alter;
        Ok(!legacy && self.any()?.supports(ApiKey::IncrementalAlterConfigs))
    }

    /// Use the whole-set AlterConfigs even where IncrementalAlterConfigs
    /// exists: what happens against brokers before Kafka 2.3, on demand.
    pub fn set_legacy_alter_configs(&mut self, legacy: bool) {
        self.legacy_alter = legacy;
    }

    pub fn alter_topic_configs(&mut self, alters: &[TopicConfigAlter], validate_only: bool) -> Result<(), KafkaError> {
        if alters.is_empty() {
            return Ok(());
        }
        let incremental = self.incremental_alter_supported()?;
        let conn = self.any()?;
        let results: Vec<(String, i16, Option<String>)> = if incremental {
            use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
            let resources = alters
                .iter()
                .map(|a| {
                    let sets = a.set.iter().map(|(k, v)| {
                        AlterableConfig::default().with_name(str_bytes(k)).with_config_operation(OP_SET).with_value(Some(str_bytes(v)))
                    });
                    let deletes =
                        a.delete.iter().map(|k| AlterableConfig::default().with_name(str_bytes(k)).with_config_operation(OP_DELETE));
                    AlterConfigsResource::default()
                        .with_resource_type(RESOURCE_TOPIC)
                        .with_resource_name(str_bytes(&a.topic))
                        .with_configs(sets.chain(deletes).collect())
                })
                .collect();
            let request = IncrementalAlterConfigsRequest::default().with_resources(resources).with_validate_only(validate_only);
            let (response, _) = conn.send(&request)?;
            response
                .responses
                .into_iter()
                .map(|r| (r.resource_name.as_str().to_string(), r.error_code, opt_string(&r.error_message)))
                .collect()
        } else {
            use alter_configs_request::{AlterConfigsResource, AlterableConfig};
            let resources = alters
                .iter()
                .map(|a| {
                    let mut full = a.dynamic_before.clone();
                    full.retain(|k, _| !a.delete.contains(k));
                    full.extend(a.set.iter().map(|(k, v)| (k.clone(), v.clone())));
                    AlterConfigsResource::default().with_resource_type(RESOURCE_TOPIC).with_resource_name(str_bytes(&a.topic)).with_configs(
                        full.iter()
                            .map(|(k, v)| AlterableConfig::default().with_name(str_bytes(k)).with_value(Some(str_bytes(v))))
                            .collect(),
                    )
                })
                .collect();
            let request = AlterConfigsRequest::default().with_resources(resources).with_validate_only(validate_only);
            let (response, _) = conn.send(&request)?;
            response
                .responses
                .into_iter()
                .map(|r| (r.resource_name.as_str().to_string(), r.error_code, opt_string(&r.error_message)))
                .collect()
        };
        let failures: Vec<TopicFailure> = results
            .into_iter()
            .filter(|(_, code, _)| *code != NONE)
            .map(|(topic, code, message)| TopicFailure { topic, code, message })
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(KafkaError::Topics { what: "changing topic configs".into(), failures })
        }
    }

    fn timeout_ms(&self) -> i32 {
        i32::try_from(self.opts.timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// Send `pending` to the controller; resend the items that got
    /// NOT_CONTROLLER after refreshing metadata; report every other failure.
    fn with_controller_retry<T: TopicKey>(
        &mut self,
        what: &str,
        pending: &mut Vec<&T>,
        mut send: impl FnMut(&mut Connection, &[&T]) -> Result<Vec<(String, i16, Option<String>)>, KafkaError>,
    ) -> Result<(), KafkaError> {
        let mut failures = Vec::new();
        for attempt in 0..=CONTROLLER_RETRIES {
            if pending.is_empty() {
                break;
            }
            let conn = self.controller()?;
            let results = send(conn, pending)?;
            let mut retry = BTreeSet::new();
            for (topic, code, message) in results {
                match code {
                    NONE => {}
                    NOT_CONTROLLER if attempt < CONTROLLER_RETRIES => {
                        retry.insert(topic);
                    }
                    code => failures.push(TopicFailure { topic, code, message }),
                }
            }
            pending.retain(|t| retry.contains(t.topic()));
            if !pending.is_empty() {
                self.controller = None;
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(KafkaError::Topics { what: what.to_string(), failures })
        }
    }
}

/// The topic a batch item is about, to match it with its result.
trait TopicKey {
    fn topic(&self) -> &str;
}

impl TopicKey for NewTopic {
    fn topic(&self) -> &str {
        &self.name
    }
}

impl TopicKey for (String, i32) {
    fn topic(&self) -> &str {
        &self.0
    }
}

impl TopicKey for String {
    fn topic(&self) -> &str {
        self
    }
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}

fn opt_string(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(|s| s.as_str().to_string())
}
