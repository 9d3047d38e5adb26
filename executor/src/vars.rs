//! Variable precedence, as Ansible's (lowest first):
//! role defaults < inventory vars (group vars: all, then parent → child;
//! then host vars) < playbook-dir group_vars/host_vars < play vars <
//! vars_files < role vars < block vars < task vars < include_vars <
//! set_fact / register < role params < extra vars. Merging replaces whole
//! values (Ansible's default `hash_behaviour = replace`).
//! See docs/variables.md.

use serde_json::{Map, Value};

pub type Vars = Map<String, Value>;

/// Everything that contributes variables to one task on one host, by level.
#[derive(Default)]
pub struct VarLayers<'a> {
    /// Defaults of every role of the play (in order), the task's own role last.
    pub role_defaults: Vec<&'a Vars>,
    /// The inventory's merged group and host vars for this host.
    pub inventory: Option<&'a Vars>,
    /// group_vars/ and host_vars/ next to the playbook.
    pub playbook_dir_vars: Option<&'a Vars>,
    pub play_vars: Option<&'a Vars>,
    pub vars_files: Option<&'a Vars>,
    /// `vars/main.yml` of every role of the play, the task's own role last.
    pub role_vars: Vec<&'a Vars>,
    /// Outermost block first.
    pub block_vars: Vec<&'a Vars>,
    pub task_vars: Option<&'a Vars>,
    pub include_vars: Option<&'a Vars>,
    /// set_fact and registered results for this host.
    pub facts: Option<&'a Vars>,
    pub role_params: Option<&'a Vars>,
    pub extra_vars: Option<&'a Vars>,
    /// Magic variables (inventory_hostname, groups, …) — Ansible does not
    /// let users override these, so they go on top.
    pub magic: Option<&'a Vars>,
}

impl VarLayers<'_> {
    /// The merged variables, highest level winning.
    pub fn merge(&self) -> Vars {
        let mut out = Map::new();
        let mut apply = |m: &Vars| {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        };
        self.role_defaults.iter().for_each(|m| apply(m));
        [self.inventory, self.playbook_dir_vars, self.play_vars, self.vars_files].into_iter().flatten().for_each(&mut apply);
        self.role_vars.iter().for_each(|m| apply(m));
        self.block_vars.iter().for_each(|m| apply(m));
        [self.task_vars, self.include_vars, self.facts, self.role_params, self.extra_vars, self.magic]
            .into_iter()
            .flatten()
            .for_each(&mut apply);
        out
    }
}

/// `-e` values: `k=v k2=v2`, `@file.yml`, or a JSON/YAML mapping.
pub fn parse_extra_vars(arg: &str) -> Result<Vars, crate::diag::Diagnostic> {
    use crate::diag::Diagnostic;
    let arg = arg.trim();
    if let Some(file) = arg.strip_prefix('@') {
        let path = std::path::Path::new(file);
        let (_, node) = crate::yaml::load_file(path)?;
        return match node.map(|n| n.to_value()) {
            Some(Value::Object(m)) => Ok(m),
            None | Some(Value::Null) => Ok(Map::new()),
            Some(_) => Err(Diagnostic::error(format!("extra vars file {file} must hold a mapping"))),
        };
    }
    if arg.starts_with('{') || arg.starts_with("---") {
        let docs = crate::yaml::load_str(crate::source::Source::new("<extra vars>", arg))?;
        return match docs.into_iter().next().map(|n| n.to_value()) {
            Some(Value::Object(m)) => Ok(m),
            _ => Err(Diagnostic::error(format!("extra vars `{arg}` must be a mapping"))),
        };
    }
    let kv =
        crate::playbook::kv::parse_kv(arg, crate::playbook::kv::FreeForm::No).map_err(|e| Diagnostic::error(format!("extra vars: {e}")))?;
    Ok(kv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Vars {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn precedence_order() {
        let defaults = m(json!({"a": "default", "b": "default", "c": "default", "d": "default", "e": "default", "f": "default"}));
        let inventory = m(json!({"b": "inventory", "c": "inventory", "d": "inventory", "e": "inventory", "f": "inventory"}));
        let play = m(json!({"c": "play", "d": "play", "e": "play", "f": "play"}));
        let role_vars = m(json!({"d": "role_vars", "e": "role_vars", "f": "role_vars"}));
        let task = m(json!({"e": "task", "f": "task"}));
        let extra = m(json!({"f": "extra"}));
        let layers = VarLayers {
            role_defaults: vec![&defaults],
            inventory: Some(&inventory),
            play_vars: Some(&play),
            role_vars: vec![&role_vars],
            task_vars: Some(&task),
            extra_vars: Some(&extra),
            ..Default::default()
        };
        assert_eq!(
            Value::Object(layers.merge()),
            json!({"a": "default", "b": "inventory", "c": "play", "d": "role_vars", "e": "task", "f": "extra"})
        );
    }

    #[test]
    fn extra_vars_forms() {
        assert_eq!(Value::Object(parse_extra_vars("a=1 b='x y'").unwrap()), json!({"a": "1", "b": "x y"}));
        assert_eq!(Value::Object(parse_extra_vars(r#"{"a": 1, "b": [1, 2]}"#).unwrap()), json!({"a": 1, "b": [1, 2]}));
    }
}
