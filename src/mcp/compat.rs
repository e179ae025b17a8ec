//! What Litestream's MCP tools answer that the operations surface does not have as such:
//! the `config` argument (Litestream passes a config path on every call), the older
//! `litestream_generations` and `litestream_snapshots` (answered from LTX data: an LTX replica
//! is one generation, and its snapshots are the L9 files), and ltx-tui's `ltx_lag` (the
//! running engine's replication figures, per database).

use std::path::Path;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ops::{self, LtxFileEntry, OpsContext, OpsError, ReplicationFigures, StatusParams};
use crate::storage::format_rfc3339_nano;

/// Checks Litestream's `config` argument: absent, empty, or naming the configuration this
/// server runs (compared as resolved paths, symlinks followed). Anything else is refused with
/// a message saying which file the server runs.
pub fn check_config_arg(ctx: &OpsContext, config: Option<&str>) -> Result<(), String> {
    let Some(asked) = config.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(());
    };
    let running = ctx.config(None).map_err(|e| e.to_string())?;
    let asked_path = ctx.resolve_path(asked);
    if same_file(&asked_path, &running.origin) {
        return Ok(());
    }
    Err(format!(
        "config {asked:?} is not the configuration this server runs ({}); omit `config` or pass \
         that path (a server answers for its own configuration only)",
        running.origin.display()
    ))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `litestream_generations`: an LTX replica is one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GenerationsResult {
    /// The database, when the replica was found through the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The replica URL (without secrets).
    pub replica_url: String,
    /// The generations (none for an empty replica, else one).
    pub generations: Vec<Generation>,
}

/// One generation (Litestream 0.3's `generations` columns, from the LTX files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Generation {
    /// The replica type (`file`, `s3`, …): Litestream's `name` column.
    pub name: String,
    /// The generation id: the lowest TXID of the replica (16 hex digits).
    pub generation: String,
    /// Seconds since the newest file was created.
    pub lag_seconds: f64,
    /// When the oldest file was created (RFC 3339).
    pub start: String,
    /// When the newest file was created (RFC 3339).
    pub end: String,
    /// The lowest TXID covered.
    pub min_txid: String,
    /// The highest TXID covered.
    pub max_txid: String,
    /// LTX files at all levels.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// The generations of `path`'s replica.
pub async fn generations(ctx: &OpsContext, path: &str) -> Result<GenerationsResult, OpsError> {
    let target = ctx.replica(path, None)?;
    let files = target
        .client
        .list_all()
        .await
        .map_err(|source| OpsError::Replica {
            operation: "list LTX files",
            replica: target.url.clone(),
            source: Box::new(source),
        })?;
    let mut generations = Vec::new();
    if let (Some(min), Some(max), Some(start), Some(end)) = (
        files.iter().map(|f| f.min_txid).min(),
        files.iter().map(|f| f.max_txid).max(),
        files.iter().map(|f| f.created_at).min(),
        files.iter().map(|f| f.created_at).max(),
    ) {
        generations.push(Generation {
            name: target.client.replica_type().to_owned(),
            generation: min.to_string(),
            lag_seconds: seconds_since(end),
            start: format_rfc3339_nano(start),
            end: format_rfc3339_nano(end),
            min_txid: min.to_string(),
            max_txid: max.to_string(),
            files: files.len() as u64,
            bytes: files.iter().map(|f| f.size).sum(),
        });
    }
    Ok(GenerationsResult {
        database: target.db_path.map(|p| p.display().to_string()),
        replica_url: target.url,
        generations,
    })
}

fn seconds_since(t: DateTime<Utc>) -> f64 {
    let ms = (Utc::now() - t).num_milliseconds().max(0);
    ms as f64 / 1000.0
}

/// `litestream_snapshots`: the L9 files of a replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotsResult {
    /// The database, when the replica was found through the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The replica URL (without secrets).
    pub replica_url: String,
    /// The snapshots (level 9 files), by TXID.
    pub snapshots: Vec<LtxFileEntry>,
}

/// The snapshots of `path`'s replica.
pub async fn snapshots(ctx: &OpsContext, path: &str) -> Result<SnapshotsResult, OpsError> {
    let params = ops::LtxParams {
        path: path.to_owned(),
        level: Some(ops::MAX_LEVEL.to_string()),
        ..ops::LtxParams::default()
    };
    let listed = ops::ltx(ctx, &params).await?;
    Ok(SnapshotsResult {
        database: listed.database,
        replica_url: listed.replica_url,
        snapshots: listed.files,
    })
}

/// `ltx_lag`: how far each replica is behind its database, from the running engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LagResult {
    /// One entry per database, in configuration order.
    pub databases: Vec<LagEntry>,
}

/// The lag of one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LagEntry {
    /// The database path.
    pub database: String,
    /// The engine's figures (absent when the engine does not replicate this database).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<ReplicationFigures>,
}

/// The lag of the configured databases (or `path` alone); needs a running engine.
pub async fn lag(ctx: &OpsContext, path: Option<String>) -> Result<LagResult, String> {
    if ctx.engine().is_none() {
        return Err(
            "ltx_lag needs the running engine: this server has none (start it with \
                    `ltx-tui --headless --mcp-addr ADDR` or from the console)"
                .to_owned(),
        );
    }
    let status = ops::status(ctx, &StatusParams { config: None, path })
        .await
        .map_err(|e| e.to_string())?;
    Ok(LagResult {
        databases: status
            .databases
            .into_iter()
            .map(|d| LagEntry {
                database: d.database,
                replication: d.replication,
            })
            .collect(),
    })
}
