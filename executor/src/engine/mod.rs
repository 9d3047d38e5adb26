//! Planning shared by `check`, `render` and the runner: which hosts a play
//! targets, what variables a task sees on a host, how loops expand.

pub mod collector;
pub mod hosts;
pub mod loops;
pub mod scope;
pub mod static_walk;
pub mod walk;

pub use scope::{HostState, PlayScope, RunConfig};
pub use walk::{flatten, FlatTask, Section};
