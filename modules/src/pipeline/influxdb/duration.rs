//! InfluxQL duration literals (`7d`, `1h30m`, `INF`) and the Go-style
//! durations `SHOW RETENTION POLICIES` answers with (`168h0m0s`), both as
//! nanoseconds so the two can be compared.

use crate::error::ModuleError;

const NS: [(&str, f64); 11] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("u", 1e3),
    ("µ", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
    ("d", 86400e9),
    ("w", 604800e9),
];

/// Nanoseconds; `0` means infinite (`INF`), as InfluxDB itself stores it.
pub fn parse(s: &str) -> Result<u64, ModuleError> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("inf") || t == "0" || t == "0s" {
        return Ok(0);
    }
    let bad = || ModuleError::BadArgs(format!("{s:?} is not a duration (e.g. 7d, 1h30m, 168h0m0s, INF)"));
    if t.is_empty() {
        return Err(bad());
    }
    let mut rest = t;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        // Longest unit first, so `ms` is not read as `m` followed by `s`.
        let (unit, factor) = NS.iter().filter(|(u, _)| rest.starts_with(u)).max_by_key(|(u, _)| u.len()).ok_or_else(bad)?;
        rest = &rest[unit.len()..];
        total += n * factor;
    }
    Ok(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn influxql_and_go_spellings_agree() {
        assert_eq!(parse("7d").unwrap(), parse("168h0m0s").unwrap());
        assert_eq!(parse("1w").unwrap(), parse("7d").unwrap());
        assert_eq!(parse("90m").unwrap(), parse("1h30m0s").unwrap());
        assert_eq!(parse("1500ms").unwrap(), parse("1.5s").unwrap());
        assert_eq!(parse("INF").unwrap(), 0);
        assert_eq!(parse("0s").unwrap(), 0);
        assert!(parse("7 days").is_err());
        assert!(parse("d").is_err());
        assert!(parse("").is_err());
    }
}
