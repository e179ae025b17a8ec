//! Commands the faces send to the engine, each with a oneshot reply.

use std::path::PathBuf;

use tokio::sync::oneshot;

use crate::ltx::Txid;

use super::EngineError;

/// The reply to a command: the TXID it reached, or why it failed.
pub type Reply = oneshot::Sender<Result<Option<Txid>, EngineError>>;

/// An operator's request to one database.
#[derive(Debug)]
pub enum EngineCommand {
    /// Sync the WAL now and upload everything pending; replies with the replica TXID. Works
    /// while paused too (one sync and upload; the database stays paused).
    SyncNow {
        /// Database path.
        db: PathBuf,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Build and upload an L9 snapshot now; replies with its TXID.
    SnapshotNow {
        /// Database path.
        db: PathBuf,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Stop syncing and uploading until resumed (the WAL stays pinned, nothing is lost).
    Pause {
        /// Database path.
        db: PathBuf,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Resume after a pause.
    Resume {
        /// Database path.
        db: PathBuf,
        /// Where the outcome goes.
        reply: Reply,
    },
    /// Discard the local meta directory so the next sync starts a fresh snapshot, as
    /// `litestream reset` does.
    Reset {
        /// Database path.
        db: PathBuf,
        /// Where the outcome goes.
        reply: Reply,
    },
}

impl EngineCommand {
    /// The database the command is for.
    pub fn db(&self) -> &PathBuf {
        match self {
            EngineCommand::SyncNow { db, .. }
            | EngineCommand::SnapshotNow { db, .. }
            | EngineCommand::Pause { db, .. }
            | EngineCommand::Resume { db, .. }
            | EngineCommand::Reset { db, .. } => db,
        }
    }
}
