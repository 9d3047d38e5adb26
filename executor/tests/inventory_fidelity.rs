//! The inventory as dpctl reads it, against what real ansible-core 2.19 printed for the same files.
//!
//! Each case lives in `tests/inventory/<case>/`; `tests/inventory/generate.sh` ran `ansible-inventory --list`,
//! `--host`, `--graph`, `--list --limit` and `ansible PATTERN --list-hosts` there and committed the outputs (CI has no Ansible).
//! JSON is compared as values: object key order is free (Ansible sorts keys), list order is checked
//! (host and child order is part of Ansible's behaviour).

use std::path::{Path, PathBuf};

use dpctl::inventory::{ansible_json_text, Inventory};
use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/inventory")
}

fn lines(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => t.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect(),
        Err(_) => Vec::new(),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case's `-i` sources, made absolute (tests run in parallel, so no `chdir`).
fn load_case(dir: &Path) -> Inventory {
    let sources: Vec<String> = lines(&dir.join("sources.list"))
        .into_iter()
        .map(|s| if s.contains(',') && !dir.join(&s).exists() { s } else { dir.join(&s).display().to_string() })
        .collect();
    let mut inv = Inventory::load(&sources).unwrap_or_else(|d| panic!("{}: {d}", dir.display()));
    if let Some(pb) = lines(&dir.join("playbook_dir.list")).first() {
        inv.add_playbook_dir(&dir.join(pb)).unwrap_or_else(|d| panic!("{}: {d}", dir.display()));
    }
    inv
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn check_case(name: &str) {
    let dir = cases_dir().join(name);
    let inv = load_case(&dir);
    let mut failures = Vec::new();

    let expected = read_json(&dir.join("expected-list.json"));
    let actual = inv.to_list_json();
    if actual != expected {
        failures.push(format!("--list differs\n--- ansible\n{}\n--- dpctl\n{}", pretty(&expected), pretty(&actual)));
    } else {
        // Same value; the text must be Ansible's too (sorted keys, indent, escapes), so `dpctl inventory --list`
        // can print exactly what `ansible-inventory --list` prints.
        let text = std::fs::read_to_string(dir.join("expected-list.json")).unwrap_or_default();
        let ours = ansible_json_text(&actual);
        if ours.trim_end() != text.trim_end() {
            failures.push(format!("--list text differs\n--- ansible\n{text}\n--- dpctl\n{ours}"));
        }
    }

    for host in lines(&dir.join("host.list")) {
        let expected = read_json(&dir.join(format!("expected-host-{host}.json")));
        let actual = inv.to_host_json(&host);
        if actual.as_ref() != Some(&expected) {
            failures.push(format!(
                "--host {host} differs\n--- ansible\n{}\n--- dpctl\n{:?}",
                pretty(&expected),
                actual.as_ref().map(pretty)
            ));
        }
    }

    for line in lines(&dir.join("graph.list")) {
        let (group, with_vars) = match line.split_once(' ') {
            Some((g, _)) => (g.to_string(), true),
            None => (line.clone(), false),
        };
        let file = dir.join(format!("expected-graph-{group}{}.txt", if with_vars { "-vars" } else { "" }));
        let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let actual = inv.to_graph(&group, with_vars);
        if actual.trim_end() != expected.trim_end() {
            failures.push(format!("--graph {line} differs\n--- ansible\n{expected}\n--- dpctl\n{actual}"));
        }
    }

    let limited_file = dir.join("expected-list-limited.json");
    if limited_file.exists() {
        let Value::Array(entries) = read_json(&limited_file) else { panic!("{}: not a list", limited_file.display()) };
        for e in entries {
            let limit = e["limit"].as_str().unwrap_or_default();
            let limit = match limit.strip_prefix('@') {
                Some(f) => format!("@{}", dir.join(f).display()),
                None => limit.to_string(),
            };
            match (inv.to_list_json_limited(&limit), e.get("list")) {
                (Ok((actual, _)), Some(expected)) if &actual == expected => {}
                (Ok((actual, _)), Some(expected)) => failures.push(format!(
                    "--list --limit {limit} differs\n--- ansible\n{}\n--- dpctl\n{}",
                    pretty(expected),
                    pretty(&actual)
                )),
                (Ok((actual, _)), None) => failures.push(format!("--list --limit {limit}: ansible failed, dpctl printed {actual}")),
                (Err(_), None) => {}
                (Err(d), Some(_)) => failures.push(format!("--list --limit {limit}: dpctl error {d}")),
            }
        }
    }

    let patterns_file = dir.join("expected-patterns.json");
    if patterns_file.exists() {
        let Value::Array(entries) = read_json(&patterns_file) else { panic!("{}: not a list", patterns_file.display()) };
        for e in entries {
            let pattern = e["pattern"].as_str().unwrap_or_default();
            // `@file` limits are relative to the case directory, where Ansible ran.
            let limit = e["limit"].as_str().map(|l| match l.strip_prefix('@') {
                Some(f) => format!("@{}", dir.join(f).display()),
                None => l.to_string(),
            });
            let expected: Vec<String> = e["hosts"].as_array().into_iter().flatten().filter_map(|h| h.as_str().map(String::from)).collect();
            match inv.select_limited(pattern, limit.as_deref()) {
                Ok(sel) => {
                    if sel.hosts != expected {
                        failures.push(format!("pattern {pattern:?} limit {limit:?}: ansible {expected:?}, dpctl {:?}", sel.hosts));
                    }
                    let warned = !sel.warnings.is_empty();
                    if Some(warned) != e["unmatched_warning"].as_bool() {
                        failures.push(format!(
                            "pattern {pattern:?}: ansible warned {}, dpctl warnings {:?}",
                            e["unmatched_warning"], sel.warnings
                        ));
                    }
                }
                // dpctl refuses an out-of-range subscript where the `ansible` CLI quietly targets no host
                // (its library raises "No hosts matched the subscripted pattern" too).
                Err(d) if expected.is_empty() && d.message.contains("subscripted") => {}
                Err(d) => failures.push(format!("pattern {pattern:?} limit {limit:?}: dpctl error {d}, ansible {expected:?}")),
            }
        }
    }

    assert!(failures.is_empty(), "case {name}:\n{}", failures.join("\n\n"));
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check_case(stringify!($name)); })*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases!(
    depth_priority,
    dir_inventory,
    group_vars_files,
    host_list,
    ini_basic,
    ini_literals,
    ini_pending,
    localhost_cases,
    multi_sources,
    patterns,
    playbook_dir,
    ranges,
    ungrouped,
    vars_dirs_dirs,
    yaml11_values,
    yaml_basic,
);

#[test]
fn every_case_directory_is_tested() {
    let mut on_disk: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("sources.list").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}
