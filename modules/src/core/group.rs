//! `group`: a local group, through `groupadd`/`groupmod`/`groupdel`.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::accounts;
use crate::util::command::{self, CommandSpec};
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresentAbsent {
    Present,
    Absent,
}

/// Add or remove groups.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// The group's number.
    #[serde(default, deserialize_with = "crate::util::scalar::int_opt")]
    pub gid: Option<u32>,
    /// Create a system group (a number from the system range).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub system: bool,
    /// Allow a `gid` another group already has.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub non_unique: bool,
    /// Whether the group should exist.
    #[serde(default = "present")]
    pub state: PresentAbsent,
}

fn present() -> PresentAbsent {
    PresentAbsent::Present
}

impl Group {
    /// The command that brings the group to the requested state, if any.
    fn plan(&self) -> Result<Option<Vec<String>>, ModuleError> {
        let current = accounts::groups()?.into_iter().find(|g| g.name == self.name);
        Ok(match (self.state, current) {
            (PresentAbsent::Absent, Some(_)) => Some(vec!["groupdel".into(), self.name.clone()]),
            (PresentAbsent::Absent, None) => None,
            (PresentAbsent::Present, None) => {
                let mut argv = vec!["groupadd".to_string()];
                if let Some(gid) = self.gid {
                    argv.extend(["-g".into(), gid.to_string()]);
                    if self.non_unique {
                        argv.push("-o".into());
                    }
                }
                if self.system {
                    argv.push("-r".into());
                }
                argv.push(self.name.clone());
                Some(argv)
            }
            (PresentAbsent::Present, Some(g)) => match self.gid {
                Some(gid) if gid != g.gid => {
                    let mut argv = vec!["groupmod".to_string(), "-g".into(), gid.to_string()];
                    if self.non_unique {
                        argv.push("-o".into());
                    }
                    argv.push(self.name.clone());
                    Some(argv)
                }
                _ => None,
            },
        })
    }
}

impl Module for Group {
    const NAME: &'static str = "group";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.name.is_empty() || self.name.starts_with('-') || self.name.contains([':', ',', '\n', '/']) {
            return Err(ModuleError::BadArgs(format!("invalid group name {:?}", self.name)));
        }
        let plan = self.plan()?;
        if let (Some(argv), false) = (&plan, ctx.check_mode) {
            command::run_ok(&CommandSpec::new(argv.clone()))?;
        }
        let mut o = Outcome::changed(plan.is_some()).with("name", self.name.clone());
        o = o.with("state", if self.state == PresentAbsent::Present { "present" } else { "absent" });
        if self.state == PresentAbsent::Present {
            let gid = accounts::group(&self.name)?.map(|g| g.gid).or(self.gid);
            o = o.with("system", self.system);
            if let Some(gid) = gid {
                o = o.with("gid", gid);
            }
        }
        Ok(o)
    }
}

register_module!(Group);
