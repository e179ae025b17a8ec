//! Checksums: CRC-64/GO-ISO for whole files and pages, and the rolling database checksum.
//!
//! The CRC is computed with `crc-fast` (carry-less multiply on x86-64 and aarch64), because the
//! file checksum covers every decompressed page: a table-driven CRC would cost more than LZ4
//! itself. Tests check it against the independent `crc` crate.

use std::fmt;

use crc_fast::{CrcAlgorithm, Digest};
use serde::{Serialize, Serializer};

/// Bit 63, set on every non-zero LTX checksum.
pub const CHECKSUM_FLAG: u64 = 1 << 63;

/// An LTX checksum value (file, page, or database checksum), shown as 16 hex digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Checksum(pub u64);

impl Checksum {
    /// The zero checksum, used when checksums are not tracked (`NoChecksum`) and for snapshots'
    /// pre-apply checksum.
    pub const ZERO: Checksum = Checksum(0);
    /// The flag-only value: the database checksum of an empty database.
    pub const EMPTY_DATABASE: Checksum = Checksum(CHECKSUM_FLAG);

    /// True when bit 63 is set, as every valid non-zero LTX checksum must have.
    pub fn has_flag(self) -> bool {
        self.0 & CHECKSUM_FLAG != 0
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Checksum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A running CRC-64/GO-ISO (Go's `hash/crc64` with the ISO table).
#[derive(Clone)]
pub struct Crc64(Digest);

impl Default for Crc64 {
    fn default() -> Self {
        Crc64(Digest::new(CrcAlgorithm::Crc64GoIso))
    }
}

impl fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crc64({:016x})", self.0.finalize())
    }
}

impl Crc64 {
    /// Adds bytes to the running CRC.
    #[inline]
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The CRC of everything added so far (without the LTX flag bit).
    pub fn value(&self) -> u64 {
        self.0.finalize()
    }

    /// The CRC of `bytes` in one call.
    pub fn of(bytes: &[u8]) -> u64 {
        crc_fast::checksum(CrcAlgorithm::Crc64GoIso, bytes)
    }
}

/// The checksum of one database page: `FLAG | crc64(be32(pgno) ‖ data)`.
pub fn page_checksum(pgno: u32, data: &[u8]) -> Checksum {
    let mut crc = Crc64::default();
    crc.update(&pgno.to_be_bytes());
    crc.update(data);
    Checksum(CHECKSUM_FLAG | crc.value())
}

/// The rolling checksum of a whole database: `FLAG | XOR` of every page checksum except the
/// lock page's. Pages are given as `(pgno, data)`; the order does not matter.
pub fn database_checksum<'a>(
    pages: impl IntoIterator<Item = (u32, &'a [u8])>,
    lock_pgno: u32,
) -> Checksum {
    let mut sum = CHECKSUM_FLAG;
    for (pgno, data) in pages {
        if pgno == lock_pgno {
            continue;
        }
        sum = CHECKSUM_FLAG | (sum ^ page_checksum(pgno, data).0);
    }
    Checksum(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_go_iso_check_value() {
        assert_eq!(Crc64::of(b"123456789"), 0xb909_56c7_75a4_1001);
    }

    #[test]
    fn crc64_streaming_equals_one_shot_and_the_crc_crate() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let reference = crc::Crc::<u64>::new(&crc::CRC_64_GO_ISO).checksum(&data);
        let mut running = Crc64::default();
        for chunk in data.chunks(7) {
            running.update(chunk);
        }
        assert_eq!(running.value(), reference);
        assert_eq!(Crc64::of(&data), reference);
    }

    #[test]
    fn database_checksum_is_order_independent_and_skips_lock_page() {
        let a = vec![1u8; 512];
        let b = vec![2u8; 512];
        let one = database_checksum([(1, a.as_slice()), (2, b.as_slice())], 9);
        let two = database_checksum([(2, b.as_slice()), (1, a.as_slice())], 9);
        let with_lock =
            database_checksum([(1, a.as_slice()), (9, a.as_slice()), (2, b.as_slice())], 9);
        assert_eq!(one, two);
        assert_eq!(one, with_lock);
        assert!(one.has_flag());
        assert_eq!(database_checksum([], 9), Checksum::EMPTY_DATABASE);
    }
}
