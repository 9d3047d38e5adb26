//! One Secor consumer process, as structured arguments, and the checks a
//! process or a set of processes on one host must pass before anything is written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::ModuleError;
use crate::pipeline::lenient;

/// Where finished files are uploaded.
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
pub enum Upload {
    S3 {
        bucket: String,
        /// Base path inside the bucket.
        path: String,
        #[serde(default)]
        region: Option<String>,
        #[serde(default)]
        endpoint: Option<String>,
        #[serde(default)]
        access_key: Option<String>,
        #[serde(default)]
        secret_key: Option<String>,
    },
    Gcs {
        bucket: String,
        path: String,
        /// A service-account JSON key file on the host.
        #[serde(default)]
        credentials_path: Option<String>,
    },
    Azure {
        container: String,
        path: String,
        account_name: String,
        #[serde(default)]
        account_key: Option<String>,
        #[serde(default = "https")]
        endpoints_protocol: String,
    },
}

fn https() -> String {
    "https".into()
}

impl Upload {
    /// The backend's file name part (`secor.<it>.properties`).
    pub fn file_stem(&self) -> &'static str {
        match self {
            Upload::S3 { .. } => "s3",
            Upload::Gcs { .. } => "gs",
            Upload::Azure { .. } => "azure",
        }
    }
    pub fn path(&self) -> &str {
        match self {
            Upload::S3 { path, .. } | Upload::Gcs { path, .. } | Upload::Azure { path, .. } => path,
        }
    }
}

/// The Kafka message field that routes a message to a path prefix (Sunbird's Secor fork).
#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartitionPrefix {
    /// The message field whose value selects the prefix (e.g. `eid`).
    pub identifier: String,
    /// Field value → path prefix; `DEFAULT` for everything else.
    pub mapping: BTreeMap<String, String>,
}

/// Lower case, as `writer`'s values are (`codec: snappy`).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    #[default]
    Gzip,
    Snappy,
    Bzip2,
    Deflate,
    /// No compression.
    None,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    #[default]
    DelimitedText,
    SequenceFile,
}

/// Parsers that ship with Secor (and Sunbird's fork); a dotted name is taken as a class name.
pub const KNOWN_PARSERS: &[&str] = &[
    "PatternDateMessageParser",
    "ChannelDateMessageParser",
    "DateMessageParser",
    "JsonMessageParser",
    "TimestampedMessageParser",
    "OffsetMessageParser",
    "ThriftMessageParser",
    "MessagePackParser",
    "RegexMessageParser",
    "SplitByFieldMessageParser",
];

/// One Secor consumer process.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecorProcess {
    /// The process/service name (`raw-telemetry-backup`); also the default consumer group.
    pub name: String,
    /// Directory of the process's Secor install, where the files go. Default `/mount/<name>`.
    #[serde(default)]
    pub dest: Option<PathBuf>,
    /// `secor.kafka.topic_filter`: a regular expression over topic names.
    pub topic_filter: String,
    /// `secor.kafka.group`; defaults to `name`.
    #[serde(default)]
    pub consumer_group: Option<String>,
    /// One broker as `host:port`.
    pub kafka_seed_broker: String,
    /// `host:port[,host:port…]`.
    pub zookeeper_quorum: String,
    pub upload: Upload,
    /// Where messages are buffered before upload. Default `<dest>/message_logs/partition`.
    #[serde(default)]
    pub local_path: Option<String>,
    #[serde(default = "size_default", deserialize_with = "lenient::u64")]
    #[schemars(with = "u64")]
    pub max_file_size_bytes: u64,
    #[serde(deserialize_with = "lenient::u64")]
    #[schemars(with = "u64")]
    pub max_file_age_seconds: u64,
    /// A parser short name (see the Secor docs) or a fully-qualified class name.
    #[serde(default = "parser_default")]
    pub parser_class: String,
    /// `message.timestamp.name`: the field holding the event time.
    pub timestamp_field: String,
    /// `message.timestamp.input.pattern` for string timestamps (numbers are epoch millis).
    #[serde(default)]
    pub timestamp_pattern: Option<String>,
    #[serde(default)]
    pub partition_prefix: Option<PartitionPrefix>,
    /// `secor.partition.output_dt_format`.
    #[serde(default = "dt_default")]
    pub output_date_format: String,
    #[serde(deserialize_with = "lenient::u16")]
    #[schemars(with = "u16")]
    pub ostrich_port: u16,
    #[serde(default = "threads_default", deserialize_with = "lenient::u32")]
    #[schemars(with = "u32")]
    pub consumer_threads: u32,
    #[serde(default = "fetch_default", deserialize_with = "lenient::u64")]
    #[schemars(with = "u64")]
    pub fetch_message_max_bytes: u64,
    #[serde(default = "tz_default")]
    pub timezone: String,
    #[serde(default = "pattern_default")]
    pub file_pattern: String,
    /// Compression of the uploaded files: `gzip` (default), `snappy`, `bzip2`, `deflate`, `none`.
    #[serde(default)]
    pub codec: Codec,
    /// File format: `delimited_text` (default) or `sequence_file`.
    #[serde(default)]
    pub writer: Writer,
    /// Directory for the process's log file.
    #[serde(default = "log_dir_default")]
    pub log_dir: String,
    /// Mode of the written files (`"0640"`); they may hold storage credentials. Default: keep, or 0644 for new files.
    #[serde(default, deserialize_with = "lenient::opt_mode")]
    #[schemars(with = "Option<String>")]
    pub mode: Option<u32>,
    /// Ostrich ports already used by other Secor processes on this host (single-process form).
    #[serde(default)]
    pub taken_ports: Vec<u16>,
}

fn size_default() -> u64 {
    100_000_000
}
fn parser_default() -> String {
    "PatternDateMessageParser".into()
}
fn dt_default() -> String {
    "yyyy-MM-dd".into()
}
fn threads_default() -> u32 {
    7
}
fn fetch_default() -> u64 {
    5_242_880
}
fn tz_default() -> String {
    "Asia/Kolkata".into()
}
fn pattern_default() -> String {
    "{partition}-{currentTimestamp}.json".into()
}
fn log_dir_default() -> String {
    "/mount/secor/logs".into()
}

fn bad(name: &str, what: String) -> ModuleError {
    ModuleError::BadArgs(format!("secor process {name:?}: {what}"))
}

fn host_port(name: &str, field: &str, s: &str) -> Result<(String, u16), ModuleError> {
    let (h, p) = s.rsplit_once(':').ok_or_else(|| bad(name, format!("{field} {s:?} is not host:port")))?;
    let port: u16 = p.parse().ok().filter(|p| *p > 0).ok_or_else(|| bad(name, format!("{field} {s:?} has no valid port")))?;
    if h.is_empty() {
        return Err(bad(name, format!("{field} {s:?} has no host")));
    }
    Ok((h.to_string(), port))
}

impl SecorProcess {
    pub fn dest(&self) -> PathBuf {
        self.dest.clone().unwrap_or_else(|| PathBuf::from(format!("/mount/{}", self.name)))
    }
    pub fn group(&self) -> &str {
        self.consumer_group.as_deref().unwrap_or(&self.name)
    }
    pub fn local_path(&self) -> String {
        self.local_path.clone().unwrap_or_else(|| format!("{}/message_logs/partition", self.dest().display()))
    }
    pub fn seed_broker(&self) -> Result<(String, u16), ModuleError> {
        host_port(&self.name, "kafka_seed_broker", &self.kafka_seed_broker)
    }
    pub fn parser(&self) -> String {
        if self.parser_class.contains('.') {
            self.parser_class.clone()
        } else {
            format!("com.pinterest.secor.parser.{}", self.parser_class)
        }
    }

    /// Everything about one process that can be checked without the others.
    pub fn validate(&self) -> Result<(), ModuleError> {
        let n = &self.name;
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
            return Err(bad(n, "name must be letters, digits, '.', '_' or '-'".into()));
        }
        for (field, v) in [
            ("topic_filter", &self.topic_filter),
            ("timestamp_field", &self.timestamp_field),
            ("upload.path", &self.upload.path().to_string()),
        ] {
            if v.trim().is_empty() {
                return Err(bad(n, format!("{field} must not be empty")));
            }
        }
        self.seed_broker()?;
        for member in self.zookeeper_quorum.split(',') {
            host_port(n, "zookeeper_quorum", member.trim())?;
        }
        if self.ostrich_port == 0 {
            return Err(bad(n, "ostrich_port must not be 0".into()));
        }
        if self.max_file_age_seconds == 0 || self.max_file_size_bytes == 0 || self.consumer_threads == 0 {
            return Err(bad(n, "max_file_age_seconds, max_file_size_bytes and consumer_threads must be positive".into()));
        }
        if !self.parser_class.contains('.') && !KNOWN_PARSERS.contains(&self.parser_class.as_str()) {
            return Err(bad(
                n,
                format!(
                    "parser_class {:?} is not one of {} (or a fully-qualified class name)",
                    self.parser_class,
                    KNOWN_PARSERS.join(", ")
                ),
            ));
        }
        if !self.file_pattern.contains("{partition}") {
            return Err(bad(
                n,
                format!("file_pattern {:?} must contain {{partition}} so files of different partitions do not collide", self.file_pattern),
            ));
        }
        if let Some(p) = &self.partition_prefix {
            if p.identifier.trim().is_empty() || p.mapping.is_empty() {
                return Err(bad(n, "partition_prefix needs an identifier and a non-empty mapping".into()));
            }
        }
        Ok(())
    }
}

/// Processes that share a host: names, destinations and ostrich ports must not collide,
/// with each other or with `taken` (ports used by processes not listed).
pub fn validate_host(processes: &[SecorProcess], taken: &[u16]) -> Result<(), ModuleError> {
    for (i, p) in processes.iter().enumerate() {
        p.validate()?;
        let mut taken_here: Vec<u16> = taken.to_vec();
        taken_here.extend(&p.taken_ports);
        if taken_here.contains(&p.ostrich_port) {
            return Err(bad(&p.name, format!("ostrich_port {} is already taken on this host", p.ostrich_port)));
        }
        for q in &processes[..i] {
            if q.ostrich_port == p.ostrich_port {
                return Err(bad(
                    &p.name,
                    format!("ostrich_port {} is also used by {:?}; ports must be unique per host", p.ostrich_port, q.name),
                ));
            }
            if q.name == p.name {
                return Err(bad(&p.name, "is listed twice".into()));
            }
            if q.dest() == p.dest() {
                return Err(bad(&p.name, format!("dest {} is also used by {:?}", p.dest().display(), q.name)));
            }
        }
    }
    Ok(())
}
