//! Shared building blocks for modules: atomic file writes and running commands.

pub mod accounts;
pub mod apt;
pub mod attrs;
pub mod boolish;
pub mod checksum;
pub mod clock;
pub mod command;
pub mod diff;
pub mod filewrite;
pub mod fs;
pub mod http_client;
pub mod intish;
pub mod listish;
pub mod pyregex;
pub mod scalar;
pub mod services;
pub mod ssh_keygen;
pub mod tls;
