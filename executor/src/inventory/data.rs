//! Hosts and groups as Ansible's `InventoryData` keeps them: insertion order,
//! parent/child links checked for loops, `all` and `ungrouped` maintained.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::Value;

/// Variables in the order they were set.
pub type Vars = serde_json::Map<String, Value>;

pub const ALL: usize = 0;
pub const UNGROUPED: usize = 1;

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// Variables written in the inventory source itself.
    pub vars: Vars,
    pub(crate) children: Vec<usize>,
    pub(crate) parents: Vec<usize>,
    /// Hosts listed directly under this group.
    pub(crate) hosts: Vec<usize>,
    /// Longest distance from `all`; orders group variables (parent before child).
    pub depth: usize,
    /// `ansible_group_priority`: among groups of equal depth, higher wins.
    pub priority: i64,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    /// Variables written in the inventory source itself.
    pub vars: Vars,
    /// Every group the host is in, directly or through a child group (with `all`).
    pub(crate) groups: Vec<usize>,
    /// The inventory file that first named the host (`inventory_file`).
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct Data {
    pub groups: Vec<Group>,
    pub group_index: HashMap<String, usize>,
    pub hosts: Vec<Host>,
    pub host_index: HashMap<String, usize>,
    /// The file being read, recorded on hosts it introduces.
    pub current_source: Option<PathBuf>,
    /// `(group, host)` for every host listed directly in a group: a range line can add 100 000
    /// hosts, and searching the group's list for each one made reading it quadratic.
    direct: HashSet<(usize, usize)>,
}

impl Data {
    pub fn new() -> Data {
        let mut d = Data::default();
        d.add_group("all");
        d.add_group("ungrouped");
        // Cannot fail: two fresh groups.
        let _ = d.add_child_group(ALL, UNGROUPED);
        d
    }

    pub fn group(&self, name: &str) -> Option<usize> {
        self.group_index.get(name).copied()
    }

    pub fn add_group(&mut self, name: &str) -> usize {
        if let Some(&i) = self.group_index.get(name) {
            return i;
        }
        let i = self.groups.len();
        self.groups.push(Group {
            name: name.to_string(),
            vars: Vars::new(),
            children: Vec::new(),
            parents: Vec::new(),
            hosts: Vec::new(),
            depth: 0,
            priority: 1,
        });
        self.group_index.insert(name.to_string(), i);
        i
    }

    /// Add a host (once; a later port is ignored, as in Ansible) and put it in `group`.
    pub fn add_host(&mut self, name: &str, group: Option<usize>, port: Option<u16>) -> usize {
        let h = match self.host_index.get(name) {
            Some(&h) => h,
            None => {
                let h = self.hosts.len();
                let mut vars = Vars::new();
                if let Some(port) = port {
                    vars.insert("ansible_port".into(), Value::from(port));
                }
                self.hosts.push(Host { name: name.to_string(), vars, groups: Vec::new(), source: self.current_source.clone() });
                self.host_index.insert(name.to_string(), h);
                h
            }
        };
        if let Some(g) = group {
            if self.direct.insert((g, h)) {
                self.groups[g].hosts.push(h);
            }
        }
        h
    }

    pub fn add_child_group(&mut self, parent: usize, child: usize) -> Result<(), String> {
        if parent == child {
            return Err(format!("group '{}' cannot be a child of itself", self.groups[parent].name));
        }
        if self.groups[parent].children.contains(&child) {
            return Ok(());
        }
        if self.ancestors(parent).contains(&child) {
            return Err(format!(
                "adding group '{}' as a child of '{}' creates a loop: '{}' is already an ancestor of '{}'",
                self.groups[child].name, self.groups[parent].name, self.groups[child].name, self.groups[parent].name
            ));
        }
        self.groups[parent].children.push(child);
        if !self.groups[child].parents.contains(&parent) {
            self.groups[child].parents.push(parent);
        }
        Ok(())
    }

    pub fn ancestors(&self, g: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut todo = self.groups[g].parents.clone();
        while let Some(p) = todo.pop() {
            if seen.insert(p) {
                todo.extend(self.groups[p].parents.iter().copied());
            }
        }
        seen
    }

    /// Set a group variable; `ansible_group_priority` sets the priority instead, as Ansible does.
    pub fn set_group_var(&mut self, g: usize, key: &str, value: Value) -> Result<(), String> {
        if key == "ansible_group_priority" {
            self.groups[g].priority =
                python_int(&value).ok_or_else(|| format!("ansible_group_priority must be an integer, got {value}"))?;
            return Ok(());
        }
        self.groups[g].vars.insert(key.to_string(), value);
        Ok(())
    }

    pub fn set_host_var(&mut self, h: usize, key: &str, value: Value) {
        self.hosts[h].vars.insert(key.to_string(), value);
    }

    /// Ansible's `reconcile_inventory`: top-level groups go under `all`; a host in no group goes to
    /// `ungrouped`, and leaves it once it is in another group.
    pub fn reconcile(&mut self) {
        for g in 0..self.groups.len() {
            if g != ALL && self.groups[g].parents.is_empty() {
                let _ = self.add_child_group(ALL, g);
            }
        }
        self.compute_host_groups();
        let mut leave = HashSet::new();
        for h in 0..self.hosts.len() {
            let groups = &self.hosts[h].groups;
            if groups.contains(&UNGROUPED) {
                if groups.iter().any(|g| *g != ALL && *g != UNGROUPED) {
                    leave.insert(h);
                }
            } else if groups.iter().all(|g| *g == ALL) && self.direct.insert((UNGROUPED, h)) {
                self.groups[UNGROUPED].hosts.push(h);
            }
        }
        if !leave.is_empty() {
            self.groups[UNGROUPED].hosts.retain(|x| !leave.contains(x));
            self.direct.retain(|(g, h)| *g != UNGROUPED || !leave.contains(h));
        }
        self.compute_host_groups();
        self.compute_depths();
    }

    fn compute_host_groups(&mut self) {
        let mut per_host: Vec<Vec<usize>> = vec![Vec::new(); self.hosts.len()];
        for g in 0..self.groups.len() {
            let mut with_ancestors: Vec<usize> = self.ancestors(g).into_iter().collect();
            with_ancestors.sort_unstable();
            with_ancestors.push(g);
            for &h in &self.groups[g].hosts {
                for &a in &with_ancestors {
                    if !per_host[h].contains(&a) {
                        per_host[h].push(a);
                    }
                }
            }
        }
        for (host, groups) in self.hosts.iter_mut().zip(per_host) {
            host.groups = groups;
        }
    }

    /// Depth = longest path from `all` (Ansible raises a child's depth to its deepest parent + 1).
    fn compute_depths(&mut self) {
        let mut depth = vec![0usize; self.groups.len()];
        // The graph has no loops, so relaxing once per group reaches the fixed point.
        for _ in 0..self.groups.len() {
            let mut changed = false;
            for g in 0..self.groups.len() {
                for &c in &self.groups[g].children {
                    if depth[c] < depth[g] + 1 {
                        depth[c] = depth[g] + 1;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for (g, d) in self.groups.iter_mut().zip(depth) {
            g.depth = d;
        }
    }

    /// Ansible's `Group.get_hosts`: the group's own hosts, then its descendants' level by level.
    pub fn group_hosts(&self, g: usize) -> Vec<usize> {
        let mut ordered = vec![g];
        ordered.extend(self.groups[g].children.iter().copied());
        let mut seen: HashSet<usize> = ordered.iter().copied().collect();
        let mut frontier = ordered.clone();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for &x in &frontier {
                for &c in &self.groups[x].children {
                    if !seen.contains(&c) && !next.contains(&c) {
                        next.push(c);
                    }
                }
            }
            seen.extend(next.iter().copied());
            ordered.extend(next.iter().copied());
            frontier = next;
        }
        let mut hosts = Vec::new();
        let mut seen_hosts = HashSet::new();
        for kid in ordered {
            for &h in &self.groups[kid].hosts {
                if seen_hosts.insert(h) {
                    hosts.push(h);
                }
            }
        }
        hosts
    }
}

/// Python's `int(value)` for the types an inventory can hold.
fn python_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
