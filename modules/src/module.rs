//! The module contract: query first, then act.
//!
//! `run` is the only required method; modules use [`Context::check_mode`] to
//! stop after deciding what would change (query-then-act), and fill
//! [`Outcome::diff`] when `ctx.diff` is set.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ModuleError;

/// What the engine tells a module about this run.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Report what would change, change nothing.
    pub check_mode: bool,
    /// Compute before/after content for changed files.
    pub diff: bool,
}

/// A before/after pair for `--diff`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Diff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_header: Option<String>,
    pub before: String,
    pub after: String,
}

/// The result of a module run, in Ansible's vocabulary.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Outcome {
    pub changed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<Diff>,
    /// Module-specific return values (`rc`, `stdout`, `stat`, `path`, …),
    /// merged into the registered result.
    #[serde(flatten)]
    pub values: Map<String, Value>,
}

impl Outcome {
    pub fn changed(changed: bool) -> Self {
        Outcome { changed, ..Default::default() }
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.values.insert(key.to_string(), value.into());
        self
    }
    pub fn with_msg(mut self, msg: impl Into<String>) -> Self {
        self.msg = Some(msg.into());
        self
    }
}

/// A module: typed arguments that know how to bring a host to the state
/// they describe.
pub trait Module: DeserializeOwned + schemars::JsonSchema {
    /// The Ansible name (`file`, `copy`, `kafka_topic`, …).
    const NAME: &'static str;
    /// Read the current state, decide, and (unless `ctx.check_mode`) act.
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError>;
}

/// Parse arguments the way the executor and the agent both do: unknown
/// arguments and wrong types are errors.
/// Values are first converted to the declared types as Ansible does
/// (`"4"` → 4 for an integer option, `"yes"` → true), see [`crate::args`].
pub fn parse_args<M: Module>(args: &Value) -> Result<M, ModuleError> {
    let args = if args.is_null() { Value::Object(Map::new()) } else { args.clone() };
    let schema = serde_json::to_value(schemars::schema_for!(M)).unwrap_or(Value::Bool(true));
    let args = crate::args::coerce(args, &schema);
    serde_json::from_value(args).map_err(|e| ModuleError::BadArgs(format!("{}: {e}", M::NAME)))
}
