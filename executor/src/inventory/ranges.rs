//! Host names with ranges and ports, as Ansible's `parse_address` and
//! `expand_hostname_range` read them: `db[01:03].example.com:2222`,
//! `node[a:c]`, `web[1:10:2]`.

use std::sync::OnceLock;

use regex::Regex;

/// Expand a host pattern from an inventory into host names and the port that applies to all of them.
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (host, port) = match parse_address(pattern, true) {
        Some((h, p)) => (h, p),
        None => (pattern.to_string(), None),
    };
    let names = if host.contains('[') { expand_ranges(&host)? } else { vec![host] };
    Ok((names, port))
}

/// Split `host:port` / `[host]:port`; `None` when the text is not a valid host identifier.
pub fn parse_address(address: &str, allow_ranges: bool) -> Option<(String, Option<u16>)> {
    static BRACKETED: OnceLock<Regex> = OnceLock::new();
    static HOSTPORT: OnceLock<Regex> = OnceLock::new();
    let bracketed = BRACKETED.get_or_init(|| Regex::new(r"^\[(.+)\]:([0-9]+)$").unwrap_or_else(|_| unreachable!()));
    let hostport = HOSTPORT.get_or_init(|| Regex::new(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$").unwrap_or_else(|_| unreachable!()));
    let mut host = address.to_string();
    let mut port = None;
    for re in [bracketed, hostport] {
        if let Some(c) = re.captures(&host.clone()) {
            // Python's int() has no upper bound; a port above 65535 is not a valid address for us.
            port = Some(c[2].parse::<u16>().ok()?);
            host = c[1].to_string();
        }
    }
    if !(is_ipv4(&host) || is_ipv6(&host) || is_hostname(&host)) {
        return None;
    }
    if !allow_ranges && host.contains('[') {
        return None;
    }
    Some((host, port))
}

fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            is_range(p, false)
                || (!p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n <= 255))
        })
}

/// IPv6: eight hex groups, or one `::` with fewer (the last may be dotted IPv4); groups may be ranges.
fn is_ipv6(s: &str) -> bool {
    let group = |g: &str| (1..=4).contains(&g.len()) && g.chars().all(|c| c.is_ascii_hexdigit()) || is_range(g, true);
    let groups: Vec<&str> = s.split(':').collect();
    let last_v4 = groups.last().is_some_and(|g| g.contains('.') && is_ipv4(g));
    let check = |gs: &[&str]| gs.iter().enumerate().all(|(i, g)| group(g) || (i + 1 == gs.len() && last_v4));
    match s.matches("::").count() {
        0 => groups.len() == 8 && check(&groups),
        1 => {
            let (a, b) = s.split_once("::").unwrap_or((s, ""));
            let left: Vec<&str> = if a.is_empty() { vec![] } else { a.split(':').collect() };
            let right: Vec<&str> = if b.is_empty() { vec![] } else { b.split(':').collect() };
            left.len() + right.len() <= 7 && left.iter().all(|g| group(g)) && (right.is_empty() || check(&right))
        }
        _ => false,
    }
}

/// Ansible's `hostname` pattern: dot-separated labels of word characters, `-` and ranges, each
/// starting with a word character or range and not ending with `_` or `-`.
fn is_hostname(s: &str) -> bool {
    s.split('.').all(is_label)
}

fn is_label(label: &str) -> bool {
    let mut rest = label;
    let mut first = true;
    let mut last = None;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            let Some(end) = rest.find(']') else { return false };
            if !is_range(&rest[..=end], false) {
                return false;
            }
            rest = &rest[end + 1..];
            last = Some(']');
        } else {
            let ok = if first { is_word(c) } else { is_word(c) || c == '-' };
            if !ok {
                return false;
            }
            rest = &rest[c.len_utf8()..];
            last = Some(c);
        }
        first = false;
    }
    matches!(last, Some(c) if c != '_' && c != '-')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `[1:3]`, `[a:c]`, `[01:10:2]` (and hex bounds for IPv6 components).
fn is_range(s: &str, hex: bool) -> bool {
    let Some(inner) = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else { return false };
    let parts: Vec<&str> = inner.split(':').collect();
    if parts.len() != 2 && parts.len() != 3 {
        return false;
    }
    if parts.len() == 3 && (parts[2].is_empty() || !parts[2].bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let num = |p: &str| !p.is_empty() && p.chars().all(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() });
    let letter = |p: &str| p.len() == 1 && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_uppercase());
    (num(parts[0]) && num(parts[1])) || (!hex && letter(parts[0]) && letter(parts[1]))
}

/// More hosts than any real inventory has; a bigger expansion is a mistake.
const MAX_HOSTS: usize = 100_000;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Expand every `[begin:end(:step)]` in a host name, left to right (Ansible's `expand_hostname_range`).
pub fn expand_ranges(line: &str) -> Result<Vec<String>, String> {
    let (Some(open), Some(close)) = (line.find('['), line.find(']')) else {
        return Err(format!("unbalanced brackets in host range '{line}'"));
    };
    if close < open {
        return Err(format!("unbalanced brackets in host range '{line}'"));
    }
    let (head, range, tail) = (&line[..open], &line[open + 1..close], &line[close + 1..]);
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(format!("host range must be begin:end or begin:end:step, got '[{range}]'"));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("host range must specify end value, got '[{range}]'"));
    }
    let step: i64 = match bounds.get(2) {
        None => 1,
        Some(s) => py_int(s).ok_or_else(|| format!("host range step '{s}' is not a number"))?,
    };
    if step <= 0 {
        return Err(format!("host range step must be positive, got '{step}'"));
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err(format!("host range must specify equal-length begin and end formats, got '[{range}]'"));
        }
        beg.len()
    } else {
        0
    };
    let items: Vec<String> = match (LETTERS.find(beg), LETTERS.find(end)) {
        (Some(b), Some(e)) if beg.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err(format!("host range must have begin <= end, got '[{range}]'"));
            }
            LETTERS[b..=e].chars().step_by(step as usize).map(String::from).collect()
        }
        _ => {
            let b = py_int(beg).ok_or_else(|| format!("host range begin '{beg}' is neither a number nor a letter"))?;
            let e = py_int(end).ok_or_else(|| format!("host range end '{end}' is neither a number nor a letter"))?;
            if e.saturating_sub(b) / step > MAX_HOSTS as i64 {
                return Err(format!("host range '[{range}]' expands to more than {MAX_HOSTS} hosts"));
            }
            let mut v = Vec::new();
            let mut i = b;
            while i <= e {
                v.push(format!("{i:0width$}"));
                i += step;
            }
            v
        }
    };
    let mut hosts = Vec::new();
    for item in items {
        let name = format!("{head}{item}{tail}");
        if name.contains('[') {
            hosts.extend(expand_ranges(&name)?);
        } else {
            hosts.push(name);
        }
        // Several ranges multiply; stop before a typo eats the memory.
        if hosts.len() > MAX_HOSTS {
            return Err(format!("host pattern '{line}' expands to more than {MAX_HOSTS} hosts"));
        }
    }
    Ok(hosts)
}

/// Python's `int()` on a string: surrounding spaces, a sign and `_` between digits are accepted.
fn py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = clean.parse().ok()?;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &str) -> Vec<String> {
        expand_host_pattern(p).unwrap().0
    }

    #[test]
    fn numeric_padded_alpha_and_stride() {
        assert_eq!(names("kafka[1:3].example.com"), ["kafka1.example.com", "kafka2.example.com", "kafka3.example.com"]);
        assert_eq!(names("db[08:10]"), ["db08", "db09", "db10"]);
        assert_eq!(names("n[a:c]"), ["na", "nb", "nc"]);
        assert_eq!(names("w[1:10:4]"), ["w1", "w5", "w9"]);
        assert_eq!(names("r[1:2]-[a:b]"), ["r1-a", "r1-b", "r2-a", "r2-b"]);
        assert_eq!(names("x[:2]"), ["x0", "x1", "x2"]);
    }

    #[test]
    fn ports() {
        assert_eq!(expand_host_pattern("db[1:2]:2222").unwrap(), (vec!["db1".to_string(), "db2".to_string()], Some(2222)));
        assert_eq!(expand_host_pattern("10.0.0.1:22").unwrap().1, Some(22));
        assert_eq!(expand_host_pattern("[::1]:22").unwrap(), (vec!["::1".to_string()], Some(22)));
        assert_eq!(expand_host_pattern("fe80::1").unwrap(), (vec!["fe80::1".to_string()], None));
    }

    #[test]
    fn bad_ranges() {
        assert!(expand_host_pattern("db[1]").unwrap_err().contains("begin:end"));
        assert!(expand_host_pattern("db[01:100]").unwrap_err().contains("equal-length"));
        assert!(expand_host_pattern("db[c:a]").unwrap_err().contains("begin <= end"));
        assert!(expand_host_pattern("db[1:]").unwrap_err().contains("end value"));
        assert!(expand_host_pattern("db[x:10]").is_err());
        assert!(expand_host_pattern("db[1:1000][1:1000]").unwrap_err().contains("more than"));
    }
}
