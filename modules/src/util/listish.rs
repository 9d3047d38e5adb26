//! Ansible's `type: list` arguments: a list, or a single string that Ansible
//! splits on commas (`patterns: "*.log,*.txt"`). Use with
//! `#[serde(default, deserialize_with = "listish::de")]`.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

fn item<E: de::Error>(v: Value) -> Result<String, E> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if b { "True".into() } else { "False".into() }),
        other => Err(E::custom(format!("expected a string in the list, found {other}"))),
    }
}

/// Deserialize a list of strings from a list or a comma-separated string.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(item).collect(),
        Value::String(s) => Ok(s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()),
        other => item(other).map(|s| vec![s]),
    }
}

/// The optional form: `None` when absent or `null`.
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    de(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::de")]
        l: Vec<String>,
    }

    #[test]
    fn list_or_comma_string() {
        let t: T = serde_json::from_value(json!({"l": "*.log, *.txt"})).unwrap();
        assert_eq!(t.l, ["*.log", "*.txt"]);
        let t: T = serde_json::from_value(json!({"l": ["a,b", 3]})).unwrap();
        assert_eq!(t.l, ["a,b", "3"]);
        assert!(serde_json::from_value::<T>(json!({"l": {"x": 1}})).is_err());
    }
}
