//! `kafka_topic` against Kafka 4.4 (KRaft; tests/servers/kafka.sh): the shared
//! cases in `kafka_cases/`, plus what only this broker has (SASL listener,
//! broker defaults on create).

use crate::common;
use crate::kafka_cases;

use common::kafka::{bootstrap, current, sasl_bootstrap, tls_bootstrap, unique, Observer};
use common::Agent;
use modules::protocol::Reply;
use serde_json::json;

kafka_cases::kafka_cases!(current());

fn msg(r: &Reply) -> &str {
    r.outcome.msg.as_deref().unwrap_or("")
}

#[test]
fn broker_defaults_apply_when_partitions_and_replication_factor_are_unset() {
    let name = unique("defaults");
    let mut agent = Agent::start();
    let r = agent.run("kafka_topic", json!({"name": name, "bootstrap_servers": bootstrap()}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let shown = Observer::new(current()).topic(&name).expect("created");
    // tests/servers/kafka.sh sets num.partitions=1; the replication default is 1.
    assert_eq!((shown.partitions, shown.replication_factor), (1, 1));
}

#[test]
fn sasl_plain_authenticates_and_bad_passwords_fail_clearly() {
    let name = unique("sasl");
    let mut agent = Agent::start();
    let args = |password: &str| {
        json!({"name": name, "partitions": 1, "bootstrap_servers": sasl_bootstrap(),
               "sasl": {"mechanism": "PLAIN", "username": "admin", "password": password}})
    };
    let r = agent.run("kafka_topic", args("admin-secret"));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(Observer::new(current()).topic(&name).is_some());

    let r = agent.run("kafka_topic", args("wrong"));
    assert!(r.failed);
    assert!(msg(&r).contains("SASL authentication") && msg(&r).contains("SaslAuthenticationFailed"), "{}", msg(&r));
}

#[test]
fn tls_listener_with_the_brokers_ca_and_refusal_without_it() {
    let (addr, ca) = tls_bootstrap();
    let name = unique("tls");
    let mut agent = Agent::start();
    let r = agent.run("kafka_topic", json!({"name": name, "partitions": 2, "bootstrap_servers": addr, "tls": {"ca_file": ca}}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(Observer::new(current()).topic(&name).expect("created over TLS").partitions, 2);
    let r = agent.run("kafka_topic", json!({"name": name, "partitions": 2, "bootstrap_servers": addr, "tls": {"ca_file": ca}}));
    assert!(!r.failed && !r.outcome.changed, "second run is ok: {r:?}");

    // the self-signed certificate is not in the default roots: refused, and said so
    let r = agent.run("kafka_topic", json!({"name": name, "bootstrap_servers": addr, "tls": {}}));
    assert!(r.failed && msg(&r).contains("TLS") && msg(&r).contains("certificate"), "{}", msg(&r));
    // verify: false accepts it
    let r = agent.run("kafka_topic", json!({"name": name, "partitions": 2, "bootstrap_servers": addr, "tls": {"verify": false}}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
}

#[test]
fn an_unreachable_broker_is_a_clear_error() {
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut agent = Agent::start();
    let r = agent.run("kafka_topic", json!({"name": "x", "bootstrap_servers": format!("127.0.0.1:{port}"), "timeout": 2}));
    assert!(r.failed);
    assert!(msg(&r).contains(&format!("cannot connect to Kafka broker 127.0.0.1:{port}")), "{}", msg(&r));
}

#[test]
fn ad_hoc_key_value_arguments_work_as_strings() {
    // `dpctl run … -m kafka_topic -a 'name=… partitions=4 replication_factor=1 bootstrap_servers=…'`
    // hands every value over as a string.
    let name = unique("dev.telemetry.raw");
    let mut agent = Agent::start();
    let args = json!({"name": name, "partitions": "4", "replication_factor": "1", "bootstrap_servers": bootstrap(), "timeout": "10"});
    let r = agent.run("kafka_topic", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(Observer::new(current()).topic(&name).expect("created").partitions, 4);
    assert!(!agent.run("kafka_topic", args).outcome.changed);
}
