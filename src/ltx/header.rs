//! The 100-byte LTX header: every field, its big-endian layout, and the validation rules of
//! superfly/ltx `Header.Validate` (applied by both the encoder and the decoder).

use serde::Serialize;

use super::checksum::Checksum;
use super::page::{is_valid_page_size, lock_pgno};
use super::{HEADER_SIZE, LtxError, MAGIC, Result, Txid};

/// Header flag: database (rolling) checksums are not tracked. Litestream sets it on every file.
pub const HEADER_FLAG_NO_CHECKSUM: u32 = 0x0000_0002;
/// Every header flag that format v3 allows.
pub const HEADER_FLAG_MASK: u32 = HEADER_FLAG_NO_CHECKSUM;

/// The fixed header at the start of every LTX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Header {
    /// Header flags; only [`HEADER_FLAG_NO_CHECKSUM`] is valid.
    pub flags: u32,
    /// Database page size in bytes: a power of two from 512 to 65536.
    pub page_size: u32,
    /// Database size in pages after this file is applied.
    pub commit: u32,
    /// First TXID covered (at least 1); 1 makes the file a snapshot.
    pub min_txid: Txid,
    /// Last TXID covered (at least `min_txid`).
    pub max_txid: Txid,
    /// Creation time in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Rolling database checksum before applying this file (0 for snapshots and `NoChecksum`).
    pub pre_apply_checksum: Checksum,
    /// Byte offset of the source WAL segment (0 for compacted files).
    pub wal_offset: i64,
    /// Byte length of the source WAL segment.
    pub wal_size: i64,
    /// Salt-1 of the source WAL.
    pub wal_salt1: u32,
    /// Salt-2 of the source WAL.
    pub wal_salt2: u32,
    /// Creator node id; 0 means unset (Litestream always writes 0).
    pub node_id: u64,
}

impl Header {
    /// A header with Litestream's conventions: `NoChecksum`, zero checksums, no WAL fields.
    pub fn new(
        page_size: u32,
        commit: u32,
        min_txid: Txid,
        max_txid: Txid,
        timestamp: i64,
    ) -> Self {
        Header {
            flags: HEADER_FLAG_NO_CHECKSUM,
            page_size,
            commit,
            min_txid,
            max_txid,
            timestamp,
            pre_apply_checksum: Checksum::ZERO,
            wal_offset: 0,
            wal_size: 0,
            wal_salt1: 0,
            wal_salt2: 0,
            node_id: 0,
        }
    }

    /// True when the file starts at TXID 1 and so must hold every page of the database.
    pub fn is_snapshot(&self) -> bool {
        self.min_txid == Txid(1)
    }

    /// True when the `NoChecksum` flag is set (rolling database checksums not tracked).
    pub fn no_checksum(&self) -> bool {
        self.flags & HEADER_FLAG_NO_CHECKSUM != 0
    }

    /// The lock page for this header's page size.
    pub fn lock_pgno(&self) -> u32 {
        lock_pgno(self.page_size)
    }

    /// Serialises the header into its 100-byte big-endian form (reserved bytes zero).
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..8].copy_from_slice(&self.flags.to_be_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_be_bytes());
        b[12..16].copy_from_slice(&self.commit.to_be_bytes());
        b[16..24].copy_from_slice(&self.min_txid.0.to_be_bytes());
        b[24..32].copy_from_slice(&self.max_txid.0.to_be_bytes());
        b[32..40].copy_from_slice(&self.timestamp.to_be_bytes());
        b[40..48].copy_from_slice(&self.pre_apply_checksum.0.to_be_bytes());
        b[48..56].copy_from_slice(&self.wal_offset.to_be_bytes());
        b[56..64].copy_from_slice(&self.wal_size.to_be_bytes());
        b[64..68].copy_from_slice(&self.wal_salt1.to_be_bytes());
        b[68..72].copy_from_slice(&self.wal_salt2.to_be_bytes());
        b[72..80].copy_from_slice(&self.node_id.to_be_bytes());
        b
    }

    /// Parses 100 header bytes; checks the magic only (call [`Header::validate`] for the rest).
    /// Reserved bytes 80..100 are ignored, as Go's decoder ignores them.
    pub fn from_bytes(b: &[u8; HEADER_SIZE]) -> Result<Header> {
        let magic = [b[0], b[1], b[2], b[3]];
        if magic != MAGIC {
            return Err(LtxError::BadMagic { found: magic });
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_be_bytes(w)
        };
        Ok(Header {
            flags: u32_at(4),
            page_size: u32_at(8),
            commit: u32_at(12),
            min_txid: Txid(u64_at(16)),
            max_txid: Txid(u64_at(24)),
            timestamp: u64_at(32) as i64,
            pre_apply_checksum: Checksum(u64_at(40)),
            wal_offset: u64_at(48) as i64,
            wal_size: u64_at(56) as i64,
            wal_salt1: u32_at(64),
            wal_salt2: u32_at(68),
            node_id: u64_at(72),
        })
    }

    /// Checks every rule of superfly/ltx `Header.Validate`; the error names the field and value.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, value: String, rule: &'static str| {
            Err(LtxError::InvalidHeader { field, value, rule })
        };
        if self.flags & !HEADER_FLAG_MASK != 0 {
            return bad(
                "flags",
                format!("{:#010x}", self.flags),
                "only the NoChecksum flag (0x00000002) is defined in LTX v3",
            );
        }
        if !is_valid_page_size(self.page_size) {
            return bad(
                "page_size",
                self.page_size.to_string(),
                "must be a power of two from 512 to 65536",
            );
        }
        if self.min_txid.0 == 0 {
            return bad("min_txid", self.min_txid.to_string(), "must not be zero");
        }
        if self.max_txid.0 == 0 {
            return bad("max_txid", self.max_txid.to_string(), "must not be zero");
        }
        if self.min_txid > self.max_txid {
            return bad(
                "min_txid",
                format!("{} (max_txid {})", self.min_txid, self.max_txid),
                "must not be greater than max_txid",
            );
        }
        if self.wal_offset < 0 {
            return bad(
                "wal_offset",
                self.wal_offset.to_string(),
                "must not be negative",
            );
        }
        if self.wal_size < 0 {
            return bad(
                "wal_size",
                self.wal_size.to_string(),
                "must not be negative",
            );
        }
        if (self.wal_salt1 != 0 || self.wal_salt2 != 0) && self.wal_offset == 0 {
            return bad(
                "wal_offset",
                "0".to_string(),
                "must be set when the WAL salts are set",
            );
        }
        if self.wal_offset == 0 && self.wal_size != 0 {
            return bad(
                "wal_size",
                self.wal_size.to_string(),
                "must be 0 when wal_offset is 0",
            );
        }
        if self.is_snapshot() {
            if self.pre_apply_checksum != Checksum::ZERO {
                return bad(
                    "pre_apply_checksum",
                    self.pre_apply_checksum.to_string(),
                    "must be 0 in a snapshot (min_txid 1)",
                );
            }
        } else if self.no_checksum() {
            if self.pre_apply_checksum != Checksum::ZERO {
                return bad(
                    "pre_apply_checksum",
                    self.pre_apply_checksum.to_string(),
                    "must be 0 when the NoChecksum flag is set",
                );
            }
        } else if !self.pre_apply_checksum.has_flag() {
            return bad(
                "pre_apply_checksum",
                self.pre_apply_checksum.to_string(),
                "must be non-zero with bit 63 set when checksums are tracked",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Header {
        Header::new(4096, 4, Txid(2), Txid(2), 1_795_282_430_638)
    }

    #[test]
    fn header_round_trips_through_bytes() {
        let mut h = valid();
        h.wal_offset = 16512;
        h.wal_size = 4120;
        h.wal_salt1 = 0xdead_beef;
        h.wal_salt2 = 7;
        let bytes = h.to_bytes();
        assert_eq!(&bytes[0..4], b"LTX1");
        assert_eq!(Header::from_bytes(&bytes).ok(), Some(h));
        assert!(h.validate().is_ok());
    }

    #[test]
    fn header_validation_names_field_and_value() {
        let cases: Vec<(Header, &str)> = vec![
            (
                Header {
                    flags: 1,
                    ..valid()
                },
                "flags",
            ),
            (
                Header {
                    page_size: 1000,
                    ..valid()
                },
                "page_size",
            ),
            (
                Header {
                    page_size: 131072,
                    ..valid()
                },
                "page_size",
            ),
            (
                Header {
                    min_txid: Txid(0),
                    ..valid()
                },
                "min_txid",
            ),
            (
                Header {
                    max_txid: Txid(0),
                    min_txid: Txid(0),
                    ..valid()
                },
                "min_txid",
            ),
            (
                Header {
                    min_txid: Txid(3),
                    max_txid: Txid(2),
                    ..valid()
                },
                "min_txid",
            ),
            (
                Header {
                    wal_offset: -1,
                    ..valid()
                },
                "wal_offset",
            ),
            (
                Header {
                    wal_salt1: 1,
                    ..valid()
                },
                "wal_offset",
            ),
            (
                Header {
                    wal_size: 5,
                    ..valid()
                },
                "wal_size",
            ),
            (
                Header {
                    pre_apply_checksum: Checksum(5),
                    ..valid()
                },
                "pre_apply_checksum",
            ),
            (
                Header {
                    flags: 0,
                    pre_apply_checksum: Checksum(5),
                    ..valid()
                },
                "pre_apply_checksum",
            ),
            (
                Header {
                    min_txid: Txid(1),
                    pre_apply_checksum: Checksum(1 << 63),
                    ..valid()
                },
                "pre_apply_checksum",
            ),
        ];
        for (h, field) in cases {
            match h.validate() {
                Err(LtxError::InvalidHeader { field: f, .. }) => assert_eq!(f, field, "{h:?}"),
                other => panic!("expected invalid {field}, got {other:?}"),
            }
        }
        let tracked = Header {
            flags: 0,
            pre_apply_checksum: Checksum(1 << 63 | 5),
            ..valid()
        };
        assert!(tracked.validate().is_ok());
    }

    #[test]
    fn bad_magic_is_reported_with_the_bytes_found() {
        let mut bytes = valid().to_bytes();
        bytes[0] = b'X';
        assert!(
            matches!(Header::from_bytes(&bytes), Err(LtxError::BadMagic { found }) if found == *b"XTX1")
        );
    }
}
