//! Ansible's booleans. Arguments reach a module as JSON after templating, so
//! `"yes"`, `"on"`, `"1"` and friends arrive as strings; Ansible accepts them,
//! and so must we. Use with `#[serde(default, deserialize_with = "boolish::de")]`
//! or, for an `Option<bool>`, `deserialize_with = "boolish::de_opt"`.

use serde::de::{self, Deserializer, Unexpected};
use serde::Deserialize;
use serde_json::Value;

/// Ansible's truth table (`ansible.module_utils.parsing.convert_bool`).
pub fn parse(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn from_value<E: de::Error>(v: &Value) -> Result<bool, E> {
    parse(v).ok_or_else(|| {
        let shown = v.to_string();
        E::invalid_value(Unexpected::Other(&shown), &"a boolean (true/false, yes/no, on/off, 1/0)")
    })
}

/// Deserialize a required or defaulted boolean.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    from_value(&Value::deserialize(d)?)
}

/// Deserialize an optional boolean (`null` is `None`).
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => from_value(&v).map(Some),
    }
}

/// `true`, for `#[serde(default = "boolish::yes")]`.
pub fn yes() -> bool {
    true
}

/// [`de`] under the name `#[serde(deserialize_with = "boolish::deserialize")]` reads naturally with.
pub use self::de as deserialize;
/// [`de_opt`] likewise.
pub use self::de_opt as deserialize_opt;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "de")]
        b: bool,
        #[serde(default, deserialize_with = "de_opt")]
        o: Option<bool>,
    }

    #[test]
    fn accepts_ansible_spellings_and_rejects_others() {
        for (v, want) in [
            (json!(true), true),
            (json!("yes"), true),
            (json!("On"), true),
            (json!(1), true),
            (json!("no"), false),
            (json!("false"), false),
            (json!(0), false),
        ] {
            let t: T = serde_json::from_value(json!({ "b": v, "o": v })).unwrap();
            assert_eq!((t.b, t.o), (want, Some(want)), "{v}");
        }
        let t: T = serde_json::from_value(json!({})).unwrap();
        assert_eq!((t.b, t.o), (false, None));
        let e = serde_json::from_value::<T>(json!({"b": "maybe"})).err().unwrap().to_string();
        assert!(e.contains("maybe") && e.contains("boolean"), "{e}");
        assert!(serde_json::from_value::<T>(json!({"b": 2})).is_err());
    }
}
