//! Behaviour of the templating API the playbook engine uses: lazy variables, native types,
//! omit, errors that name the variable, conditions (checked against ansible-core 2.19).

use std::sync::Arc;

use dpctl::template::{HostvarsProvider, Scope, Templar, TemplateErrorKind};
use serde_json::{json, Map, Value};

fn scope(v: Value) -> Scope {
    match v {
        Value::Object(m) => Scope::new(m),
        _ => panic!("vars must be a mapping"),
    }
}

#[test]
fn nested_variables_resolve_lazily() {
    let t = Templar::new();
    let s = scope(json!({"a": "{{ b }}-x", "b": "{{ c }}", "c": 5}));
    assert_eq!(t.render_str("{{ a }}", &s).unwrap(), "5-x");
    assert_eq!(t.render_value(&json!("{{ b }}"), &s).unwrap(), json!(5));
}

#[test]
fn nested_containers_template_only_what_is_read() {
    let t = Templar::new();
    let s = scope(json!({"cfg": {"port": "{{ base + 1 }}", "broken": "{{ nope }}"}, "base": 9000}));
    assert_eq!(t.render_value(&json!("{{ cfg.port }}"), &s).unwrap(), json!(9001));
    let err = t.render_value(&json!("{{ cfg }}"), &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("nope"), "{err}");
}

#[test]
fn recursion_is_reported_with_the_variable_names() {
    let t = Templar::new();
    let s = scope(json!({"r1": "{{ r2 }}", "r2": "{{ r1 }}"}));
    let err = t.render_str("x{{ r1 }}", &s).unwrap_err();
    match &err.kind {
        TemplateErrorKind::Recursion { chain } => assert_eq!(chain, &vec!["r1".to_string(), "r2".into(), "r1".into()]),
        other => panic!("expected a recursion error, got {other:?}: {err}"),
    }
    assert!(err.message.contains("r1 -> r2 -> r1"), "{}", err.message);
}

#[test]
fn single_expression_yields_native_types_and_mixed_text_a_string() {
    let t = Templar::new();
    let s = scope(json!({"l": [1, 2], "s": "[1, 2]", "n": 3, "flag": true, "d": {"k": "v"}}));
    assert_eq!(t.render_value(&json!("{{ l }}"), &s).unwrap(), json!([1, 2]));
    assert_eq!(t.render_value(&json!("{{ n * 2 }}"), &s).unwrap(), json!(6));
    assert_eq!(t.render_value(&json!("{{ flag }}"), &s).unwrap(), json!(true));
    assert_eq!(t.render_value(&json!("{{ d }}"), &s).unwrap(), json!({"k": "v"}));
    assert_eq!(t.render_value(&json!("{{ {'a': {'b': 1}} }}"), &s).unwrap(), json!({"a": {"b": 1}}));
    // ansible-core 2.19 no longer literal_evals strings: a string stays a string.
    assert_eq!(t.render_value(&json!("{{ s }}"), &s).unwrap(), json!("[1, 2]"));
    assert_eq!(t.render_value(&json!("{{ 1 }}{{ 2 }}"), &s).unwrap(), json!("12"));
    assert_eq!(t.render_value(&json!("n={{ n }} {{ l }} {{ flag }} {{ d }}"), &s).unwrap(), json!("n=3 [1, 2] True {'k': 'v'}"));
    assert_eq!(t.render_value(&json!({"x": ["{{ n }}", "plain"]}), &s).unwrap(), json!({"x": [3, "plain"]}));
}

#[test]
fn omit_is_detectable() {
    let t = Templar::new();
    let s = scope(json!({"mode": null}));
    let v = t.render_value(&json!({"mode": "{{ undefined_mode | default(omit) }}"}), &s).unwrap();
    assert!(Templar::is_omit(&v["mode"]), "{v}");
    let v = t.render_value(&json!("{{ mode | default('0644', true) }}"), &s).unwrap();
    assert_eq!(v, json!("0644"));
    assert!(!Templar::is_omit(&v));
}

#[test]
fn undefined_variable_errors_name_the_variable() {
    let t = Templar::new();
    let s = scope(json!({"x": {"z": 1}, "heap": "{{ kafka_heap }}"})).with_name("roles/kafka/templates/server.properties.j2");
    let err = t.render_str("a\nheap={{ kafka_heap }}\n", &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("kafka_heap"));
    assert_eq!(err.message, "'kafka_heap' is undefined");
    assert_eq!(err.template.as_deref(), Some("roles/kafka/templates/server.properties.j2"));
    assert_eq!(err.line, Some(2));
    // Through another variable, the root cause is named.
    let err = t.render_str("{{ heap }}", &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("kafka_heap"), "{err}");
    let err = t.render_str("{{ x.y }}", &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("x.y"), "{err}");
}

#[test]
fn defined_tests_and_defaults_do_not_fail() {
    let t = Templar::new();
    let s = scope(json!({"x": {"z": 1}, "heap": "{{ kafka_heap }}"}));
    assert_eq!(t.render_str("{{ nope is defined }} {{ x.y is defined }} {{ x.z is defined }}", &s).unwrap(), "False False True");
    assert_eq!(t.render_str("{{ heap | default('1G') }}", &s).unwrap(), "1G");
    assert_eq!(t.render_str("{{ nope | d('dflt') }}", &s).unwrap(), "dflt");
}

#[test]
fn conditions_must_be_booleans() {
    let t = Templar::new();
    let s = scope(json!({"fs": "false", "i": 1, "t": true, "ts": "{{ true }}", "v": "2.8.1"}));
    assert!(t.eval_condition("i == 1", &s).unwrap());
    assert!(!t.eval_condition("fs | bool", &s).unwrap());
    assert!(t.eval_condition("ts", &s).unwrap());
    assert!(t.eval_condition("{{ t }}", &s).unwrap());
    assert!(t.eval_condition("v is version('2.10', '<')", &s).unwrap());
    assert!(t.eval_condition("nope is not defined", &s).unwrap());
    let err = t.eval_condition("fs", &s).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Condition);
    assert!(err.message.contains("Conditional result (True) was derived from value of type 'str'"), "{}", err.message);
    let err = t.eval_condition("nope", &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("nope"));
    assert!(t.eval_condition("  ", &s).is_err());
}

#[test]
fn syntax_errors_are_found_without_rendering() {
    let t = Templar::new();
    assert!(t.check_syntax("a.j2", "{% if x %}ok{% endif %}").is_ok());
    let err = t.check_syntax("b.j2", "line\n{% if x %}never closed").unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert_eq!(err.template.as_deref(), Some("b.j2"));
}

struct Hosts;

impl HostvarsProvider for Hosts {
    fn host_vars(&self, host: &str) -> Option<Arc<Map<String, Value>>> {
        let v = match host {
            "kafka1" => json!({"broker_id": 1, "inventory_hostname": "kafka1", "listen": "{{ inventory_hostname }}:9092"}),
            "kafka2" => json!({"broker_id": 2, "inventory_hostname": "kafka2", "listen": "{{ inventory_hostname }}:9092"}),
            _ => return None,
        };
        v.as_object().cloned().map(Arc::new)
    }
    fn host_names(&self) -> Vec<String> {
        vec!["kafka1".into(), "kafka2".into()]
    }
}

#[test]
fn hostvars_are_templated_in_the_other_hosts_context() {
    let t = Templar::new();
    let s = scope(json!({"inventory_hostname": "kafka1", "groups": {"kafka": ["kafka1", "kafka2"]}})).with_hostvars(Arc::new(Hosts));
    let out = t.render_str("{% for h in groups['kafka'] %}{{ hostvars[h].broker_id }}={{ hostvars[h]['listen'] }}{% if not loop.last %},{% endif %}{% endfor %}", &s).unwrap();
    assert_eq!(out, "1=kafka1:9092,2=kafka2:9092");
}

#[test]
fn lookups_search_the_given_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("files")).unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("files/motd.txt"), "hello\n\n").unwrap();
    std::fs::write(dir.path().join("templates/t.j2"), "port={{ port }}\n").unwrap();
    let t = Templar::new();
    let s = scope(json!({"port": 80, "name": "{{ 'n' ~ port }}"})).with_search_paths(vec![dir.path().to_path_buf()]);
    assert_eq!(t.render_str("{{ lookup('file', 'motd.txt') }}", &s).unwrap(), "hello");
    assert_eq!(t.render_str("{{ lookup('template', 't.j2') }}", &s).unwrap(), "port=80\n");
    assert_eq!(t.render_value(&json!("{{ lookup('vars', 'name') }}"), &s).unwrap(), json!("n80"));
    assert_eq!(
        t.render_value(&json!("{{ query('first_found', ['missing.txt', 'motd.txt']) | map('basename') | list }}"), &s).unwrap(),
        json!(["motd.txt"])
    );
    assert!(t.render_str("{{ lookup('file', 'missing.txt') }}", &s).is_err());
}

#[test]
fn attribute_chains_on_undefined_bases_are_tolerated_where_ansible_tolerates_them() {
    let t = Templar::new();
    let s = scope(json!({"conf": {"a": {"b": 1}}}));
    assert_eq!(
        t.render_str("{{ nope.attr is defined }} {{ nope['x'].y is undefined }} {{ conf.a.b is defined }}", &s).unwrap(),
        "False True True"
    );
    assert_eq!(
        t.render_str("{{ nope.attr.deep | default('d') }} {{ conf.a.b | default(0) }} {{ conf.a.zz | d(2) }}", &s).unwrap(),
        "d 1 2"
    );
    assert!(t.eval_condition("nope.attr is not defined", &s).unwrap());
    // Everywhere else an undefined base is still an error, as in Ansible.
    assert_eq!(t.render_str("{{ nope.attr }}", &s).unwrap_err().undefined_name(), Some("nope.attr"));
    assert_eq!(t.render_str("{% if nope %}a{% endif %}", &s).unwrap_err().undefined_name(), Some("nope"));
}

#[test]
fn templar_and_scope_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Templar>();
    assert_send_sync::<Scope>();
}

#[test]
fn check_syntax_reports_unknown_filters_tests_and_lookups() {
    let t = Templar::new();
    let err = t.check_syntax("roles/k/templates/a.j2", "line one\n{{ heap | to_nice_jsn }}\n").unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Filter);
    assert_eq!(err.message, "no filter named 'to_nice_jsn'");
    assert_eq!((err.template.as_deref(), err.line), (Some("roles/k/templates/a.j2"), Some(2)));
    assert!(t.check_syntax("b.j2", "{{ [1, true, none] | join(',') }}").is_ok());
}

#[test]
fn join_prints_items_as_python_does_and_keys_are_templated() {
    let t = Templar::new();
    let s = scope(json!({"k": "port", "items": [1, true, null, "x"]}));
    assert_eq!(t.render_str("{{ items | join(',') }}", &s).unwrap(), "1,True,None,x");
    assert_eq!(t.render_value(&json!({"{{ k }}_num": "{{ items[0] }}"}), &s).unwrap(), json!({"port_num": 1}));
}

#[test]
fn layered_vars_shadow_the_base_and_base_templates_see_them() {
    let t = Templar::new();
    let base = scope(json!({"item": "base", "label": "{{ item }}-label", "keep": 1}));
    assert_eq!(t.render_str("{{ label }}", &base).unwrap(), "base-label");
    let looped = base.with_vars(json!({"item": "kafka1"}).as_object().unwrap().clone());
    assert_eq!(t.render_str("{{ label }} {{ keep }}", &looped).unwrap(), "kafka1-label 1");
    // The base scope is unchanged.
    assert_eq!(t.render_str("{{ item }}", &base).unwrap(), "base");
}

#[derive(Default)]
struct CountingHosts(std::sync::atomic::AtomicUsize);

impl HostvarsProvider for CountingHosts {
    fn host_vars(&self, host: &str) -> Option<Arc<Map<String, Value>>> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Hosts.host_vars(host)
    }
    fn host_names(&self) -> Vec<String> {
        Hosts.host_names()
    }
}

#[test]
fn another_hosts_vars_are_fetched_once_per_scope() {
    let t = Templar::new();
    let provider = Arc::new(CountingHosts::default());
    let s = scope(json!({})).with_hostvars(provider.clone());
    for _ in 0..3 {
        assert_eq!(t.render_str("{{ hostvars['kafka2'].listen }}", &s).unwrap(), "kafka2:9092");
    }
    assert_eq!(provider.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(t.render_str("{{ hostvars['nohost'].x }}", &s).is_err());
}

#[test]
fn lazily_templated_containers_work_with_filters_and_methods() {
    let t = Templar::new();
    let s = scope(json!({
        "base": 9000,
        "ports": ["{{ base + 2 }}", "{{ base + 1 }}", "{{ base + 2 }}"],
        "brokers": [{"name": "{{ 'b' ~ 2 }}", "port": "{{ base }}"}, {"name": "b1", "port": 1}],
        "conf": {"heap": "{{ '1G' }}", "dirs": ["/d/{{ base }}"]}
    }));
    let r = |x: &str| t.render_str(x, &s).unwrap();
    assert_eq!(
        r("{{ ports | sort }} {{ ports | unique | list }} {{ ports | length }} {{ ports | first }} {{ ports | max }}"),
        "[9001, 9002, 9002] [9002, 9001] 3 9002 9002"
    );
    assert_eq!(
        r("{{ 9001 in ports }} {{ ports | join(',') }} {{ ports | map('string') | list }}"),
        "True 9002,9001,9002 ['9002', '9001', '9002']"
    );
    assert_eq!(r("{{ brokers | sort(attribute='name') | map(attribute='port') | list }}"), "[1, 9000]");
    assert_eq!(r("{{ brokers | selectattr('port', 'gt', 10) | map(attribute='name') | first }}"), "b2");
    assert_eq!(r("{{ conf | to_json }}"), r#"{"heap": "1G", "dirs": ["/d/9000"]}"#);
    assert_eq!(r("{% for k, v in conf.items() %}{{ k }}={{ v }};{% endfor %}"), "heap=1G;dirs=['/d/9000'];");
    assert_eq!(r("{{ conf | combine({'heap': '2G'}) }}"), "{'heap': '2G', 'dirs': ['/d/9000']}");
    assert_eq!(r("{{ conf | dict2items | map(attribute='key') | list }} {{ conf.keys() | list }}"), "['heap', 'dirs'] ['heap', 'dirs']");
    assert_eq!(t.render_value(&json!("{{ brokers[0] }}"), &s).unwrap(), json!({"name": "b2", "port": 9000}));
}

#[test]
fn errors_inside_included_files_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/part.j2"), "ok\n{{ missing_in_part }}\n").unwrap();
    let t = Templar::new();
    let s = scope(json!({})).with_search_paths(vec![dir.path().to_path_buf()]);
    let err = t.render_template_file("main.j2", "head\n{% include 'part.j2' %}\n", &s).unwrap_err();
    assert_eq!(err.undefined_name(), Some("missing_in_part"), "{err:?}");
    assert!(err.template.as_deref().unwrap().ends_with("templates/part.j2"), "{err}");
    assert_eq!(err.line, Some(2));
}

#[test]
fn undef_hints_and_the_vars_mapping_behave_as_in_ansible() {
    let t = Templar::new();
    let s = scope(json!({"x": "{{ undef(hint='You must set x to the broker list') }}", "y": 5, "kafka_port": 9092, "svc": "kafka"}));
    assert_eq!(
        t.render_str("{{ x is defined }} {{ x | default('d') }} {{ vars['y'] }} {{ vars.y }} {{ vars[svc ~ '_port'] }}", &s).unwrap(),
        "False d 5 5 9092"
    );
    let err = t.render_str("{{ x }}", &s).unwrap_err();
    assert_eq!(err.message, "You must set x to the broker list");
    assert_eq!(err.undefined_name(), Some("x"));
}

#[test]
fn unsafe_strings_are_never_templated() {
    let t = Templar::new();
    let s = scope(json!({"raw": {"__ansible_unsafe": "{{ not_a_var }}"}, "list": [{"__ansible_unsafe": "{% x %}"}, "{{ 1 + 1 }}"]}));
    assert_eq!(t.render_str("{{ raw }}", &s).unwrap(), "{{ not_a_var }}");
    assert_eq!(t.render_value(&json!("{{ list }}"), &s).unwrap(), json!(["{% x %}", 2]));
    assert_eq!(t.render_value(&json!({"a": {"__ansible_unsafe": "{{ y }}"}}), &s).unwrap(), json!({"a": "{{ y }}"}));
}

#[test]
fn conditions_can_be_checked_without_variables() {
    let t = Templar::new();
    assert!(t.check_condition("tasks/main.yml", "kafka_enabled | bool and x is defined").is_ok());
    assert_eq!(t.check_condition("tasks/main.yml", "x ==").unwrap_err().kind, TemplateErrorKind::Syntax);
    assert_eq!(t.check_condition("tasks/main.yml", "x is definedd").unwrap_err().message, "no test named 'definedd'");
    assert!(t.check_condition("tasks/main.yml", " ").is_err());
}

#[test]
fn template_files_see_their_path_and_ansible_managed() {
    let t = Templar::new();
    let s = scope(json!({}));
    let out = t
        .render_template_file("/srv/roles/kafka/templates/a.j2", "{{ template_path }}|{{ template_fullpath }}|{{ ansible_managed }}\n", &s)
        .unwrap();
    assert_eq!(out, "/srv/roles/kafka/templates/a.j2|/srv/roles/kafka/templates/a.j2|Ansible managed\n");
    let s = scope(json!({"ansible_managed": "Managed by dpctl", "template_path": "a.j2"}));
    assert_eq!(t.render_template_file("/x/a.j2", "{{ template_path }} {{ ansible_managed }}", &s).unwrap(), "a.j2 Managed by dpctl");
}
