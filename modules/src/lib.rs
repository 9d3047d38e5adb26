//! dpctl's modules: each one a typed, idempotent unit of work that can be used
//! alone from Rust, run by `dpctl-agent` on a host, or validated by the
//! executor before anything is touched.
//!
//! A module is a `#[serde(deny_unknown_fields)]` argument struct that
//! implements [`Module`]. It registers itself with [`register_module!`], so
//! there is no hand-maintained list: the executor and the agent both find it
//! through [`registry`].

pub mod agent;
pub mod error;
pub mod module;
pub mod protocol;
pub mod registry;

pub mod args;
pub mod async_job;
pub mod controller;
pub mod core;
pub mod pipeline;
pub mod util;

pub use error::ModuleError;
pub use module::{Context, Module, Outcome};
pub use registry::{lookup, ModuleSpec, Side};

// The data-pipeline modules at the crate root too, so that library users can
// write `modules::kafka_topic::KafkaTopic { .. }.run(&ctx)`.
pub use pipeline::{cassandra_schema, influxdb_database, kafka_topic, postgres_db, secor_conf, yarn_app};

#[doc(hidden)]
pub use inventory;
