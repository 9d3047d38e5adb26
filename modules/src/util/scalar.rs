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
