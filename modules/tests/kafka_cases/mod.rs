//! The `kafka_topic` test cases, run against each real broker generation
//! (`kafka_topic.rs`: Kafka 4.4 KRaft; `kafka_topic_legacy.rs`: Kafka 1.1 with
//! ZooKeeper), through the agent as the executor drives it, and called
//! directly from Rust. Every case uses its own topic names, so they share one
//! broker in parallel.
#![allow(dead_code)]

use crate::common::kafka::{describe_with_kafka_admin, unique, Broker, Observer};
use crate::common::Agent;
use modules::pipeline::kafka::TopicConfigAlter;
use modules::pipeline::kafka_topic::{KafkaTopic, TopicArgs, TopicState};
use modules::protocol::Reply;
use modules::{Context, Module};
use serde_json::{json, Value};

/// One `#[test]` per case against `$broker`.
macro_rules! kafka_cases {
    ($broker:expr) => {
        $crate::kafka_cases::kafka_cases!(@each $broker; creates_once_then_reports_ok, check_mode_predicts_and_changes_nothing, config_changes_are_incremental_and_exclusive_resets_the_rest, legacy_alter_configs_fallback_keeps_the_other_dynamic_configs, raises_partitions_called_from_rust, shrink_and_replication_change_are_refused_and_nothing_changes, a_config_the_broker_rejects_changes_nothing, deletes_only_with_state_absent, bulk_kafka_setup_topics_are_created_then_left_alone);
    };
    (@each $broker:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                kafka_cases::$case($broker)
            }
        )*
    };
}
pub(crate) use kafka_cases;

fn msg(r: &Reply) -> &str {
    r.outcome.msg.as_deref().unwrap_or("")
}

fn actions(r: &Reply, topic: &str) -> Vec<String> {
    let topics = r.outcome.values["topics"].as_array().expect("topics list");
    let t = topics.iter().find(|t| t["name"] == topic).unwrap_or_else(|| panic!("{topic} not in {topics:?}"));
    t["actions"].as_array().expect("actions").iter().map(|a| a.as_str().expect("action text").to_string()).collect()
}

/// Arguments for one topic; `replication_factor: 1` unless `extra` says
/// otherwise (brokers before Kafka 2.4 have no broker default for it).
fn topic(b: &Broker, name: &str, extra: Value) -> Value {
    let mut args = json!({"name": name, "bootstrap_servers": b.addr, "replication_factor": 1});
    if let (Some(a), Value::Object(extra)) = (args.as_object_mut(), extra) {
        a.extend(extra);
    }
    args
}

pub fn creates_once_then_reports_ok(b: &Broker) {
    let name = unique("telemetry.raw");
    let mut agent = Agent::start();
    let args = topic(b, &name, json!({"partitions": 4, "replication_factor": 1, "config": {"retention.ms": 172800000}}));

    let r = agent.run("kafka_topic", args.clone());
    assert!(!r.failed, "{}", msg(&r));
    assert!(r.outcome.changed);
    assert_eq!(actions(&r, &name), vec!["create (partitions 4, replication_factor 1, retention.ms=172800000)"]);
    let diff = &r.outcome.diff[0];
    assert_eq!(diff.before, "");
    assert!(diff.after.contains("partitions: 4\n") && diff.after.contains("  retention.ms: 172800000\n"), "{}", diff.after);

    let shown = Observer::new(b).topic(&name).expect("topic exists after the run");
    assert_eq!((shown.partitions, shown.replication_factor), (4, 1));
    assert_eq!(shown.config.get("retention.ms").map(String::as_str), Some("172800000"));

    let again = agent.run("kafka_topic", args);
    assert!(!again.failed && !again.outcome.changed, "{again:?}");
    assert!(again.outcome.diff.is_empty());
    assert!(actions(&again, &name).is_empty());
}

pub fn check_mode_predicts_and_changes_nothing(b: &Broker) {
    let name = unique("check");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);

    let r = agent.check("kafka_topic", topic(b, &name, json!({"partitions": 2, "replication_factor": 1})));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(actions(&r, &name), vec!["create (partitions 2, replication_factor 1)"]);
    assert_eq!(observer.topic(&name), None, "check mode created the topic");

    assert!(!agent.run("kafka_topic", topic(b, &name, json!({"partitions": 2, "config": {"retention.ms": 3600000}}))).failed);
    let before = observer.topic(&name).expect("created");

    let wanted = topic(b, &name, json!({"partitions": 5, "config": {"retention.ms": 7200000, "max.message.bytes": 1572864}}));
    let r = agent.check("kafka_topic", wanted.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let default_max = observer.effective(&name, "max.message.bytes").expect("a default max.message.bytes");
    assert_eq!(
        actions(&r, &name),
        vec![
            "partitions 2 -> 5".to_string(),
            format!("config max.message.bytes: {default_max} -> 1572864"),
            "config retention.ms: 3600000 -> 7200000".to_string(),
        ]
    );
    assert!(r.outcome.diff[0].after.contains("partitions: 5\n"), "{}", r.outcome.diff[0].after);
    assert_eq!(observer.topic(&name), Some(before), "check mode changed the topic");

    // The prediction is what the real run then does.
    let real = agent.run("kafka_topic", wanted);
    assert_eq!(actions(&real, &name), actions(&r, &name));
    assert_eq!(real.outcome.diff, r.outcome.diff);
}

pub fn config_changes_are_incremental_and_exclusive_resets_the_rest(b: &Broker) {
    let name = unique("configs");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);
    let create = topic(b, &name, json!({"partitions": 1, "config": {"retention.ms": 3600000, "cleanup.policy": "compact"}}));
    assert!(agent.run("kafka_topic", create).outcome.changed);

    // Only max.message.bytes is listed: the other two stay as they are.
    let r = agent.run("kafka_topic", topic(b, &name, json!({"config": {"max.message.bytes": 5242880}})));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let config = observer.topic(&name).expect("topic").config;
    assert_eq!(config.get("max.message.bytes").map(String::as_str), Some("5242880"));
    assert_eq!(config.get("retention.ms").map(String::as_str), Some("3600000"));
    assert_eq!(config.get("cleanup.policy").map(String::as_str), Some("compact"));

    // Exclusive: the unlisted ones go back to the broker default.
    let exclusive = topic(b, &name, json!({"config": {"max.message.bytes": 5242880}, "config_exclusive": true}));
    let r = agent.run("kafka_topic", exclusive.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let mut acts = actions(&r, &name);
    acts.sort();
    assert_eq!(acts, vec!["config cleanup.policy: compact -> (default)", "config retention.ms: 3600000 -> (default)"]);
    let config = observer.topic(&name).expect("topic").config;
    assert_eq!(config.keys().collect::<Vec<_>>(), vec!["max.message.bytes"]);
    assert_eq!(observer.effective(&name, "cleanup.policy").as_deref(), Some("delete"));

    assert!(!agent.run("kafka_topic", exclusive).outcome.changed);
}

pub fn legacy_alter_configs_fallback_keeps_the_other_dynamic_configs(b: &Broker) {
    // Brokers before Kafka 2.3 have only the whole-set AlterConfigs; force it
    // on the real broker and check it acts like the incremental API.
    let name = unique("legacy");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);
    let create = topic(b, &name, json!({"partitions": 1, "config": {"retention.ms": 3600000, "cleanup.policy": "compact"}}));
    assert!(agent.run("kafka_topic", create).outcome.changed);
    let before = observer.topic(&name).expect("created").config;

    let admin = observer.admin();
    admin.set_legacy_alter_configs(true);
    assert!(!admin.incremental_alter_supported().unwrap());
    let alter = TopicConfigAlter {
        topic: name.clone(),
        set: [("max.message.bytes".to_string(), "2097152".to_string())].into(),
        delete: ["cleanup.policy".to_string()].into(),
        dynamic_before: before,
    };
    admin.alter_topic_configs(std::slice::from_ref(&alter), true).expect("validate only");
    assert_eq!(observer.topic(&name).expect("topic").config.len(), 2, "validate_only changed configs");
    observer.admin().alter_topic_configs(&[alter], false).expect("legacy alter");
    // The broker shows a change a moment after the controller accepted it.
    let wanted: std::collections::BTreeMap<String, String> =
        [("max.message.bytes".to_string(), "2097152".to_string()), ("retention.ms".to_string(), "3600000".to_string())].into();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut after = observer.topic(&name).expect("topic").config;
    while after != wanted && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = observer.topic(&name).expect("topic").config;
    }
    assert_eq!(after, wanted);
}

pub fn raises_partitions_called_from_rust(b: &Broker) {
    let name = unique("raise");
    let ctx = Context { check_mode: false, diff: true };
    let args = |partitions| KafkaTopic {
        name: Some(name.clone()),
        partitions: Some(partitions),
        replication_factor: Some(1),
        bootstrap_servers: b.addr.as_str().into(),
        ..Default::default()
    };
    assert!(args(1).run(&ctx).expect("create").changed);
    let out = args(3).run(&ctx).expect("raise");
    assert!(out.changed);
    assert_eq!(out.values["topics"][0]["actions"], json!(["partitions 1 -> 3"]));
    assert_eq!(out.diff[0].before.lines().next(), Some("partitions: 1"));
    assert_eq!(out.diff[0].after.lines().next(), Some("partitions: 3"));
    assert_eq!(Observer::new(b).topic(&name).expect("topic").partitions, 3);
    assert!(!args(3).run(&ctx).expect("rerun").changed);
}

pub fn shrink_and_replication_change_are_refused_and_nothing_changes(b: &Broker) {
    let name = unique("shrink");
    let missing = unique("not-created");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);
    assert!(agent.run("kafka_topic", topic(b, &name, json!({"partitions": 4, "replication_factor": 1}))).outcome.changed);
    let before = observer.topic(&name).expect("created");

    let r = agent.run("kafka_topic", topic(b, &name, json!({"partitions": 2, "config": {"retention.ms": 1000}})));
    assert!(r.failed);
    assert!(msg(&r).contains(&format!("topic '{name}': cannot lower partitions from 4 to 2")), "{}", msg(&r));
    assert!(msg(&r).contains("nothing was changed"), "{}", msg(&r));

    let r = agent.run("kafka_topic", topic(b, &name, json!({"replication_factor": 3})));
    assert!(r.failed);
    assert!(msg(&r).contains("cannot change replication_factor from 1 to 3"), "{}", msg(&r));

    // In the bulk form one refusal stops every topic, including ones that could be created.
    let bulk = json!({
        "bootstrap_servers": b.addr,
        "topics": [{"name": missing, "partitions": 1}, {"name": name, "partitions": 3, "config": {"retention.ms": 1000}}],
    });
    let r = agent.run("kafka_topic", bulk);
    assert!(r.failed && msg(&r).contains("from 4 to 3"), "{}", msg(&r));

    assert_eq!(observer.topic(&name), Some(before));
    assert_eq!(observer.topic(&missing), None);
}

pub fn a_config_the_broker_rejects_changes_nothing(b: &Broker) {
    let name = unique("badconfig");
    let other = unique("badconfig-other");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);
    // The broker (not dpctl) rejects the value; the validate-only pass catches it first.
    let bulk = json!({
        "bootstrap_servers": b.addr,
        "replication_factor": 1,
        "topics": [{"name": other, "partitions": 1}, {"name": name, "partitions": 1, "config": {"retention.ms": "soon"}}],
    });
    let r = agent.run("kafka_topic", bulk);
    assert!(r.failed, "{r:?}");
    // Kafka 4 says InvalidConfig, Kafka 1.1 UnknownServerError; both name the value.
    assert!(msg(&r).contains(&format!("topic '{name}'")) && msg(&r).contains("soon"), "{}", msg(&r));
    assert_eq!(observer.topic(&other), None);
    assert_eq!(observer.topic(&name), None);
}

pub fn deletes_only_with_state_absent(b: &Broker) {
    let name = unique("delete");
    let mut agent = Agent::start();
    let mut observer = Observer::new(b);
    assert!(agent.run("kafka_topic", topic(b, &name, json!({"partitions": 1}))).outcome.changed);

    let check = agent.check("kafka_topic", topic(b, &name, json!({"state": "absent"})));
    assert_eq!(actions(&check, &name), vec!["delete"]);
    assert!(observer.topic(&name).is_some(), "check mode deleted the topic");

    let r = agent.run("kafka_topic", topic(b, &name, json!({"state": "absent"})));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.diff[0].after, "");
    assert_eq!(observer.topic(&name), None);
    assert!(!agent.run("kafka_topic", topic(b, &name, json!({"state": "absent"}))).outcome.changed);
}

pub fn bulk_kafka_setup_topics_are_created_then_left_alone(b: &Broker) {
    let mut topics: Vec<TopicArgs> = serde_json::from_str(include_str!("../data/kafka_setup_topics.json")).unwrap();
    assert_eq!(topics.len(), 46);
    for t in &mut topics {
        t.name = format!("dev.{}", t.name);
    }
    let bulk = |state| KafkaTopic {
        replication_factor: Some(1),
        state,
        topics: topics.clone(),
        bootstrap_servers: vec![b.addr.clone()].into(),
        ..Default::default()
    };
    let ctx = Context { check_mode: false, diff: true };
    // Start from nothing, should an earlier run have left them on this broker.
    bulk(TopicState::Absent).run(&ctx).expect("clean up");

    let created = bulk(TopicState::Present).run(&ctx).expect("create all");
    assert!(created.changed);
    assert_eq!(created.diff.len(), 46);

    let mut observer = Observer::new(b);
    let expect: Value = serde_json::from_str(include_str!("../data/kafka_setup_topics.json")).unwrap();
    for want in expect.as_array().unwrap() {
        let name = format!("dev.{}", want["name"].as_str().unwrap());
        let shown = observer.topic(&name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(i64::from(shown.partitions), want["partitions"].as_i64().unwrap(), "{name}");
        assert_eq!(shown.replication_factor, 1, "{name}");
        let wanted_config: std::collections::BTreeMap<String, String> =
            want["config"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()).unwrap_or_default();
        assert_eq!(shown.config, wanted_config, "{name}");
    }

    // The same, read by Kafka's own admin client (where it can talk to the broker).
    let mut names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    names.sort();
    let mut expected = String::new();
    for name in &names {
        let want = expect.as_array().unwrap().iter().find(|w| format!("dev.{}", w["name"].as_str().unwrap()) == *name).unwrap();
        expected.push_str(&format!("topic {name} partitions={} replication_factor=1\n", want["partitions"]));
        let sorted: std::collections::BTreeMap<_, _> = want["config"].as_object().into_iter().flatten().collect();
        for (k, v) in sorted {
            expected.push_str(&format!("config {name} {k}={v}\n"));
        }
    }
    if b.java_admin {
        assert_eq!(describe_with_kafka_admin(b, &names), expected.trim_end());
    }

    let rerun = bulk(TopicState::Present).run(&ctx).expect("rerun");
    assert!(!rerun.changed, "{:?}", rerun.msg);
    assert!(rerun.diff.is_empty());
}
