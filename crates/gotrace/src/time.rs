//! RFC 3339 timestamps with nanoseconds, as Go's `time.RFC3339Nano` formats them in UTC.

use std::io::{self, Write};

/// Writes `time.Unix(sec, nsec).UTC().Format(time.RFC3339Nano)`.
///
/// Go's `go tool trace -d=parsed` formats in the machine's local zone; we always
/// use UTC so output does not depend on where it runs (the two agree under `TZ=UTC`).
pub fn write_rfc3339_nano<W: Write>(w: &mut W, sec: i64, nsec: i64) -> io::Result<()> {
    // Normalise like time.Unix: nsec into [0, 1e9).
    let (mut sec, mut nsec) = (sec as i128, nsec as i128);
    if !(0..1_000_000_000).contains(&nsec) {
        sec += nsec.div_euclid(1_000_000_000);
        nsec = nsec.rem_euclid(1_000_000_000);
    }
    let days = sec.div_euclid(86_400);
    let secs_of_day = sec.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs_of_day / 3600, secs_of_day % 3600 / 60, secs_of_day % 60);
    if y < 0 {
        write!(w, "-{:04}", -y)?;
    } else {
        write!(w, "{y:04}")?;
    }
    write!(w, "-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")?;
    if nsec != 0 {
        let frac = format!("{nsec:09}");
        write!(w, ".{}", frac.trim_end_matches('0'))?;
    }
    w.write_all(b"Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    fn fmt(sec: i64, nsec: i64) -> String {
        let mut v = Vec::new();
        super::write_rfc3339_nano(&mut v, sec, nsec).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn matches_go_examples() {
        // Values from Go's own reader tests (go125-sync).
        assert_eq!(fmt(1740755049, 123), "2025-02-28T15:04:09.000000123Z");
        assert_eq!(fmt(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt(951782400, 500_000_000), "2000-02-29T00:00:00.5Z");
        assert_eq!(fmt(0, 1_500_000_000), "1970-01-01T00:00:01.5Z");
    }
}
