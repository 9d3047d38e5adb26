//! Malformed inventories: dpctl stops with a diagnostic that names file:line and what is wrong.
//! Every file here is one that real Ansible rejects too (`tests/inventory/errors/expected-ansible.json`,
//! written by `tests/inventory/generate.sh`).

use std::path::{Path, PathBuf};

use dpctl::diag::Diagnostics;
use dpctl::inventory::Inventory;

fn errors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/inventory/errors")
}

fn load_err(file: &str) -> Diagnostics {
    let path = errors_dir().join(file);
    match Inventory::load(&[path.display().to_string()]) {
        Ok(_) => panic!("{file} loaded without error"),
        Err(d) => d,
    }
}

/// The first error's file name, line and message.
fn first(file: &str) -> (String, usize, String, String) {
    let diags = load_err(file);
    let d = diags.0.iter().find(|d| d.is_error()).unwrap_or_else(|| panic!("{file}: no error in {diags}"));
    let span = d.span.as_ref().unwrap_or_else(|| panic!("{file}: error has no position: {d}"));
    let name = span.path().file_name().unwrap().to_string_lossy().into_owned();
    (name, span.line, d.message.clone(), d.to_string())
}

#[track_caller]
fn assert_error(file: &str, want_file: &str, want_line: usize, want_text: &str) {
    let (name, line, message, rendered) = first(file);
    assert_eq!((name.as_str(), line), (want_file, want_line), "{rendered}");
    assert!(message.contains(want_text), "message {message:?} lacks {want_text:?}");
    assert!(rendered.contains(&format!("{want_file}:{want_line}:")), "{rendered}");
}

#[test]
fn ansible_rejects_every_error_case_too() {
    let text = std::fs::read_to_string(errors_dir().join("expected-ansible.json")).unwrap();
    let verdicts: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = verdicts.as_object().unwrap();
    assert!(map.len() >= 12);
    for (file, v) in map {
        assert_eq!(v["ansible_rejects"], true, "{file}");
        load_err(file);
    }
}

#[test]
fn ini_bad_range() {
    assert_error("bad_range.ini", "bad_range.ini", 5, "bad host pattern 'db[1:x].example.com'");
}

#[test]
fn ini_unknown_section_type() {
    assert_error("unknown_section.ini", "unknown_section.ini", 3, "unknown type 'hostz'");
}

#[test]
fn ini_group_its_own_ancestor() {
    assert_error("cycle.ini", "cycle.ini", 5, "creates a loop");
}

#[test]
fn ini_undefined_child_group() {
    assert_error("undefined_child.ini", "undefined_child.ini", 2, "includes undefined group 'missing'");
}

#[test]
fn ini_host_variable_without_value() {
    assert_error("bad_hostvar.ini", "bad_hostvar.ini", 2, "expected key=value host variable, got 'stray'");
}

#[test]
fn ini_group_priority_not_a_number() {
    assert_error("bad_priority.ini", "bad_priority.ini", 5, "ansible_group_priority must be an integer");
}

#[test]
fn ini_section_with_space() {
    assert_error("bad_section.ini", "bad_section.ini", 1, "invalid section entry '[web name]'");
}

#[test]
fn yaml_group_its_own_ancestor() {
    // The loop closes when `b` (line 5) is attached under `a`.
    assert_error("cycle.yml", "cycle.yml", 5, "creates a loop");
}

#[test]
fn yaml_hosts_as_a_list() {
    assert_error("hosts_list.yml", "hosts_list.yml", 5, "'hosts' of group 'web' must be a mapping, found a list");
}

#[test]
fn yaml_syntax_error() {
    let (name, line, message, _) = first("syntax.yml");
    assert_eq!(name, "syntax.yml");
    assert!(message.starts_with("YAML syntax error"), "{message}");
    assert!((4..=5).contains(&line), "line {line}");
}

#[test]
fn yaml_integer_host_name() {
    assert_error("int_host.yml", "int_host.yml", 3, "host pattern must be a string");
}

#[test]
fn group_vars_file_that_is_not_a_mapping() {
    assert_error("gv_not_mapping/hosts", "web.yml", 1, "must hold a mapping of variables");
}

#[test]
fn missing_source_is_an_error() {
    let err = Inventory::load(&["/nonexistent/inventory/hosts".to_string()]).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/inventory/hosts does not exist"), "{err}");
}

#[test]
fn errors_from_several_sources_are_all_reported() {
    let dir = errors_dir();
    let sources = ["bad_range.ini", "cycle.ini"].map(|f| dir.join(f).display().to_string());
    let err = Inventory::load(&sources).unwrap_err();
    assert_eq!(err.error_count(), 2, "{err}");
}

#[test]
fn rendered_diagnostic_points_at_the_line() {
    let diags = load_err("cycle.ini");
    insta::assert_snapshot!(diags.to_string());
}
