//! `slurp`: a file's content, base64-encoded, as Ansible returns it.

use std::path::PathBuf;

use base64::Engine;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Slurps a file from remote nodes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slurp {
    /// The file on the remote system to fetch. This must be a file, not a directory.
    #[serde(alias = "path")]
    pub src: PathBuf,
}

impl Module for Slurp {
    const NAME: &'static str = "slurp";

    fn run(&self, _ctx: &Context) -> Result<Outcome, ModuleError> {
        let src = &self.src;
        let bytes = match std::fs::read(src) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ModuleError::Failed(format!("File not found: {}", src.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory || src.is_dir() => {
                return Err(ModuleError::Failed(format!("Source is a directory and must be a file: {}", src.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(ModuleError::Failed(format!("File is not readable: {}", src.display())))
            }
            Err(e) => return Err(ModuleError::io(format!("unable to slurp file {}", src.display()), e)),
        };
        Ok(Outcome::changed(false)
            .with("content", base64::engine::general_purpose::STANDARD.encode(bytes))
            .with("encoding", "base64")
            .with("source", src.to_string_lossy().into_owned()))
    }
}

register_module!(Slurp);
