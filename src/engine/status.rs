//! What the engine publishes about itself: one [`EngineSnapshot`] per change, carried by a
//! `watch` channel, so faces (console, MCP, metrics) read the latest state without asking.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use crate::ltx::Txid;

/// The latest state of every database the engine replicates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineSnapshot {
    /// Increases by one with every published change.
    pub version: u64,
    /// One entry per configured database, in configuration order.
    pub databases: Vec<DatabaseStatus>,
    /// False once shutdown has begun.
    pub running: bool,
}

impl EngineSnapshot {
    /// The status of the database at `path`, if the engine replicates it.
    pub fn database(&self, path: &std::path::Path) -> Option<&DatabaseStatus> {
        self.databases.iter().find(|d| d.path == path)
    }
}

/// Replication state of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationState {
    /// Opening the database and checking the replica.
    Starting,
    /// The database file does not exist yet; the engine waits for it.
    WaitingForDatabase,
    /// Syncing and uploading normally.
    Replicating,
    /// Paused by an operator: no syncs, no uploads (the WAL is still pinned, so nothing is lost).
    Paused,
    /// The last attempt failed; the engine retries with backoff.
    Error,
    /// Stopped after shutdown.
    Stopped,
}

impl ReplicationState {
    /// A short lowercase label for tables.
    pub fn label(self) -> &'static str {
        match self {
            ReplicationState::Starting => "starting",
            ReplicationState::WaitingForDatabase => "no database",
            ReplicationState::Replicating => "replicating",
            ReplicationState::Paused => "paused",
            ReplicationState::Error => "error",
            ReplicationState::Stopped => "stopped",
        }
    }
}

/// Replication lag of one database.
///
/// `seconds` is the time since the oldest commit that is not yet durable in the replica (0 when
/// the replica holds everything); a commit's time is when the engine first saw the WAL grow past
/// the replicated position. `pending_bytes` counts WAL bytes not yet in an L0 file plus L0 bytes
/// not yet uploaded; `pending_txids` is local TXID minus replica TXID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Lag {
    /// Seconds since the oldest commit not yet in the replica.
    pub seconds: f64,
    /// Bytes written locally but not yet in the replica.
    pub pending_bytes: u64,
    /// TXIDs written locally but not yet in the replica.
    pub pending_txids: u64,
}

/// Everything the faces show about one database.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseStatus {
    /// Absolute database path.
    pub path: PathBuf,
    /// Short name for display (the file name).
    pub name: String,
    /// Current state.
    pub state: ReplicationState,
    /// Highest TXID in the local meta directory.
    pub local_txid: Option<Txid>,
    /// Highest TXID known to be in the replica.
    pub replica_txid: Option<Txid>,
    /// Replication lag.
    pub lag: Lag,
    /// Size of the `-wal` file in bytes.
    pub wal_size: u64,
    /// Size of the database file in bytes.
    pub db_size: u64,
    /// Page size in bytes (0 until known).
    pub page_size: u32,
    /// When the last sync wrote an L0 file.
    pub last_sync: Option<SystemTime>,
    /// When the last file reached the replica.
    pub last_upload: Option<SystemTime>,
    /// The last error, while it lasts.
    pub last_error: Option<String>,
    /// Replica type as Litestream names it (`file`, `s3`, `gs`, `abs`).
    pub replica_type: String,
    /// Replica URL with secrets removed.
    pub replica_url: String,
    /// Consecutive failed attempts (0 when healthy).
    pub consecutive_errors: u32,
}

impl DatabaseStatus {
    /// A fresh status for a database that has not been opened yet.
    pub fn new(path: PathBuf, replica_type: String, replica_url: String) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        DatabaseStatus {
            path,
            name,
            state: ReplicationState::Starting,
            local_txid: None,
            replica_txid: None,
            lag: Lag::default(),
            wal_size: 0,
            db_size: 0,
            page_size: 0,
            last_sync: None,
            last_upload: None,
            last_error: None,
            replica_type,
            replica_url,
            consecutive_errors: 0,
        }
    }
}
