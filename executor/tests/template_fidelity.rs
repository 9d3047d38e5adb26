//! Template fidelity: every `tests/templates/<case>/template.j2`, rendered with the vars of
//! `<case>/vars.yml`, must equal byte for byte the `expected.out` that real Ansible produced
//! (see `tests/templates/generate.sh`). A case with its own `playbook.yml` and `inventory.ini`
//! (hostvars, groups: they need an inventory) is rendered by `dpctl render`, as Ansible ran it.

mod support;

use std::path::{Path, PathBuf};

use dpctl::template::{Scope, Templar};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/templates")
}

fn render_case(templar: &Templar, dir: &Path) -> Result<String, String> {
    if dir.join("playbook.yml").exists() {
        return render_playbook_case(dir);
    }
    let (_, node) = dpctl::yaml::load_file(&dir.join("vars.yml")).map_err(|d| d.message.clone())?;
    let vars = match node.map(|n| n.to_value()) {
        Some(serde_json::Value::Object(m)) => m,
        None => serde_json::Map::new(),
        Some(other) => return Err(format!("vars.yml is not a mapping: {other}")),
    };
    let text = std::fs::read_to_string(dir.join("template.j2")).map_err(|e| e.to_string())?;
    // What Ansible renders, `dpctl check` must accept.
    templar.check_syntax("template.j2", &text).map_err(|e| format!("check_syntax rejects it: {e}"))?;
    let scope = Scope::new(vars).with_search_paths(vec![dir.to_path_buf()]);
    templar.render_template_file("template.j2", &text, &scope).map_err(|e| e.to_string())
}

/// `dpctl render playbook.yml -i inventory.ini`: the one file it writes is the case's output.
fn render_playbook_case(dir: &Path) -> Result<String, String> {
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args = vec!["render", "playbook.yml", "--out", out.path().to_str().unwrap_or_default()];
    if dir.join("inventory.ini").exists() {
        args.extend(["-i", "inventory.ini"]);
    }
    let run = support::dpctl(dir, &args);
    if !run.status.success() {
        return Err(format!("dpctl render failed:\n{}", support::stderr(&run)));
    }
    let files: Vec<PathBuf> = walk(out.path());
    match files.as_slice() {
        [one] if one.ends_with("expected.out") => std::fs::read_to_string(one).map_err(|e| e.to_string()),
        other => Err(format!("dpctl render wrote {other:?}, expected one expected.out")),
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// The first differing line, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.split_inclusive('\n').zip(actual.split_inclusive('\n')).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e:?}\n  actual:   {a:?}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} bytes, got {} bytes\n  expected tail: {:?}\n  actual tail:   {:?}",
        expected.len(),
        actual.len(),
        tail(expected),
        tail(actual)
    )
}

fn tail(s: &str) -> &str {
    let start = s.char_indices().rev().nth(40).map(|(i, _)| i).unwrap_or(0);
    &s[start..]
}

#[test]
fn templates_render_exactly_as_ansible_does() {
    let templar = Templar::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "expected at least 15 template cases, found {}", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected =
            std::fs::read_to_string(dir.join("expected.out")).unwrap_or_else(|e| panic!("{name}: no expected.out ({e}); run generate.sh"));
        match render_case(&templar, dir) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => failures.push(format!("{name}: {}", first_difference(&expected, &actual))),
            Err(e) => failures.push(format!("{name}: render failed: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ from Ansible:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
