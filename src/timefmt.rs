//! Expiration timestamps in every style the AWS CLI family writes.

use std::time::{Duration, SystemTime};

/// Parse an `Expiration` as written by AWS CLI v1 (`...Z`, often with
/// microseconds), v2 (`...+00:00`), boto3 (`...UTC`), or with any offset.
pub fn parse_expiration(text: &str) -> Option<SystemTime> {
    let s = text.trim();
    let (body, offset_secs) = split_zone(s)?;
    // humantime reads the UTC wall-clock part, with any fraction.
    let utc = humantime::parse_rfc3339_weak(body).ok()?;
    if offset_secs >= 0 {
        utc.checked_sub(Duration::from_secs(offset_secs as u64))
    } else {
        utc.checked_add(Duration::from_secs(offset_secs.unsigned_abs()))
    }
}

/// Split off the zone designator; a time with no zone is refused (it would
/// be read as local time by some readers).
fn split_zone(s: &str) -> Option<(&str, i64)> {
    if let Some(body) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        return Some((body, 0));
    }
    if let Some(body) = s.strip_suffix("UTC") {
        return Some((body.trim_end(), 0));
    }
    // [+-]HH:MM or [+-]HHMM at the end, after the time part.
    let b = s.as_bytes();
    for len in [6usize, 5] {
        // A non-ASCII character across the split is no zone (and must not
        // panic: cache files come from anywhere).
        if b.len() <= len + 10 || !s.is_char_boundary(s.len() - len) {
            continue;
        }
        let (body, zone) = s.split_at(s.len() - len);
        let sign = match zone.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => continue,
        };
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if len == 6 && zone.as_bytes()[3] != b':' {
            continue;
        }
        let hours: i64 = digits[..2].parse().ok()?;
        let minutes: i64 = digits[2..].parse().ok()?;
        return Some((body, sign * (hours * 3600 + minutes * 60)));
    }
    None
}

/// RFC 3339 in UTC with `Z`, whole seconds: what awsrole writes and exports.
pub fn format_utc(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn reads_every_style_the_aws_cli_writes() {
        let want = at(1_628_193_482); // 2021-08-05T19:58:02Z
        for s in [
            "2021-08-05T19:58:02Z",
            "2021-08-05T19:58:02+00:00",
            "2021-08-05T19:58:02UTC",
            "2021-08-05T19:58:02 UTC",
            "2021-08-05 19:58:02+00:00",
            "2021-08-05T21:58:02+02:00",
            "2021-08-05T17:58:02-0200",
        ] {
            assert_eq!(parse_expiration(s), Some(want), "{s}");
        }
        let frac = parse_expiration("2021-08-05T19:58:02.123456Z").unwrap();
        assert_eq!(frac, want + Duration::from_micros(123_456));
        let frac = parse_expiration("2021-08-05T19:58:02.5+00:00").unwrap();
        assert_eq!(frac, want + Duration::from_millis(500));
    }

    #[test]
    fn refuses_garbage_and_zoneless_times() {
        for s in [
            "",
            "Z",
            "tomorrow",
            "2021-08-05T19:58:02",
            "2021-13-05T19:58:02Z",
            "2021-08-05T19:58:02+0a:00",
        ] {
            assert_eq!(parse_expiration(s), None, "{s:?}");
        }
    }

    #[test]
    fn formats_whole_seconds_with_z() {
        assert_eq!(
            format_utc(at(1_628_193_482) + Duration::from_millis(900)),
            "2021-08-05T19:58:02Z"
        );
    }
}
