//! The command and system modules are registered under Ansible's names and
//! document every argument (the schema's descriptions are the module docs).

const MODULES: &[&str] = &[
    "command",
    "shell",
    "cron",
    "user",
    "group",
    "authorized_key",
    "apt",
    "package",
    "apt_key",
    "apt_repository",
    "service",
    "systemd",
    "systemd_service",
    "service_facts",
    "wait_for",
    "uri",
    "git",
];

#[test]
fn registered_with_documented_arguments() {
    for name in MODULES {
        let spec = modules::lookup(&format!("ansible.builtin.{name}")).unwrap_or_else(|| panic!("{name} is not registered"));
        assert_eq!(spec.side, modules::Side::Remote, "{name}");
        let schema = serde_json::to_value((spec.schema)()).unwrap();
        // systemd_service wraps systemd: its properties are behind a $ref; service_facts has none.
        let empty = serde_json::Map::new();
        let props = schema["properties"].as_object().or_else(|| schema["$defs"]["Systemd"]["properties"].as_object()).unwrap_or(&empty);
        assert!(!props.is_empty() || *name == "service_facts", "{name}: no properties in {schema}");
        assert!(
            !schema["description"].as_str().unwrap_or("").is_empty() || *name == "systemd_service",
            "{name}: module has no description"
        );
        for (arg, p) in props {
            let documented = p.get("description").and_then(|d| d.as_str()).is_some_and(|d| !d.is_empty());
            assert!(documented, "{name}: argument `{arg}` has no doc comment");
        }
    }
}
