//! The data-pipeline modules: typed, idempotent clients of each system's own protocol.

pub mod cassandra_schema;
pub mod influxdb;
pub mod influxdb_database;
pub mod kafka;
pub mod kafka_topic;
pub mod lenient;
pub mod postgres;
pub mod postgres_db;
pub mod secor;
pub mod secor_conf;
pub mod state;
pub mod yarn_app;
