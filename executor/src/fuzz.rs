//! The bodies of the fuzz targets in `tests/fuzz/` (see `docs/fuzzing.md`). Each takes arbitrary
//! bytes and must return without panicking, whatever they hold; bad input ends as an `Err`
//! (whose diagnostics are rendered, so the excerpt code is exercised too).
//!
//! They live here, not in the fuzz crate, so that the committed corpus and every crash found
//! run through the very same function as ordinary `cargo test` cases (`executor/tests/fuzz_regressions.rs`).

use std::path::Path;

use serde_json::json;

use crate::inventory::{Inventory, InventoryFormat};
use crate::playbook::{load_playbook_text, LoadOptions};
use crate::template::{Scope, Templar};
use crate::vault::{self, VaultSecret};

/// A path below which nothing exists: imports and roles named by fuzzed text are not found.
const FAKE_DIR: &str = "/nonexistent/dpctl-fuzz";

/// Instructions one fuzzed template may run (a few milliseconds' worth).
pub const TEMPLATE_FUEL: u64 = 50_000;

/// An INI inventory text: parse it, then list it and match a pattern as `dpctl inventory` does.
pub fn inventory_ini(data: &[u8]) {
    inventory(data, InventoryFormat::Ini, "hosts");
}

/// A YAML inventory text, as [`inventory_ini`].
pub fn inventory_yaml(data: &[u8]) {
    inventory(data, InventoryFormat::Yaml, "hosts.yml");
}

fn inventory(data: &[u8], format: InventoryFormat, name: &str) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Inventory::from_text(&Path::new(FAKE_DIR).join(name), text, format) {
        Ok(inv) => {
            let _ = inv.to_list_json();
            for w in inv.warnings() {
                let _ = w.to_string();
            }
            if let Ok(hosts) = inv.select("all:!ungrouped") {
                for h in hosts.iter().take(16) {
                    let _ = inv.host_vars(h);
                }
            }
        }
        Err(diags) => {
            let _ = diags.to_string();
        }
    }
}

/// A playbook text: load and validate it as `dpctl check` does, rendering every diagnostic.
pub fn playbook(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match load_playbook_text(&Path::new(FAKE_DIR).join("site.yml"), text, &LoadOptions::default()) {
        Ok(pb) => {
            let _ = format!("{pb:?}");
        }
        Err(diags) => {
            let _ = diags.to_string();
        }
    }
}

/// A template string rendered by the project's [`Templar`] with a few fixed variables and a
/// [`TEMPLATE_FUEL`] budget (a huge `range` is valid Jinja: the budget, not a crash, stops it).
pub fn template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let vars = json!({
        "name": "kafka",
        "port": 9092,
        "hosts": ["a", "b", "c"],
        "cfg": {"retention": "7d", "nested": {"x": [1, 2.5, null, true]}},
        "lazy": "{{ port + 1 }}",
    });
    let serde_json::Value::Object(vars) = vars else { return };
    let templar = Templar::with_fuel(TEMPLATE_FUEL);
    let scope = Scope::new(vars);
    let _ = templar.render_str(text, &scope);
}

/// Vault data (a whole file or an inline `!vault` value) decrypted with the two fixture secrets
/// of `executor/tests/fixtures/vault/` (so the seeds made from those fixtures open): envelope
/// parser, hex decoding, key derivation, HMAC check, padding. A mutated input almost never
/// passes the HMAC, so the code behind it is reached through the seeds.
pub fn vault(data: &[u8]) {
    let secrets =
        [VaultSecret::new("default", b"dpctl-fixture-password-1".to_vec()), VaultSecret::new("prod", b"prod-fixture-password-2".to_vec())];
    if let Err(e) = vault::decrypt(data, &secrets) {
        let _ = e.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vault target's seeds must open with its secrets, or the fuzzer never gets past the HMAC.
    #[test]
    fn the_vault_seeds_open_with_the_targets_secrets() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz/corpus/vault");
        let secrets = [
            VaultSecret::new("default", b"dpctl-fixture-password-1".to_vec()),
            VaultSecret::new("prod", b"prod-fixture-password-2".to_vec()),
        ];
        for name in ["v11.txt", "v12-prod.txt"] {
            let data = std::fs::read(dir.join(name)).unwrap();
            assert!(vault::decrypt(&data, &secrets).is_ok(), "{name}");
        }
    }
}
