//! The one error type of the operations surface: what failed, on which database, replica or
//! parameter, and, where the user can act, a hint. [`OpsError::kind`] sorts errors into usage,
//! configuration and operation failures, which the command line maps to exit codes 2, 2 and 1.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::restore::RestoreError;
use crate::storage::StorageError;

/// What kind of failure an [`OpsError`] is, for exit codes and for MCP error results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpsErrorKind {
    /// A parameter is wrong (bad TXID, unknown URL scheme, database not configured): exit 2.
    Usage,
    /// The configuration is missing or wrong: exit 2.
    Config,
    /// The operation was attempted and failed (replica unreachable, I/O error): exit 1.
    Operation,
}

impl OpsErrorKind {
    /// The process exit code of this kind: 2 for usage and configuration errors, 1 otherwise.
    pub fn exit_code(self) -> u8 {
        match self {
            OpsErrorKind::Usage | OpsErrorKind::Config => 2,
            OpsErrorKind::Operation => 1,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The configuration file cannot be found, read or understood.
    #[error("{0}")]
    Config(#[from] ConfigError),

    /// The operation needs a configuration and none was given or found.
    #[error(
        "{operation}: no configuration file (hint: pass -config FILE, set $LTX_TUI_CONFIG, or give a replica URL)"
    )]
    NoConfig {
        /// The operation that needed it.
        operation: &'static str,
    },

    /// The database is not in the configuration.
    #[error(
        "database not found in config {}: {} (configured: {configured}; hint: give the path as written in the config, or a replica URL)",
        config.display(), path.display()
    )]
    UnknownDatabase {
        /// The path asked for (made absolute).
        path: PathBuf,
        /// The configuration file searched.
        config: PathBuf,
        /// The configured database paths, comma-separated (or `none`).
        configured: String,
    },

    /// The database is configured without a replica.
    #[error("database {} has no replica in {} (hint: add a replica: block with a url)", path.display(), config.display())]
    NoReplica {
        /// The database.
        path: PathBuf,
        /// The configuration file.
        config: PathBuf,
    },

    /// The configured replica cannot be used by ltx-tui (e.g. an unsupported backend).
    #[error("database {}: replica cannot be used: {message}", path.display())]
    UnusableReplica {
        /// The database.
        path: PathBuf,
        /// Why.
        message: String,
    },

    /// A replica URL given as a parameter is malformed or names an unsupported backend.
    #[error(
        "{source} (hint: use file:///dir, s3://bucket/path, gs://bucket/path or abs://container/path)"
    )]
    InvalidReplicaUrl {
        /// The storage room's description of the problem (boxed: it is large).
        #[source]
        source: Box<StorageError>,
    },

    /// A parameter has an invalid value.
    #[error("invalid {param} {value:?}: {problem}")]
    InvalidParam {
        /// The parameter name (as the command line and MCP spell it).
        param: &'static str,
        /// The value given.
        value: String,
        /// What is wrong and what is expected.
        problem: &'static str,
    },

    /// The replica failed: unreachable, refused, or returned something unreadable.
    #[error("{operation} on replica {replica}: {source}")]
    Replica {
        /// What ltx-tui was doing, e.g. "list LTX files".
        operation: &'static str,
        /// The replica URL (without secrets).
        replica: String,
        /// The storage error (carries key, level, TXIDs and a hint; boxed: it is large).
        #[source]
        source: Box<StorageError>,
    },

    /// A local file could not be read.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What ltx-tui was doing.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A remote caller's restore output is not under one of the `restore-dirs`.
    #[error(
        "refusing to restore to {}{}: {problem} (allowed: {allowed}; hint: choose an output under a restore directory)",
        path.display(),
        resolved.as_ref().filter(|r| *r != path).map(|r| format!(" (resolves to {})", r.display())).unwrap_or_default()
    )]
    OutsideRestoreDirs {
        /// The output as given (made absolute).
        path: PathBuf,
        /// Where it leads, symlinks followed and `..` resolved, when that could be found.
        resolved: Option<PathBuf>,
        /// The allowed directories, comma-separated (or why there are none).
        allowed: String,
        /// What is wrong.
        problem: String,
    },

    /// The output is a database the running engine replicates.
    #[error(
        "refusing to restore over {}: the running engine replicates it (hint: restore elsewhere with -o, or stop replicating it first)",
        path.display()
    )]
    ReplicatedDatabase {
        /// The output path.
        path: PathBuf,
    },

    /// The restore room failed or refused (names the file, TXID or output at fault).
    #[error(transparent)]
    Restore(#[from] RestoreError),

    /// The operation needs the running engine and this process has none (a one-shot command).
    #[error(
        "{operation}: needs the running engine (hint: run it in the console or in `ltx-tui --headless`)"
    )]
    NoEngine {
        /// The operation that needed it.
        operation: &'static str,
    },

    /// The running engine refused or failed a command.
    #[error("{operation} {}: {source}", path.display())]
    Engine {
        /// The command (`sync`, `snapshot`, `pause`, `resume`).
        operation: &'static str,
        /// The database.
        path: PathBuf,
        /// The engine's error (names the replica and what failed; boxed: it is large).
        #[source]
        source: Box<EngineError>,
    },

    /// An async task of the operation died.
    #[error("{operation}: internal task failed: {message}")]
    Task {
        /// What ltx-tui was doing.
        operation: &'static str,
        /// The join error.
        message: String,
    },
}

impl OpsError {
    /// Usage, configuration or operation failure.
    pub fn kind(&self) -> OpsErrorKind {
        match self {
            OpsError::Config(_) | OpsError::NoConfig { .. } | OpsError::UnusableReplica { .. } => {
                OpsErrorKind::Config
            }
            OpsError::NoReplica { .. } => OpsErrorKind::Config,
            OpsError::UnknownDatabase { .. }
            | OpsError::InvalidReplicaUrl { .. }
            | OpsError::InvalidParam { .. } => OpsErrorKind::Usage,
            OpsError::Replica { source, .. } => match source.as_ref() {
                StorageError::InvalidUrl { .. } | StorageError::InvalidSpec { .. } => {
                    OpsErrorKind::Config
                }
                _ => OpsErrorKind::Operation,
            },
            OpsError::OutsideRestoreDirs { .. } => OpsErrorKind::Usage,
            OpsError::Restore(RestoreError::InvalidOption { .. }) => OpsErrorKind::Usage,
            OpsError::Io { .. }
            | OpsError::Task { .. }
            | OpsError::NoEngine { .. }
            | OpsError::Engine { .. }
            | OpsError::ReplicatedDatabase { .. }
            | OpsError::Restore(_) => OpsErrorKind::Operation,
        }
    }

    /// The process exit code for this error (see [`OpsErrorKind::exit_code`]).
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_config_errors_exit_2_operation_errors_exit_1() {
        let usage = OpsError::InvalidParam {
            param: "txid",
            value: "xyz".into(),
            problem: "expected 16 hex digits",
        };
        assert_eq!(usage.exit_code(), 2);
        assert_eq!(
            OpsError::NoConfig {
                operation: "databases"
            }
            .exit_code(),
            2
        );
        let io = OpsError::Io {
            operation: "read",
            path: "/x".into(),
            source: std::io::Error::other("boom"),
        };
        assert_eq!(io.exit_code(), 1);
    }
}
