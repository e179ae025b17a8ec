//! The paging cursor of the `ltx` timeline: the level and name of the last file returned,
//! written `<level>/<min>-<max>` (e.g. `0/000000000000c350-000000000000c350`). The next page
//! starts right after it, at that level, then the levels above.

use std::fmt;
use std::str::FromStr;

use crate::ltx::{FileName, Txid};

/// Where the next page of a timeline starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LtxCursor {
    /// The level of the last file returned.
    pub level: u8,
    /// The last file returned.
    pub after: FileName,
}

impl fmt::Display for LtxCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}-{}",
            self.level, self.after.min_txid, self.after.max_txid
        )
    }
}

impl FromStr for LtxCursor {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "is not a cursor (expected LEVEL/MIN-MAX as returned in `next`)";
        let (level, range) = s.split_once('/').ok_or(EXPECTED)?;
        let level: u8 = level.parse().map_err(|_| EXPECTED)?;
        if level > 9 {
            return Err(EXPECTED);
        }
        let range = range.strip_suffix(".ltx").unwrap_or(range);
        let (min, max) = range.split_once('-').ok_or(EXPECTED)?;
        let min: Txid = min.parse().map_err(|_| EXPECTED)?;
        let max: Txid = max.parse().map_err(|_| EXPECTED)?;
        Ok(LtxCursor {
            level,
            after: FileName::new(min, max),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = LtxCursor {
            level: 9,
            after: FileName::new(Txid(1), Txid(0xc350)),
        };
        let text = c.to_string();
        assert_eq!(text, "9/0000000000000001-000000000000c350");
        assert_eq!(text.parse::<LtxCursor>(), Ok(c));
        for bad in ["", "x/1-2", "10/0000000000000001-0000000000000001", "0/1-2"] {
            assert!(bad.parse::<LtxCursor>().is_err(), "{bad}");
        }
    }
}
