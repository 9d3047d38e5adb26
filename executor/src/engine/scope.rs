//! The variables one task sees on one host, built by precedence level
//! (see `crate::vars`), plus the magic variables Ansible defines.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::inventory::Inventory;
use crate::playbook::{Play, Task};
use crate::template::{HostvarsProvider, Scope, Templar};
use crate::vars::{VarLayers, Vars};

/// What a whole run shares.
pub struct RunConfig {
    pub inventory: Arc<Inventory>,
    pub templar: Arc<Templar>,
    pub extra_vars: Vars,
    pub check_mode: bool,
    pub diff: bool,
    pub verbosity: u8,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
}

/// What a host has gathered during the play: set_fact/register results and include_vars.
#[derive(Debug, Clone, Default)]
pub struct HostState {
    pub vars_files: Vars,
    pub facts: Vars,
    pub include_vars: Vars,
}

/// Every host's inventory vars plus what it gathered, for `hostvars[...]`.
pub struct HostvarsTable {
    inventory: Arc<Inventory>,
    facts: Mutex<HashMap<String, Vars>>,
    cache: Mutex<HashMap<String, Arc<Vars>>>,
}

impl HostvarsTable {
    pub fn new(inventory: Arc<Inventory>) -> Arc<Self> {
        Arc::new(HostvarsTable { inventory, facts: Mutex::new(HashMap::new()), cache: Mutex::new(HashMap::new()) })
    }

    /// Record a host's facts so other hosts see them through `hostvars`.
    pub fn set_facts(&self, host: &str, facts: &Vars) {
        if let Ok(mut f) = self.facts.lock() {
            f.insert(host.to_string(), facts.clone());
        }
        if let Ok(mut c) = self.cache.lock() {
            c.remove(host);
        }
    }
}

impl HostvarsProvider for HostvarsTable {
    fn host_vars(&self, host: &str) -> Option<Arc<Map<String, Value>>> {
        if let Some(v) = self.cache.lock().ok().and_then(|c| c.get(host).cloned()) {
            return Some(v);
        }
        self.inventory.host(host)?;
        let mut vars = self.inventory.host_vars(host);
        vars.extend(inventory_magic(&self.inventory, host));
        if let Some(f) = self.facts.lock().ok().and_then(|f| f.get(host).cloned()) {
            vars.extend(f);
        }
        let vars = Arc::new(vars);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(host.to_string(), vars.clone());
        }
        Some(vars)
    }

    fn host_names(&self) -> Vec<String> {
        self.inventory.hosts().map(|h| h.name.clone()).collect()
    }
}

/// The magic variables that come from the inventory alone.
pub fn inventory_magic(inventory: &Inventory, host: &str) -> Vars {
    let mut m = Map::new();
    m.insert("inventory_hostname".into(), host.into());
    m.insert("inventory_hostname_short".into(), host.split('.').next().unwrap_or(host).into());
    m.insert("group_names".into(), inventory.group_names(host).into_iter().map(Value::String).collect());
    if let Some(dir) = inventory.inventory_dir(host) {
        m.insert("inventory_dir".into(), dir.display().to_string().into());
    }
    if let Some(file) = inventory.inventory_file(host) {
        m.insert("inventory_file".into(), file.display().to_string().into());
    }
    m
}

/// One play's shared state for building task scopes.
pub struct PlayScope<'a> {
    pub play: &'a Play,
    pub config: &'a RunConfig,
    pub hosts: Vec<String>,
    pub hostvars: Arc<HostvarsTable>,
    groups: Value,
    role_defaults: Vec<&'a Vars>,
    role_vars: Vec<&'a Vars>,
}

impl<'a> PlayScope<'a> {
    pub fn new(play: &'a Play, config: &'a RunConfig, hosts: Vec<String>, hostvars: Arc<HostvarsTable>) -> Self {
        let role_defaults = play.roles.iter().map(|r| &r.context.defaults).collect();
        let role_vars = play.roles.iter().map(|r| &r.context.vars).collect();
        let groups = Value::Object(config.inventory.groups_var());
        PlayScope { play, config, hosts, hostvars, groups, role_defaults, role_vars }
    }

    fn magic(&self, host: &str, task: Option<&Task>) -> Vars {
        let mut m = inventory_magic(&self.config.inventory, host);
        let hosts: Value = self.hosts.iter().cloned().map(Value::String).collect();
        m.insert("groups".into(), self.groups.clone());
        m.insert("play_hosts".into(), hosts.clone());
        m.insert("ansible_play_hosts".into(), hosts.clone());
        m.insert("ansible_play_hosts_all".into(), hosts.clone());
        m.insert("ansible_play_batch".into(), hosts);
        m.insert("ansible_play_name".into(), self.play.display_name().into());
        m.insert("playbook_dir".into(), absolute(&self.play.dir).display().to_string().into());
        m.insert("ansible_check_mode".into(), self.config.check_mode.into());
        m.insert("ansible_diff_mode".into(), self.config.diff.into());
        m.insert("ansible_verbosity".into(), self.config.verbosity.into());
        m.insert("ansible_run_tags".into(), if self.config.tags.is_empty() { vec!["all".into()] } else { self.config.tags.clone() }.into());
        m.insert("ansible_skip_tags".into(), self.config.skip_tags.clone().into());
        m.insert(
            "ansible_version".into(),
            serde_json::json!({"full": "2.19.0", "major": 2, "minor": 19, "revision": 0, "string": "2.19.0"}),
        );
        m.insert("omit".into(), Value::String(crate::template::OMIT.into()));
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            m.insert("role_name".into(), role.name.clone().into());
            m.insert("role_path".into(), absolute(&role.path).display().to_string().into());
        }
        m
    }

    /// The merged (raw) variables for `task` on `host`, with loop variables on top.
    pub fn task_vars(
        &self,
        host: &str,
        state: &HostState,
        task: Option<&Task>,
        block_vars: &[&Vars],
        inventory_vars: &Vars,
        extra: &Vars,
    ) -> Vars {
        let own_role = task.and_then(|t| t.role.as_ref());
        let mut defaults = self.role_defaults.clone();
        let mut rvars = self.role_vars.clone();
        if let Some(r) = own_role {
            defaults.push(&r.defaults);
            rvars.push(&r.vars);
        }
        let magic = self.magic(host, task);
        let layers = VarLayers {
            role_defaults: defaults,
            inventory: Some(inventory_vars),
            playbook_dir_vars: None,
            play_vars: Some(&self.play.vars),
            vars_files: Some(&state.vars_files),
            role_vars: rvars,
            block_vars: block_vars.to_vec(),
            task_vars: task.map(|t| &t.vars),
            include_vars: Some(&state.include_vars),
            facts: Some(&state.facts),
            role_params: own_role.map(|r| &r.params),
            extra_vars: Some(&self.config.extra_vars),
            magic: Some(&magic),
        };
        let mut vars = layers.merge();
        vars.extend(extra.clone());
        vars
    }

    /// Where `lookup('file')`, `template` and `copy src=` look, role first.
    pub fn search_paths(&self, task: Option<&Task>) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        if let Some(role) = task.and_then(|t| t.role.as_ref()) {
            for sub in ["templates", "files", "vars", "tasks", ""] {
                paths.push(role.path.join(sub));
            }
        }
        for sub in ["templates", "files", ""] {
            paths.push(self.play.dir.join(sub));
        }
        paths
    }

    /// A template scope for `task` on `host`.
    pub fn scope(
        &self,
        host: &str,
        state: &HostState,
        task: Option<&Task>,
        block_vars: &[&Vars],
        inventory_vars: &Vars,
        extra: &Vars,
    ) -> Scope {
        let vars = self.task_vars(host, state, task, block_vars, inventory_vars, extra);
        Scope::new(vars).with_search_paths(self.search_paths(task)).with_hostvars(self.hostvars.clone())
    }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    // `dpctl render site.yml` loads the play with dir "", which `std::path::absolute` refuses: it is the working
    // directory (Ansible's playbook_dir is always absolute).
    if p.as_os_str().is_empty() {
        return std::env::current_dir().unwrap_or_default();
    }
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
