//! `kafka_topic`: Kafka topics — partitions, replication factor and
//! topic-level configs — brought to the wanted state over the Kafka protocol
//! itself (no `kafka-topics.sh`), for brokers from Kafka 1.x to 4.x.
//!
//! It creates missing topics, raises partition counts, sets the listed
//! configs and leaves the others alone (`config_exclusive: true` resets the
//! unlisted ones), and deletes only with `state: absent`. It refuses to lower
//! partitions or change the replication factor; every topic is checked before
//! anything is sent, so a refused run changes nothing.
//!
//! The bulk form (`topics: [...]`) does all its topics in one Metadata, one
//! DescribeConfigs and one request per kind of change.
//!
//! From Rust:
//!
//! ```no_run
//! use modules::kafka_topic::{KafkaTopic, TopicArgs};
//! use modules::{Context, Module};
//!
//! // One topic.
//! let outcome = KafkaTopic {
//!     name: Some("dev.telemetry.raw".into()),
//!     partitions: Some(4),
//!     replication_factor: Some(1),
//!     config: [("retention.ms".to_string(), 172_800_000.into())].into(),
//!     bootstrap_servers: "127.0.0.1:9092".into(),
//!     ..Default::default()
//! }
//! .run(&Context::default())?;
//! println!("changed: {}", outcome.changed);
//!
//! // Several topics at once, with shared defaults.
//! let bulk = KafkaTopic {
//!     replication_factor: Some(1),
//!     topics: vec![
//!         TopicArgs { name: "dev.telemetry.valid".into(), partitions: Some(4), ..Default::default() },
//!         TopicArgs { name: "dev.telemetry.sink".into(), partitions: Some(8), ..Default::default() },
//!     ],
//!     bootstrap_servers: vec!["127.0.0.1:9092".to_string()].into(),
//!     ..Default::default()
//! };
//! bulk.run(&Context { check_mode: true, diff: true })?;
//! # Ok::<(), modules::ModuleError>(())
//! ```

mod apply;
mod args;
mod lenient;
pub mod plan;

pub use args::{BootstrapServers, ConfigValue, SaslArgs, SaslMechanism, TlsArgs, TopicArgs, TopicState};

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::module::Diff;
use crate::pipeline::kafka::{Admin, ConnectOptions, KafkaError, SaslPlain};
use crate::{register_module, Context, Module, ModuleError, Outcome};
use apply::{apply, read_world, settle};
use plan::{TopicPlan, TopicView, Wanted, World};

const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Topic names Kafka accepts: `[a-zA-Z0-9._-]`, at most 249 characters.
const MAX_TOPIC_NAME: usize = 249;

/// Ensure Kafka topics exist (or not) with the wanted partitions,
/// replication factor and configs.
///
/// Give either `name` (one topic) or `topics` (many). In the bulk form the
/// top-level `partitions`, `replication_factor`, `config`,
/// `config_exclusive` and `state` are defaults for every entry (an entry's
/// `config` is merged over the top-level one).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KafkaTopic {
    /// The topic name (single-topic form).
    #[serde(default)]
    pub name: Option<String>,
    /// Number of partitions: created with it, raised to it, never lowered.
    /// Unset: the broker's `num.partitions` on create, left alone after.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    #[schemars(with = "Option<i32>")]
    pub partitions: Option<i32>,
    /// Replicas per partition: created with it, never changed (a mismatch is
    /// an error). Unset: the broker's `default.replication.factor` on create.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    #[schemars(with = "Option<i16>")]
    pub replication_factor: Option<i16>,
    /// Topic-level configs to set (`retention.ms: 86400000`). Configs not
    /// listed are left as they are unless `config_exclusive` is true.
    #[serde(default)]
    pub config: BTreeMap<String, ConfigValue>,
    /// Reset every config set on the topic that `config` does not list.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[schemars(with = "bool")]
    pub config_exclusive: bool,
    /// `present` (default) or `absent` (delete the topic).
    #[serde(default)]
    pub state: TopicState,
    /// The bulk form: many topics handled together in a few requests.
    #[serde(default)]
    pub topics: Vec<TopicArgs>,
    /// Brokers to bootstrap from: `"host:port,host:port"` or a list.
    pub bootstrap_servers: BootstrapServers,
    /// SASL authentication (PLAIN).
    #[serde(default)]
    pub sasl: Option<SaslArgs>,
    /// TLS to the brokers (an SSL or SASL_SSL listener): `ca_file`, optional client `cert_file`/`key_file`, `verify`.
    #[serde(default)]
    pub tls: Option<TlsArgs>,
    /// Seconds for connecting, for each request and for the broker to show
    /// the changes made.
    #[serde(default = "default_timeout", deserialize_with = "lenient::int")]
    #[schemars(with = "u64")]
    pub timeout: u64,
}

impl Default for KafkaTopic {
    fn default() -> Self {
        KafkaTopic {
            name: None,
            partitions: None,
            replication_factor: None,
            config: BTreeMap::new(),
            config_exclusive: false,
            state: TopicState::Present,
            topics: Vec::new(),
            bootstrap_servers: BootstrapServers::List(Vec::new()),
            sasl: None,
            tls: None,
            timeout: DEFAULT_TIMEOUT_SECS,
        }
    }
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

impl KafkaTopic {
    /// The topics the arguments describe, checked for sense.
    pub fn wanted(&self) -> Result<Vec<Wanted>, ModuleError> {
        let base_config = stringify(&self.config);
        let wanted: Vec<Wanted> = match (&self.name, self.topics.is_empty()) {
            (Some(_), false) => return Err(bad("give either name or topics, not both")),
            (None, true) => return Err(bad("one of name or topics is required")),
            (Some(name), true) => vec![Wanted {
                name: name.clone(),
                present: self.state == TopicState::Present,
                partitions: self.partitions,
                replication_factor: self.replication_factor,
                config: base_config,
                config_exclusive: self.config_exclusive,
            }],
            (None, false) => self
                .topics
                .iter()
                .map(|t| {
                    let mut config = base_config.clone();
                    config.extend(stringify(&t.config));
                    Wanted {
                        name: t.name.clone(),
                        present: t.state.unwrap_or(self.state) == TopicState::Present,
                        partitions: t.partitions.or(self.partitions),
                        replication_factor: t.replication_factor.or(self.replication_factor),
                        config,
                        config_exclusive: t.config_exclusive.unwrap_or(self.config_exclusive),
                    }
                })
                .collect(),
        };
        let mut seen = BTreeSet::new();
        for w in &wanted {
            check_topic_name(&w.name)?;
            if !seen.insert(w.name.as_str()) {
                return Err(bad(format!("topic '{}' is listed twice", w.name)));
            }
            if w.partitions.is_some_and(|p| p < 1) {
                return Err(bad(format!("topic '{}': partitions must be at least 1", w.name)));
            }
            if w.replication_factor.is_some_and(|r| r < 1) {
                return Err(bad(format!("topic '{}': replication_factor must be at least 1", w.name)));
            }
        }
        Ok(wanted)
    }

    fn connect_options(&self) -> Result<ConnectOptions, ModuleError> {
        let tls = match &self.tls {
            Some(t) if t.enabled => Some(
                crate::pipeline::kafka::TlsSettings {
                    ca_file: t.ca_file.clone(),
                    cert_file: t.cert_file.clone(),
                    key_file: t.key_file.clone(),
                    verify: t.verify,
                }
                .client_config()
                .map_err(|e| bad(e.to_string()))?,
            ),
            _ => None,
        };
        let sasl = match &self.sasl {
            None => None,
            Some(s) if s.mechanism == SaslMechanism::Plain => {
                Some(SaslPlain { username: s.username.clone(), password: s.password.clone() })
            }
            Some(s) => return Err(bad(format!("sasl.mechanism {:?} is not supported yet (PLAIN is)", s.mechanism))),
        };
        if self.timeout == 0 {
            return Err(bad("timeout must be at least 1 second"));
        }
        Ok(ConnectOptions { timeout: Duration::from_secs(self.timeout), client_id: "dpctl-kafka_topic".into(), sasl, tls })
    }
}

impl Module for KafkaTopic {
    const NAME: &'static str = "kafka_topic";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let wanted = self.wanted()?;
        let opts = self.connect_options()?;
        let servers = self.bootstrap_servers.addresses();
        if servers.is_empty() {
            return Err(bad("bootstrap_servers is empty"));
        }
        let timeout = opts.timeout;
        let mut admin = Admin::connect(&servers, opts).map_err(failed)?;
        let names: Vec<String> = wanted.iter().map(|w| w.name.clone()).collect();
        let before = read_world(&mut admin, &names).map_err(failed)?;
        let plans = plan::plan(&wanted, &before)
            .map_err(|refusals| ModuleError::Failed(format!("kafka_topic refused; nothing was changed: {}", refusals.join("; "))))?;
        let changed = plans.iter().any(|p| !p.actions.is_empty());

        let after = if changed && !ctx.check_mode {
            apply(&mut admin, &plans, &before, timeout).map_err(failed)?;
            Some(settle(&mut admin, &wanted, &names, timeout)?)
        } else {
            None
        };
        Ok(outcome(ctx, &plans, &before, after.as_ref()))
    }
}

register_module!(KafkaTopic);

fn outcome(ctx: &Context, plans: &[TopicPlan], before: &World, after: Option<&World>) -> Outcome {
    let mut diffs = Vec::new();
    let mut topics = Vec::with_capacity(plans.len());
    let mut changed_names = Vec::new();
    for p in plans {
        let changed = !p.actions.is_empty();
        let was = before.get(&p.name);
        let now: Option<TopicView> = match after {
            Some(world) => world.get(&p.name).map(TopicView::of),
            None => plan::predict(was, &p.actions),
        };
        if changed {
            changed_names.push(p.name.clone());
            if ctx.diff {
                let header = Some(format!("kafka topic {}", p.name));
                diffs.push(Diff {
                    before_header: header.clone(),
                    after_header: header,
                    before: was.map(|o| TopicView::of(o).render()).unwrap_or_default(),
                    after: now.as_ref().map(TopicView::render).unwrap_or_default(),
                });
            }
        }
        topics.push(json!({
            "name": p.name,
            "changed": changed,
            "state": if now.is_some() { "present" } else { "absent" },
            "actions": p.actions.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "partitions": now.as_ref().and_then(|v| v.partitions),
            "replication_factor": now.as_ref().and_then(|v| v.replication_factor),
            "config": now.as_ref().map(|v| v.config.clone()).unwrap_or_default(),
        }));
    }
    let msg = match (changed_names.len(), ctx.check_mode) {
        (0, _) => format!("all {} topic(s) as wanted", plans.len()),
        (n, true) => format!("would change {n} of {} topic(s): {}", plans.len(), changed_names.join(", ")),
        (n, false) => format!("changed {n} of {} topic(s): {}", plans.len(), changed_names.join(", ")),
    };
    let mut out = Outcome::changed(!changed_names.is_empty()).with_msg(msg).with("topics", Value::Array(topics));
    out.diff = diffs;
    out
}

fn stringify(config: &BTreeMap<String, ConfigValue>) -> BTreeMap<String, String> {
    config.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
}

fn check_topic_name(name: &str) -> Result<(), ModuleError> {
    let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() || name == "." || name == ".." || name.len() > MAX_TOPIC_NAME || !valid_chars {
        return Err(bad(format!("'{name}' is not a valid Kafka topic name (1-{MAX_TOPIC_NAME} of [a-zA-Z0-9._-], not '.' or '..')")));
    }
    Ok(())
}

fn bad(msg: impl Into<String>) -> ModuleError {
    ModuleError::BadArgs(format!("kafka_topic: {}", msg.into()))
}

fn failed(e: KafkaError) -> ModuleError {
    ModuleError::Failed(format!("kafka_topic: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::parse_args;

    #[test]
    fn command_line_strings_are_converted() {
        let args: KafkaTopic = parse_args(&json!({
            "name": "dev.telemetry.raw", "partitions": "4", "replication_factor": "1",
            "bootstrap_servers": "127.0.0.1:9092, 127.0.0.2:9092", "config_exclusive": "yes",
            "config": {"retention.ms": 86400000, "cleanup.policy": "compact", "min.cleanable.dirty.ratio": 0.5}
        }))
        .unwrap();
        assert_eq!(args.partitions, Some(4));
        assert!(args.config_exclusive);
        assert_eq!(args.bootstrap_servers.addresses(), vec!["127.0.0.1:9092", "127.0.0.2:9092"]);
        let w = args.wanted().unwrap();
        assert_eq!(w[0].config["retention.ms"], "86400000");
        assert_eq!(w[0].config["min.cleanable.dirty.ratio"], "0.5");
    }

    #[test]
    fn bulk_entries_take_top_level_defaults() {
        let args: KafkaTopic = parse_args(&json!({
            "replication_factor": 1, "config": {"retention.ms": 1000},
            "topics": [{"name": "a", "partitions": 2}, {"name": "b", "config": {"retention.ms": 2000}, "state": "absent"}],
            "bootstrap_servers": ["127.0.0.1:9092"]
        }))
        .unwrap();
        let w = args.wanted().unwrap();
        assert_eq!((w[0].partitions, w[0].replication_factor, w[0].present), (Some(2), Some(1), true));
        assert_eq!((w[1].config["retention.ms"].as_str(), w[1].present), ("2000", false));
    }

    #[test]
    fn registered_with_a_documented_schema() {
        let spec = crate::registry::lookup("dpctl.kafka_topic").expect("registered");
        let schema = serde_json::to_value((spec.schema)()).unwrap();
        let props = &schema["properties"];
        assert_eq!(schema["required"], json!(["bootstrap_servers"]));
        assert!(props["config_exclusive"]["description"].as_str().unwrap().contains("Reset every config"));
        assert!(props["topics"].is_object() && props["sasl"].is_object() && props["tls"].is_object());
        assert!((spec.validate)(&json!({"name": "a", "bootstrap_servers": "x:1", "state": "gone"})).is_err());
    }

    #[test]
    fn bad_arguments_are_refused() {
        let bad_args = [
            json!({"bootstrap_servers": "x:1"}),
            json!({"name": "a", "topics": [{"name": "b"}], "bootstrap_servers": "x:1"}),
            json!({"name": "bad name", "bootstrap_servers": "x:1"}),
            json!({"name": "a", "partitions": 0, "bootstrap_servers": "x:1"}),
            json!({"topics": [{"name": "a"}, {"name": "a"}], "bootstrap_servers": "x:1"}),
        ];
        for args in bad_args {
            let parsed: KafkaTopic = parse_args(&args).unwrap();
            assert!(parsed.wanted().is_err(), "{args}");
        }
        assert!(parse_args::<KafkaTopic>(&json!({"name": "a", "bootstrap_servers": "x:1", "partitons": 3})).is_err());
        let tls: KafkaTopic =
            parse_args(&json!({"name": "a", "bootstrap_servers": "x:1", "tls": {"ca_file": "/nonexistent/ca.pem"}})).unwrap();
        assert!(tls.connect_options().unwrap_err().to_string().contains("/nonexistent/ca.pem"));
    }
}
