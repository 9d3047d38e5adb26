//! Shared building blocks for modules: atomic file writes and running commands.

pub mod command;
pub mod fs;
