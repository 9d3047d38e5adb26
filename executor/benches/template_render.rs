//! How long rendering takes once templates are compiled: one `Templar` for the run, a config
//! template rendered for many hosts (each with its own lazily templated variables).
//! Run: `cargo bench -p dpctl --bench template_render`.

use std::time::Instant;

use dpctl::template::{Scope, Templar};
use serde_json::json;

const TEMPLATE: &str = include_str!("../../tests/templates/kafka_server_properties/template.j2");

fn main() {
    let templar = Templar::new();
    let hosts = 200;
    let rounds = 5;
    let start = Instant::now();
    let mut bytes = 0;
    for round in 0..rounds {
        for h in 0..hosts {
            let vars = json!({
                "broker_id": h, "listen_host": format!("10.0.{round}.{h}"), "kafka_port": 9092,
                "kafka_brokers": ["kafka1", "kafka2", "kafka3"], "kafka_log_dirs": ["/data/{{ broker_id }}/a", "/data/b"],
                "zookeeper_hosts": ["zk1", "zk2", "zk3"], "zookeeper_port": 2181, "kafka_auto_create_topics": "no",
                "kafka_heap_size": "4G", "kafka_heap_opts": "-Xmx{{ kafka_heap_size }} -Xms{{ kafka_heap_size }}",
                "kafka_extra_config": {"log.retention.hours": 168, "broker.rack": "rack-{{ broker_id % 3 }}"}
            });
            let scope = Scope::new(vars.as_object().cloned().unwrap_or_default());
            match templar.render_template_file("server.properties.j2", TEMPLATE, &scope) {
                Ok(out) => bytes += out.len(),
                Err(e) => panic!("render failed: {e}"),
            }
        }
    }
    let renders = hosts * rounds;
    let elapsed = start.elapsed();
    println!("{renders} renders ({bytes} bytes) in {elapsed:?}: {:?} per render", elapsed / renders as u32);
}
