//! A deliberately tiny, independent reader of the fixed parts of an LTX file (header and first
//! page header), so the harness can pin facts about Litestream's output without depending on
//! the crate's own codec (which is what the fixtures are meant to test).

use std::path::Path;

/// Length of the LTX v3 header.
pub const HEADER_LEN: usize = 100;

/// Magic of an LZ4 frame, as it appears on disk (little-endian 0x184D2204).
pub const LZ4_FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4D, 0x18];

/// The fields of the 100-byte LTX header (all big-endian on disk).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader {
    pub flags: u32,
    pub page_size: u32,
    pub commit: u32,
    pub min_txid: u64,
    pub max_txid: u64,
    pub timestamp_ms: i64,
    pub pre_apply_checksum: u64,
    pub wal_offset: i64,
    pub wal_size: i64,
    pub wal_salt1: u32,
    pub wal_salt2: u32,
    pub node_id: u64,
}

/// The 6-byte header of the first page frame, right after the LTX header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPageHeader {
    pub pgno: u32,
    pub flags: u16,
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// Parses the LTX header from the start of `bytes`; panics (with `what` in the message) on a
/// short buffer or a wrong magic.
pub fn parse_header(bytes: &[u8], what: &str) -> RawHeader {
    assert!(
        bytes.len() >= HEADER_LEN,
        "{what}: {} bytes is too short for an LTX header",
        bytes.len()
    );
    assert_eq!(&bytes[..4], b"LTX1", "{what}: bad LTX magic");
    RawHeader {
        flags: be_u32(bytes, 4),
        page_size: be_u32(bytes, 8),
        commit: be_u32(bytes, 12),
        min_txid: be_u64(bytes, 16),
        max_txid: be_u64(bytes, 24),
        timestamp_ms: be_u64(bytes, 32) as i64,
        pre_apply_checksum: be_u64(bytes, 40),
        wal_offset: be_u64(bytes, 48) as i64,
        wal_size: be_u64(bytes, 56) as i64,
        wal_salt1: be_u32(bytes, 64),
        wal_salt2: be_u32(bytes, 68),
        node_id: be_u64(bytes, 72),
    }
}

/// Reads and parses the header of the LTX file at `path`.
pub fn read_header(path: &Path) -> RawHeader {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    parse_header(&bytes, &path.display().to_string())
}

/// The first page frame's header, or `None` if the page block is empty (six zero bytes).
pub fn first_page_header(bytes: &[u8]) -> Option<RawPageHeader> {
    let pgno = be_u32(bytes, HEADER_LEN);
    let flags = u16::from_be_bytes(bytes[HEADER_LEN + 4..HEADER_LEN + 6].try_into().unwrap());
    (pgno != 0).then_some(RawPageHeader { pgno, flags })
}

/// Walks the page frames of a file written in the current v3 block format (every page header
/// has flag 0x0001 and a `u32` compressed length), returning each page number. Panics on a
/// page header without the size flag (e.g. a legacy LZ4-frame file).
pub fn v3_block_page_numbers(bytes: &[u8], what: &str) -> Vec<u32> {
    let mut at = HEADER_LEN;
    let mut pages = Vec::new();
    loop {
        let pgno = be_u32(bytes, at);
        let flags = u16::from_be_bytes(bytes[at + 4..at + 6].try_into().unwrap());
        if pgno == 0 {
            assert_eq!(flags, 0, "{what}: page block terminator with flags");
            return pages;
        }
        assert_eq!(flags, 1, "{what}: page {pgno} header flags");
        let size = be_u32(bytes, at + 6) as usize;
        pages.push(pgno);
        at += 10 + size;
    }
}
