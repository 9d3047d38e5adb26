//! Ansible converts module arguments to the type each option declares
//! (`partitions=4` from a `k=v` string is the integer 4, `force: "yes"` is
//! true). We do the same from the module's JSON schema, so every module gets
//! it without per-field code, before serde checks the types strictly.

use serde_json::{Map, Value};

/// Convert `value` towards what `schema` (a JSON schema from schemars) accepts.
pub fn coerce(value: Value, schema: &Value) -> Value {
    coerce_in(value, schema, schema, 0)
}

const MAX_DEPTH: usize = 32;

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..MAX_DEPTH {
        match s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/")) {
            Some(path) => match path.split('/').try_fold(root, |node, part| node.get(part)) {
                Some(target) => s = target,
                None => return s,
            },
            None => return s,
        }
    }
    s
}

/// The JSON types a schema allows, looking through anyOf/oneOf.
fn allowed_types(schema: &Value, root: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let s = resolve(schema, root);
    match s.get("type") {
        Some(Value::String(t)) => out.push(t.clone()),
        Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(Value::as_str).map(str::to_string)),
        _ => {}
    }
    if s.get("enum").is_some() || s.get("const").is_some() {
        out.push("string".into());
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(subs)) = s.get(key) {
            for sub in subs {
                allowed_types(sub, root, out, depth + 1);
            }
        }
    }
}

/// The sub-schema that describes an object property, looking through anyOf/oneOf.
fn property_schema<'a>(schema: &'a Value, root: &'a Value, key: &str, depth: usize) -> Option<&'a Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let s = resolve(schema, root);
    if let Some(p) = s.get("properties").and_then(|p| p.get(key)) {
        return Some(p);
    }
    for k in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(subs)) = s.get(k) {
            if let Some(found) = subs.iter().find_map(|sub| property_schema(sub, root, key, depth + 1)) {
                return Some(found);
            }
        }
    }
    match s.get("additionalProperties") {
        Some(ap @ Value::Object(_)) => Some(ap),
        _ => None,
    }
}

fn items_schema<'a>(schema: &'a Value, root: &'a Value, depth: usize) -> Option<&'a Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let s = resolve(schema, root);
    if let Some(items) = s.get("items") {
        return Some(items);
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = s.get(k) {
            if let Some(found) = subs.iter().find_map(|sub| items_schema(sub, root, depth + 1)) {
                return Some(found);
            }
        }
    }
    None
}

/// Ansible's boolean strings.
pub fn ansible_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "on" | "1" => Some(true),
        "no" | "n" | "false" | "f" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn coerce_in(value: Value, schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return value;
    }
    let mut types = Vec::new();
    allowed_types(schema, root, &mut types, 0);
    let has = |t: &str| types.iter().any(|x| x == t);
    match value {
        Value::String(s) if !types.is_empty() && !has("string") => {
            if has("integer") {
                if let Ok(i) = s.trim().parse::<i64>() {
                    return Value::from(i);
                }
            }
            if has("number") {
                if let Ok(f) = s.trim().parse::<f64>() {
                    return serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::String(s));
                }
            }
            if has("boolean") {
                if let Some(b) = ansible_bool(s.trim()) {
                    return Value::Bool(b);
                }
            }
            if has("array") {
                let items: Vec<Value> = s.split(',').map(|p| Value::String(p.trim().to_string())).filter(|v| v != "").collect();
                return coerce_in(Value::Array(items), schema, root, depth + 1);
            }
            if has("object") {
                if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&s) {
                    return coerce_in(v, schema, root, depth + 1);
                }
            }
            if has("null") && s.is_empty() {
                return Value::Null;
            }
            Value::String(s)
        }
        Value::Number(n) if !types.is_empty() && has("string") && !has("integer") && !has("number") => Value::String(n.to_string()),
        Value::Bool(b) if !types.is_empty() && has("string") && !has("boolean") => Value::String(if b { "True" } else { "False" }.into()),
        Value::Number(n) if has("boolean") && !has("integer") && !has("number") => match n.as_i64() {
            Some(0) => Value::Bool(false),
            Some(1) => Value::Bool(true),
            _ => Value::Number(n),
        },
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let v = match property_schema(schema, root, &k, 0) {
                    Some(sub) => coerce_in(v, sub, root, depth + 1),
                    None => v,
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(items) if has("array") || types.is_empty() => match items_schema(schema, root, 0) {
            Some(sub) => Value::Array(items.into_iter().map(|v| coerce_in(v, sub, root, depth + 1)).collect()),
            None => Value::Array(items),
        },
        // A single value where a list is wanted becomes a one-item list, as Ansible's `list` type.
        v if has("array") && !v.is_null() && !has(json_type(&v)) => match items_schema(schema, root, 0) {
            Some(sub) => Value::Array(vec![coerce_in(v, sub, root, depth + 1)]),
            None => Value::Array(vec![v]),
        },
        v => v,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        port: u16,
    }

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Args {
        name: String,
        partitions: Option<u32>,
        force: bool,
        names: Vec<String>,
        inner: Option<Inner>,
        ratio: f64,
    }

    #[test]
    fn strings_become_the_declared_types() {
        let schema = serde_json::to_value(schemars::schema_for!(Args)).unwrap();
        let v = coerce(
            json!({"name": 12, "partitions": "4", "force": "yes", "names": "a, b", "inner": {"port": "9092"}, "ratio": "0.5"}),
            &schema,
        );
        let args: Args = serde_json::from_value(v).unwrap();
        assert_eq!(
            args,
            Args {
                name: "12".into(),
                partitions: Some(4),
                force: true,
                names: vec!["a".into(), "b".into()],
                inner: Some(Inner { port: 9092 }),
                ratio: 0.5
            }
        );
    }

    #[test]
    fn bad_values_stay_bad_for_serde_to_report() {
        let schema = serde_json::to_value(schemars::schema_for!(Args)).unwrap();
        let v = coerce(json!({"name": "x", "partitions": "four", "force": "maybe", "names": [], "ratio": 1}), &schema);
        assert_eq!(v["partitions"], "four");
        assert_eq!(v["force"], "maybe");
        assert!(serde_json::from_value::<Args>(v).is_err());
    }
}
