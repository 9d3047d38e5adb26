//! Modules whose work the executor does (Ansible's "action plugins" that
//! never reach a host). They live here so that their arguments are typed and
//! checked like every other module's, and documented the same way.

pub mod assert;
pub mod debug;
pub mod fail;
pub mod include;
pub mod include_vars;
pub mod meta;
pub mod pause;
pub mod set_fact;
pub mod template;

/// The controller modules' `run` is never called: the executor handles them.
macro_rules! controller_module {
    ($ty:ty, $name:literal) => {
        impl $crate::Module for $ty {
            const NAME: &'static str = $name;
            fn run(&self, _ctx: &$crate::Context) -> Result<$crate::Outcome, $crate::ModuleError> {
                Err($crate::ModuleError::Failed(concat!($name, " runs in the executor, not on a host").into()))
            }
        }
        $crate::register_module!($ty, controller);
    };
}
pub(crate) use controller_module;
