//! The SQLite side of replication: the WAL header and its checksum, WAL frames and the
//! committed-page map read from a position (Litestream's `WALReader` and `PageMap`), pages of
//! the main database file, and the engine's own connection that holds the read lock, bumps
//! `_litestream_seq`, runs checkpoints and the write barrier around them.
//!
//! Pure and synchronous: std plus rusqlite, no async runtime, no object storage. The engine
//! room decides when to sync, verify and checkpoint (Litestream §2.5–§2.7); this room gives it
//! the primitives, each failure an [`SqliteError`] naming the file, offset and value.

mod checkpoint;
mod connection;
mod db_file;
mod error;
mod wal_checksum;
mod wal_file;
mod wal_frame;
mod wal_header;
mod wal_headroom;
mod wal_reader;

pub use checkpoint::{CheckpointMode, CheckpointResult};
pub use connection::{
    BARRIER_INSERT, BUMP_SEQ, CREATE_LOCK_TABLE, CREATE_SEQ_TABLE, EngineConnection,
    READ_LOCK_QUERY,
};
pub use db_file::{DbFile, SQLITE_HEADER_MAGIC, page_size_from_header};
pub use error::{SqliteError, WalNotReady};
pub use wal_checksum::{WalByteOrder, wal_checksum};
pub use wal_file::WalFile;
pub use wal_frame::{
    FrameHeader, WAL_FRAME_HEADER_SIZE, frame_index, frame_offset, frame_size, wal_size_for_frames,
};
pub use wal_header::{WAL_HEADER_SIZE, WAL_MAGIC_BE, WAL_MAGIC_LE, WAL_VERSION, WalHeader};
pub use wal_headroom::{Headroom, reserve as reserve_wal_headroom};
pub use wal_reader::{WalSegment, WalStop};

/// Shorthand for results of this room.
pub type Result<T, E = SqliteError> = std::result::Result<T, E>;
