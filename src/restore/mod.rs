//! The restore room: rebuild a SQLite database from a replica's LTX files, at the latest TXID,
//! at a TXID, or at a point in time, exactly as `litestream restore` does.
//!
//! - [`plan`] (`plan.rs`): Litestream's `CalcRestorePlan`, a pure function over a listing.
//! - [`restore`] (`run.rs`): list → plan → fetch in parallel (`fetch.rs`) → verify and index
//!   every file after the snapshot, the overlay (`overlay.rs`) → stream the snapshot once,
//!   merged with the overlay's latest pages, into `<output>.tmp` (`merge.rs`, written in
//!   sequence with direct I/O by `write_pipe.rs`) → fsync, rename, fsync the directory
//!   (`output.rs`) → optional integrity check. Every file's checksum is verified; any failure
//!   removes the temp files and leaves nothing at the output path.
//! - [`plan_restore`] (`run.rs`): the dry run; [`plan_text`] prints it as Litestream does.
//! - The output guard (`guard.rs`): never over an existing file without `force`, never over a
//!   SQLite sidecar without `force`, never over a database another process holds open, and
//!   never over a database of the loaded configuration without `force` (see [`RestoreOptions`]).
//!
//! Memory stays bounded whatever the database size: remote files are spooled to a directory
//! beside the output (at most `parallelism` ahead of the writer), the overlay's frames are
//! kept in one spool file there (memory holds their index: 16 bytes per changed page), each
//! file is streamed through the LTX decoder one page at a time, and a few write buffers
//! circulate. This room never imports the UI or MCP rooms.

mod error;
mod fetch;
mod guard;
mod merge;
mod output;
mod overlay;
mod plan;
mod plan_text;
mod progress;
mod run;
mod write_pipe;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ltx::Txid;

pub use error::{FileRef, RestoreError};
pub use guard::probe_in_use;
pub use plan::{RestorePlan, SNAPSHOT_LEVEL, check_timestamp_in_range, plan};
pub use plan_text::{PlanFileJson, PlanJson, estimated_duration, plan_json, plan_text};
pub use progress::{Progress, RestoreProgress};
pub use run::{list_for_target, plan_restore, restore};

/// Litestream's default download parallelism.
pub const DEFAULT_PARALLELISM: usize = 8;

/// What point of the replica's history to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RestoreTarget {
    /// The newest TXID the replica holds.
    Latest,
    /// Exactly this TXID (inclusive); it must be a file boundary of some level.
    Txid(Txid),
    /// The state made of files created strictly before this time.
    Timestamp(DateTime<Utc>),
}

/// The check run on the restored database (`-integrity-check`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrityCheck {
    /// No check (the default, as Litestream).
    #[default]
    None,
    /// `PRAGMA quick_check`.
    Quick,
    /// `PRAGMA integrity_check`.
    Full,
}

impl IntegrityCheck {
    /// Litestream's name: `none`, `quick`, `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrityCheck::None => "none",
            IntegrityCheck::Quick => "quick",
            IntegrityCheck::Full => "full",
        }
    }

    /// Parses `none`, `quick` or `full`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(IntegrityCheck::None),
            "quick" => Some(IntegrityCheck::Quick),
            "full" => Some(IntegrityCheck::Full),
            _ => None,
        }
    }
}

/// How to restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreOptions {
    /// Where the database is written (made absolute against the working directory).
    pub output: PathBuf,
    /// Which state to restore.
    pub target: RestoreTarget,
    /// How many files are fetched at once (at least 1; Litestream's default is 8).
    pub parallelism: usize,
    /// The check run after the restore; on failure the output and its sidecars are removed.
    pub integrity_check: IntegrityCheck,
    /// If the output exists, do nothing and succeed ([`RestoreOutcome::SkippedDbExists`]).
    pub if_db_not_exists: bool,
    /// If the replica holds no matching backup, do nothing and succeed
    /// ([`RestoreOutcome::SkippedNoBackup`]).
    pub if_replica_exists: bool,
    /// Overwrite an existing output and remove its `-wal`, `-shm` and `-journal`. Even so, a
    /// database another process holds open is never overwritten.
    pub force: bool,
    /// Databases the loaded configuration replicates. Restoring over one that exists needs
    /// `force` (an empty or missing one is fine: that is the restore-before-start case).
    #[serde(default)]
    pub replicated_dbs: Vec<PathBuf>,
}

impl RestoreOptions {
    /// Options for a latest restore to `output` with Litestream's defaults.
    pub fn new(output: impl Into<PathBuf>) -> Self {
        RestoreOptions {
            output: output.into(),
            target: RestoreTarget::Latest,
            parallelism: DEFAULT_PARALLELISM,
            integrity_check: IntegrityCheck::None,
            if_db_not_exists: false,
            if_replica_exists: false,
            force: false,
            replicated_dbs: Vec::new(),
        }
    }
}

/// What a finished restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RestoreOutcome {
    /// The database was restored.
    Restored(RestoreReport),
    /// `if_db_not_exists` and the output existed: nothing was done.
    SkippedDbExists {
        /// The existing output.
        output: PathBuf,
    },
    /// `if_replica_exists` and the replica holds no matching backup: nothing was done.
    SkippedNoBackup {
        /// Why the plan found nothing.
        reason: String,
    },
}

/// The facts of a completed restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    /// The restored database.
    pub output: PathBuf,
    /// The TXID it is at.
    pub txid: Txid,
    /// The plan that was applied.
    pub plan: RestorePlan,
    /// Bytes fetched from the replica (the plan's total).
    pub bytes_fetched: u64,
    /// Pages written: each page of the restored database once.
    pub pages_written: u64,
    /// Database page size.
    pub page_size: u32,
    /// Database size in pages.
    pub page_count: u32,
    /// Wall time of the restore in milliseconds.
    pub duration_ms: u64,
    /// The check that ran (and passed).
    pub integrity_check: IntegrityCheck,
}
