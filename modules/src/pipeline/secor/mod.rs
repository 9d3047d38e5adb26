//! Secor consumer processes: typed arguments, validation, and the property files they render to.

pub mod process;
pub mod render;
