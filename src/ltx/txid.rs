//! Transaction IDs: Litestream's per-sync counter (not a SQLite transaction), shown as 16 hex
//! digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::LtxError;

/// A Litestream transaction ID: the number of a sync, contiguous and never reused.
///
/// Its text form is exactly 16 lowercase hexadecimal digits (`%016x`); parsing accepts exactly
/// 16 hex digits of either case, as Go's `ltx.ParseTXID` does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Txid(pub u64);

impl Txid {
    /// The zero TXID, meaning "none" (never valid inside an LTX header).
    pub const ZERO: Txid = Txid(0);

    /// Returns the next TXID; saturates at `u64::MAX`.
    pub fn next(self) -> Txid {
        Txid(self.0.saturating_add(1))
    }
}

impl fmt::Display for Txid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for Txid {
    type Err = LtxError;

    /// Parses exactly 16 hexadecimal digits; anything else is an `InvalidTxid` error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LtxError::InvalidTxid {
                text: s.to_string(),
            });
        }
        u64::from_str_radix(s, 16)
            .map(Txid)
            .map_err(|_| LtxError::InvalidTxid {
                text: s.to_string(),
            })
    }
}

impl Serialize for Txid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Txid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txid_text_is_sixteen_lowercase_hex_digits() {
        assert_eq!(Txid(1).to_string(), "0000000000000001");
        assert_eq!(Txid(0xabcdef).to_string(), "0000000000abcdef");
        assert_eq!("00000000000000FF".parse::<Txid>().ok(), Some(Txid(255)));
    }

    #[test]
    fn txid_parse_rejects_wrong_length_and_non_hex() {
        for bad in [
            "1",
            "000000000000001",
            "00000000000000001",
            "000000000000000g",
            "",
        ] {
            assert!(bad.parse::<Txid>().is_err(), "{bad:?} should be rejected");
        }
    }
}
