//! Shared building blocks for modules: atomic file writes and running commands.

pub mod accounts;
pub mod apt;
pub mod boolish;
pub mod clock;
pub mod command;
pub mod diff;
pub mod filewrite;
pub mod fs;
pub mod scalar;
pub mod services;
