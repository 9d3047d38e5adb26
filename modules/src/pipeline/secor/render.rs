//! The property files of one Secor process. Secor (0.25) reads
//! `-Dconfig=secor.partition.properties`, which includes the backend file,
//! which includes `secor.properties`, which includes `secor.common.properties`.

use std::fmt::Write as _;

use super::process::{Codec, SecorProcess, Upload, Writer};
use crate::error::ModuleError;

/// A file name and its full content.
pub type File = (String, String);

struct Props {
    out: String,
    /// Secor reads its files with Commons Configuration, which splits values at `,`
    /// unless escaped; log4j reads plain java.util.Properties.
    escape_commas: bool,
}

impl Props {
    fn new(process: &str, about: &str) -> Props {
        Props {
            escape_commas: true,
            out: format!("# Managed by dpctl (secor_conf) for Secor process {process}: {about}.\n# Local changes are overwritten.\n"),
        }
    }
    fn log4j(process: &str) -> Props {
        Props { escape_commas: false, ..Props::new(process, "logging") }
    }
    fn section(&mut self, title: &str) {
        let _ = write!(self.out, "\n# {title}\n");
    }
    fn set(&mut self, key: &str, value: impl std::fmt::Display) {
        // .properties: a backslash escapes, so it must be doubled; line breaks were refused earlier.
        let mut value = value.to_string().replace('\\', "\\\\");
        if self.escape_commas {
            value = value.replace(',', "\\,");
        }
        let _ = writeln!(self.out, "{key}={value}");
    }
    /// A value Secor reads as a list (`getStringArray`), so its commas separate items.
    fn set_list(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.out, "{key}={}", value.replace('\\', "\\\\"));
    }
    fn set_opt(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.set(key, v);
        }
    }
}

fn codec_class(c: Codec) -> &'static str {
    match c {
        Codec::Gzip => "org.apache.hadoop.io.compress.GzipCodec",
        Codec::Snappy => "org.apache.hadoop.io.compress.SnappyCodec",
        Codec::Bzip2 => "org.apache.hadoop.io.compress.BZip2Codec",
        Codec::Deflate => "org.apache.hadoop.io.compress.DefaultCodec",
        Codec::None => "",
    }
}

fn writer_class(w: Writer) -> &'static str {
    match w {
        Writer::DelimitedText => "com.pinterest.secor.io.impl.DelimitedTextFileReaderWriterFactory",
        Writer::SequenceFile => "com.pinterest.secor.io.impl.SequenceFileReaderWriterFactory",
    }
}

fn no_line_breaks(p: &SecorProcess) -> Result<(), ModuleError> {
    let mut values: Vec<&String> = vec![
        &p.name,
        &p.topic_filter,
        &p.kafka_seed_broker,
        &p.zookeeper_quorum,
        &p.parser_class,
        &p.timestamp_field,
        &p.output_date_format,
        &p.timezone,
        &p.file_pattern,
        &p.log_dir,
    ];
    values.extend([&p.consumer_group, &p.local_path, &p.timestamp_pattern].into_iter().flatten());
    match &p.upload {
        Upload::S3 { bucket, path, region, endpoint, access_key, secret_key } => {
            values.extend([bucket, path]);
            values.extend([region, endpoint, access_key, secret_key].into_iter().flatten());
        }
        Upload::Gcs { bucket, path, credentials_path } => {
            values.extend([bucket, path]);
            values.extend(credentials_path);
        }
        Upload::Azure { container, path, account_name, account_key, endpoints_protocol } => {
            values.extend([container, path, account_name, endpoints_protocol]);
            values.extend(account_key);
        }
    }
    if let Some(prefix) = &p.partition_prefix {
        values.push(&prefix.identifier);
        values.extend(prefix.mapping.iter().flat_map(|(k, v)| [k, v]));
    }
    if values.iter().any(|v| v.contains(['\n', '\r'])) {
        return Err(ModuleError::BadArgs(format!("secor process {:?}: values must not contain line breaks", p.name)));
    }
    Ok(())
}

/// The five files, in a fixed order.
pub fn render(p: &SecorProcess) -> Result<Vec<File>, ModuleError> {
    no_line_breaks(p)?;
    let (broker_host, broker_port) = p.seed_broker()?;
    let backend = format!("secor.{}.properties", p.upload.file_stem());

    let mut common = Props::new(&p.name, "settings shared by every file");
    common.section("Kafka");
    common.set("kafka.seed.broker.host", &broker_host);
    common.set("kafka.seed.broker.port", broker_port);
    common.set_list("zookeeper.quorum", &p.zookeeper_quorum);
    common.set("kafka.zookeeper.path", "/");
    common.set("secor.zookeeper.path", "/");
    common.set("kafka.offsets.storage", "zookeeper");
    common.set("kafka.dual.commit.enabled", "false");
    common.set("kafka.consumer.timeout.ms", 10000);
    common.set("kafka.consumer.auto.offset.reset", "smallest");
    common.set("kafka.partition.assignment.strategy", "range");
    common.set("kafka.fetch.message.max.bytes", p.fetch_message_max_bytes);
    common.section("Consumer");
    common.set("secor.consumer.threads", p.consumer_threads);
    common.set("secor.messages.per.second", 10000);
    common.set("secor.offsets.per.partition", 10000000);
    common.set("secor.topic_partition.forget.seconds", 600);
    common.set("secor.local.log.delete.age.hours", -1);
    common.section("Output");
    common.set("secor.file.reader.writer.factory", writer_class(p.writer));
    common.set("secor.compression.codec", codec_class(p.codec));
    common.set("secor.file.extension", "");
    common.set("secor.s3.output_file_pattern", &p.file_pattern);
    common.set("secor.parser.timezone", &p.timezone);
    common.section("Monitoring");
    common.set("ostrich.port", p.ostrich_port);
    common.set("secor.monitoring.prefix", "secor");

    let mut props = Props::new(&p.name, "the process's consumer and parser");
    props.set("include", "secor.common.properties");
    props.section("Consumer");
    props.set("secor.kafka.topic_filter", &p.topic_filter);
    props.set("secor.kafka.group", p.group());
    props.section("Parser");
    props.set("secor.message.parser.class", p.parser());
    props.set("message.timestamp.name", &p.timestamp_field);
    props.set_opt("message.timestamp.input.pattern", &p.timestamp_pattern);
    props.set("secor.partition.output_dt_format", &p.output_date_format);
    match &p.partition_prefix {
        Some(prefix) => {
            props.set("secor.partition.prefix.enable", "true");
            props.set("secor.partition.prefix.identifier", &prefix.identifier);
            props.set("secor.partition.prefix.mapping", serde_json::to_string(&prefix.mapping).unwrap_or_default());
        }
        None => props.set("secor.partition.prefix.enable", "false"),
    }

    let mut cloud = Props::new(&p.name, "where finished files are uploaded");
    cloud.set("include", "secor.properties");
    match &p.upload {
        Upload::S3 { bucket, path, region, endpoint, access_key, secret_key } => {
            cloud.set("cloud.service", "S3");
            cloud.set("secor.upload.manager.class", "com.pinterest.secor.uploader.S3UploadManager");
            cloud.set("secor.s3.bucket", bucket);
            cloud.set("secor.s3.path", path);
            cloud.set_opt("aws.region", region);
            cloud.set_opt("aws.endpoint", endpoint);
            cloud.set_opt("aws.access.key", access_key);
            cloud.set_opt("aws.secret.key", secret_key);
        }
        Upload::Gcs { bucket, path, credentials_path } => {
            cloud.set("cloud.service", "GS");
            cloud.set("secor.upload.manager.class", "com.pinterest.secor.uploader.GsUploadManager");
            cloud.set("secor.gs.bucket", bucket);
            cloud.set("secor.gs.path", path);
            cloud.set_opt("secor.gs.credentials.path", credentials_path);
        }
        Upload::Azure { container, path, account_name, account_key, endpoints_protocol } => {
            cloud.set("cloud.service", "Azure");
            cloud.set("secor.upload.manager.class", "com.pinterest.secor.uploader.AzureUploadManager");
            cloud.set("secor.azure.endpoints.protocol", endpoints_protocol);
            cloud.set("secor.azure.account.name", account_name);
            cloud.set_opt("secor.azure.account.key", account_key);
            cloud.set("secor.azure.container.name", container);
            cloud.set("secor.azure.path", path);
        }
    }

    let mut partition = Props::new(&p.name, "the file Secor is started with (-Dconfig=secor.partition.properties)");
    partition.set("include", &backend);
    partition.set("secor.local.path", p.local_path());
    partition.set("secor.max.file.size.bytes", p.max_file_size_bytes);
    partition.set("secor.max.file.age.seconds", p.max_file_age_seconds);

    let mut log4j = Props::log4j(&p.name);
    log4j.set("log4j.rootLogger", "INFO, ROLLINGFILE");
    log4j.set("log4j.appender.ROLLINGFILE", "org.apache.log4j.RollingFileAppender");
    log4j.set("log4j.appender.ROLLINGFILE.Threshold", "INFO");
    log4j.set("log4j.appender.ROLLINGFILE.File", format!("{}/{}.log", p.log_dir.trim_end_matches('/'), p.name));
    log4j.set("log4j.appender.ROLLINGFILE.MaxFileSize", "20MB");
    log4j.set("log4j.appender.ROLLINGFILE.MaxBackupIndex", 10);
    log4j.set("log4j.appender.ROLLINGFILE.layout", "org.apache.log4j.PatternLayout");
    log4j.set("log4j.appender.ROLLINGFILE.layout.ConversionPattern", "%d{ISO8601} [%t] (%C:%L) %-5p %m%n");

    Ok(vec![
        ("secor.common.properties".into(), common.out),
        ("secor.properties".into(), props.out),
        (backend, cloud.out),
        ("secor.partition.properties".into(), partition.out),
        ("log4j.properties".into(), log4j.out),
    ])
}
