//! Every committed fuzz input (the minimised corpus and each crash found) through the same
//! entry function its fuzz target calls, so CI replays them on stable Rust without cargo-fuzz.
//! See `tests/fuzz/README.md`.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no committed fuzz inputs for {target}");
    files
}

fn replay(target: &str, entry: fn(&[u8])) {
    for path in inputs(target) {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        entry(&data);
    }
}

#[test]
fn inventory_ini_inputs() {
    replay("inventory_ini", dpctl::fuzz::inventory_ini);
}

#[test]
fn inventory_yaml_inputs() {
    replay("inventory_yaml", dpctl::fuzz::inventory_yaml);
}

#[test]
fn playbook_inputs() {
    replay("playbook", dpctl::fuzz::playbook);
}

#[test]
fn template_inputs() {
    replay("template", dpctl::fuzz::template);
}

#[test]
fn vault_inputs() {
    replay("vault", dpctl::fuzz::vault);
}
