//! PyYAML's YAML 1.1 implicit resolver for plain scalars: what Ansible sees
//! when it reads `yes`, `0644`, `1_000`, `~` or `1:30`.

use super::node::NodeKind;

/// Resolve an unquoted scalar the way PyYAML's SafeLoader does.
pub fn resolve_plain(s: &str) -> NodeKind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => return NodeKind::Bool(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => return NodeKind::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(s) {
        return NodeKind::Int(i);
    }
    if let Some(f) = parse_float(s) {
        return NodeKind::Float(f);
    }
    NodeKind::Str(s.to_string())
}

fn split_sign(s: &str) -> (i64, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    }
}

fn all(s: &str, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(|c| ok(c) || c == '_')
}

/// `[-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
pub fn parse_int(s: &str) -> Option<i64> {
    let (sign, body) = split_sign(s);
    let digits = |t: &str| t.replace('_', "");
    let value = if let Some(b) = body.strip_prefix("0b") {
        all(b, |c| c == '0' || c == '1').then(|| i64::from_str_radix(&digits(b), 2).ok())??
    } else if let Some(h) = body.strip_prefix("0x") {
        all(h, |c| c.is_ascii_hexdigit()).then(|| i64::from_str_radix(&digits(h), 16).ok())??
    } else if body == "0" {
        0
    } else if let Some(o) = body.strip_prefix('0') {
        all(o, |c| ('0'..='7').contains(&c)).then(|| i64::from_str_radix(&digits(o), 8).ok())??
    } else if body.starts_with(|c: char| ('1'..='9').contains(&c)) && body.contains(':') {
        sexagesimal(body)?
    } else if body.starts_with(|c: char| ('1'..='9').contains(&c)) && all(body, |c| c.is_ascii_digit()) {
        digits(body).parse().ok()?
    } else {
        return None;
    };
    Some(sign * value)
}

fn sexagesimal(body: &str) -> Option<i64> {
    let mut parts = body.split(':');
    let first = parts.next()?;
    if !all(first, |c| c.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = first.replace('_', "").parse().ok()?;
    for p in parts {
        if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let n: i64 = p.parse().ok()?;
        if n > 59 || (p.len() == 2 && !('0'..='5').contains(&p.chars().next()?)) {
            return None;
        }
        value = value.checked_mul(60)?.checked_add(n)?;
    }
    Some(value)
}

/// PyYAML's float: a dot is required (`1e3` stays a string), `.inf`, `.nan`.
pub fn parse_float(s: &str) -> Option<f64> {
    let (sign, body) = split_sign(s);
    let sign = sign as f64;
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if s == body => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(e) = exponent {
        let digits = e.get(1..).unwrap_or("");
        if !(e.starts_with('+') || e.starts_with('-')) || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let dot = mantissa.find('.')?;
    let (int_part, frac) = (&mantissa[..dot], &mantissa[dot + 1..]);
    let frac_ok = frac.chars().all(|c| c.is_ascii_digit() || c == '_');
    let int_ok = if int_part.is_empty() {
        !frac.is_empty() && exponent.is_none()
    } else if int_part.contains(':') {
        exponent.is_none() && sexagesimal(int_part).is_some()
    } else {
        int_part.starts_with(|c: char| c.is_ascii_digit()) && all(int_part, |c| c.is_ascii_digit())
    };
    if !(frac_ok && int_ok) {
        return None;
    }
    if int_part.contains(':') {
        let whole = sexagesimal(int_part)? as f64;
        let f: f64 = format!("0.{}", frac.replace('_', "")).parse().ok()?;
        return Some(sign * (whole + f));
    }
    let text = format!(
        "{}.{}{}",
        if int_part.is_empty() { "0" } else { int_part },
        frac.replace('_', ""),
        exponent.map(|e| format!("e{e}")).unwrap_or_default()
    );
    text.replace('_', "").parse::<f64>().ok().map(|f| sign * f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars_as_pyyaml_reads_them() {
        assert_eq!(resolve_plain("yes"), NodeKind::Bool(true));
        assert_eq!(resolve_plain("Off"), NodeKind::Bool(false));
        assert_eq!(resolve_plain("y"), NodeKind::Str("y".into()));
        assert_eq!(resolve_plain("0644"), NodeKind::Int(420));
        assert_eq!(resolve_plain("0o644"), NodeKind::Str("0o644".into()));
        assert_eq!(resolve_plain("08"), NodeKind::Str("08".into()));
        assert_eq!(resolve_plain("1_000"), NodeKind::Int(1000));
        assert_eq!(resolve_plain("0x1F"), NodeKind::Int(31));
        assert_eq!(resolve_plain("1:30"), NodeKind::Int(90));
        assert_eq!(resolve_plain("-12"), NodeKind::Int(-12));
        assert_eq!(resolve_plain("1e3"), NodeKind::Str("1e3".into()));
        assert_eq!(resolve_plain("1.5e+3"), NodeKind::Float(1500.0));
        assert_eq!(resolve_plain("3.7.1"), NodeKind::Str("3.7.1".into()));
        assert_eq!(resolve_plain("0.5"), NodeKind::Float(0.5));
        assert_eq!(resolve_plain("1."), NodeKind::Float(1.0));
        assert_eq!(resolve_plain("~"), NodeKind::Null);
        assert!(matches!(resolve_plain(".inf"), NodeKind::Float(f) if f.is_infinite()));
        assert_eq!(resolve_plain("127.0.0.1"), NodeKind::Str("127.0.0.1".into()));
    }
}
