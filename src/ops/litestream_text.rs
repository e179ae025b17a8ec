//! How Litestream writes values in its tables and JSON: sizes humanised the way Go's
//! `go-humanize` `Bytes` does (SI units: `0 B`, `25 kB`, `1.2 MB`), TXIDs as 16 hex digits or
//! `-`, and times as RFC 3339 at second precision in UTC (`2026-11-21T22:01:39Z`).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ltx::Txid;

/// `humanize.Bytes(n)`: below 10 `"<n> B"`; otherwise the value in the largest SI unit (base
/// 1000) rounded to one decimal, printed with no decimal from 10 up (`25 kB`) and one decimal
/// below (`1.2 MB`).
pub fn humanize_bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 10 {
        return format!("{n} B");
    }
    let value = n as f64;
    // floor(log1000(n)), computed with integers so exact powers land on their unit.
    let mut exp = 0usize;
    let mut scale = 1u64;
    while exp + 1 < UNITS.len() && n / scale >= 1000 {
        scale *= 1000;
        exp += 1;
    }
    let rounded = (value / scale as f64 * 10.0 + 0.5).floor() / 10.0;
    if rounded < 10.0 {
        format!("{rounded:.1} {}", UNITS[exp])
    } else {
        format!("{} {}", go_round_half_even(rounded), UNITS[exp])
    }
}

/// `fmt.Sprintf("%.0f", v)` for a value with at most one decimal: ties go to the even
/// integer, as Go's formatting does.
fn go_round_half_even(v: f64) -> String {
    let floor = v.floor();
    let frac = v - floor;
    let int = if (frac - 0.5).abs() < 1e-9 {
        if floor % 2.0 == 0.0 {
            floor
        } else {
            floor + 1.0
        }
    } else {
        v.round()
    };
    format!("{int:.0}")
}

/// A TXID as Litestream prints it, or `-` when there is none.
pub fn txid_or_dash(txid: Option<Txid>) -> String {
    txid.map_or_else(|| "-".to_owned(), |t| t.to_string())
}

/// `time.RFC3339` of a UTC time: second precision, `Z`.
pub fn rfc3339_seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_humanised_as_go_humanize_does() {
        let cases = [
            (0, "0 B"),
            (9, "9 B"),
            (10, "10 B"),
            (999, "999 B"),
            (1000, "1.0 kB"),
            (1049, "1.0 kB"),
            (1050, "1.1 kB"),
            (9_949, "9.9 kB"),
            (9_950, "10 kB"),
            (24_752, "25 kB"),
            (4_152_992, "4.2 MB"),
            (125_000, "125 kB"),
            (12_500, "12 kB"),
            (13_500, "14 kB"),
            (1_000_000_000, "1.0 GB"),
        ];
        for (n, want) in cases {
            assert_eq!(humanize_bytes(n), want, "{n} bytes");
        }
    }

    #[test]
    fn txids_and_times_use_litestream_text() {
        assert_eq!(txid_or_dash(None), "-");
        assert_eq!(txid_or_dash(Some(Txid(3))), "0000000000000003");
        let t = DateTime::<Utc>::from_timestamp_millis(1_795_298_499_123).unwrap_or_default();
        assert_eq!(rfc3339_seconds(t), "2026-11-21T22:01:39Z");
    }
}
