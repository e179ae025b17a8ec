//! Discrete things that happened, sent on a bounded channel for logs, toasts and timelines.
//! When the channel is full the oldest consumer falls behind; the engine never blocks on it.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::ltx::Txid;

/// One thing the engine did or suffered.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A sync wrote an L0 file locally.
    Synced {
        /// Database path.
        db: PathBuf,
        /// The new TXID.
        txid: Txid,
        /// True when the file holds every page (first sync or recovery).
        snapshot: bool,
        /// Why a snapshot was forced, when it was.
        reason: Option<String>,
        /// Size of the L0 file.
        bytes: u64,
    },
    /// A file reached the replica.
    Uploaded {
        /// Database path.
        db: PathBuf,
        /// Level (0 for L0).
        level: u8,
        /// File name.
        name: String,
        /// Size in bytes.
        bytes: u64,
        /// Time the upload took.
        duration: Duration,
    },
    /// Files of one level were merged into the next.
    Compacted {
        /// Database path.
        db: PathBuf,
        /// Destination level.
        level: u8,
        /// First TXID of the output.
        min_txid: Txid,
        /// Last TXID of the output.
        max_txid: Txid,
        /// Output size.
        bytes: u64,
    },
    /// An L9 snapshot was uploaded.
    SnapshotTaken {
        /// Database path.
        db: PathBuf,
        /// TXID the snapshot reaches.
        txid: Txid,
        /// Size in bytes.
        bytes: u64,
    },
    /// Old files were deleted by retention.
    RetentionApplied {
        /// Database path.
        db: PathBuf,
        /// Level the files were deleted from.
        level: u8,
        /// How many files.
        files: usize,
    },
    /// A checkpoint ran.
    Checkpoint {
        /// Database path.
        db: PathBuf,
        /// PASSIVE, TRUNCATE…
        mode: String,
        /// True when the WAL was restarted afterwards.
        restarted: bool,
    },
    /// Something failed; the engine will retry.
    Error {
        /// Database path.
        db: PathBuf,
        /// What failed, readable by a person.
        message: String,
    },
    /// A database recovered after errors.
    Recovered {
        /// Database path.
        db: PathBuf,
    },
    /// A database was paused or resumed.
    StateChanged {
        /// Database path.
        db: PathBuf,
        /// The new state label.
        state: String,
    },
}
