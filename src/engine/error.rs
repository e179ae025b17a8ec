//! The engine's error type: what failed, on which database or file, and what to do about it.

use std::io;
use std::path::{Path, PathBuf};

use crate::ltx::LtxError;
use crate::sqlite::SqliteError;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A local file operation failed.
    #[error("{operation} {}: {source}{}", path.display(), disk_full_hint(source))]
    Io {
        /// What the engine was doing.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An LTX file is invalid.
    #[error("LTX file {}: {source}", path.display())]
    Ltx {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: LtxError,
    },
    /// The SQLite side failed.
    #[error("database {}: {source}", path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What failed.
        #[source]
        source: SqliteError,
    },
    /// The replica failed.
    #[error("replica {url}: {message}")]
    Replica {
        /// The replica URL (without secrets).
        url: String,
        /// What failed.
        message: String,
    },
    /// No database with that path is configured.
    #[error("database {} is not replicated by this engine (configured: {configured})", path.display())]
    UnknownDatabase {
        /// The path asked for.
        path: PathBuf,
        /// The configured paths, comma-separated.
        configured: String,
    },
    /// The configuration cannot be run.
    #[error("configuration: {0}")]
    Config(String),
    /// The engine is shutting down and no longer takes commands.
    #[error("the engine is shutting down")]
    ShuttingDown,
}

impl EngineError {
    /// Builds an `Io` error.
    pub fn io(operation: &'static str, path: &Path, source: io::Error) -> Self {
        EngineError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Wraps an error of the SQLite room for database `path`.
    pub fn sqlite(path: &Path, source: SqliteError) -> Self {
        EngineError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    /// True when the error is a full disk or exhausted quota (ENOSPC, EDQUOT).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, EngineError::Io { source, .. } if is_disk_full(source))
    }
}

fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28) | Some(122))
}

fn disk_full_hint(e: &io::Error) -> &'static str {
    if is_disk_full(e) {
        " (the disk is full: free space in the meta directory's file system; replication resumes by itself)"
    } else {
        ""
    }
}
