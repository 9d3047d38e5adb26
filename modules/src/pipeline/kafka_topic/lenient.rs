//! Arguments written as `k=v` on a command line arrive as strings
//! (`partitions=4`, `config_exclusive=yes`); Ansible converts them by the
//! argument's type, and so do these.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Str(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrString {
    Bool(bool),
    Str(String),
}

fn to_int<T: TryFrom<i64>, E: serde::de::Error>(v: IntOrString) -> Result<T, E> {
    let n = match v {
        IntOrString::Int(n) => n,
        IntOrString::Str(s) => s.trim().parse::<i64>().map_err(|_| E::custom(format!("expected an integer, got '{s}'")))?,
    };
    T::try_from(n).map_err(|_| E::custom(format!("{n} is out of range")))
}

pub fn opt_int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<IntOrString>::deserialize(d)?.map(to_int).transpose()
}

pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    to_int(IntOrString::deserialize(d)?)
}

fn to_bool<E: serde::de::Error>(v: BoolOrString) -> Result<bool, E> {
    match v {
        BoolOrString::Bool(b) => Ok(b),
        BoolOrString::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" | "1" | "y" | "t" => Ok(true),
            "no" | "off" | "false" | "0" | "n" | "f" | "" => Ok(false),
            _ => Err(E::custom(format!("expected a boolean, got '{s}'"))),
        },
    }
}

pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    to_bool(BoolOrString::deserialize(d)?)
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<BoolOrString>::deserialize(d)?.map(to_bool).transpose()
}
