//! The file modules are registered under their Ansible names (and the
//! `ansible.builtin.` ones), and their argument schemas carry the doc
//! comments the module docs are generated from.
use modules::registry;

const FILE_MODULES: &[&str] = &["file", "copy", "lineinfile", "blockinfile", "replace", "stat", "slurp", "find", "get_url", "unarchive"];

#[test]
fn registered_with_documented_schemas() {
    for name in FILE_MODULES {
        let spec = registry::lookup(&format!("ansible.builtin.{name}")).unwrap_or_else(|| panic!("{name} not registered"));
        assert_eq!(spec.name, *name);
        assert_eq!(spec.side, registry::Side::Remote);
        let schema = serde_json::to_value((spec.schema)()).unwrap();
        let props = schema["properties"].as_object().unwrap_or_else(|| panic!("{name}: no properties"));
        assert!(!props.is_empty());
        for (field, s) in props {
            assert!(s.get("description").and_then(|d| d.as_str()).is_some_and(|d| !d.is_empty()), "{name}.{field} has no doc comment");
        }
        assert!(schema["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}: no module description");
    }
}

#[test]
fn aliases_and_yes_no_booleans_validate() {
    let v = |name: &str, args: serde_json::Value| (registry::lookup(name).unwrap().validate)(&args);
    assert!(v("lineinfile", serde_json::json!({"dest": "/x", "line": "a", "create": "yes", "backup": "no"})).is_ok());
    assert!(v("blockinfile", serde_json::json!({"name": "/x", "content": "a"})).is_ok());
    assert!(v("replace", serde_json::json!({"destfile": "/x", "regexp": "a"})).is_ok());
    assert!(v("file", serde_json::json!({"dest": "/x", "state": "touch", "mode": "u+x", "owner": 0})).is_ok());
    assert!(v("stat", serde_json::json!({"name": "/x", "checksum_algo": "sha256"})).is_ok());
    assert!(v("slurp", serde_json::json!({"path": "/x"})).is_ok());
    assert!(v("find", serde_json::json!({"path": "/x", "pattern": "*.log", "exclude": ["a"]})).is_ok());
    let err = v("file", serde_json::json!({"path": "/x", "mode": true})).unwrap_err().to_string();
    assert!(err.starts_with("file: ") && err.contains("mode"), "{err}");
}
