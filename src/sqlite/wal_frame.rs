//! One WAL frame: its 24-byte header (page number, commit size, salts, running checksum, all
//! big-endian) followed by one page, and the frame geometry: frame `i` starts at
//! `32 + i * (24 + page_size)`.

use super::wal_checksum::{WalByteOrder, wal_checksum};
use super::wal_header::WAL_HEADER_SIZE;

/// Size of a WAL frame header in bytes.
pub const WAL_FRAME_HEADER_SIZE: u64 = 24;

/// Size in bytes of one frame (header plus page) for `page_size`.
pub fn frame_size(page_size: u32) -> u64 {
    WAL_FRAME_HEADER_SIZE + u64::from(page_size)
}

/// Byte offset of frame `index` (0-based) in a WAL with `page_size`.
pub fn frame_offset(page_size: u32, index: u64) -> u64 {
    WAL_HEADER_SIZE + index * frame_size(page_size)
}

/// Index of the frame starting at `offset`, or `None` when `offset` is not a frame boundary.
pub fn frame_index(page_size: u32, offset: u64) -> Option<u64> {
    let rel = offset.checked_sub(WAL_HEADER_SIZE)?;
    let fs = frame_size(page_size);
    rel.is_multiple_of(fs).then_some(rel / fs)
}

/// The logical WAL size Litestream compares with its checkpoint thresholds: header plus `frames` frames.
pub fn wal_size_for_frames(page_size: u32, frames: u64) -> u64 {
    frame_offset(page_size, frames)
}

/// A parsed WAL frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Page number (1-based) of the page that follows.
    pub pgno: u32,
    /// Database size in pages after this commit for a commit frame, 0 for other frames.
    pub commit: u32,
    /// Salt-1; must equal the WAL header's for the frame to be valid.
    pub salt1: u32,
    /// Salt-2; must equal the WAL header's for the frame to be valid.
    pub salt2: u32,
    /// First word of the running checksum after this frame.
    pub checksum1: u32,
    /// Second word of the running checksum after this frame.
    pub checksum2: u32,
}

impl FrameHeader {
    /// Parses the 24 header bytes (no validation: validity depends on the chain).
    pub fn decode(b: &[u8; 24]) -> FrameHeader {
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        FrameHeader {
            pgno: word(0),
            commit: word(4),
            salt1: word(8),
            salt2: word(12),
            checksum1: word(16),
            checksum2: word(20),
        }
    }

    /// The 24 header bytes, exactly as stored.
    pub fn encode(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        let fields = [
            self.pgno,
            self.commit,
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

    /// The salts as a pair `(salt1, salt2)`.
    pub fn salts(&self) -> (u32, u32) {
        (self.salt1, self.salt2)
    }

    /// The stored checksum as a pair; it seeds the next frame's checksum.
    pub fn checksum(&self) -> (u32, u32) {
        (self.checksum1, self.checksum2)
    }

    /// True for the last frame of a transaction (commit size set).
    pub fn is_commit(&self) -> bool {
        self.commit != 0
    }

    /// The checksum SQLite computes for this frame: `seed` folded over header bytes 0..8, then `page`.
    pub fn compute_checksum(
        &self,
        order: WalByteOrder,
        seed: (u32, u32),
        page: &[u8],
    ) -> (u32, u32) {
        let head = self.encode();
        let s = wal_checksum(order, seed, &head[..8]);
        wal_checksum(order, s, page)
    }

    /// Builds a valid frame header continuing the chain from `seed` (for tools and tests).
    pub fn sealed(
        order: WalByteOrder,
        seed: (u32, u32),
        pgno: u32,
        commit: u32,
        salts: (u32, u32),
        page: &[u8],
    ) -> FrameHeader {
        let mut h = FrameHeader {
            pgno,
            commit,
            salt1: salts.0,
            salt2: salts.1,
            checksum1: 0,
            checksum2: 0,
        };
        (h.checksum1, h.checksum2) = h.compute_checksum(order, seed, page);
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry() {
        assert_eq!(frame_size(4096), 4120);
        assert_eq!(frame_offset(4096, 0), 32);
        assert_eq!(frame_offset(4096, 2), 32 + 2 * 4120);
        assert_eq!(frame_offset(65536, 1), 32 + 65560);
        assert_eq!(frame_index(512, 32 + 536 * 3), Some(3));
        assert_eq!(frame_index(512, 33), None);
        assert_eq!(frame_index(512, 0), None);
        assert_eq!(wal_size_for_frames(4096, 1000), 32 + 1000 * 4120);
    }

    #[test]
    fn roundtrip_and_chain() {
        let page = vec![7u8; 512];
        let h = FrameHeader::sealed(WalByteOrder::Little, (1, 2), 3, 4, (5, 6), &page);
        assert_eq!(FrameHeader::decode(&h.encode()), h);
        assert!(h.is_commit());
        assert_eq!(h.salts(), (5, 6));
        assert_eq!(
            h.compute_checksum(WalByteOrder::Little, (1, 2), &page),
            h.checksum()
        );
        assert_ne!(
            h.compute_checksum(WalByteOrder::Little, (1, 3), &page),
            h.checksum()
        );
        // Salts and the stored checksum are not covered by the frame checksum (bytes 0..8 only).
        let mut other = h;
        other.salt1 = 99;
        assert_eq!(
            other.compute_checksum(WalByteOrder::Little, (1, 2), &page),
            h.checksum()
        );
    }
}
