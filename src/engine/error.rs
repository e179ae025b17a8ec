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
    /// An LTX file is invalid, or writing one failed.
    #[error("LTX file {}: {source}{}", path.display(), ltx_disk_full_hint(source))]
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
    /// The metrics endpoint cannot listen on its address (`addr`).
    #[error("cannot serve metrics on {addr}: {source}{}", listen_hint(source))]
    Listen {
        /// The address as configured.
        addr: String,
        /// Why binding failed.
        #[source]
        source: io::Error,
    },
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
        match self {
            // The encoder writes an L0 file, so ENOSPC usually arrives wrapped by the codec.
            EngineError::Io { source, .. }
            | EngineError::Ltx {
                source: LtxError::Io { source, .. },
                ..
            } => is_disk_full(source),
            _ => false,
        }
    }
}

fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28) | Some(122))
}

fn listen_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::AddrInUse => {
            " (another process uses this port: stop it or choose another `addr`)"
        }
        io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need privileges: choose a higher port in `addr`)"
        }
        io::ErrorKind::AddrNotAvailable => {
            " (no interface of this machine has that address: check the host part of `addr`)"
        }
        _ => "",
    }
}

fn ltx_disk_full_hint(e: &LtxError) -> &'static str {
    match e {
        LtxError::Io { source, .. } => disk_full_hint(source),
        _ => "",
    }
}

fn disk_full_hint(e: &io::Error) -> &'static str {
    if is_disk_full(e) {
        " (the disk is full: free space in the meta directory's file system; replication resumes by itself)"
    } else {
        ""
    }
}
