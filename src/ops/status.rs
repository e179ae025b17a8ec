//! `status`: per database, Litestream's `litestream status` fields — `ok`, `not initialized`,
//! `no database` or `error`; the local TXID from the highest L0 file in the meta directory;
//! the WAL size — plus, when a running engine is at hand, its live replication figures:
//! replica TXID, lag in seconds, pending bytes and TXIDs, last sync and upload, last error.
//!
//! One-shot (`ltx-tui status`) reads only files. In-process (console, MCP) the context's
//! [`crate::engine::EngineHandle`] adds the engine's figures; [`status_from`] takes an
//! [`EngineSnapshot`] directly for callers that already hold one.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::unknown_database;
use super::databases::replica_url;
use super::litestream_text::{humanize_bytes, txid_or_dash};
use super::tabwriter::litestream_table;
use super::timestamp::rfc3339_opt;
use super::{OpsContext, OpsError};
use crate::config::{Config, DbConfig};
use crate::engine::{DatabaseStatus, EngineSnapshot};
use crate::ltx::{FileName, Txid};

/// Parameters of `status` (Litestream's MCP `litestream_status`: `config`, `path`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusParams {
    /// Configuration file; default: the context's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Only this database (a path as configured; relative paths are resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The status of the configured databases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatusResult {
    /// The configuration file read.
    pub config_path: String,
    /// One entry per database, in configuration order.
    pub databases: Vec<DatabaseStatusEntry>,
}

/// Litestream's status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LocalStatus {
    /// The database exists and has local LTX files.
    #[serde(rename = "ok")]
    Ok,
    /// The database exists but nothing has been replicated from it yet.
    #[serde(rename = "not initialized")]
    NotInitialized,
    /// The database file does not exist.
    #[serde(rename = "no database")]
    NoDatabase,
    /// The local state could not be read.
    #[serde(rename = "error")]
    Error,
}

impl LocalStatus {
    /// The word Litestream prints.
    pub fn label(self) -> &'static str {
        match self {
            LocalStatus::Ok => "ok",
            LocalStatus::NotInitialized => "not initialized",
            LocalStatus::NoDatabase => "no database",
            LocalStatus::Error => "error",
        }
    }
}

/// The status of one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseStatusEntry {
    /// The database path.
    pub database: String,
    /// Litestream's status word.
    pub status: LocalStatus,
    /// The highest TXID in the local meta directory (16 hex digits).
    #[schemars(with = "Option<String>")]
    pub local_txid: Option<Txid>,
    /// The WAL size in bytes (0 when there is no WAL; absent when the database is missing).
    pub wal_size: Option<u64>,
    /// Why the status is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The replica type (`file`, `s3`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_type: Option<String>,
    /// The replica URL without secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_url: Option<String>,
    /// The running engine's figures (absent one-shot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<ReplicationFigures>,
}

/// What the running engine knows about one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReplicationFigures {
    /// The engine's state (`replicating`, `paused`, `error`, …).
    pub state: String,
    /// The engine's local TXID.
    #[schemars(with = "Option<String>")]
    pub local_txid: Option<Txid>,
    /// The highest TXID known to be in the replica.
    #[schemars(with = "Option<String>")]
    pub replica_txid: Option<Txid>,
    /// Seconds since the oldest change not yet in the replica (0 when caught up).
    pub lag_seconds: f64,
    /// Bytes written locally but not yet in the replica.
    pub pending_bytes: u64,
    /// TXIDs written locally but not yet in the replica.
    pub pending_txids: u64,
    /// When the last sync wrote an L0 file.
    #[serde(with = "rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub last_sync: Option<DateTime<Utc>>,
    /// When the last file reached the replica.
    #[serde(with = "rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub last_upload: Option<DateTime<Utc>>,
    /// The last error, while it lasts.
    pub last_error: Option<String>,
    /// Consecutive failed attempts (0 when healthy).
    pub consecutive_errors: u32,
}

impl From<&DatabaseStatus> for ReplicationFigures {
    fn from(s: &DatabaseStatus) -> Self {
        ReplicationFigures {
            state: s.state.label().to_owned(),
            local_txid: s.local_txid,
            replica_txid: s.replica_txid,
            lag_seconds: s.lag.seconds,
            pending_bytes: s.lag.pending_bytes,
            pending_txids: s.lag.pending_txids,
            last_sync: s.last_sync.map(DateTime::<Utc>::from),
            last_upload: s.last_upload.map(DateTime::<Utc>::from),
            last_error: s.last_error.clone(),
            consecutive_errors: s.consecutive_errors,
        }
    }
}

/// A row of `litestream status -json`, keys in Litestream's order, all strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LitestreamStatusRow {
    /// The database path.
    pub database: String,
    /// `ok`, `not initialized`, `no database` or `error`.
    pub status: &'static str,
    /// 16 hex digits or `-`.
    pub local_txid: String,
    /// Humanised size, `0 B` without a WAL, `-` without a database.
    pub wal_size: String,
}

impl StatusResult {
    /// The table `litestream status` prints: `database  status  local txid  wal size`.
    pub fn table(&self) -> String {
        let mut rows = vec![vec![
            "database".to_owned(),
            "status".to_owned(),
            "local txid".to_owned(),
            "wal size".to_owned(),
        ]];
        rows.extend(self.databases.iter().map(|d| {
            vec![
                d.database.clone(),
                d.status.label().to_owned(),
                txid_or_dash(d.local_txid),
                wal_text(d.wal_size),
            ]
        }));
        litestream_table(&rows)
    }

    /// The JSON `litestream status -json` prints: `[{"database", "status", "local_txid",
    /// "wal_size"}]`, all strings.
    pub fn litestream_json(&self) -> Vec<LitestreamStatusRow> {
        self.databases
            .iter()
            .map(|d| LitestreamStatusRow {
                database: d.database.clone(),
                status: d.status.label(),
                local_txid: txid_or_dash(d.local_txid),
                wal_size: wal_text(d.wal_size),
            })
            .collect()
    }
}

fn wal_text(size: Option<u64>) -> String {
    size.map_or_else(|| "-".to_owned(), humanize_bytes)
}

/// The status of the configured databases (or of `params.path` alone); with an engine in the
/// context, its figures are added.
pub async fn status(ctx: &OpsContext, params: &StatusParams) -> Result<StatusResult, OpsError> {
    let config = ctx.config(params.config.as_deref())?;
    let filter = params.path.as_deref().map(|p| ctx.resolve_path(p));
    let snapshot = ctx.engine().map(|e| e.snapshot());
    tokio::task::spawn_blocking(move || status_from(&config, filter.as_deref(), snapshot.as_ref()))
        .await
        .map_err(|e| OpsError::Task {
            operation: "status",
            message: e.to_string(),
        })?
}

/// The status of `config`'s databases (only `filter` if given, which must be configured),
/// read from the files, with the figures of `snapshot` added when given. Blocking.
pub fn status_from(
    config: &Config,
    filter: Option<&Path>,
    snapshot: Option<&EngineSnapshot>,
) -> Result<StatusResult, OpsError> {
    if let Some(path) = filter
        && config.db(path).is_none()
    {
        return Err(unknown_database(path, config));
    }
    let databases = config
        .dbs
        .iter()
        .filter(|db| filter.is_none() || db.path.as_deref() == filter)
        .map(|db| {
            let mut entry = local_entry(db);
            if let (Some(snapshot), Some(path)) = (snapshot, db.path.as_deref()) {
                entry.replication = snapshot.database(path).map(ReplicationFigures::from);
            }
            entry
        })
        .collect();
    Ok(StatusResult {
        config_path: config.origin.display().to_string(),
        databases,
    })
}

/// Litestream's status of one database, from its files.
fn local_entry(db: &DbConfig) -> DatabaseStatusEntry {
    let mut entry = DatabaseStatusEntry {
        database: db.display_name(),
        status: LocalStatus::Error,
        local_txid: None,
        wal_size: None,
        error: None,
        replica_type: db
            .replica
            .as_ref()
            .map(|r| r.replica_type.name().to_owned()),
        replica_url: db.replica.as_ref().and_then(replica_url),
        replication: None,
    };
    let (Some(path), Some(meta)) = (db.path.as_deref(), db.effective_meta_path()) else {
        entry.error = Some("directory entries (dir:) are not supported by ltx-tui yet".into());
        return entry;
    };
    if !path.exists() {
        entry.status = LocalStatus::NoDatabase;
        return entry;
    }
    entry.wal_size = match std::fs::metadata(wal_path(path)) {
        Ok(meta) => Some(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(0),
        Err(_) => None,
    };
    match max_local_txid(&meta.join("ltx").join("0")) {
        Ok(Some(txid)) => {
            entry.status = LocalStatus::Ok;
            entry.local_txid = Some(txid);
        }
        Ok(None) => entry.status = LocalStatus::NotInitialized,
        Err(e) => entry.error = Some(e.to_string()),
    }
    entry
}

/// `<db>-wal`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// The highest max TXID among the LTX file names in `l0_dir` (Litestream's `DB.MaxLTX`): none
/// when the directory is absent or holds no LTX file (or only TXID 0).
fn max_local_txid(l0_dir: &Path) -> Result<Option<Txid>, OpsError> {
    let entries = match std::fs::read_dir(l0_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(OpsError::Io {
                operation: "list local L0 files in",
                path: l0_dir.to_path_buf(),
                source,
            });
        }
    };
    let mut max = None;
    for entry in entries {
        let entry = entry.map_err(|source| OpsError::Io {
            operation: "list local L0 files in",
            path: l0_dir.to_path_buf(),
            source,
        })?;
        if let Some(name) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<FileName>().ok())
        {
            max = max.max(Some(name.max_txid));
        }
    }
    Ok(max.filter(|t| *t > Txid::ZERO))
}
