//! `serial:` batches: a number, a percentage, or a list of them (the last repeats).

use serde_json::Value;

/// Split hosts into batches as Ansible's `serial` does.
pub fn batches(hosts: &[String], serial: Option<&Value>) -> Result<Vec<Vec<String>>, String> {
    let sizes: Vec<Value> = match serial {
        None | Some(Value::Null) => return Ok(vec![hosts.to_vec()]),
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
    };
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let size_of = |v: &Value| -> Result<usize, String> {
        let n = match v {
            Value::Number(n) => n.as_f64().unwrap_or(0.0),
            Value::String(s) if s.trim().ends_with('%') => {
                let pct: f64 = s.trim().trim_end_matches('%').trim().parse().map_err(|_| format!("bad serial value `{s}`"))?;
                (hosts.len() as f64 * pct / 100.0).floor()
            }
            Value::String(s) => s.trim().parse::<f64>().map_err(|_| format!("bad serial value `{s}`"))?,
            other => return Err(format!("bad serial value `{other}`")),
        };
        Ok((n as usize).max(1))
    };
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < hosts.len() {
        let size = match sizes.get(k).or_else(|| sizes.last()) {
            Some(v) => size_of(v)?,
            None => hosts.len(),
        };
        let size = if size == 0 { hosts.len() } else { size };
        out.push(hosts[i..(i + size).min(hosts.len())].to_vec());
        i += size;
        k += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn h(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn numbers_percentages_and_lists() {
        assert_eq!(batches(&h(5), Some(&json!(2))).unwrap().iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
        assert_eq!(batches(&h(10), Some(&json!("30%"))).unwrap().iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
        assert_eq!(batches(&h(6), Some(&json!([1, "50%"]))).unwrap().iter().map(Vec::len).collect::<Vec<_>>(), [1, 3, 2]);
        assert_eq!(batches(&h(3), None).unwrap().len(), 1);
        assert!(batches(&h(3), Some(&json!("x%"))).is_err());
    }
}
