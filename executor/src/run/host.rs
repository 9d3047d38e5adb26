//! What the runner keeps per host during a play.

use crate::connection::ConnParams;
use crate::engine::HostState;
use crate::vars::Vars;

pub struct HostRun {
    pub name: String,
    /// The inventory's variables for the host (raw).
    pub inventory_vars: Vars,
    pub state: HostState,
    /// Handler names and `listen` topics notified and not yet run.
    pub notified: Vec<String>,
    /// Connection parameters, resolved on first use.
    pub conn: Option<ConnParams>,
    pub failed: bool,
    pub unreachable: bool,
    /// `meta: end_host`.
    pub ended: bool,
}

impl HostRun {
    pub fn new(name: &str, inventory_vars: Vars) -> Self {
        HostRun {
            name: name.to_string(),
            inventory_vars,
            state: HostState::default(),
            notified: Vec::new(),
            conn: None,
            failed: false,
            unreachable: false,
            ended: false,
        }
    }

    pub fn active(&self) -> bool {
        !self.failed && !self.unreachable && !self.ended
    }

    pub fn notify(&mut self, name: &str) {
        if !self.notified.iter().any(|n| n == name) {
            self.notified.push(name.to_string());
        }
    }
}
