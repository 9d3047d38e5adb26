//! List and dict filters: union, intersect, difference, flatten, product, dict2items,
//! items2dict, combine, extract.

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error};
use serde_json::{Map, Value as Json};

use super::super::convert;
use super::fail;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("union", union);
    env.add_filter("intersect", intersect);
    env.add_filter("difference", difference);
    env.add_filter("symmetric_difference", symmetric_difference);
    env.add_filter("flatten", flatten);
    env.add_filter("product", product);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("combine", combine);
    env.add_filter("extract", extract);
    env.add_filter("subelements", subelements);
}

/// Plain JSON data of a value (lazy containers fully templated).
pub(crate) fn json_of(v: &Value) -> Result<Json, Error> {
    convert::to_json(v).map_err(|e| fail(e.message))
}

fn list_of(v: &Value, filter: &str) -> Result<Vec<Json>, Error> {
    match json_of(v)? {
        Json::Array(a) => Ok(a),
        Json::String(s) => Ok(s.chars().map(|c| Json::String(c.to_string())).collect()),
        Json::Object(m) => Ok(m.keys().map(|k| Json::String(k.clone())).collect()),
        other => Err(fail(format!("{filter} expects a list, got {other}"))),
    }
}

/// Ansible's set-theory filters keep first-seen order and drop duplicates.
fn dedup(items: impl IntoIterator<Item = Json>) -> Vec<Json> {
    let mut out: Vec<Json> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn to_value(items: Vec<Json>) -> Value {
    convert::from_json(&Json::Array(items))
}

fn union(a: &Value, b: &Value) -> Result<Value, Error> {
    let mut items = list_of(a, "union")?;
    items.extend(list_of(b, "union")?);
    Ok(to_value(dedup(items)))
}

fn intersect(a: &Value, b: &Value) -> Result<Value, Error> {
    let b = list_of(b, "intersect")?;
    Ok(to_value(dedup(list_of(a, "intersect")?.into_iter().filter(|i| b.contains(i)))))
}

fn difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let b = list_of(b, "difference")?;
    Ok(to_value(dedup(list_of(a, "difference")?.into_iter().filter(|i| !b.contains(i)))))
}

fn symmetric_difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let a = list_of(a, "symmetric_difference")?;
    let b = list_of(b, "symmetric_difference")?;
    let union = dedup(a.iter().chain(b.iter()).cloned());
    Ok(to_value(union.into_iter().filter(|i| !(a.contains(i) && b.contains(i))).collect()))
}

fn flatten_into(out: &mut Vec<Json>, items: Vec<Json>, levels: Option<i64>, skip_nulls: bool) {
    for item in items {
        let is_null = matches!(&item, Json::Null) || matches!(&item, Json::String(s) if s == "None" || s == "null");
        match item {
            _ if skip_nulls && is_null => {}
            Json::Array(inner) if levels.is_none_or(|l| l >= 1) => flatten_into(out, inner, levels.map(|l| l - 1), skip_nulls),
            other => out.push(other),
        }
    }
}

/// `flatten(levels=None, skip_nulls=True)`.
fn flatten(value: &Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten_into(&mut out, list_of(value, "flatten")?, levels, skip_nulls);
    Ok(to_value(out))
}

/// `itertools.product`: every combination, as lists.
fn product(first: &Value, rest: Rest<Value>) -> Result<Value, Error> {
    let mut lists = vec![list_of(first, "product")?];
    for r in rest.iter() {
        lists.push(list_of(r, "product")?);
    }
    let mut combos: Vec<Vec<Json>> = vec![Vec::new()];
    for list in &lists {
        combos = combos.iter().flat_map(|c| list.iter().map(move |i| [c.clone(), vec![i.clone()]].concat())).collect();
    }
    Ok(to_value(combos.into_iter().map(Json::Array).collect()))
}

fn dict2items(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs.get::<Option<String>>("key_name")?.unwrap_or_else(|| "key".into());
    let value_name = kwargs.get::<Option<String>>("value_name")?.unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    let Json::Object(map) = json_of(value)? else {
        return Err(fail(format!("dict2items requires a dictionary, got {} instead.", super::super::pyrepr::type_name(value))));
    };
    let items = map
        .into_iter()
        .map(|(k, v)| {
            let mut m = Map::new();
            m.insert(key_name.clone(), Json::String(k));
            m.insert(value_name.clone(), v);
            Json::Object(m)
        })
        .collect();
    Ok(to_value(items))
}

fn items2dict(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs.get::<Option<String>>("key_name")?.unwrap_or_else(|| "key".into());
    let value_name = kwargs.get::<Option<String>>("value_name")?.unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    let mut out = Map::new();
    for item in list_of(value, "items2dict")? {
        let (Some(k), Some(v)) = (item.get(&key_name), item.get(&value_name)) else {
            return Err(fail(format!(
                "items2dict requires each dictionary in the list to contain the keys '{key_name}' and '{value_name}'"
            )));
        };
        let k = match k {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(k, v.clone());
    }
    Ok(convert::from_json(&Json::Object(out)))
}

/// How `combine(list_merge=…)` merges two lists.
#[derive(Clone, Copy)]
enum ListMerge {
    Replace,
    Keep,
    Append,
    Prepend,
    AppendRp,
    PrependRp,
}

/// Ansible's `merge_hash(x, y)`: `y` wins; dicts merge when recursive.
fn merge(x: &Map<String, Json>, y: &Map<String, Json>, recursive: bool, lm: ListMerge) -> Map<String, Json> {
    let mut out = x.clone();
    for (k, yv) in y {
        let merged = match (out.get(k), yv) {
            (Some(Json::Object(xm)), Json::Object(ym)) if recursive => Json::Object(merge(xm, ym, recursive, lm)),
            (Some(Json::Array(xa)), Json::Array(ya)) => Json::Array(match lm {
                ListMerge::Replace => ya.clone(),
                ListMerge::Keep => xa.clone(),
                ListMerge::Append => [xa.clone(), ya.clone()].concat(),
                ListMerge::Prepend => [ya.clone(), xa.clone()].concat(),
                ListMerge::AppendRp => xa.iter().filter(|i| !ya.contains(i)).chain(ya.iter()).cloned().collect(),
                ListMerge::PrependRp => ya.iter().chain(xa.iter().filter(|i| !ya.contains(i))).cloned().collect(),
            }),
            _ => yv.clone(),
        };
        out.insert(k.clone(), merged);
    }
    out
}

/// `combine(*dicts, recursive=False, list_merge='replace')`; a list of dicts is accepted too.
fn combine(first: &Value, rest: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let lm = match kwargs.get::<Option<String>>("list_merge")?.as_deref().unwrap_or("replace") {
        "replace" => ListMerge::Replace,
        "keep" => ListMerge::Keep,
        "append" => ListMerge::Append,
        "prepend" => ListMerge::Prepend,
        "append_rp" => ListMerge::AppendRp,
        "prepend_rp" => ListMerge::PrependRp,
        other => return Err(fail(format!("'{other}' is not a valid list_merge value"))),
    };
    kwargs.assert_all_used()?;
    let mut dicts = Vec::new();
    for term in std::iter::once(first).chain(rest.iter()) {
        match json_of(term)? {
            Json::Object(m) => dicts.push(m),
            Json::Array(items) => {
                for i in items {
                    match i {
                        Json::Object(m) => dicts.push(m),
                        other => return Err(fail(format!("combine: all terms must be dictionaries, got {other}"))),
                    }
                }
            }
            other => return Err(fail(format!("combine: all terms must be dictionaries, got {other}"))),
        }
    }
    let mut iter = dicts.into_iter();
    let mut result = iter.next().unwrap_or_default();
    for d in iter {
        result = merge(&result, &d, recursive, lm);
    }
    Ok(convert::from_json(&Json::Object(result)))
}

/// `key | extract(container, morekeys=None)`.
fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut v = container.get_item(item)?;
    if let Some(more) = morekeys {
        let keys: Vec<Value> = if more.kind() == ValueKind::Seq { more.try_iter()?.collect() } else { vec![more] };
        for k in keys {
            v = v.get_item(&k)?;
        }
    }
    Ok(v)
}

/// `subelements(key, skip_missing=False)`: pairs of (item, sub-item) for `loop:`.
fn subelements(value: &Value, key: String, skip_missing: Option<bool>, kwargs: Kwargs) -> Result<Value, Error> {
    let skip_missing = match skip_missing {
        Some(s) => s,
        None => kwargs.get::<Option<bool>>("skip_missing")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    for item in list_of(value, "subelements")? {
        let mut sub = Some(&item);
        for k in key.split('.') {
            sub = sub.and_then(|s| s.get(k));
        }
        match sub {
            Some(Json::Array(children)) => {
                for c in children {
                    out.push(Json::Array(vec![item.clone(), c.clone()]));
                }
            }
            Some(other) => return Err(fail(format!("the key {key} should point to a list, got {other}"))),
            None if skip_missing => {}
            None => return Err(fail(format!("could not find '{key}' key in iterated item {item}"))),
        }
    }
    Ok(to_value(out))
}
