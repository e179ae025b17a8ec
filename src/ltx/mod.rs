//! The LTX file format, version 3, byte-compatible with Litestream 0.5 and superfly/ltx.
//!
//! This room owns the bytes: the 100-byte [`Header`], page frames (written in the v3 block
//! variant, read in both the block and the legacy LZ4-frame variant), the page index, the
//! 16-byte [`Trailer`], the CRC-64/GO-ISO file checksum, the rolling database checksum, the
//! lock-page rules, file names, and the compaction merge.
//!
//! It is pure: no tokio, no files, no network. Decoding reads from `std::io::BufRead`
//! (page payloads are decompressed straight out of the reader's buffer), encoding writes to
//! `Write`, plus the small [`RangeRead`] trait for random access to one page. It is strict when
//! writing (the encoder refuses anything Litestream's encoder refuses) and as lenient as
//! Litestream when reading; every violation is an [`LtxError`] naming the field and the value.

mod checksum;
mod compactor;
mod counting;
mod decoder;
mod encoder;
mod error;
mod file_name;
mod header;
mod page;
mod page_index;
mod random_access;
mod trailer;
mod txid;
mod varint;

pub use checksum::{Checksum, Crc64, database_checksum, page_checksum};
pub use compactor::{CompactOptions, compact};
pub use decoder::{DecodeSummary, DecodedFile, Decoder, decode_file};
pub use encoder::Encoder;
pub use error::LtxError;
pub use file_name::{FileName, Pos};
pub use header::{HEADER_FLAG_MASK, HEADER_FLAG_NO_CHECKSUM, Header};
pub use page::{
    PAGE_HEADER_FLAG_SIZE, PageFrame, PageVariant, decode_page_frame, is_valid_page_size,
    lock_pgno, max_frame_size,
};
pub use page_index::PageIndexEntry;
pub use random_access::{PageIndexView, RangeRead, SeekRangeReader, read_page, read_page_index};
pub use trailer::Trailer;
pub use txid::Txid;

/// The four magic bytes every LTX file starts with (shared by format versions 1, 2 and 3).
pub const MAGIC: [u8; 4] = *b"LTX1";
/// Size of the fixed header in bytes.
pub const HEADER_SIZE: usize = 100;
/// Size of a page header (pgno u32 + flags u16) in bytes.
pub const PAGE_HEADER_SIZE: usize = 6;
/// Size of the trailer (post-apply checksum + file checksum) in bytes.
pub const TRAILER_SIZE: usize = 16;
/// Smallest page size SQLite and LTX allow.
pub const MIN_PAGE_SIZE: u32 = 512;
/// Largest page size SQLite and LTX allow (stored literally as 65536 in LTX).
pub const MAX_PAGE_SIZE: u32 = 65536;

/// Shorthand for results of this room.
pub type Result<T, E = LtxError> = std::result::Result<T, E>;
