//! SQLite's WAL checksum (`walChecksumBytes`): a running pair `(s0, s1)` folded over 8-byte
//! words, `s0 += w0 + s1; s1 += w1 + s0` with u32 wrapping arithmetic. The two u32 words of
//! each 8-byte group are read in the byte order named by the WAL header's magic number
//! (0x377f0682: little-endian, 0x377f0683: big-endian), whatever the host's order is.

/// The byte order of the checksum words, chosen by the WAL header's magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WalByteOrder {
    /// Magic 0x377f0682: words are little-endian (what SQLite writes on x86 and ARM).
    Little,
    /// Magic 0x377f0683: words are big-endian.
    Big,
}

impl WalByteOrder {
    /// Reads one u32 checksum word from 4 bytes in this byte order.
    fn word(self, b: [u8; 4]) -> u32 {
        match self {
            WalByteOrder::Little => u32::from_le_bytes(b),
            WalByteOrder::Big => u32::from_be_bytes(b),
        }
    }
}

/// Folds `data` into the running checksum `seed` and returns the new pair; `data.len()` must
/// be a multiple of 8 (SQLite only checksums 8-byte groups; a trailing remainder is ignored).
pub fn wal_checksum(order: WalByteOrder, seed: (u32, u32), data: &[u8]) -> (u32, u32) {
    debug_assert!(
        data.len().is_multiple_of(8),
        "WAL checksum input must be a multiple of 8 bytes"
    );
    let (mut s0, mut s1) = seed;
    for group in data.chunks_exact(8) {
        let w0 = order.word([group[0], group[1], group[2], group[3]]);
        let w1 = order.word([group[4], group[5], group[6], group[7]]);
        s0 = s0.wrapping_add(w0).wrapping_add(s1);
        s1 = s1.wrapping_add(w1).wrapping_add(s0);
    }
    (s0, s1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_words_by_hand() {
        // w = (1, 2): s0 = 0+1+0 = 1, s1 = 0+2+1 = 3; w = (3, 4): s0 = 1+3+3 = 7, s1 = 3+4+7 = 14.
        let le = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
        assert_eq!(wal_checksum(WalByteOrder::Little, (0, 0), &le), (7, 14));
        let be = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4];
        assert_eq!(wal_checksum(WalByteOrder::Big, (0, 0), &be), (7, 14));
        // The same bytes in the other order give other words.
        assert_ne!(wal_checksum(WalByteOrder::Big, (0, 0), &le), (7, 14));
    }

    #[test]
    fn chains_and_wraps() {
        let data = [0xffu8; 16];
        let whole = wal_checksum(WalByteOrder::Little, (5, 6), &data);
        let first = wal_checksum(WalByteOrder::Little, (5, 6), &data[..8]);
        assert_eq!(wal_checksum(WalByteOrder::Little, first, &data[8..]), whole);
        // 0xffffffff + 0xffffffff + ... wraps rather than overflowing.
        let (s0, s1) = wal_checksum(WalByteOrder::Little, (u32::MAX, u32::MAX), &data[..8]);
        assert_eq!(s0, u32::MAX.wrapping_mul(3));
        assert_eq!(s1, u32::MAX.wrapping_add(u32::MAX).wrapping_add(s0));
    }

    #[test]
    fn empty_input_returns_seed() {
        assert_eq!(wal_checksum(WalByteOrder::Big, (9, 10), &[]), (9, 10));
    }
}
