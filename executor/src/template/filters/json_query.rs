//! `json_query`: JMESPath over template data (community.general's filter, which roles use widely).

use minijinja::value::Value;
use minijinja::Error;

use super::super::convert;
use super::collections::json_of;
use super::fail;

pub(crate) fn json_query(data: &Value, expr: String) -> Result<Value, Error> {
    let compiled = jmespath::compile(&expr).map_err(|e| fail(format!("JMESPath parsing error in {expr:?}: {e}")))?;
    let data = json_of(data)?;
    let result = compiled.search(data).map_err(|e| fail(format!("JMESPath error in {expr:?}: {e}")))?;
    let json = serde_json::to_value(&*result).map_err(|e| fail(format!("json_query result: {e}")))?;
    Ok(convert::from_json(&json))
}
