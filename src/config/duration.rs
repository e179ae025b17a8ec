//! Go-style durations (`300ms`, `30s`, `5m`, `1h30m`, `1.5h`), the way Litestream writes them.
//!
//! Litestream's configuration is read by Go, so every duration key uses Go's
//! `time.ParseDuration` grammar: an optional sign, then one or more decimal numbers each followed
//! by a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`). A bare `0` is allowed. Formatting follows
//! Go's `Duration.String` (`1h30m0s`, `500ms`, `0s`), so a printed configuration reads back the
//! same. A bare number other than `0` is rejected: Go's YAML decoder would silently read `5` as
//! five nanoseconds, which is never what an operator meant.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds in one microsecond.
const MICROSECOND: u64 = 1_000;
/// Nanoseconds in one millisecond.
const MILLISECOND: u64 = 1_000_000;
/// Nanoseconds in one second.
const SECOND: u64 = 1_000_000_000;
/// Nanoseconds in one minute.
const MINUTE: u64 = 60 * SECOND;
/// Nanoseconds in one hour.
const HOUR: u64 = 60 * MINUTE;
/// `1 << 63`, the magnitude bound Go checks against while parsing.
const LIMIT: u64 = 1 << 63;

/// What a duration should look like, appended to every parse error.
pub const DURATION_EXPECTED: &str = "expected a Go duration such as 30s, 5m or 1h30m";

/// A signed span of time with nanosecond precision, as Go's `time.Duration`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration(i64);

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}; {DURATION_EXPECTED}")]
pub struct DurationError {
    /// The text that was parsed.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

impl GoDuration {
    /// The zero duration.
    pub const ZERO: GoDuration = GoDuration(0);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        GoDuration(nanos)
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        GoDuration(millis * MILLISECOND as i64)
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: i64) -> Self {
        GoDuration(secs * SECOND as i64)
    }

    /// A duration of `mins` minutes.
    pub const fn from_mins(mins: i64) -> Self {
        GoDuration(mins * MINUTE as i64)
    }

    /// A duration of `hours` hours.
    pub const fn from_hours(hours: i64) -> Self {
        GoDuration(hours * HOUR as i64)
    }

    /// The duration in nanoseconds (negative for negative durations).
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// True when the duration is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True when the duration is less than zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The duration as a `std::time::Duration`, or `None` when it is negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// Parses a duration with Go's `time.ParseDuration` rules.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        parse_go_duration(input)
            .map(GoDuration)
            .map_err(|reason| DurationError {
                input: input.to_owned(),
                reason: reason.to_owned(),
            })
    }
}

impl FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GoDuration::parse(s)
    }
}

/// Go's `time.ParseDuration`, returning nanoseconds or a short reason.
fn parse_go_duration(input: &str) -> Result<i64, &'static str> {
    let mut s = input.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration");
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err("a number must come first");
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s)?;
        s = rest;
        let pre = before != s.len();
        let mut post = false;
        let mut frac = 0u64;
        let mut scale = 1.0f64;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (f, sc, rest) = leading_fraction(s);
            frac = f;
            scale = sc;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err("a number must come first");
        }
        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err("missing unit (ns, us, ms, s, m or h)");
        }
        let unit = unit_nanos(&s[..unit_len]).ok_or("unknown unit (use ns, us, ms, s, m or h)")?;
        s = &s[unit_len..];
        if v > LIMIT / unit {
            return Err("out of range");
        }
        v *= unit;
        if frac > 0 {
            // Go computes the fractional part in float64; do the same to agree on rounding.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err("out of range");
            }
        }
        total += v;
        if total > LIMIT {
            return Err("out of range");
        }
    }
    if neg {
        // total ≤ 2^63 here, so the negation fits (2^63 itself is i64::MIN).
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| "out of range")
}

/// Consumes leading decimal digits; fails on overflow like Go's `leadingInt`.
fn leading_int(s: &[u8]) -> Result<(u64, &[u8]), &'static str> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > LIMIT / 10 {
            return Err("out of range");
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > LIMIT {
            return Err("out of range");
        }
        i += 1;
    }
    Ok((x, &s[i..]))
}

/// Consumes the digits after a decimal point; digits beyond precision are ignored, as in Go.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1.0f64;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > (LIMIT - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > LIMIT {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

/// Nanoseconds per unit for Go's unit names.
fn unit_nanos(unit: &[u8]) -> Option<u64> {
    match unit {
        b"ns" => Some(1),
        b"us" => Some(MICROSECOND),
        // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, both accepted by Go.
        [0xC2, 0xB5, b's'] | [0xCE, 0xBC, b's'] => Some(MICROSECOND),
        b"ms" => Some(MILLISECOND),
        b"s" => Some(SECOND),
        b"m" => Some(MINUTE),
        b"h" => Some(HOUR),
        _ => None,
    }
}

impl fmt::Display for GoDuration {
    /// Formats like Go's `Duration.String`: `1h30m0s`, `1.5s`, `300ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let u = self.0.unsigned_abs();
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        if u < SECOND {
            let (unit, prec) = match u {
                0 => return f.write_str("0s"),
                x if x < MICROSECOND => ("ns", 0),
                x if x < MILLISECOND => ("µs", 3),
                _ => ("ms", 6),
            };
            let (int, frac) = split_frac(u, prec);
            out.push_str(&int.to_string());
            out.push_str(&frac);
            out.push_str(unit);
        } else {
            let (secs, frac) = split_frac(u, 9);
            let hours = secs / 3600;
            let mins = (secs / 60) % 60;
            let rem_secs = secs % 60;
            if hours > 0 {
                out.push_str(&format!("{hours}h"));
            }
            if secs >= 60 {
                out.push_str(&format!("{mins}m"));
            }
            out.push_str(&format!("{rem_secs}{frac}s"));
        }
        f.write_str(&out)
    }
}

/// Splits `v` into `v / 10^prec` and the fraction text (`.25`, trailing zeros dropped).
fn split_frac(v: u64, prec: u32) -> (u64, String) {
    let div = 10u64.pow(prec);
    let int = v / div;
    let frac = v % div;
    if frac == 0 {
        return (int, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (int, format!(".{}", digits.trim_end_matches('0')))
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// Accepts a duration string, or the bare number `0`.
struct DurationVisitor;

impl DurationVisitor {
    /// The error for a bare number other than zero.
    fn bare_number<E: de::Error>(shown: &str) -> E {
        E::custom(format!(
            "invalid duration {shown}: a bare number has no unit (Go would read it as \
             nanoseconds); {DURATION_EXPECTED}"
        ))
    }
}

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = GoDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DURATION_EXPECTED.trim_start_matches("expected "))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
        GoDuration::parse(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
        if v == 0 {
            Ok(GoDuration::ZERO)
        } else {
            Err(Self::bare_number(&v.to_string()))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
        if v == 0 {
            Ok(GoDuration::ZERO)
        } else {
            Err(Self::bare_number(&v.to_string()))
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoDuration, E> {
        Err(Self::bare_number(&v.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ns(s: &str) -> i64 {
        GoDuration::parse(s).unwrap().as_nanos()
    }

    #[test]
    fn parses_go_examples() {
        assert_eq!(ns("300ms"), 300_000_000);
        assert_eq!(ns("30s"), 30 * SECOND as i64);
        assert_eq!(ns("5m"), 5 * MINUTE as i64);
        assert_eq!(ns("1h30m"), 90 * MINUTE as i64);
        assert_eq!(ns("1.5h"), 90 * MINUTE as i64);
        assert_eq!(
            ns("2h45m30.5s"),
            (2 * HOUR + 45 * MINUTE + 30 * SECOND) as i64 + 500_000_000
        );
        assert_eq!(ns("0"), 0);
        assert_eq!(ns("+0"), 0);
        assert_eq!(ns("-0"), 0);
        assert_eq!(ns("0s"), 0);
        assert_eq!(ns("1ns"), 1);
        assert_eq!(ns("1us"), 1_000);
        assert_eq!(ns("1µs"), 1_000);
        assert_eq!(ns("1μs"), 1_000);
        assert_eq!(ns("-1.5s"), -1_500_000_000);
        assert_eq!(ns(".5s"), 500_000_000);
        assert_eq!(ns("1.s"), SECOND as i64);
        assert_eq!(ns("1h1m1s1ms1us1ns"), 3_661_001_001_001);
        assert_eq!(ns("9223372036854775807ns"), i64::MAX);
        assert_eq!(ns("-9223372036854775808ns"), i64::MIN);
        // Go keeps only the precision that fits; the rest of the digits are ignored.
        assert_eq!(ns("0.100000000000000000000h"), 6 * MINUTE as i64);
    }

    #[test]
    fn rejects_garbage_with_the_expected_form() {
        for bad in [
            "",
            "5",
            "5x",
            "s",
            ".s",
            "1.5",
            "-",
            "+",
            "1h-5m",
            "1 h",
            "1h 30m",
            "5mins",
            "1e3s",
            "9223372036854775808ns",
            "3000000h",
        ] {
            let err = GoDuration::parse(bad).expect_err(bad);
            let text = err.to_string();
            assert!(text.contains(DURATION_EXPECTED), "{bad}: {text}");
            assert!(text.contains(&format!("{bad:?}")), "{bad}: {text}");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MINUTE as i64 + 5 * SECOND as i64, "4m5s"),
            (4 * MINUTE as i64 + 5_001_000_000, "4m5.001s"),
            (
                5 * HOUR as i64 + 6 * MINUTE as i64 + 7_001_000_000,
                "5h6m7.001s",
            ),
            (8 * MINUTE as i64 + 1, "8m0.000000001s"),
            (HOUR as i64, "1h0m0s"),
            (24 * HOUR as i64, "24h0m0s"),
            (500 * MILLISECOND as i64, "500ms"),
            (-1_500_000_000, "-1.5s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, text) in cases {
            assert_eq!(GoDuration::from_nanos(nanos).to_string(), text);
            assert_eq!(ns(text), nanos, "round trip of {text}");
        }
    }

    #[test]
    fn deserializes_strings_and_zero_only() {
        let d: GoDuration = serde_yaml_ng::from_str("90s").unwrap();
        assert_eq!(d, GoDuration::from_secs(90));
        let z: GoDuration = serde_yaml_ng::from_str("0").unwrap();
        assert_eq!(z, GoDuration::ZERO);
        let err = serde_yaml_ng::from_str::<GoDuration>("5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bare number"), "{err}");
        let err = serde_yaml_ng::from_str::<GoDuration>("5x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid duration \"5x\""), "{err}");
        let err = serde_yaml_ng::from_str::<GoDuration>("[1]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("Go duration"), "{err}");
    }

    #[test]
    fn converts_to_std() {
        assert_eq!(
            GoDuration::from_millis(1500).to_std(),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(GoDuration::from_secs(-1).to_std(), None);
    }
}
