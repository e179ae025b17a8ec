//! `info`: one report of everything — version, configuration file, the databases, and per
//! database its status and a summary of its replica by level (Litestream's MCP tool
//! `litestream_info`, which runs `version`, `databases` and `ltx` for each database).
//!
//! A replica that cannot be read does not fail the report: its summary carries the error.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::databases::{DatabaseEntry, DatabasesParams, databases};
use super::status::{DatabaseStatusEntry, StatusParams, status};
use super::timestamp::rfc3339_opt;
use super::version::{VersionParams, VersionResult, version};
use super::{OpsContext, OpsError};
use crate::ltx::Txid;
use crate::storage::LtxFileInfo;

/// Parameters of `info` (Litestream's MCP `litestream_info`: `config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InfoParams {
    /// Configuration file; default: the context's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Skip listing the replicas (the report then has no level summaries).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_replicas: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InfoResult {
    /// Version and compatibility.
    pub version: VersionResult,
    /// The configuration file read.
    pub config_path: String,
    /// The configured databases.
    pub databases: Vec<DatabaseEntry>,
    /// Per database: status and replica summary.
    pub summaries: Vec<DatabaseSummary>,
}

/// One database in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseSummary {
    /// Local status (and the engine's figures when one runs).
    pub status: DatabaseStatusEntry,
    /// The replica's files, summarised per level (empty when skipped or unreadable).
    pub levels: Vec<LevelSummary>,
    /// Why the replica could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_error: Option<String>,
}

/// The files of one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LevelSummary {
    /// The level.
    pub level: u8,
    /// How many files.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The lowest TXID covered.
    #[schemars(with = "String")]
    pub min_txid: Txid,
    /// The highest TXID covered.
    #[schemars(with = "String")]
    pub max_txid: Txid,
    /// When the newest file was created.
    #[serde(with = "rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub newest: Option<DateTime<Utc>>,
}

/// Summarises a listing per level.
pub fn level_summaries(files: &[LtxFileInfo]) -> Vec<LevelSummary> {
    let mut by_level: BTreeMap<u8, LevelSummary> = BTreeMap::new();
    for f in files {
        let s = by_level.entry(f.level).or_insert(LevelSummary {
            level: f.level,
            files: 0,
            bytes: 0,
            min_txid: f.min_txid,
            max_txid: f.max_txid,
            newest: None,
        });
        s.files += 1;
        s.bytes += f.size;
        s.min_txid = s.min_txid.min(f.min_txid);
        s.max_txid = s.max_txid.max(f.max_txid);
        s.newest = s.newest.max(Some(f.created_at));
    }
    by_level.into_values().collect()
}

/// The report.
pub async fn info(ctx: &OpsContext, params: &InfoParams) -> Result<InfoResult, OpsError> {
    let listed = databases(
        ctx,
        &DatabasesParams {
            config: params.config.clone(),
        },
    )?;
    let statuses = status(
        ctx,
        &StatusParams {
            config: params.config.clone(),
            path: None,
        },
    )
    .await?;
    let mut summaries = Vec::new();
    for entry in statuses.databases {
        let mut summary = DatabaseSummary {
            status: entry,
            levels: Vec::new(),
            replica_error: None,
        };
        if !params.skip_replicas {
            let listing = match ctx.replica(&summary.status.database, params.config.as_deref()) {
                Ok(target) => target.client.list_all().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match listing {
                Ok(files) => summary.levels = level_summaries(&files),
                Err(e) => summary.replica_error = Some(e),
            }
        }
        summaries.push(summary);
    }
    Ok(InfoResult {
        version: version(&VersionParams::default()),
        config_path: listed.config_path,
        databases: listed.databases,
        summaries,
    })
}
