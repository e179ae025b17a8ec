//! Byte sizes (`5MiB`, `5MB`, `64KiB`, `1024`), parsed as Litestream parses them.
//!
//! Litestream reads sizes such as `part-size` with go-humanize's `ParseBytes`: a decimal number
//! (commas allowed) followed by an optional unit, case-insensitive, spaces allowed in between.
//! SI units (`k`, `kb`, `mb`, …) are powers of 1000 and IEC units (`ki`, `kib`, `mib`, …) powers
//! of 1024; no unit or `b` means bytes. Sizes print back in the largest exact IEC unit.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a size should look like, appended to every parse error.
pub const SIZE_EXPECTED: &str = "expected a size such as 1024, 64KiB, 5MiB or 5MB";

/// A number of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(u64);

/// Why a size string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {input:?}: {reason}; {SIZE_EXPECTED}")]
pub struct SizeError {
    /// The text that was parsed.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

/// Unit names and their multipliers, as go-humanize's `bytesSizeTable`.
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("k", 1_000),
    ("kb", 1_000),
    ("ki", 1 << 10),
    ("kib", 1 << 10),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("mi", 1 << 20),
    ("mib", 1 << 20),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("gi", 1 << 30),
    ("gib", 1 << 30),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("ti", 1 << 40),
    ("tib", 1 << 40),
    ("p", 1_000_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("pi", 1 << 50),
    ("pib", 1 << 50),
    ("e", 1_000_000_000_000_000_000),
    ("eb", 1_000_000_000_000_000_000),
    ("ei", 1 << 60),
    ("eib", 1 << 60),
];

impl ByteSize {
    /// A size of `bytes` bytes.
    pub const fn from_bytes(bytes: u64) -> Self {
        ByteSize(bytes)
    }

    /// A size of `mib` mebibytes.
    pub const fn from_mib(mib: u64) -> Self {
        ByteSize(mib << 20)
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// Parses a size the way go-humanize's `ParseBytes` does (limited to `i64::MAX` as Litestream).
    pub fn parse(input: &str) -> Result<Self, SizeError> {
        let err = |reason: &str| SizeError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty size"));
        }
        let num_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(s.len());
        let number: String = s[..num_len].chars().filter(|&c| c != ',').collect();
        if number.is_empty() {
            return Err(err("a number must come first"));
        }
        let value: f64 = number.parse().map_err(|_| err("not a number"))?;
        let unit = s[num_len..].trim().to_ascii_lowercase();
        let multiplier = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, m)| *m)
            .ok_or_else(|| err(&format!("unknown unit {unit:?}")))?;
        let bytes = value * multiplier as f64;
        if bytes >= i64::MAX as f64 {
            return Err(err("too large"));
        }
        // Truncation toward zero, as go-humanize's uint64 conversion.
        Ok(ByteSize(bytes as u64))
    }
}

impl FromStr for ByteSize {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ByteSize::parse(s)
    }
}

impl fmt::Display for ByteSize {
    /// The largest exact IEC unit (`64MiB`), else the largest exact SI unit (`5MB`), else bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0");
        }
        for (suffix, unit) in [("EiB", 1u64 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40)]
            .into_iter()
            .chain([("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)])
        {
            if self.0.is_multiple_of(unit) {
                return write!(f, "{}{suffix}", self.0 / unit);
            }
        }
        for (suffix, unit) in [("GB", 1_000_000_000u64), ("MB", 1_000_000), ("kB", 1_000)] {
            if self.0.is_multiple_of(unit) {
                return write!(f, "{}{suffix}", self.0 / unit);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeVisitor)
    }
}

/// Accepts a size string or a non-negative integer number of bytes.
struct SizeVisitor;

impl<'de> Visitor<'de> for SizeVisitor {
    type Value = ByteSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SIZE_EXPECTED.trim_start_matches("expected "))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
        ByteSize::parse(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
        if v > i64::MAX as u64 {
            return Err(E::custom(format!("invalid size {v}: too large")));
        }
        Ok(ByteSize(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
        u64::try_from(v).map(ByteSize).map_err(|_| {
            E::custom(format!(
                "invalid size {v}: must not be negative; {SIZE_EXPECTED}"
            ))
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByteSize, E> {
        ByteSize::parse(&v.to_string()).map_err(E::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> u64 {
        ByteSize::parse(s).unwrap().bytes()
    }

    #[test]
    fn parses_humanize_forms() {
        assert_eq!(bytes("1024"), 1024);
        assert_eq!(bytes("5MiB"), 5 << 20);
        assert_eq!(bytes("5MB"), 5_000_000);
        assert_eq!(bytes("64KiB"), 64 << 10);
        assert_eq!(bytes("64kib"), 64 << 10);
        assert_eq!(bytes("1.5GB"), 1_500_000_000);
        assert_eq!(bytes("100B"), 100);
        assert_eq!(bytes("1024KB"), 1_024_000);
        assert_eq!(bytes("5 MiB"), 5 << 20);
        assert_eq!(bytes("1,000"), 1000);
        assert_eq!(bytes("2K"), 2000);
        assert_eq!(bytes("2Ki"), 2048);
        assert_eq!(bytes("0"), 0);
    }

    #[test]
    fn rejects_bad_sizes() {
        for bad in [
            "", "MiB", "5XB", "-5MiB", "5 M i B", "1..2MB", "9EiB", "lots",
        ] {
            let err = ByteSize::parse(bad).expect_err(bad).to_string();
            assert!(err.contains(SIZE_EXPECTED), "{bad}: {err}");
        }
    }

    #[test]
    fn formats_in_exact_units() {
        assert_eq!(ByteSize::from_mib(64).to_string(), "64MiB");
        assert_eq!(ByteSize::from_bytes(5 << 10).to_string(), "5KiB");
        assert_eq!(ByteSize::from_bytes(5_000_000).to_string(), "5MB");
        assert_eq!(ByteSize::from_bytes(1234).to_string(), "1234");
        assert_eq!(ByteSize::from_bytes(0).to_string(), "0");
        for s in ["64MiB", "5MB", "1234", "3GiB"] {
            assert_eq!(ByteSize::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn deserializes_strings_and_integers() {
        let s: ByteSize = serde_yaml_ng::from_str("5MiB").unwrap();
        assert_eq!(s.bytes(), 5 << 20);
        let s: ByteSize = serde_yaml_ng::from_str("5242880").unwrap();
        assert_eq!(s.bytes(), 5 << 20);
        let err = serde_yaml_ng::from_str::<ByteSize>("-1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("negative"), "{err}");
        let err = serde_yaml_ng::from_str::<ByteSize>("5XB")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid size \"5XB\""), "{err}");
    }
}
