//! Ansible's booleans: `yes`/`no`, `on`/`off`, `true`/`false`, `1`/`0`, as
//! strings, numbers or real booleans (arguments often arrive as rendered text).

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Interpret one Ansible boolean spelling; `None` when it is not one.
pub fn parse(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
        "no" | "off" | "false" | "0" | "n" | "f" | "" => Some(false),
        _ => None,
    }
}

struct BoolishVisitor;

impl Visitor<'_> for BoolishVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean (true/false, yes/no, on/off, 1/0)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `#[serde(deserialize_with = "crate::util::boolish::deserialize")]`
pub fn deserialize<'de, D>(d: D) -> Result<bool, D::Error>
where
    D: Deserializer<'de>,
{
    d.deserialize_any(BoolishVisitor)
}

/// The `Option<bool>` form; use with `#[serde(default, deserialize_with = …)]`.
pub fn deserialize_opt<'de, D>(d: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "deserialize")] bool);
    Option::<Wrap>::deserialize(d).map(|o| o.map(|Wrap(b)| b))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::deserialize")]
        a: bool,
        #[serde(default, deserialize_with = "super::deserialize_opt")]
        b: Option<bool>,
    }

    #[test]
    fn ansible_spellings() {
        for (v, want) in [
            (serde_json::json!("yes"), true),
            (serde_json::json!("off"), false),
            (serde_json::json!(1), true),
            (serde_json::json!(false), false),
        ] {
            let t: T = serde_json::from_value(serde_json::json!({ "a": v })).unwrap();
            assert_eq!((t.a, t.b), (want, None));
        }
        let t: T = serde_json::from_value(serde_json::json!({"a": "True", "b": "no"})).unwrap();
        assert_eq!((t.a, t.b), (true, Some(false)));
        assert!(serde_json::from_value::<T>(serde_json::json!({"a": "maybe"})).is_err());
    }
}
