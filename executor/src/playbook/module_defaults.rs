//! Ansible's `module_defaults`: arguments a module gets unless the task gives
//! them itself. Set on plays, blocks and tasks; the innermost wins. Keys are
//! module names, short or fully qualified (`file`, `ansible.builtin.file`).
//! As in Ansible, an inner layer's entry for a module replaces the outer one
//! whole (it is not merged key by key). Action groups (`group/...`) name no
//! module of ours and are not applied.

use serde_json::{Map, Value};

use super::model::Inherited;

fn short_name(module: &str) -> &str {
    module.strip_prefix("ansible.builtin.").or_else(|| module.strip_prefix("ansible.legacy.")).unwrap_or(module)
}

/// `args` over the `module_defaults` for `module` from `layers` (outermost first).
pub fn apply<'a>(layers: impl IntoIterator<Item = &'a Inherited>, module: &str, args: &Map<String, Value>) -> Map<String, Value> {
    let wanted = short_name(module);
    let mut merged = Map::new();
    for layer in layers {
        for value in &layer.module_defaults {
            let entries: Vec<&Map<String, Value>> = match value {
                Value::Object(m) => vec![m],
                Value::Array(list) => list.iter().filter_map(Value::as_object).collect(),
                _ => Vec::new(),
            };
            for entry in entries {
                for (name, defaults) in entry {
                    if short_name(name) == wanted {
                        if let Value::Object(d) = defaults {
                            merged = d.clone();
                        }
                    }
                }
            }
        }
    }
    if merged.is_empty() {
        return args.clone();
    }
    merged.extend(args.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(v: Value) -> Inherited {
        Inherited { module_defaults: vec![v], ..Default::default() }
    }

    #[test]
    fn inner_layers_and_task_args_win_and_names_may_be_qualified() {
        let play = layer(json!({"ansible.builtin.file": {"mode": "0644", "owner": "app"}, "copy": {"force": false}}));
        let block = layer(json!([{"file": {"mode": "0600"}}]));
        let args = json!({"path": "/x", "owner": "root"}).as_object().cloned().unwrap();
        let got = apply([&play, &block], "file", &args);
        assert_eq!(Value::Object(got), json!({"mode": "0600", "owner": "root", "path": "/x"}), "the block's entry replaces the play's");
        let play_only = apply([&play], "ansible.builtin.file", &args);
        assert_eq!(Value::Object(play_only), json!({"mode": "0644", "owner": "root", "path": "/x"}));
        let untouched = apply([&play, &block], "stat", &args);
        assert_eq!(untouched, args);
    }
}
