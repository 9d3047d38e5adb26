//! Ansible's `type: int` arguments: a number, or the same number as a string
//! (`timeout=30` in a `k=v` argument string arrives as `"30"`). Use with
//! `#[serde(default = …, deserialize_with = "intish::de")]` or `intish::de_opt`.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

fn from_value<E: serde::de::Error>(v: &Value) -> Result<u64, E> {
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| E::custom(format!("expected a non-negative integer, found {n}"))),
        Value::String(s) => s.trim().parse().map_err(|_| E::custom(format!("expected a non-negative integer, found {s:?}"))),
        other => Err(E::custom(format!("expected a non-negative integer, found {other}"))),
    }
}

/// Deserialize a required or defaulted integer.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    from_value(&Value::deserialize(d)?)
}

/// Deserialize an optional integer (`null` is `None`).
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => from_value(&v).and_then(|n| usize::try_from(n).map_err(D::Error::custom)).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::de")]
        n: u64,
        #[serde(default, deserialize_with = "super::de_opt")]
        o: Option<usize>,
    }

    #[test]
    fn numbers_or_numeric_strings() {
        let t: T = serde_json::from_value(json!({"n": "30", "o": 2})).unwrap();
        assert_eq!((t.n, t.o), (30, Some(2)));
        let e = serde_json::from_value::<T>(json!({"n": "soon"})).err().unwrap().to_string();
        assert!(e.contains("soon"), "{e}");
        assert!(serde_json::from_value::<T>(json!({"n": -1})).is_err());
    }
}
