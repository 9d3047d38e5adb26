//! PostgreSQL building blocks for the `postgres_db` module: connecting,
//! quoting, and one planner per kind of object. Each planner reads the
//! catalog and returns the [`step::Step`]s that would bring the object to
//! the wanted state; nothing is changed until the module applies them.

pub mod connect;
pub mod database;
pub mod mapping;
pub mod migrations;
pub mod privileges;
pub mod quote;
pub mod role;
pub mod scram;
pub mod step;
pub mod tls;
pub mod upsert;
