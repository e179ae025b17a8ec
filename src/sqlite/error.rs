//! The one error type of the SQLite room. Every variant names the file, and where it applies
//! the byte offset, the WAL frame index, the field and the value found; variants a user (or
//! the engine) can act on carry a hint, and [`SqliteError::is_retryable`] says which failures
//! are transient ("the WAL is not ready yet", "the database is busy").

use std::io;
use std::path::PathBuf;

/// An error on the SQLite side: WAL parsing, database file pages, or the engine's connection.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// A file operation on the database, its WAL or a directory failed.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "reading WAL frame".
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// A SQLite call on the engine's connection failed.
    #[error("{operation} on {}: {source}{}", path.display(), sqlite_hint(source))]
    Sqlite {
        /// What was being done, e.g. "PRAGMA wal_checkpoint(PASSIVE)".
        operation: &'static str,
        /// The database.
        path: PathBuf,
        /// The SQLite error (boxed to keep this enum small for rooms that embed it).
        #[source]
        source: Box<rusqlite::Error>,
    },

    /// The database file does not exist; the engine never creates it.
    #[error(
        "database {} does not exist (hint: the application has not created it yet, or the path in the config is wrong; replication starts once it exists)",
        path.display()
    )]
    DatabaseMissing {
        /// The path looked for.
        path: PathBuf,
    },

    /// The WAL is shorter than its 32-byte header, or the header checksum does not match
    /// (a header being rewritten by a checkpoint). Litestream treats this as "not ready": retry.
    #[error("WAL {} is not ready: {reason} (retry on the next sync)", path.display())]
    WalNotReady {
        /// The WAL file.
        path: PathBuf,
        /// Why the header is not usable yet.
        reason: WalNotReady,
    },

    /// A WAL header field holds a value SQLite never writes (unknown magic, version or page size).
    #[error(
        "WAL {}: header field {field} = {value:#x} ({value}) is invalid: {rule}",
        path.display()
    )]
    WalHeader {
        /// The WAL file.
        path: PathBuf,
        /// Header field name: `magic`, `version` or `page_size`.
        field: &'static str,
        /// The value found.
        value: u32,
        /// What a valid value looks like.
        rule: &'static str,
    },

    /// A WAL read was asked to start at an offset that is not a frame boundary.
    #[error(
        "WAL {}: offset {offset} is not a frame boundary for page size {page_size} (frames start at 32 + i*(24+page size))",
        path.display()
    )]
    MisalignedOffset {
        /// The WAL file.
        path: PathBuf,
        /// The offset given.
        offset: u64,
        /// The WAL's page size.
        page_size: u32,
    },

    /// Resuming at `offset`: the frame just before it is missing or carries other salts than
    /// expected, so the WAL was restarted or truncated since that position was recorded.
    #[error(
        "WAL {}: previous frame {frame_index} (offset {prev_offset}) before resume offset {offset} {}; restart reading at offset 32",
        path.display(),
        describe_prev(*expected, *found)
    )]
    PrevFrameMismatch {
        /// The WAL file.
        path: PathBuf,
        /// The resume offset asked for.
        offset: u64,
        /// Offset of the previous frame.
        prev_offset: u64,
        /// Index of the previous frame.
        frame_index: u64,
        /// The salts the caller expected.
        expected: (u32, u32),
        /// The salts found, or `None` when the WAL ends before that frame is complete.
        found: Option<(u32, u32)>,
    },

    /// Reading from offset 32 with expected salts, but the WAL header carries other salts:
    /// SQLite restarted the WAL since those salts were recorded.
    #[error(
        "WAL {}: header salts are {:08x}/{:08x}, expected {:08x}/{:08x}: the WAL was restarted",
        path.display(), found.0, found.1, expected.0, expected.1
    )]
    HeaderSaltMismatch {
        /// The WAL file.
        path: PathBuf,
        /// The salts the caller expected.
        expected: (u32, u32),
        /// The salts in the WAL header.
        found: (u32, u32),
    },

    /// A frame read on demand no longer matches what the scan saw (the WAL was overwritten).
    #[error(
        "WAL {}: frame {frame_index} at offset {offset} changed since it was scanned: {field} = {found:#x}, expected {expected:#x}",
        path.display()
    )]
    FrameChanged {
        /// The WAL file.
        path: PathBuf,
        /// Offset of the frame.
        offset: u64,
        /// Index of the frame.
        frame_index: u64,
        /// The frame header field that differs: `pgno`, `salt1` or `salt2`.
        field: &'static str,
        /// The value the scan saw.
        expected: u32,
        /// The value now in the file.
        found: u32,
    },

    /// The main database file's header is missing or invalid.
    #[error("database {}: header field {field} = {value}: {rule}", path.display())]
    DbHeader {
        /// The database file.
        path: PathBuf,
        /// Header field: `magic`, `page_size` or `length`.
        field: &'static str,
        /// The value found, as text.
        value: String,
        /// What a valid value looks like.
        rule: &'static str,
    },

    /// A page number outside the database file was asked for.
    #[error(
        "database {}: page {pgno} is out of range: the file holds {page_count} pages of {page_size} bytes",
        path.display()
    )]
    PageOutOfRange {
        /// The database file.
        path: PathBuf,
        /// The page asked for (1-based).
        pgno: u32,
        /// Pages in the file.
        page_count: u64,
        /// The page size used.
        page_size: u32,
    },

    /// A caller-supplied buffer has the wrong length.
    #[error("{what}: buffer is {found} bytes, expected {expected}")]
    BufferSize {
        /// What the buffer is for.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Length given.
        found: usize,
    },

    /// `PRAGMA journal_mode = wal` did not switch the database to WAL mode.
    #[error(
        "database {}: PRAGMA journal_mode = wal returned {found:?} (hint: the database may be in-memory, opened with locking_mode=EXCLUSIVE by another process, or on a filesystem without shared memory support)",
        path.display()
    )]
    JournalMode {
        /// The database.
        path: PathBuf,
        /// The journal mode SQLite reported.
        found: String,
    },

    /// A pragma answered something other than what the engine needs.
    #[error("database {}: PRAGMA {pragma} is {found}, expected {expected}", path.display())]
    Pragma {
        /// The database.
        path: PathBuf,
        /// The pragma name.
        pragma: &'static str,
        /// What the engine needs.
        expected: &'static str,
        /// What SQLite answered.
        found: String,
    },

    /// `SQLITE_FCNTL_PERSIST_WAL` reads back as something other than 1 after setting it.
    #[error(
        "database {}: SQLITE_FCNTL_PERSIST_WAL reads back as {found} after setting it to 1",
        path.display()
    )]
    PersistWal {
        /// The database.
        path: PathBuf,
        /// The value read back.
        found: i32,
    },

    /// The operation cannot run while the connection is in the given state.
    #[error("database {}: cannot {operation} while {state} (hint: {hint})", path.display())]
    InvalidState {
        /// The database.
        path: PathBuf,
        /// What was attempted.
        operation: &'static str,
        /// The state that forbids it, e.g. "the read lock is held".
        state: &'static str,
        /// What to do first.
        hint: &'static str,
    },
}

/// Why a WAL header is not (yet) usable; both cases are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalNotReady {
    /// The WAL file does not exist (no writer has opened the database in WAL mode yet).
    Missing,
    /// The file is shorter than the 32-byte header (missing, empty, or being written).
    Short {
        /// The file length in bytes.
        len: u64,
    },
    /// The header checksum over bytes 0..24 does not match the stored one.
    HeaderChecksum {
        /// The checksum stored in bytes 24..32.
        stored: (u32, u32),
        /// The checksum computed over bytes 0..24.
        computed: (u32, u32),
    },
}

impl std::fmt::Display for WalNotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalNotReady::Missing => write!(f, "the file does not exist"),
            WalNotReady::Short { len } => {
                write!(f, "file is {len} bytes, shorter than the 32-byte header")
            }
            WalNotReady::HeaderChecksum { stored, computed } => write!(
                f,
                "header checksum stored {:08x}/{:08x}, computed {:08x}/{:08x}",
                stored.0, stored.1, computed.0, computed.1
            ),
        }
    }
}

impl SqliteError {
    /// True when retrying later may succeed: the WAL is not ready, or SQLite reported busy/locked.
    pub fn is_retryable(&self) -> bool {
        match self {
            SqliteError::WalNotReady { .. } => true,
            SqliteError::Sqlite { source, .. } => is_busy(source),
            _ => false,
        }
    }

    /// The SQLite error code, when SQLite itself reported the failure.
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            SqliteError::Sqlite { source, .. } => source.sqlite_error_code(),
            _ => None,
        }
    }

    /// True when SQLite reported `SQLITE_BUSY` or `SQLITE_LOCKED` (another connection holds a lock).
    pub fn is_busy(&self) -> bool {
        matches!(self, SqliteError::Sqlite { source, .. } if is_busy(source))
    }

    /// True when a WAL frame read found the file shorter than the frame: the WAL was cut
    /// (truncated, or restarted under `journal_size_limit`) after its size was looked at.
    pub fn is_frame_gone(&self) -> bool {
        matches!(self, SqliteError::Io { source, .. } if source.kind() == io::ErrorKind::UnexpectedEof)
    }

    pub(crate) fn io(operation: &'static str, path: &std::path::Path, source: io::Error) -> Self {
        SqliteError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn sqlite(
        operation: &'static str,
        path: &std::path::Path,
        source: rusqlite::Error,
    ) -> Self {
        SqliteError::Sqlite {
            operation,
            path: path.to_path_buf(),
            source: Box::new(source),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn sqlite_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            " (hint: another connection holds a lock longer than busy-timeout; it is retried, or raise busy-timeout)"
        }
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied) => {
            " (hint: the engine needs write access to the database, its directory, -wal and -shm files)"
        }
        Some(rusqlite::ErrorCode::NotADatabase) => {
            " (hint: the file is not a SQLite database, or it is encrypted)"
        }
        Some(rusqlite::ErrorCode::DiskFull) => " (hint: the disk is full)",
        _ => "",
    }
}

fn describe_prev(expected: (u32, u32), found: Option<(u32, u32)>) -> String {
    match found {
        None => "is not in the file (the WAL is shorter)".to_string(),
        Some(f) => format!(
            "has salts {:08x}/{:08x}, expected {:08x}/{:08x}",
            f.0, f.1, expected.0, expected.1
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_path_offset_and_values() {
        let e = SqliteError::PrevFrameMismatch {
            path: PathBuf::from("/d/app.db-wal"),
            offset: 8272,
            prev_offset: 4152,
            frame_index: 1,
            expected: (1, 2),
            found: Some((3, 4)),
        };
        let m = e.to_string();
        assert!(m.contains("/d/app.db-wal"), "{m}");
        assert!(m.contains("8272") && m.contains("4152"), "{m}");
        assert!(
            m.contains("00000003/00000004") && m.contains("00000001/00000002"),
            "{m}"
        );
        assert!(!e.is_retryable());

        let e = SqliteError::WalNotReady {
            path: PathBuf::from("w"),
            reason: WalNotReady::Short { len: 7 },
        };
        assert!(e.is_retryable());
        assert!(e.to_string().contains("7 bytes"));

        let e = SqliteError::WalHeader {
            path: PathBuf::from("w"),
            field: "magic",
            value: 0xdead_beef,
            rule: "r",
        };
        assert!(e.to_string().contains("0xdeadbeef"), "{e}");
    }

    #[test]
    fn busy_is_retryable_and_hinted() {
        let source = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        let e = SqliteError::sqlite("BEGIN", std::path::Path::new("a.db"), source);
        assert!(e.is_retryable() && e.is_busy());
        assert!(e.to_string().contains("busy-timeout"), "{e}");
    }
}
