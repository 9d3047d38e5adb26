//! Modules register themselves (`register_module!`) into a link-time
//! collection, so adding a module never means editing a central list.

use serde_json::Value;

use crate::error::ModuleError;
use crate::module::{Context, Module, Outcome};

/// Where a module's work happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Runs on the target host, inside `dpctl-agent`.
    Remote,
    /// Runs inside the executor (set_fact, debug, assert, include_vars, meta, …);
    /// the modules crate only owns its argument type.
    Controller,
}

/// One registered module.
pub struct ModuleSpec {
    pub name: &'static str,
    pub side: Side,
    /// Deserialize the arguments into the typed struct and drop it.
    pub validate: fn(&Value) -> Result<(), ModuleError>,
    /// Deserialize and run (remote modules only; controller ones error).
    pub run: fn(&Value, &Context) -> Result<Outcome, ModuleError>,
    /// The argument schema, with the doc comments as descriptions.
    pub schema: fn() -> schemars::Schema,
}

inventory::collect!(ModuleSpec);

/// Prefixes under which Ansible users write the same module.
const NAMESPACES: &[&str] = &["ansible.builtin.", "ansible.legacy.", "community.general.", "community.postgresql.", "dpctl."];

/// The canonical name of a module as written in a task (`ansible.builtin.copy` → `copy`).
pub fn canonical_name(name: &str) -> &str {
    NAMESPACES.iter().find_map(|ns| name.strip_prefix(ns)).unwrap_or(name)
}

/// Find a module by the name a task uses.
pub fn lookup(name: &str) -> Option<&'static ModuleSpec> {
    let name = canonical_name(name);
    inventory::iter::<ModuleSpec>.into_iter().find(|m| m.name == name)
}

/// Every registered module, sorted by name.
pub fn all() -> Vec<&'static ModuleSpec> {
    let mut v: Vec<_> = inventory::iter::<ModuleSpec>.into_iter().collect();
    v.sort_by_key(|m| m.name);
    v
}

#[doc(hidden)]
pub fn validate_as<M: Module>(args: &Value) -> Result<(), ModuleError> {
    crate::module::parse_args::<M>(args).map(|_| ())
}

#[doc(hidden)]
pub fn run_as<M: Module>(args: &Value, ctx: &Context) -> Result<Outcome, ModuleError> {
    crate::module::parse_args::<M>(args)?.run(ctx)
}

#[doc(hidden)]
pub fn controller_only(_: &Value, _: &Context) -> Result<Outcome, ModuleError> {
    Err(ModuleError::Failed("this module runs in the executor, not on a host".into()))
}

#[doc(hidden)]
pub fn schema_of<M: Module>() -> schemars::Schema {
    schemars::schema_for!(M)
}

/// Register a module type: `register_module!(File);` or, for a module whose
/// work the executor does, `register_module!(SetFact, controller);`.
#[macro_export]
macro_rules! register_module {
    ($ty:ty) => {
        $crate::inventory::submit! {
            $crate::registry::ModuleSpec {
                name: <$ty as $crate::module::Module>::NAME,
                side: $crate::registry::Side::Remote,
                validate: $crate::registry::validate_as::<$ty>,
                run: $crate::registry::run_as::<$ty>,
                schema: $crate::registry::schema_of::<$ty>,
            }
        }
    };
    ($ty:ty, controller) => {
        $crate::inventory::submit! {
            $crate::registry::ModuleSpec {
                name: <$ty as $crate::module::Module>::NAME,
                side: $crate::registry::Side::Controller,
                validate: $crate::registry::validate_as::<$ty>,
                run: $crate::registry::controller_only,
                schema: $crate::registry::schema_of::<$ty>,
            }
        }
    };
}
