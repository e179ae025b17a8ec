//! The one error type of the restore room. Every variant names what was being restored to
//! (the output path), the LTX file at fault (level and name) when one is involved, what is
//! wrong and, where the user can act, a hint.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::ltx::{FileName, LtxError, Txid};
use crate::storage::StorageError;

/// One LTX file of a replica, for messages: `level 0 file 00…01-00…01.ltx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRef {
    /// The compaction level.
    pub level: u8,
    /// The file name (its TXID range).
    pub name: FileName,
}

impl fmt::Display for FileRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {} file {}", self.level, self.name)
    }
}

/// An error planning or performing a restore.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No set of files reaches the target (Litestream's `ErrTxNotAvailable`).
    #[error("no matching backup files available{}", detail_suffix(.detail))]
    NoMatchingBackup {
        /// Why, when it can be said more precisely (e.g. "TXID 0000000000000009 is beyond the
        /// replica's last TXID 0000000000000007").
        detail: Option<String>,
    },

    /// A latest restore found files it cannot reach from the plan's end (a TXID gap).
    #[error(
        "non-contiguous ltx files: level {level} file {name} starts after TXID {reached} \
         (the plan reaches {reached}); hint: restore to -txid {reached} or repair the replica"
    )]
    NonContiguous {
        /// The level holding the unreachable file.
        level: u8,
        /// The unreachable file.
        name: FileName,
        /// The last TXID the plan reaches.
        reached: Txid,
    },

    /// The timestamp lies outside the replica's files' creation times (URL restores, as
    /// Litestream checks).
    #[error(
        "timestamp does not exist: {timestamp} is outside the replica's range {oldest} .. {newest}"
    )]
    TimestampOutOfRange {
        /// The requested time (RFC 3339).
        timestamp: String,
        /// Oldest CreatedAt of any file.
        oldest: String,
        /// Newest CreatedAt of any file.
        newest: String,
    },

    /// The output exists and the restore may not overwrite it.
    #[error(
        "cannot restore, output path already exists and is not empty: {}. Use -force to overwrite",
        .path.display()
    )]
    OutputExists {
        /// The existing file.
        path: PathBuf,
    },

    /// A SQLite sidecar (`-wal`, `-shm`, `-journal`) of the output exists; SQLite would apply
    /// it to the restored file and corrupt it.
    #[error(
        "cannot restore to {}: the SQLite sidecar {} exists and would be applied to the \
         restored database; use -force to remove it",
        .output.display(), .sidecar.display()
    )]
    SidecarExists {
        /// The output path.
        output: PathBuf,
        /// The sidecar found.
        sidecar: PathBuf,
    },

    /// The output is a database listed in the configuration and the restore was not forced.
    #[error(
        "refusing to restore over {}: it is a database listed in the configuration (a \
         replicator may own it); stop the replicator first, then restore with -force (or \
         restore elsewhere with -o)",
        .path.display()
    )]
    ConfiguredDatabase {
        /// The output path.
        path: PathBuf,
    },

    /// The output database is open in another process (a replicator or the application
    /// holds a SQLite lock on it).
    #[error(
        "refusing to restore over {}: another process has the database open ({reason}); \
         stop the replicator and the application first",
        .path.display()
    )]
    DatabaseInUse {
        /// The output path.
        path: PathBuf,
        /// What the lock probe saw.
        reason: String,
    },

    /// An option is invalid (e.g. parallelism 0).
    #[error("invalid restore option {option}: {problem}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is wrong.
        problem: String,
    },

    /// Listing or reading the replica failed.
    #[error("{operation}: {source}")]
    Storage {
        /// What the restore was doing.
        operation: &'static str,
        /// The storage error (names the key, level and file).
        #[source]
        source: StorageError,
    },

    /// An LTX file of the plan is invalid: bad checksum, truncated, malformed.
    #[error("{file}: {source}")]
    InvalidFile {
        /// The file at fault.
        file: FileRef,
        /// What is wrong with it.
        #[source]
        source: LtxError,
    },

    /// An LTX file of the plan does not fit the plan (header TXIDs differ from its name,
    /// page size differs, the first file is not a snapshot, a page is missing, …).
    #[error("{file}: {problem}")]
    Inconsistent {
        /// The file at fault.
        file: FileRef,
        /// What is wrong.
        problem: String,
    },

    /// A local file operation failed.
    #[error("{operation} {}: {source}", .path.display())]
    Io {
        /// What was being done, e.g. "write restored page to".
        operation: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// `PRAGMA quick_check`/`integrity_check` did not return `ok`; the output was removed.
    #[error(
        "integrity check ({mode}) of the restored database {} failed: {result}; the output was removed",
        .path.display()
    )]
    IntegrityCheckFailed {
        /// `quick` or `full`.
        mode: &'static str,
        /// The restored path (now removed).
        path: PathBuf,
        /// The first rows SQLite returned.
        result: String,
    },

    /// SQLite failed while probing or checking the output.
    #[error("sqlite error while {operation} {}: {source}", .path.display())]
    Sqlite {
        /// What was being done.
        operation: &'static str,
        /// The database path.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// A background task of the restore panicked or was cancelled.
    #[error("restore task failed while {operation}: {reason}")]
    Task {
        /// What the task was doing.
        operation: &'static str,
        /// The join error, as text.
        reason: String,
    },
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

impl RestoreError {
    /// An I/O error with its operation and path.
    pub fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        RestoreError::Io {
            operation,
            path: path.into(),
            source,
        }
    }

    /// True for "there is nothing to restore" (what `-if-replica-exists` tolerates).
    pub fn is_no_backup(&self) -> bool {
        matches!(self, RestoreError::NoMatchingBackup { .. })
    }

    /// True when the restore was refused before anything was written because of the output
    /// path (exists, sidecar, configured or in use): a usage problem, not a failed operation.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RestoreError::OutputExists { .. }
                | RestoreError::SidecarExists { .. }
                | RestoreError::ConfiguredDatabase { .. }
                | RestoreError::DatabaseInUse { .. }
                | RestoreError::InvalidOption { .. }
        )
    }
}
