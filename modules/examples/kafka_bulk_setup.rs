//! Times KafkaSetup's 46 topics with `kafka_topic`'s bulk form against a real
//! broker: the create run, then the no-op rerun.
//!
//! ```text
//! cargo run -p dpctl-modules --example kafka_bulk_setup -- 127.0.0.1:PORT [PREFIX]
//! ```
//! The address defaults to `$DPCTL_TEST_KAFKA`; PREFIX (default `bench.dev.`) is put
//! before each topic name. Topics with that prefix are deleted first so the
//! create run starts from nothing.

use std::time::Instant;

use modules::kafka_topic::{KafkaTopic, TopicArgs, TopicState};
use modules::{Context, Module};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bootstrap = match args.next().or_else(|| std::env::var("DPCTL_TEST_KAFKA").ok()) {
        Some(b) => b,
        None => return Err("usage: kafka_bulk_setup HOST:PORT [PREFIX] (or set DPCTL_TEST_KAFKA)".into()),
    };
    let prefix = args.next().unwrap_or_else(|| "bench.dev.".into());
    let mut topics: Vec<TopicArgs> = serde_json::from_str(include_str!("../tests/data/kafka_setup_topics.json"))?;
    for t in &mut topics {
        t.name = format!("{prefix}{}", t.name);
    }
    let bulk = |state| KafkaTopic {
        replication_factor: Some(1),
        state,
        topics: topics.clone(),
        bootstrap_servers: bootstrap.as_str().into(),
        ..Default::default()
    };
    let ctx = Context::default();

    bulk(TopicState::Absent).run(&ctx)?;
    let start = Instant::now();
    let created = bulk(TopicState::Present).run(&ctx)?;
    let create_time = start.elapsed();
    let start = Instant::now();
    let rerun = bulk(TopicState::Present).run(&ctx)?;
    let rerun_time = start.elapsed();

    println!("topics: {}", topics.len());
    println!("create run: changed={} in {:.1} ms", created.changed, create_time.as_secs_f64() * 1000.0);
    println!("no-op rerun: changed={} in {:.1} ms", rerun.changed, rerun_time.as_secs_f64() * 1000.0);
    Ok(())
}
