//! Value-level filters: default, bool, int, float, string, ternary, mandatory, type_debug.

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use super::super::pyrepr;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", string);
    env.add_filter("ternary", ternary);
    env.add_filter("mandatory", mandatory);
    env.add_filter("type_debug", |v: &Value| pyrepr::type_name(v));
    env.add_filter("join", join);
}

/// Jinja's `default(value, default_value='', boolean=False)`. The default is taken as given, even when it is
/// undefined or none (`x | default(y) | default('z')`, `x | default(none)`): `Option<Value>` would turn both into "".
fn default(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    if args.len() > 2 {
        return Err(Error::new(ErrorKind::TooManyArguments, "default takes at most 2 arguments"));
    }
    let default_value = match args.first() {
        Some(v) => v.clone(),
        None => kwargs.get::<Option<Value>>("default_value")?.unwrap_or_else(|| Value::from("")),
    };
    let boolean = match args.get(1) {
        Some(b) => b.is_true(),
        None => kwargs.get::<Option<bool>>("boolean")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    if value.is_undefined() || (boolean && !value.is_true()) {
        Ok(default_value)
    } else {
        Ok(value.clone())
    }
}

/// Ansible's `bool`: `yes/on/true/1` (any case) are true, `no/off/false/0` false.
pub(crate) fn to_bool(value: &Value) -> Result<bool, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    Ok(match value.kind() {
        ValueKind::Bool => value.is_true(),
        ValueKind::String => matches!(value.as_str().unwrap_or_default().to_lowercase().as_str(), "yes" | "on" | "true" | "1"),
        ValueKind::Number => value.as_i64() == Some(1) || f64::try_from(value.clone()).ok() == Some(1.0),
        _ => false,
    })
}

/// Jinja's `int(default=0, base=10)`: unparsable input gives the default.
fn to_int(value: &Value, default: Option<Value>, base: Option<u32>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match default {
        Some(d) => d,
        None => kwargs.get::<Option<Value>>("default")?.unwrap_or(Value::from(0)),
    };
    let base = match base {
        Some(b) => b,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    Ok(match value.kind() {
        ValueKind::Bool => Value::from(value.is_true() as i64),
        ValueKind::Number if value.is_integer() => value.clone(),
        ValueKind::Number => f64::try_from(value.clone()).map(|f| Value::from(f.trunc() as i64)).unwrap_or(default),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default().trim().replace('_', "");
            let digits = match base {
                16 => s.trim_start_matches("0x").trim_start_matches("0X").to_string(),
                8 => s.trim_start_matches("0o").trim_start_matches("0O").to_string(),
                2 => s.trim_start_matches("0b").trim_start_matches("0B").to_string(),
                _ => s.clone(),
            };
            match i64::from_str_radix(&digits, base) {
                Ok(i) => Value::from(i),
                Err(_) if base == 10 => s.parse::<f64>().map(|f| Value::from(f.trunc() as i64)).unwrap_or(default),
                Err(_) => default,
            }
        }
        _ => default,
    })
}

/// Jinja's `float(default=0.0)`.
fn to_float(value: &Value, default: Option<Value>) -> Value {
    let default = default.unwrap_or(Value::from(0.0));
    match value.kind() {
        ValueKind::Bool => Value::from(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => f64::try_from(value.clone()).map(Value::from).unwrap_or(default),
        ValueKind::String => value.as_str().unwrap_or_default().trim().parse::<f64>().map(Value::from).unwrap_or(default),
        _ => default,
    }
}

/// Python's `str()`.
fn string(value: &Value) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    if value.kind() == ValueKind::String {
        return Ok(value.clone());
    }
    Ok(Value::from(pyrepr::py_str(value)))
}

/// `value | ternary(true_val, false_val, none_val=None)`.
fn ternary(value: &Value, true_val: Value, false_val: Value, none_val: Option<Value>) -> Value {
    match none_val {
        Some(n) if value.is_none() && !n.is_none() => n,
        _ if value.is_true() => true_val,
        _ => false_val,
    }
}

/// `mandatory(msg=None)`: fails on an undefined value.
fn mandatory(value: &Value, msg: Option<String>) -> Result<Value, Error> {
    if value.is_undefined() {
        let msg = msg.unwrap_or_else(|| "Mandatory variable not defined.".to_string());
        return Err(Error::new(ErrorKind::InvalidOperation, msg));
    }
    Ok(value.clone())
}

/// Jinja's `join(d='', attribute=None)`, items printed as Python's `str()` (`True`, `None`).
fn join(value: &Value, d: Option<String>, attribute: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let d = match d {
        Some(d) => d,
        None => kwargs.get::<Option<String>>("d")?.unwrap_or_default(),
    };
    let attribute = match attribute {
        Some(a) => Some(a),
        None => kwargs.get::<Option<String>>("attribute")?,
    };
    kwargs.assert_all_used()?;
    if value.kind() == ValueKind::String {
        return Ok(value.as_str().unwrap_or_default().chars().map(String::from).collect::<Vec<_>>().join(&d));
    }
    let mut parts = Vec::new();
    for item in value.try_iter()? {
        let item = match &attribute {
            Some(a) => a.split('.').try_fold(item, |v, part| match part.parse::<i64>() {
                Ok(i) => v.get_item(&Value::from(i)),
                Err(_) => v.get_attr(part),
            })?,
            None => item,
        };
        if item.is_undefined() {
            return Err(Error::from(ErrorKind::UndefinedError));
        }
        parts.push(pyrepr::py_str(&item));
    }
    Ok(parts.join(&d))
}
