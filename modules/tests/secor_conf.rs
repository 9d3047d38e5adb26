//! secor_conf: the 14 Secor processes of the Sunbird deployment rendered into a temp
//! dir through the agent, rerun, check mode, per-file changes, port refusals, and a
//! snapshot of one process's files.

use crate::common;

use std::fs;
use std::path::Path;

use common::Agent;
use modules::pipeline::secor_conf::SecorConf;
use modules::{Context, Module};
use serde_json::{json, Value};

/// (name, topic, base path, timestamp field, max file age s, ostrich port, parser)
const PROCESSES: [(&str, &str, &str, &str, u64, u16, &str); 14] = [
    ("device-profile-backup", "events.deviceprofile", "device-profile-events", "updated_date", 14400, 9988, "PatternDateMessageParser"),
    ("channel-telemetry-backup", "telemetry.with_location", "channel", "syncts", 14400, 9991, "ChannelDateMessageParser"),
    ("derived-telemetry-backup", "telemetry.derived", "derived", "syncts", 600, 9998, "PatternDateMessageParser"),
    ("failed-telemetry-backup", "telemetry.failed", "failed", "syncts", 14400, 9997, "PatternDateMessageParser"),
    ("ingestion-telemetry-backup", "telemetry.ingest", "ingest", "syncts", 14400, 9996, "PatternDateMessageParser"),
    ("learning-events-backup", "learning.graph.events", "learning-events", "createdOn", 14400, 9995, "PatternDateMessageParser"),
    ("raw-telemetry-backup", "telemetry.raw", "raw", "syncts", 14400, 9994, "PatternDateMessageParser"),
    ("unique-telemetry-backup", "telemetry.unique", "unique", "syncts", 14400, 9993, "PatternDateMessageParser"),
    ("learning-failed-backup", "learning.events.failed", "learning-failed-events", "ets", 3600, 9999, "PatternDateMessageParser"),
    ("denorm-events-backup", "telemetry.denorm", "telemetry-denormalized", "syncts", 14400, 9990, "PatternDateMessageParser"),
    ("pipeline-metrics-backup", "pipeline_metrics", "data-pipeline-metrics", "metricts", 21600, 9992, "PatternDateMessageParser"),
    ("extractor-failed-backup", "telemetry.extractor.failed", "extractor-failed", "syncts", 21600, 9989, "PatternDateMessageParser"),
    ("assess-events-backup", "telemetry.assess", "telemetry-batch-assess", "assessmentTs", 21600, 9987, "PatternDateMessageParser"),
    ("assess-raw-events-backup", "telemetry.assess.raw", "telemetry-raw-assess", "syncts", 21600, 9986, "PatternDateMessageParser"),
];

const FILES: [&str; 5] =
    ["secor.common.properties", "secor.properties", "secor.azure.properties", "secor.partition.properties", "log4j.properties"];

fn process(root: &Path, i: usize) -> Value {
    let (name, topic, path, ts, age, port, parser) = PROCESSES[i];
    json!({
        "name": name,
        "dest": root.join(name),
        "topic_filter": format!("dev.{topic}"),
        "kafka_seed_broker": "10.0.0.5:9092",
        "zookeeper_quorum": "10.0.0.6:2181,10.0.0.7:2181",
        "local_path": format!("/mount/{name}/message_logs/partition"),
        "max_file_age_seconds": age,
        "ostrich_port": port,
        "parser_class": parser,
        "timestamp_field": ts,
        "upload": {"backend": "azure", "container": "telemetry-data-store", "path": path, "account_name": "devstore", "account_key": "a2V5"},
    })
}

fn all(root: &Path) -> Value {
    json!({"processes": (0..PROCESSES.len()).map(|i| process(root, i)).collect::<Vec<_>>()})
}

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

#[test]
fn the_fourteen_processes_check_render_rerun_and_change_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();

    let r = agent.check("secor_conf", all(dir.path()));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.diff.len(), 14 * 5);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "check mode wrote nothing");

    let r = agent.run("secor_conf", all(dir.path()));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(msg(&r), "14 of 14 Secor process(es) changed");
    for (name, topic, path, ts, age, port, parser) in PROCESSES {
        let d = dir.path().join(name);
        for f in FILES {
            assert!(d.join(f).is_file(), "{name}/{f}");
        }
        let read = |f: &str| fs::read_to_string(d.join(f)).unwrap();
        let common = read("secor.common.properties");
        assert!(common.contains(&format!("\nostrich.port={port}\n")) && common.contains("\nkafka.seed.broker.host=10.0.0.5\n"));
        assert!(common.contains("\nzookeeper.quorum=10.0.0.6:2181,10.0.0.7:2181\n") && common.contains("\nsecor.consumer.threads=7\n"));
        assert!(common.contains("\nkafka.fetch.message.max.bytes=5242880\n") && common.contains("\nsecor.parser.timezone=Asia/Kolkata\n"));
        let props = read("secor.properties");
        assert!(
            props.contains(&format!("\nsecor.kafka.topic_filter=dev.{topic}\n"))
                && props.contains(&format!("\nsecor.kafka.group={name}\n"))
        );
        assert!(props.contains(&format!("\nmessage.timestamp.name={ts}\n")));
        assert!(props.contains(&format!("\nsecor.message.parser.class=com.pinterest.secor.parser.{parser}\n")));
        assert!(read("secor.azure.properties").contains(&format!("\nsecor.azure.path={path}\n")));
        let part = read("secor.partition.properties");
        assert!(part.contains(&format!("\nsecor.max.file.age.seconds={age}\n")) && part.contains("\ninclude=secor.azure.properties\n"));
        assert!(part.contains(&format!("\nsecor.local.path=/mount/{name}/message_logs/partition\n")));
    }

    let r = agent.run("secor_conf", all(dir.path()));
    assert!(!r.failed && !r.outcome.changed && r.outcome.diff.is_empty(), "second run is ok: {r:?}");

    // One process's file age changes: exactly one file of one process is rewritten.
    let mut changed = all(dir.path());
    changed["processes"][2]["max_file_age_seconds"] = json!(900);
    let before = fs::metadata(dir.path().join("raw-telemetry-backup/secor.partition.properties")).unwrap().modified().unwrap();
    let r = agent.run("secor_conf", changed);
    assert!(r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.diff.len(), 1);
    let d = &r.outcome.diff[0];
    assert!(d.before_header.as_deref().unwrap().ends_with("derived-telemetry-backup/secor.partition.properties"));
    assert!(d.before.contains("secor.max.file.age.seconds=600") && d.after.contains("secor.max.file.age.seconds=900"));
    let report = &r.outcome.values["processes"][2];
    assert_eq!(report["files"]["secor.partition.properties"], true);
    assert_eq!(report["files"]["secor.common.properties"], false);
    assert_eq!(r.outcome.values["processes"][0]["changed"], false);
    let after = fs::metadata(dir.path().join("raw-telemetry-backup/secor.partition.properties")).unwrap().modified().unwrap();
    assert_eq!(before, after, "untouched processes are not rewritten");
}

#[test]
fn duplicate_ostrich_ports_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let mut dup = all(dir.path());
    dup["processes"][13]["ostrich_port"] = json!(9994);
    let r = agent.run("secor_conf", dup);
    assert!(r.failed, "{r:?}");
    assert!(msg(&r).contains("\"assess-raw-events-backup\": ostrich_port 9994 is also used by \"raw-telemetry-backup\""), "{}", msg(&r));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");

    // Single-process form: the ports of the host's other processes come as taken_ports.
    let mut one = process(dir.path(), 6);
    one["taken_ports"] = json!([9993, 9994]);
    let r = agent.run("secor_conf", one);
    assert!(r.failed && msg(&r).contains("ostrich_port 9994 is already taken on this host"), "{r:?}");
    let mut one = process(dir.path(), 6);
    one["taken_ports"] = json!([9993]);
    let r = agent.run("secor_conf", one);
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["processes"][0]["name"], "raw-telemetry-backup");
}

#[test]
fn bad_arguments_are_refused_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let with = |k: &str, v: Value| {
        let mut p = process(dir.path(), 0);
        p[k] = v;
        p
    };
    let cases = [
        (with("kafka_seed_broker", json!("10.0.0.5")), "kafka_seed_broker \"10.0.0.5\" is not host:port"),
        (with("zookeeper_quorum", json!("a:2181,b")), "zookeeper_quorum \"b\" is not host:port"),
        (with("parser_class", json!("GuessParser")), "parser_class \"GuessParser\" is not one of"),
        (with("ostrich_port", json!("99999")), "not a valid port"),
        (with("max_file_age_seconds", json!(0)), "must be positive"),
        (with("topic_filter", json!("a\nb")), "must not contain line breaks"),
        (with("upload", json!({"backend": "azure", "container": "c", "path": "p"})), "missing field `account_name`"),
        (with("upload", json!({"backend": "ftp", "path": "p"})), "unknown variant `ftp`"),
        (with("upload", json!({"backend": "s3", "bucket": "b", "path": "p", "container": "c"})), "unknown field `container`"),
        (with("ostrich", json!(1)), "unknown field `ostrich`"),
        (with("name", json!("bad name")), "name must be letters"),
    ];
    for (args, want) in cases {
        let r = agent.run("secor_conf", args.clone());
        assert!(r.failed && msg(&r).contains(want), "{args}: {r:?}");
    }
    let mut p = process(dir.path(), 0);
    p.as_object_mut().unwrap().remove("timestamp_field");
    let r = agent.run("secor_conf", p);
    assert!(r.failed && msg(&r).contains("missing field `timestamp_field`"), "{r:?}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn s3_and_gcs_backends_write_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = process(dir.path(), 6);
    p["upload"] = json!({"backend": "s3", "bucket": "dp-backups", "path": "raw", "region": "ap-south-1"});
    let task: SecorConf = serde_json::from_value(p).unwrap();
    assert!(task.run(&Context::default()).unwrap().changed);
    let s3 = fs::read_to_string(dir.path().join("raw-telemetry-backup/secor.s3.properties")).unwrap();
    assert!(
        s3.contains("\nsecor.s3.bucket=dp-backups\n")
            && s3.contains("\nsecor.upload.manager.class=com.pinterest.secor.uploader.S3UploadManager\n")
    );
    let part = fs::read_to_string(dir.path().join("raw-telemetry-backup/secor.partition.properties")).unwrap();
    assert!(part.contains("\ninclude=secor.s3.properties\n"));

    let mut p = process(dir.path(), 7);
    p["upload"] = json!({"backend": "gcs", "bucket": "dp-backups", "path": "unique", "credentials_path": "/etc/secor/gcs.json"});
    let task: SecorConf = serde_json::from_value(p).unwrap();
    assert!(task.run(&Context::default()).unwrap().changed);
    assert!(!task.run(&Context::default()).unwrap().changed);
    let gs = fs::read_to_string(dir.path().join("unique-telemetry-backup/secor.gs.properties")).unwrap();
    assert!(gs.contains("\nsecor.gs.credentials.path=/etc/secor/gcs.json\n") && gs.contains("\ncloud.service=GS\n"));
}

#[test]
fn mode_is_applied_and_a_mode_change_alone_is_a_change() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let mut p = process(dir.path(), 4);
    p["mode"] = json!("0640");
    assert!(agent.run("secor_conf", p.clone()).outcome.changed);
    let file = dir.path().join("ingestion-telemetry-backup/secor.azure.properties");
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    assert!(!agent.run("secor_conf", p.clone()).outcome.changed);
    p["mode"] = json!("0600");
    let r = agent.check("secor_conf", p.clone());
    assert!(r.outcome.changed, "{r:?}");
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640, "check mode left it");
    assert!(agent.run("secor_conf", p.clone()).outcome.changed);
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!agent.run("secor_conf", p).outcome.changed);
}

#[test]
fn snapshot_of_the_channel_process_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = process(dir.path(), 1);
    p["partition_prefix"] = json!({"identifier": "eid", "mapping": {"ASSESS": "assess", "DEFAULT": "other"}});
    let task: SecorConf = serde_json::from_value(p).unwrap();
    task.run(&Context::default()).unwrap();
    let d = dir.path().join("channel-telemetry-backup");
    let mut all = String::new();
    for f in FILES {
        all.push_str(&format!("===== {f}\n{}", fs::read_to_string(d.join(f)).unwrap()));
    }
    insta::assert_snapshot!("channel_telemetry_backup_files", all);
}

#[test]
fn consumer_group_size_limit_writer_and_codec_are_written_and_a_change_rewrites_only_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let mut p = process(dir.path(), 6);
    p["consumer_group"] = json!("secor-raw-v2");
    p["max_file_size_bytes"] = json!("104857600");
    p["writer"] = json!("sequence_file");
    p["codec"] = json!("snappy");
    let r = agent.run("secor_conf", p.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    let d = dir.path().join("raw-telemetry-backup");
    let read = |f: &str| fs::read_to_string(d.join(f)).unwrap();
    assert!(read("secor.properties").contains("\nsecor.kafka.group=secor-raw-v2\n"));
    assert!(read("secor.partition.properties").contains("\nsecor.max.file.size.bytes=104857600\n"));
    let common = read("secor.common.properties");
    assert!(
        common.contains("\nsecor.file.reader.writer.factory=com.pinterest.secor.io.impl.SequenceFileReaderWriterFactory\n"),
        "{common}"
    );
    assert!(common.contains("\nsecor.compression.codec=org.apache.hadoop.io.compress.SnappyCodec\n"), "{common}");
    assert!(!agent.run("secor_conf", p.clone()).outcome.changed);

    p["codec"] = json!("none");
    let r = agent.run("secor_conf", p);
    assert!(r.outcome.changed && r.outcome.diff.len() == 1, "{r:?}");
    assert!(r.outcome.diff[0].before_header.as_deref().unwrap().ends_with("secor.common.properties"));
    assert!(read("secor.common.properties").contains("\nsecor.compression.codec=\n"));
}
