//! Ansible's filters (the ones real roles use), grouped by theme.

mod collections;
mod core;
mod json_query;
mod password;
mod random;
mod serialize;
mod text;

use minijinja::{Environment, Error, ErrorKind};

pub(crate) fn register(env: &mut Environment<'static>) {
    core::register(env);
    text::register(env);
    collections::register(env);
    serialize::register(env);
    env.add_filter("json_query", json_query::json_query);
    env.add_filter("password_hash", password::password_hash);
    env.add_filter("random", random::random);
    env.add_filter("shuffle", random::shuffle);
}

/// A filter failure with a message.
pub(crate) fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}
