//! All of the modules crate's integration tests in one binary: one link
//! instead of one per file keeps a clean CI build small and quick.

mod common;
mod kafka_cases;

mod agent_protocol;
mod ansible_compat_edits;
mod apt;
mod apt_sources;
mod authorized_key;
mod blockinfile;
mod cassandra_schema;
mod command;
mod copy;
mod cron;
mod file;
mod file_module_schemas;
mod find;
mod fuzz_regressions;
mod get_url;
mod git;
mod influxdb_database;
mod kafka_topic;
mod kafka_topic_legacy;
mod lineinfile;
mod postgres_db;
mod replace;
mod secor_conf;
mod service;
mod slurp;
mod stat;
mod system_module_schemas;
mod unarchive;
mod uri;
mod user_group;
mod wait_for;
mod yarn_app;
