//! LTX file names (`<min>-<max>.ltx`, 16 lowercase hex digits each) and position text
//! (`<txid>/<checksum>`).

use std::fmt;
use std::str::FromStr;

use super::{Checksum, LtxError, Txid};

/// The name of an LTX file: the TXID range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileName {
    /// First TXID covered.
    pub min_txid: Txid,
    /// Last TXID covered.
    pub max_txid: Txid,
}

impl FileName {
    /// A name for the range `min..=max`.
    pub fn new(min_txid: Txid, max_txid: Txid) -> Self {
        FileName { min_txid, max_txid }
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}.ltx", self.min_txid, self.max_txid)
    }
}

impl FromStr for FileName {
    type Err = LtxError;

    /// Accepts exactly `^[0-9a-f]{16}-[0-9a-f]{16}\.ltx$` (lowercase only), as Litestream's
    /// listing does; anything else is `InvalidFileName`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || LtxError::InvalidFileName {
            text: s.to_string(),
        };
        let b = s.as_bytes();
        let is_hex = |part: &[u8]| part.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        if b.len() != 37
            || b[16] != b'-'
            || &b[33..] != b".ltx"
            || !is_hex(&b[..16])
            || !is_hex(&b[17..33])
        {
            return Err(invalid());
        }
        let min = u64::from_str_radix(&s[..16], 16).map_err(|_| invalid())?;
        let max = u64::from_str_radix(&s[17..33], 16).map_err(|_| invalid())?;
        Ok(FileName {
            min_txid: Txid(min),
            max_txid: Txid(max),
        })
    }
}

/// A replication position: a TXID and the database checksum after it (`<txid>/<checksum>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// The TXID.
    pub txid: Txid,
    /// The rolling database checksum after that TXID (0 when not tracked).
    pub post_apply_checksum: Checksum,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.txid, self.post_apply_checksum)
    }
}

impl FromStr for Pos {
    type Err = LtxError;

    /// Parses the 33-character `<16 hex>/<16 hex>` form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (txid, sum) = s.split_once('/').ok_or(LtxError::InvalidTxid {
            text: s.to_string(),
        })?;
        let txid: Txid = txid.parse()?;
        let sum: Txid = sum.parse()?;
        Ok(Pos {
            txid,
            post_apply_checksum: Checksum(sum.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let name = FileName::new(Txid(1), Txid(0x2a));
        assert_eq!(name.to_string(), "0000000000000001-000000000000002a.ltx");
        assert_eq!(name.to_string().parse::<FileName>().ok(), Some(name));
    }

    #[test]
    fn file_name_rejects_what_litestream_ignores() {
        for bad in [
            "0000000000000001-000000000000002A.ltx",
            "0000000000000001-000000000000002a.ltx.tmp",
            "000000000000001-000000000000002a.ltx",
            "0000000000000001_000000000000002a.ltx",
            "",
        ] {
            assert!(bad.parse::<FileName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn position_text_is_txid_slash_checksum() {
        let pos = Pos {
            txid: Txid(3),
            post_apply_checksum: Checksum(1 << 63),
        };
        assert_eq!(pos.to_string(), "0000000000000003/8000000000000000");
        assert_eq!(pos.to_string().parse::<Pos>().ok(), Some(pos));
    }
}
