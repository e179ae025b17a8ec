//! What the restore wizard receives (keys turned into events, and the answers of the loop)
//! and what it asks the loop to do; the plan and result summaries it shows.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::ltx::Txid;
use crate::restore::{IntegrityCheck, RestoreTarget};

/// The plan as the review step shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSummary {
    /// Files to apply.
    pub files: usize,
    /// Of which snapshots (L9).
    pub snapshots: usize,
    /// Bytes to fetch.
    pub bytes: u64,
    /// The TXID the database will be at.
    pub txid: Txid,
    /// When that state was replicated.
    pub timestamp: DateTime<Utc>,
    /// Estimated duration in seconds.
    pub estimate_secs: f64,
}

/// The result step's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreSummary {
    /// The file written.
    pub output: PathBuf,
    /// The TXID restored.
    pub txid: Txid,
    /// Wall time.
    pub duration_ms: u64,
    /// Bytes fetched.
    pub bytes: u64,
    /// The integrity check that ran and passed (`none`, `quick`, `full`).
    pub integrity: &'static str,
}

/// What the wizard receives.
#[derive(Debug, Clone, PartialEq)]
pub enum WizardEvent {
    /// Selection up.
    Up,
    /// Selection down.
    Down,
    /// Switch the option of the step (overwrite policy, integrity check).
    Tab,
    /// Accept the step.
    Enter,
    /// Back out.
    Esc,
    /// A typed character.
    Char(char),
    /// Delete before the cursor.
    Backspace,
    /// Cursor left in the text field.
    Left,
    /// Cursor right in the text field.
    Right,
    /// The target path was looked at.
    TargetInspected {
        /// A file exists there.
        exists: bool,
        /// Its directory exists.
        dir_ok: bool,
    },
    /// The plan, or why there is none.
    PlanReady(Result<PlanSummary, String>),
    /// Restore progress.
    Progress {
        /// Bytes fetched so far.
        bytes_fetched: u64,
        /// Files fetched so far.
        files_fetched: usize,
        /// Milliseconds since the restore started.
        elapsed_ms: u64,
    },
    /// The restore ended.
    Finished(Result<RestoreSummary, String>),
}

/// What the wizard asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum WizardEffect {
    /// Look at the target path (exists? directory exists?).
    InspectTarget(PathBuf),
    /// Plan a restore of `db` to `target`.
    Plan {
        /// Database.
        db: PathBuf,
        /// Point.
        target: RestoreTarget,
    },
    /// Run the restore.
    Run {
        /// Database.
        db: PathBuf,
        /// Point.
        target: RestoreTarget,
        /// Output file.
        output: PathBuf,
        /// Replace an existing file.
        force: bool,
        /// Check after restoring.
        integrity: IntegrityCheck,
    },
    /// Close the wizard.
    Close,
}
