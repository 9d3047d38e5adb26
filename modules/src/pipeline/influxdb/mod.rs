//! InfluxDB 1.x building blocks: the `/query` HTTP client, InfluxQL quoting and durations.

pub mod client;
pub mod duration;
