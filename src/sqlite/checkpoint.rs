//! Checkpoint modes and results of `PRAGMA wal_checkpoint(MODE)`.
//!
//! What each mode does with other connections (SQLite semantics, checked by the tests):
//! PASSIVE copies ("backfills") WAL frames into the database file as far as no reader still
//! needs them and never waits; it reports busy only when another checkpoint is running.
//! FULL waits (busy handler) for the writer lock and for readers of older snapshots, then
//! backfills everything. RESTART additionally waits until no reader uses the WAL, so the next
//! writer starts the WAL over from frame 0 with new salts; TRUNCATE also truncates the WAL
//! file to zero bytes. A blocked FULL/RESTART/TRUNCATE returns `busy = true` after the
//! busy timeout, having backfilled what it could.

use serde::Serialize;

/// The mode of a WAL checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CheckpointMode {
    /// Backfill what no reader needs; never waits, never restarts the WAL itself.
    Passive,
    /// Wait for the writer lock and old readers, then backfill every frame.
    Full,
    /// Like FULL, then wait until no reader uses the WAL so the next writer restarts it.
    Restart,
    /// Like RESTART, then truncate the WAL file to zero bytes.
    Truncate,
}

impl CheckpointMode {
    /// The mode's name as SQLite spells it (`PASSIVE`, `FULL`, `RESTART`, `TRUNCATE`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointMode::Passive => "PASSIVE",
            CheckpointMode::Full => "FULL",
            CheckpointMode::Restart => "RESTART",
            CheckpointMode::Truncate => "TRUNCATE",
        }
    }

    /// The complete pragma statement for this mode.
    pub fn pragma(self) -> &'static str {
        match self {
            CheckpointMode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
            CheckpointMode::Full => "PRAGMA wal_checkpoint(FULL)",
            CheckpointMode::Restart => "PRAGMA wal_checkpoint(RESTART)",
            CheckpointMode::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        }
    }
}

impl std::fmt::Display for CheckpointMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The row `PRAGMA wal_checkpoint` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CheckpointResult {
    /// True when the checkpoint could not finish because of other connections (SQLITE_BUSY).
    pub busy: bool,
    /// Frames in the WAL (its `mxFrame`); -1 when the database is not in WAL mode.
    pub log_frames: i64,
    /// Frames backfilled into the database file so far (including earlier checkpoints); -1 when not in WAL mode.
    pub checkpointed_frames: i64,
}

impl CheckpointResult {
    /// True when every frame in the WAL is in the database file (the WAL may be restarted).
    pub fn is_complete(&self) -> bool {
        !self.busy && self.log_frames == self.checkpointed_frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_completeness() {
        assert_eq!(CheckpointMode::Truncate.to_string(), "TRUNCATE");
        assert_eq!(
            CheckpointMode::Passive.pragma(),
            "PRAGMA wal_checkpoint(PASSIVE)"
        );
        let r = CheckpointResult {
            busy: false,
            log_frames: 3,
            checkpointed_frames: 3,
        };
        assert!(r.is_complete());
        assert!(!CheckpointResult { busy: true, ..r }.is_complete());
        assert!(
            !CheckpointResult {
                checkpointed_frames: 2,
                ..r
            }
            .is_complete()
        );
    }
}
