//! Timestamps as Ansible prints them (`start`, `end`, `delta` of command results),
//! without a date-time dependency. Times are UTC, which on the project's hosts is
//! also local time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `2026-11-29 02:45:12.123456`, Python's `str(datetime)`.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!("{y:04}-{m:02}-{dd:02} {:02}:{:02}:{:02}.{:06}", rem / 3600, rem % 3600 / 60, rem % 60, d.subsec_micros())
}

/// `0:00:01.250000`, Python's `str(timedelta)`.
pub fn delta(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}.{:06}", s / 3600, s % 3600 / 60, s % 60, d.subsec_micros())
}

/// `2026-11-29` for a count of days since 1970-01-01 (shadow's date unit).
pub fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python() {
        let t = UNIX_EPOCH + Duration::new(1_795_920_312, 123_456_000);
        assert_eq!(timestamp(t), "2026-11-29 02:45:12.123456");
        assert_eq!(delta(Duration::from_millis(3_723_250)), "1:02:03.250000");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29 00:00:00.000000");
    }
}
