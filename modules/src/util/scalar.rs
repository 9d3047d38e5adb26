//! Arguments Ansible types as `str` but YAML often gives as numbers
//! (`minute: 0`, `argv: [sleep, 1]`, `uid: 1001` as text): accept any scalar
//! and keep its text.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// A scalar YAML value, kept so it can be rendered back as text.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    /// The text Ansible would see after its `str` conversion.
    pub fn into_string(self) -> String {
        match self {
            Scalar::Str(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => if b { "True" } else { "False" }.to_string(),
        }
    }
}

/// `#[serde(deserialize_with = "crate::util::scalar::string")]`
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Scalar::deserialize(d).map(Scalar::into_string)
}

/// The `Option<String>` form; use with `#[serde(default, deserialize_with = …)]`.
pub fn string_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Scalar>::deserialize(d).map(|o| o.map(Scalar::into_string))
}

/// A list given as a YAML list or as a comma-separated string (`name: a,b`).
pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<Scalar>),
        One(Scalar),
    }
    Ok(match ListOrString::deserialize(d)? {
        ListOrString::List(v) => v.into_iter().map(Scalar::into_string).collect(),
        ListOrString::One(s) => s.into_string().split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
    })
}

/// The `Option<Vec<String>>` form of [`list`].
pub fn list_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "list")] Vec<String>);
    Option::<Wrap>::deserialize(d).map(|o| o.map(|Wrap(v)| v))
}

/// The integer a scalar stands for, if it is one that fits `T`.
fn to_int<T: TryFrom<i64>>(s: Scalar) -> Result<T, String> {
    let n = match &s {
        Scalar::Int(i) => Some(*i),
        Scalar::Str(t) => t.trim().parse::<i64>().ok(),
        Scalar::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok()).ok_or_else(|| format!("invalid integer {:?}", s.into_string()))
}

/// An integer given as a number or as text (`gid: "{{ kafka_gid }}"` renders to a
/// string; Ansible converts it), e.g. `#[serde(deserialize_with = "crate::util::scalar::int")]`.
pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    to_int(Scalar::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// The `Option` form of [`int`]; use with `#[serde(default, deserialize_with = …)]`.
pub fn int_opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Scalar>::deserialize(d)?.map(to_int).transpose().map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::int")]
        a: u16,
        #[serde(default, deserialize_with = "super::int_opt")]
        b: Option<u32>,
    }

    #[test]
    fn integers_from_numbers_and_text() {
        let t: T = serde_json::from_value(serde_json::json!({"a": "8080", "b": 1001})).unwrap();
        assert_eq!((t.a, t.b), (8080, Some(1001)));
        let t: T = serde_json::from_value(serde_json::json!({"a": 1})).unwrap();
        assert_eq!(t.b, None);
        assert!(serde_json::from_value::<T>(serde_json::json!({"a": "70000"})).is_err());
        assert!(serde_json::from_value::<T>(serde_json::json!({"a": "x"})).is_err());
    }
}
