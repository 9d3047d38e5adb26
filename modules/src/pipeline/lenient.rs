//! Ansible's `k=v` argument strings deliver every value as a string
//! (`login_port=5432`, `ssl=yes`), and Ansible modules coerce them. These
//! deserializers accept either the typed value or its string spelling.
//! Use with `#[serde(deserialize_with = "lenient::u16")]` and
//! `#[schemars(with = "u16")]` so the schema still says what is wanted.

use serde::de::{Deserializer, Error};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr {
    Num(u64),
    Str(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrStr {
    Bool(bool),
    Str(String),
}

fn parse_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => s.trim().parse().map_err(|_| D::Error::custom(format!("expected a non-negative integer, got {s:?}"))),
    }
}

/// An integer given as a number or a string of digits.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_u64(d)
}

/// A `u32` given as a number or a string of digits.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = parse_u64(d)?;
    u32::try_from(n).map_err(|_| D::Error::custom(format!("{n} is too large")))
}

/// A port (`u16`) given as a number or a string of digits.
pub fn u16<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let n = parse_u64(d)?;
    u16::try_from(n).map_err(|_| D::Error::custom(format!("{n} is not a valid port")))
}

/// A boolean with Ansible's spellings (`yes/no`, `true/false`, `on/off`, `1/0`).
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match BoolOrStr::deserialize(d)? {
        BoolOrStr::Bool(b) => Ok(b),
        BoolOrStr::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "t" | "on" | "1" => Ok(true),
            "no" | "n" | "false" | "f" | "off" | "0" => Ok(false),
            _ => Err(D::Error::custom(format!("expected a boolean, got {s:?}"))),
        },
    }
}

/// An optional boolean with Ansible's spellings.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    bool(d).map(Some)
}

/// An optional `u32` given as a number or a string of digits.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    u32(d).map(Some)
}

/// A file mode: a string is octal (`"0640"`, `"640"`), a number is taken as is
/// (YAML 1.1 already reads an unquoted `0640` as octal).
pub fn opt_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n = match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => n,
        NumOrStr::Str(s) => {
            let digits = s.trim().trim_start_matches("0o");
            u64::from_str_radix(digits, 8).map_err(|_| D::Error::custom(format!("mode {s:?} is not an octal number")))?
        }
    };
    if n > 0o7777 {
        return Err(D::Error::custom(format!("mode {n:o} (octal) is out of range")));
    }
    Ok(Some(n as u32))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "super::u16")]
        port: u16,
        #[serde(deserialize_with = "super::bool")]
        ssl: bool,
    }

    #[test]
    fn numbers_and_booleans_accept_their_string_spellings() {
        let t: T = serde_json::from_value(serde_json::json!({"port": "5432", "ssl": "yes"})).unwrap();
        assert_eq!((t.port, t.ssl), (5432, true));
        let t: T = serde_json::from_value(serde_json::json!({"port": 8086, "ssl": false})).unwrap();
        assert_eq!((t.port, t.ssl), (8086, false));
        let e = serde_json::from_value::<T>(serde_json::json!({"port": "70000", "ssl": true})).unwrap_err();
        assert!(e.to_string().contains("not a valid port"), "{e}");
        let e = serde_json::from_value::<T>(serde_json::json!({"port": 1, "ssl": "maybe"})).unwrap_err();
        assert!(e.to_string().contains("expected a boolean"), "{e}");
    }

    #[derive(Deserialize, Debug)]
    struct M {
        #[serde(deserialize_with = "super::opt_mode")]
        mode: Option<u32>,
    }

    #[test]
    fn modes_are_octal_strings_or_numbers() {
        let m = |v| serde_json::from_value::<M>(serde_json::json!({ "mode": v })).map(|m| m.mode);
        assert_eq!(m(serde_json::json!("0640")).unwrap(), Some(0o640));
        assert_eq!(m(serde_json::json!(416)).unwrap(), Some(0o640));
        assert!(m(serde_json::json!("0968")).is_err());
        assert!(m(serde_json::json!("77777")).is_err());
    }
}
