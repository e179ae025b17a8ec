//! The parameters and result of the `restore` operation (`restore.rs`). The parameters mirror
//! Litestream's MCP tool `litestream_restore` (`path`, `o`, `config`, `txid`, `timestamp`,
//! `parallelism`, `if_db_not_exists`, `if_replica_exists`) plus ltx-tui's `dry_run`, `force`
//! and `integrity_check`; the result carries the fields of `litestream restore -json`
//! (`db_path`, `replica`, `txid`, `duration_ms`, `integrity_check`) and, for a dry run, the
//! plan that `litestream restore -dry-run` prints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Parameters of `restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestoreParams {
    /// A database path (its configured replica is restored) or a replica URL.
    pub path: String,
    /// The output file; required for replica URLs, default the database path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<String>,
    /// Configuration file; default: the context's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Restore up to this TXID, inclusive (16 hex digits); exclusive with `timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// Restore to this point in time (RFC 3339); exclusive with `txid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Files fetched at once (Litestream accepts it; default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Succeed without restoring when the output file exists.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub if_db_not_exists: bool,
    /// Succeed without restoring when the replica has no files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub if_replica_exists: bool,
    /// Only plan: report the files that would be applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Overwrite an existing output file and its `-wal`/`-shm`/`-journal` files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Check the restored database: `none` (default), `quick` or `full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity_check: Option<IntegrityCheck>,
}

impl From<IntegrityCheck> for crate::restore::IntegrityCheck {
    fn from(check: IntegrityCheck) -> Self {
        match check {
            IntegrityCheck::None => crate::restore::IntegrityCheck::None,
            IntegrityCheck::Quick => crate::restore::IntegrityCheck::Quick,
            IntegrityCheck::Full => crate::restore::IntegrityCheck::Full,
        }
    }
}

/// The integrity check run on a restored database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntegrityCheck {
    /// No check.
    #[default]
    None,
    /// `PRAGMA quick_check`.
    Quick,
    /// `PRAGMA integrity_check`.
    Full,
}

/// What a restore did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestoreResult {
    /// The file written, or that would be written (Litestream's `db_path`).
    pub db_path: String,
    /// The replica URL restored from, without secrets.
    pub replica: String,
    /// The replica type (`file`, `s3`, `gs`, `abs`), Litestream's `replica` in `-json`.
    pub replica_type: String,
    /// The TXID restored to, or that a dry run would reach (16 hex digits; empty when
    /// skipped).
    pub txid: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The check that ran (`none`, `quick`, `full`).
    pub integrity_check: IntegrityCheck,
    /// True when only the plan was made.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Why nothing was restored (`if_db_not_exists` / `if_replica_exists`), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The plan: the files applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<PlannedFile>,
    /// The plan's first TXID (16 hex digits), when there is a plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_txid: Option<String>,
    /// Bytes of the plan's files.
    #[serde(default)]
    pub total_bytes: u64,
    /// A dry run's estimate of the restore time, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_ms: Option<u64>,
    /// The restored database's page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// The restored database's size in pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u32>,
    /// Pages written (each page of the restored database once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages_written: Option<u64>,
}

/// One file of a restore plan (a row of `litestream restore -dry-run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedFile {
    /// The level.
    pub level: u8,
    /// The file name, `<min>-<max>.ltx`.
    pub file: String,
    /// First TXID (16 hex digits).
    pub min_txid: String,
    /// Last TXID (16 hex digits).
    pub max_txid: String,
    /// Size in bytes.
    pub size: u64,
    /// Creation time (RFC 3339).
    pub timestamp: String,
}
