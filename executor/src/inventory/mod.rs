//! The inventory, as Ansible reads it: INI and YAML sources, host ranges,
//! `group_vars/` and `host_vars/`, several sources merged, host patterns and
//! `--limit`, and the `ansible-inventory` outputs (`--list`, `--host`, `--graph`).
//!
//! Values stay raw (no templating); variables merge in Ansible's order (see
//! [`Inventory::host_vars`]). Where Ansible only warns about a source it
//! cannot read (a missing path, a file no plugin understands) we stop with an
//! error that names the file and line: a deployment must not run against half
//! an inventory.

mod data;
mod ini;
mod output;
pub mod pattern;
mod pyliteral;
mod ranges;
mod sources;
pub mod vars_dirs;
mod yaml_format;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use data::{Data, ALL};
pub use data::{Group, Host, Vars};
pub use output::{ansible_json_text, python_repr, python_str};
pub use pattern::Selection;
pub use pyliteral::{ini_value, literal_eval};
pub use ranges::expand_host_pattern;
pub use sources::InventoryFormat;
pub use vars_dirs::VarsDir;

use crate::diag::{Diagnostic, Diagnostics};

/// Names under which Ansible creates an implicit `localhost` when it is not in the inventory.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// Variables Ansible computes itself; `ansible-inventory` never shows them.
const INTERNAL_VARS: [&str; 14] = [
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
    "role_names",
    "role_path",
    "ansible_facts",
    "ansible_play_hosts",
];

/// Every host and group from the `-i` sources, with their variables.
#[derive(Debug, Clone)]
pub struct Inventory {
    data: Data,
    /// The `-i` sources as given.
    sources: Vec<String>,
    /// `group_vars/` + `host_vars/` next to each source, in source order.
    vars_dirs: Vec<VarsDir>,
    /// `group_vars/` + `host_vars/` next to the playbook (`--playbook-dir`), above the inventory's own.
    playbook_dirs: Vec<VarsDir>,
    /// What Ansible would warn about while reading.
    warnings: Vec<Diagnostic>,
}

/// What follows reading every source: implicit group links, and the warning for a name used twice.
fn finish_reading(data: &mut Data, warnings: &mut Vec<Diagnostic>) {
    data.reconcile();
    for g in &data.groups {
        if data.host_index.contains_key(&g.name) {
            warnings.push(Diagnostic::warning(format!("found both a group and a host named '{}'", g.name)));
        }
    }
}

impl Inventory {
    /// Read every source: a file (INI or YAML), a directory (every file in it), or a `h1,h2,` list.
    pub fn load(sources: &[String]) -> Result<Inventory, Diagnostics> {
        let mut data = Data::new();
        let mut diags = Diagnostics::default();
        let mut warnings = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for source in sources {
            if let Err(d) = sources::read_source(source, &mut data, &mut warnings, &mut dirs) {
                diags.extend(d);
            }
        }
        finish_reading(&mut data, &mut warnings);
        let group_names: Vec<String> = data.groups.iter().map(|g| g.name.clone()).collect();
        let mut host_names: Vec<String> = data.hosts.iter().map(|h| h.name.clone()).collect();
        host_names.extend(LOCALHOST_NAMES.iter().map(|s| s.to_string()));
        let mut vars_dirs = Vec::new();
        for dir in dirs {
            match VarsDir::load(&dir, group_names.iter().map(String::as_str), host_names.iter().map(String::as_str)) {
                Ok(v) => vars_dirs.push(v),
                Err(d) => diags.extend(d),
            }
        }
        diags.into_result(Inventory { data, sources: sources.to_vec(), vars_dirs, playbook_dirs: Vec::new(), warnings })
    }

    /// Read one inventory text as if it were the file `path`, without any `group_vars/`/`host_vars/`
    /// (for text that is not on disk, and for the fuzz targets).
    pub fn from_text(path: &Path, text: &str, format: InventoryFormat) -> Result<Inventory, Diagnostics> {
        let mut data = Data::new();
        let mut warnings = Vec::new();
        sources::read_text(path, text, format, &mut data, &mut warnings)?;
        finish_reading(&mut data, &mut warnings);
        let sources = vec![path.display().to_string()];
        Ok(Inventory { data, sources, vars_dirs: Vec::new(), playbook_dirs: Vec::new(), warnings })
    }

    /// Warnings found while reading (keys Ansible skips, names used for both a host and a group).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Hosts in inventory order.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.data.hosts.iter()
    }

    /// Groups in the order they were first named (`all` and `ungrouped` first).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.data.groups.iter()
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.data.host_index.get(name).map(|&h| &self.data.hosts[h])
    }

    pub fn has_group(&self, name: &str) -> bool {
        self.data.group(name).is_some()
    }

    /// True for a name Ansible would turn into the implicit localhost (not in `all`, `ansible_connection=local`).
    pub fn is_implicit_localhost(&self, name: &str) -> bool {
        LOCALHOST_NAMES.contains(&name) && !self.data.host_index.contains_key(name)
    }

    /// Host names matching a host pattern, in Ansible's order.
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, Diagnostic> {
        Ok(self.select_limited(pattern, None)?.hosts)
    }

    /// Like [`Inventory::select`], restricted by a `--limit` (same grammar, plus `@file`), with the warnings
    /// Ansible prints for patterns that match nothing.
    pub fn select_limited(&self, pattern: &str, limit: Option<&str>) -> Result<Selection, Diagnostic> {
        pattern::select(self, pattern, limit)
    }

    /// A host's inventory variables, merged as Ansible's `get_vars` does (with the playbook dir's
    /// `group_vars/`/`host_vars/` once [`Inventory::add_playbook_dir`] was called).
    pub fn host_vars(&self, host: &str) -> Map<String, Value> {
        self.host_vars_with(host, &[])
    }

    /// Also read `group_vars/` and `host_vars/` under `dir` (Ansible's playbook directory, `--playbook-dir`);
    /// they rank above the inventory's own and show in every output.
    pub fn add_playbook_dir(&mut self, dir: &Path) -> Result<(), Diagnostics> {
        let vars = self.load_vars_dir(dir)?;
        self.playbook_dirs.push(vars);
        Ok(())
    }

    /// A host's inventory variables including `group_vars/` and `host_vars/` of further directories (another
    /// playbook's: load them with [`Inventory::load_vars_dir`]), which rank above the inventory's own.
    ///
    /// Order, lowest first: `all` from the inventory files; other groups from the inventory files (by depth, then
    /// `ansible_group_priority`, then name); `group_vars/all` next to each source, then in `playbook_dirs`; the host's
    /// groups' `group_vars/` next to each source, then in `playbook_dirs`; the host's own inventory variables;
    /// `host_vars/` next to each source, then in `playbook_dirs`.
    pub fn host_vars_with(&self, host: &str, extra_dirs: &[VarsDir]) -> Map<String, Value> {
        let playbook_dirs: Vec<&VarsDir> = self.playbook_dirs.iter().chain(extra_dirs).collect();
        let all = &self.data.groups[ALL];
        let explicit = self.data.host_index.get(host).map(|&h| &self.data.hosts[h]);
        if explicit.is_none() && !LOCALHOST_NAMES.contains(&host) {
            return Map::new();
        }
        let groups = self.sorted_groups(host);
        let mut vars = all.vars.clone();
        for g in &groups {
            vars.extend(g.vars.clone());
        }
        for dir in self.vars_dirs.iter().chain(playbook_dirs.iter().copied()) {
            if let Some(v) = dir.group("all") {
                vars.extend(v.clone());
            }
        }
        for dir in self.vars_dirs.iter().chain(playbook_dirs.iter().copied()) {
            for g in &groups {
                if let Some(v) = dir.group(&g.name) {
                    vars.extend(v.clone());
                }
            }
        }
        match explicit {
            Some(h) => vars.extend(h.vars.clone()),
            None => {
                vars.insert("ansible_connection".into(), Value::String("local".into()));
            }
        }
        for dir in self.vars_dirs.iter().chain(playbook_dirs.iter().copied()) {
            if let Some(v) = dir.host(host) {
                vars.extend(v.clone());
            }
        }
        vars
    }

    /// Read `group_vars/` and `host_vars/` under `dir` for this inventory's groups and hosts (e.g. the playbook dir).
    pub fn load_vars_dir(&self, dir: &Path) -> Result<VarsDir, Diagnostics> {
        let hosts = self.data.hosts.iter().map(|h| h.name.as_str()).chain(LOCALHOST_NAMES);
        VarsDir::load(dir, self.data.groups.iter().map(|g| g.name.as_str()), hosts)
    }

    /// The host's groups except `all`, in the order their variables apply.
    fn sorted_groups(&self, host: &str) -> Vec<&Group> {
        let Some(&h) = self.data.host_index.get(host) else { return Vec::new() };
        let mut groups: Vec<&Group> = self.data.hosts[h].groups.iter().filter(|&&g| g != ALL).map(|&g| &self.data.groups[g]).collect();
        groups.sort_by(|a, b| (a.depth, a.priority, &a.name).cmp(&(b.depth, b.priority, &b.name)));
        groups
    }

    /// Ansible's `group_names`: the host's groups, sorted, without `all`.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let Some(&h) = self.data.host_index.get(host) else { return Vec::new() };
        let mut names: Vec<String> =
            self.data.hosts[h].groups.iter().filter(|&&g| g != ALL).map(|&g| self.data.groups[g].name.clone()).collect();
        names.sort();
        names
    }

    /// The `groups` magic variable: every group (with `all` and `ungrouped`) → its hosts, in Ansible's order.
    pub fn groups_var(&self) -> Map<String, Value> {
        self.data
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let hosts = self.data.group_hosts(g).into_iter().map(|h| Value::String(self.data.hosts[h].name.clone())).collect();
                (group.name.clone(), Value::Array(hosts))
            })
            .collect()
    }

    /// A group's direct child groups, in the order they were added.
    pub fn group_children(&self, group: &str) -> Vec<String> {
        self.data
            .group(group)
            .map(|g| self.data.groups[g].children.iter().map(|&c| self.data.groups[c].name.clone()).collect())
            .unwrap_or_default()
    }

    /// Hosts of one group, its descendants included, in Ansible's order.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        match self.data.group(group) {
            Some(g) => self.data.group_hosts(g).into_iter().map(|h| self.data.hosts[h].name.clone()).collect(),
            None => Vec::new(),
        }
    }

    /// `inventory_dir`: the directory of the source that first named the host.
    pub fn inventory_dir(&self, host: &str) -> Option<PathBuf> {
        self.inventory_file(host).and_then(|f| f.parent().map(Path::to_path_buf))
    }

    /// `inventory_file`: the source that first named the host (`None` for `h1,h2,` lists and the implicit localhost).
    pub fn inventory_file(&self, host: &str) -> Option<PathBuf> {
        self.host(host).and_then(|h| h.source.clone())
    }

    /// A group's own variables as `ansible-inventory --graph --vars` shows them (inventory + `group_vars/`).
    fn group_vars_for_display(&self, g: usize) -> Map<String, Value> {
        let group = &self.data.groups[g];
        let mut vars = group.vars.clone();
        for dir in self.vars_dirs.iter().chain(&self.playbook_dirs) {
            if let Some(v) = dir.group(&group.name) {
                vars.extend(v.clone());
            }
        }
        if group.priority != 1 {
            vars.insert("ansible_group_priority".into(), Value::from(group.priority));
        }
        remove_internal(vars)
    }
}

fn remove_internal(mut vars: Map<String, Value>) -> Map<String, Value> {
    for k in INTERNAL_VARS {
        vars.shift_remove(k);
    }
    vars
}
