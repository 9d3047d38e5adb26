//! minijinja values ↔ JSON values.

use minijinja::value::{Value, ValueKind};
use serde_json::Value as Json;

use super::error::TemplateError;
use super::pyrepr;

/// A template value as plain JSON data (lazy containers are walked, so nested strings get templated).
pub(crate) fn to_json(value: &Value) -> Result<Json, TemplateError> {
    Ok(match value.kind() {
        ValueKind::Undefined => return Err(TemplateError::undefined("value")),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(value.is_true()),
        ValueKind::Number => number(value),
        ValueKind::String => Json::String(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => Json::String(String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned()),
        ValueKind::Seq | ValueKind::Iterable => {
            let iter = value.try_iter().map_err(|e| super::error::from_minijinja(&e, None))?;
            Json::Array(iter.map(|v| to_json(&v)).collect::<Result<_, _>>()?)
        }
        ValueKind::Map => {
            let iter = value.try_iter().map_err(|e| super::error::from_minijinja(&e, None))?;
            let mut map = serde_json::Map::new();
            for key in iter {
                let item = value.get_item(&key).unwrap_or(Value::UNDEFINED);
                let k = key_string(&key);
                if item.is_undefined() {
                    return Err(TemplateError::undefined(&k));
                }
                map.insert(k, to_json(&item)?);
            }
            Json::Object(map)
        }
        _ => Json::String(value.to_string()),
    })
}

/// A mapping key as Python's `str()` of it.
pub(crate) fn key_string(key: &Value) -> String {
    pyrepr::py_str(key)
}

fn number(value: &Value) -> Json {
    if value.is_integer() {
        if let Ok(i) = i64::try_from(value.clone()) {
            return Json::from(i);
        }
        if let Ok(u) = u64::try_from(value.clone()) {
            return Json::from(u);
        }
    }
    match f64::try_from(value.clone()).ok().and_then(serde_json::Number::from_f64) {
        Some(n) => Json::Number(n),
        None => Json::String(value.to_string()),
    }
}

/// JSON data as a template value.
pub(crate) fn from_json(value: &Json) -> Value {
    Value::from(minijinja::value::Serde(value))
}
