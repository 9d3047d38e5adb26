//! `cassandra_schema` (in progress).
