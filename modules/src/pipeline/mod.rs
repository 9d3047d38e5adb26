pub mod cassandra_schema;
pub mod yarn_app;
