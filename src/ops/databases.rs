//! `databases`: the databases of the configuration with their replica type and URL
//! (Litestream's `litestream databases` and MCP tool `litestream_databases`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tabwriter::litestream_table;
use super::{OpsContext, OpsError};
use crate::config::{DbConfig, ReplicaConfig};
use crate::engine::{display_url, replica_spec};

/// Parameters of `databases`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatabasesParams {
    /// Configuration file; default: the context's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// The configured databases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatabasesResult {
    /// The configuration file read.
    pub config_path: String,
    /// One entry per `dbs` entry, in configuration order.
    pub databases: Vec<DatabaseEntry>,
}

/// One configured database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseEntry {
    /// The database path (or the directory of a `dir:` entry).
    pub path: String,
    /// The replica type as Litestream names it (`file`, `s3`, `gs`, `abs`, …), or `-`.
    pub replica: String,
    /// The replica URL without secrets, when it can be formed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_url: Option<String>,
}

/// A row of `litestream databases -json`, keys in Litestream's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LitestreamDatabaseRow {
    /// The database path.
    pub path: String,
    /// The replica type.
    pub replica: String,
}

impl DatabasesResult {
    /// The table `litestream databases` prints: `path  replica`.
    pub fn table(&self) -> String {
        let mut rows = vec![vec!["path".to_owned(), "replica".to_owned()]];
        rows.extend(
            self.databases
                .iter()
                .map(|d| vec![d.path.clone(), d.replica.clone()]),
        );
        litestream_table(&rows)
    }

    /// The rows `litestream databases -json` prints: `[{"path", "replica"}]`.
    pub fn litestream_json(&self) -> Vec<LitestreamDatabaseRow> {
        self.databases
            .iter()
            .map(|d| LitestreamDatabaseRow {
                path: d.path.clone(),
                replica: d.replica.clone(),
            })
            .collect()
    }
}

/// The databases of the configuration.
pub fn databases(ctx: &OpsContext, params: &DatabasesParams) -> Result<DatabasesResult, OpsError> {
    let config = ctx.config(params.config.as_deref())?;
    Ok(DatabasesResult {
        config_path: config.origin.display().to_string(),
        databases: config.dbs.iter().map(entry).collect(),
    })
}

fn entry(db: &DbConfig) -> DatabaseEntry {
    DatabaseEntry {
        path: db.display_name(),
        replica: db
            .replica
            .as_ref()
            .map_or_else(|| "-".to_owned(), |r| r.replica_type.name().to_owned()),
        replica_url: db.replica.as_ref().and_then(replica_url),
    }
}

/// The URL of a configured replica, without secrets.
pub(crate) fn replica_url(replica: &ReplicaConfig) -> Option<String> {
    if let Some(url) = &replica.url {
        return Some(url.redacted());
    }
    replica_spec(replica)
        .ok()
        .map(|spec| display_url(replica, &spec))
}
