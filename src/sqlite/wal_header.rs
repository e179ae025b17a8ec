//! The 32-byte WAL header: magic, format version, page size, checkpoint sequence, the two
//! salts and the header checksum, all stored big-endian. Validation follows Litestream's
//! `WALReader.readHeader`: magic first (unknown magic is a hard error), then the checksum
//! over bytes 0..24 (a mismatch means a header being rewritten: "not ready", retried), then
//! the version (3007000) and the page size (a power of two from 512 to 65536, stored as a
//! literal u32, so 65536 is 0x00010000 here, unlike the database header's `1`).

use std::path::Path;

use super::error::{SqliteError, WalNotReady};
use super::wal_checksum::{WalByteOrder, wal_checksum};

/// Size of the WAL header in bytes; frame 0 starts here.
pub const WAL_HEADER_SIZE: u64 = 32;
/// Magic number of a WAL whose checksum words are little-endian.
pub const WAL_MAGIC_LE: u32 = 0x377f_0682;
/// Magic number of a WAL whose checksum words are big-endian.
pub const WAL_MAGIC_BE: u32 = 0x377f_0683;
/// The only WAL format version SQLite writes.
pub const WAL_VERSION: u32 = 3_007_000;

/// A parsed and validated WAL header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct WalHeader {
    /// Byte order of the checksum words, from the magic number.
    pub byte_order: WalByteOrder,
    /// Database page size in bytes (512..=65536, a power of two).
    pub page_size: u32,
    /// Checkpoint sequence number, incremented by SQLite each time it restarts the WAL.
    pub checkpoint_seq: u32,
    /// Salt-1: incremented by one each time SQLite restarts the WAL.
    pub salt1: u32,
    /// Salt-2: a fresh random value each time SQLite restarts the WAL.
    pub salt2: u32,
    /// First checksum word over bytes 0..24.
    pub checksum1: u32,
    /// Second checksum word over bytes 0..24.
    pub checksum2: u32,
}

impl WalHeader {
    /// Builds a header with a correct checksum (for tools and tests that write WAL files).
    pub fn new(
        byte_order: WalByteOrder,
        page_size: u32,
        checkpoint_seq: u32,
        salt1: u32,
        salt2: u32,
    ) -> Self {
        let mut h = WalHeader {
            byte_order,
            page_size,
            checkpoint_seq,
            salt1,
            salt2,
            checksum1: 0,
            checksum2: 0,
        };
        let bytes = h.encode();
        (h.checksum1, h.checksum2) = wal_checksum(byte_order, (0, 0), &bytes[..24]);
        h
    }

    /// The magic number matching [`WalHeader::byte_order`].
    pub fn magic(&self) -> u32 {
        match self.byte_order {
            WalByteOrder::Little => WAL_MAGIC_LE,
            WalByteOrder::Big => WAL_MAGIC_BE,
        }
    }

    /// The salts as a pair `(salt1, salt2)`; frames belong to this WAL generation only if theirs match.
    pub fn salts(&self) -> (u32, u32) {
        (self.salt1, self.salt2)
    }

    /// The header checksum as a pair; it seeds the checksum chain of frame 0.
    pub fn checksum(&self) -> (u32, u32) {
        (self.checksum1, self.checksum2)
    }

    /// The 32 bytes of this header, exactly as stored (the stored checksum is written as is).
    pub fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        let fields = [
            self.magic(),
            WAL_VERSION,
            self.page_size,
            self.checkpoint_seq,
            self.salt1,
            self.salt2,
            self.checksum1,
            self.checksum2,
        ];
        for (chunk, v) in b.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&v.to_be_bytes());
        }
        b
    }

    /// Parses and validates the first bytes of a WAL file; `path` is only used in errors.
    ///
    /// Fewer than 32 bytes or a bad checksum is [`SqliteError::WalNotReady`] (retryable);
    /// unknown magic, version or page size is [`SqliteError::WalHeader`] naming the value.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<WalHeader, SqliteError> {
        let Some(b) = bytes.get(..32) else {
            return Err(SqliteError::WalNotReady {
                path: path.to_path_buf(),
                reason: WalNotReady::Short {
                    len: bytes.len() as u64,
                },
            });
        };
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let bad = |field, value, rule| SqliteError::WalHeader {
            path: path.to_path_buf(),
            field,
            value,
            rule,
        };
        let byte_order = match word(0) {
            WAL_MAGIC_LE => WalByteOrder::Little,
            WAL_MAGIC_BE => WalByteOrder::Big,
            other => {
                return Err(bad(
                    "magic",
                    other,
                    "expected 0x377f0682 or 0x377f0683 (not a SQLite WAL file)",
                ));
            }
        };
        let stored = (word(24), word(28));
        let computed = wal_checksum(byte_order, (0, 0), &b[..24]);
        if stored != computed {
            return Err(SqliteError::WalNotReady {
                path: path.to_path_buf(),
                reason: WalNotReady::HeaderChecksum { stored, computed },
            });
        }
        let version = word(4);
        if version != WAL_VERSION {
            return Err(bad("version", version, "expected 3007000"));
        }
        let page_size = word(8);
        if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
            return Err(bad(
                "page_size",
                page_size,
                "expected a power of two from 512 to 65536",
            ));
        }
        Ok(WalHeader {
            byte_order,
            page_size,
            checkpoint_seq: word(12),
            salt1: word(16),
            salt2: word(20),
            checksum1: stored.0,
            checksum2: stored.1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.db-wal")
    }

    #[test]
    fn roundtrips_both_byte_orders() {
        for order in [WalByteOrder::Little, WalByteOrder::Big] {
            let h = WalHeader::new(order, 65536, 7, 0x1122_3344, 0x5566_7788);
            let b = h.encode();
            assert_eq!(&b[8..12], &[0, 1, 0, 0], "65536 is stored literally");
            assert_eq!(WalHeader::decode(&b, p()).unwrap(), h);
        }
        let b = WalHeader::new(WalByteOrder::Big, 4096, 0, 1, 2).encode();
        assert_eq!(&b[..4], &[0x37, 0x7f, 0x06, 0x83]);
    }

    #[test]
    fn short_and_bad_checksum_are_not_ready() {
        let b = WalHeader::new(WalByteOrder::Little, 4096, 0, 1, 2).encode();
        let e = WalHeader::decode(&b[..31], p()).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::Short { len: 31 },
                ..
            }
        ));
        let mut c = b;
        c[19] ^= 1; // salt1 changed, checksum not updated
        let e = WalHeader::decode(&c, p()).unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::HeaderChecksum { .. },
                ..
            }
        ));
    }

    fn with_checksum(mut b: [u8; 32], order: WalByteOrder) -> [u8; 32] {
        let (c1, c2) = wal_checksum(order, (0, 0), &b[..24]);
        b[24..28].copy_from_slice(&c1.to_be_bytes());
        b[28..32].copy_from_slice(&c2.to_be_bytes());
        b
    }

    #[test]
    fn unknown_magic_version_and_page_size_name_the_value() {
        let good = WalHeader::new(WalByteOrder::Little, 4096, 0, 1, 2).encode();
        let mut b = good;
        b[3] = 0x84;
        let e = WalHeader::decode(&b, p()).unwrap_err();
        assert!(
            matches!(
                e,
                SqliteError::WalHeader {
                    field: "magic",
                    value: 0x377f0684,
                    ..
                }
            ),
            "{e}"
        );
        assert!(!e.is_retryable());

        let mut b = good;
        b[4..8].copy_from_slice(&3_007_001u32.to_be_bytes());
        let e = WalHeader::decode(&with_checksum(b, WalByteOrder::Little), p()).unwrap_err();
        assert!(
            matches!(
                e,
                SqliteError::WalHeader {
                    field: "version",
                    value: 3_007_001,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("3007001"), "{e}");

        for bad in [0u32, 256, 1000, 131072] {
            let mut b = good;
            b[8..12].copy_from_slice(&bad.to_be_bytes());
            let e = WalHeader::decode(&with_checksum(b, WalByteOrder::Little), p()).unwrap_err();
            assert!(
                matches!(e, SqliteError::WalHeader { field: "page_size", value, .. } if value == bad),
                "{e}"
            );
        }
    }

    #[test]
    fn magic_is_checked_before_checksum() {
        // An all-zero header is a hard error (bad magic), as in Litestream, not "not ready".
        let e = WalHeader::decode(&[0u8; 32], p()).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::WalHeader {
                field: "magic",
                value: 0,
                ..
            }
        ));
    }
}
