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
//! Ansible's booleans: `yes`/`no`, `on`/`off`, `true`/`false`, `1`/`0`, as
//! strings, numbers or real booleans (arguments often arrive as rendered text).

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Interpret one Ansible boolean spelling; `None` when it is not one.
pub fn parse(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
        "no" | "off" | "false" | "0" | "n" | "f" | "" => Some(false),
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

/// Deserialize an optional boolean (`null` is `None`).
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => from_value(&v).map(Some),

/// `true`, for `#[serde(default = "boolish::yes")]`.
pub fn yes() -> bool {
    true
struct BoolishVisitor;

impl Visitor<'_> for BoolishVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean (true/false, yes/no, on/off, 1/0)")
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))

/// `#[serde(deserialize_with = "crate::util::boolish::deserialize")]`
pub fn deserialize<'de, D>(d: D) -> Result<bool, D::Error>
where
    D: Deserializer<'de>,
{
    d.deserialize_any(BoolishVisitor)

/// The `Option<bool>` form; use with `#[serde(default, deserialize_with = …)]`.
pub fn deserialize_opt<'de, D>(d: D) -> Result<Option<bool>, D::Error>
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "deserialize")] bool);
    Option::<Wrap>::deserialize(d).map(|o| o.map(|Wrap(b)| b))
}

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
        let t: T = serde_json::from_value(json!({})).unwrap();
        assert_eq!((t.b, t.o), (false, None));
        let e = serde_json::from_value::<T>(json!({"b": "maybe"})).err().unwrap().to_string();
        assert!(e.contains("maybe") && e.contains("boolean"), "{e}");
        assert!(serde_json::from_value::<T>(json!({"b": 2})).is_err());
    use serde::Deserialize;

        #[serde(deserialize_with = "super::deserialize")]
        a: bool,
        #[serde(default, deserialize_with = "super::deserialize_opt")]
        b: Option<bool>,

    fn ansible_spellings() {
            (serde_json::json!("yes"), true),
            (serde_json::json!("off"), false),
            (serde_json::json!(1), true),
            (serde_json::json!(false), false),
            let t: T = serde_json::from_value(serde_json::json!({ "a": v })).unwrap();
            assert_eq!((t.a, t.b), (want, None));
        let t: T = serde_json::from_value(serde_json::json!({"a": "True", "b": "no"})).unwrap();
        assert_eq!((t.a, t.b), (true, Some(false)));
        assert!(serde_json::from_value::<T>(serde_json::json!({"a": "maybe"})).is_err());
    }
}
