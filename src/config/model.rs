//! The resolved configuration: what the rest of ltx-tui reads.
//!
//! A [`Config`] has every Litestream default filled in, every path absolute, every replica's
//! settings merged with the top-level defaults, and the deprecated forms (`replicas:` lists,
//! per-database `snapshot`) normalised. It serializes back to YAML that parses again, with every
//! secret shown as `***` ([`Config::to_redacted_yaml`], used by `config check`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::defaults;
use super::duration::GoDuration;
use super::mcp_servers::McpServerConfig;
use super::replica::{ReplicaConfig, ReplicaSettings};
use super::secret::Secret;
use super::sections::{
    LevelConfig, LoggingConfig, RetentionConfig, SnapshotConfig, SocketConfig, UiConfig,
    ValidationConfig,
};
use super::size::ByteSize;

/// The whole configuration, resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Config {
    /// The file this configuration was read from.
    #[serde(skip)]
    pub origin: PathBuf,
    /// Prometheus `/metrics` bind address, if metrics are served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// MCP server bind address, if the MCP server runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_addr: Option<String>,
    /// Bearer token the MCP server requires (mandatory off loopback).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_token: Option<Secret>,
    /// Directories MCP restores may write into (absolute).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restore_dirs: Vec<PathBuf>,
    /// Command run alongside replication; replication stops when it exits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<String>,
    /// Logging (after the `LOG_LEVEL` override).
    pub logging: LoggingConfig,
    /// Compaction levels L1…Ln.
    pub levels: Vec<LevelConfig>,
    /// Snapshot interval and retention.
    pub snapshot: SnapshotConfig,
    /// How long L0 files are kept after compaction into L1.
    pub l0_retention: GoDuration,
    /// How often L0 retention runs.
    pub l0_retention_check_interval: GoDuration,
    /// ltx-tui's L0 roll-up window: uploaded L0 files older than about two windows are merged
    /// into one L0 file per window (zero disables it).
    pub l0_rollup: GoDuration,
    /// Remote retention switch.
    pub retention: RetentionConfig,
    /// Periodic validation.
    pub validation: ValidationConfig,
    /// Check TXID contiguity after each compaction.
    pub verify_compaction: bool,
    /// URL pinged when all databases synced recently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_url: Option<String>,
    /// Heartbeat ping interval.
    pub heartbeat_interval: GoDuration,
    /// Total time to retry the final sync at shutdown.
    pub shutdown_sync_timeout: GoDuration,
    /// Delay between shutdown sync retries.
    pub shutdown_sync_interval: GoDuration,
    /// Control socket.
    pub socket: SocketConfig,
    /// Replica settings given at the top level (defaults for every replica, already merged).
    #[serde(flatten)]
    pub replica_defaults: ReplicaSettings,
    /// Databases (or directories of databases) to replicate.
    pub dbs: Vec<DbConfig>,
    /// Attached MCP servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<McpServerConfig>,
    /// Console preferences.
    pub ui: UiConfig,
    /// S3 credentials from the environment, used when a replica has none.
    #[serde(skip)]
    pub env_credentials: EnvCredentials,
    /// Things worth telling the operator that are not errors (deprecated forms, ignored values).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Config {
    /// The configuration as YAML with defaults filled in and every secret shown as `***`.
    pub fn to_redacted_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        serde_yaml_ng::to_string(self)
    }

    /// The database configured with this (absolute) path, if any.
    pub fn db(&self, path: &Path) -> Option<&DbConfig> {
        self.dbs.iter().find(|d| d.path.as_deref() == Some(path))
    }
}

/// One `dbs` entry, resolved: a single database (`path`) or a directory of them (`dir`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct DbConfig {
    /// The database file (absolute, SQLite URI prefixes stripped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The directory scanned for databases (absolute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// File name pattern within `dir` (e.g. `*.db`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Scan `dir` recursively.
    #[serde(skip_serializing_if = "is_false")]
    pub recursive: bool,
    /// Watch `dir` and add or remove databases as they appear.
    #[serde(skip_serializing_if = "is_false")]
    pub watch: bool,
    /// Local metadata directory (default: `.<name>-litestream` next to the database).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_path: Option<PathBuf>,
    /// Base metadata directory for the databases of `dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_dir: Option<PathBuf>,
    /// WAL poll interval.
    pub monitor_interval: GoDuration,
    /// Time-based PASSIVE checkpoint interval (0 disables).
    pub checkpoint_interval: GoDuration,
    /// SQLite busy timeout.
    pub busy_timeout: GoDuration,
    /// WAL pages before a PASSIVE checkpoint.
    pub min_checkpoint_page_count: u64,
    /// WAL pages before an emergency TRUNCATE checkpoint.
    pub truncate_page_n: u64,
    /// WAL bytes per L0 file (0: unlimited).
    pub max_sync_wal_bytes: ByteSize,
    /// ltx-tui: PASSIVE checkpoints of a WAL that fills within a second open a restart window
    /// instead of taking the write barrier (`false`: always the barrier, as Litestream).
    #[serde(skip_serializing_if = "is_true")]
    pub restart_windows: bool,
    /// Restore the database from its replica when it does not exist.
    #[serde(skip_serializing_if = "is_false")]
    pub restore_if_db_not_exists: bool,
    /// The replica (from `replica`, or the single element of the deprecated `replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<ReplicaConfig>,
}

impl DbConfig {
    /// The local metadata directory: `meta-path`, else `.<name>-litestream` beside the database.
    pub fn effective_meta_path(&self) -> Option<PathBuf> {
        self.meta_path
            .clone()
            .or_else(|| self.path.as_deref().and_then(defaults::meta_path_for))
    }

    /// A short name for messages: the path, else the directory.
    pub fn display_name(&self) -> String {
        self.path
            .as_deref()
            .or(self.dir.as_deref())
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }
}

/// S3 credentials from the environment: `AWS_*`, else Litestream's `LITESTREAM_*` fallbacks.
///
/// Litestream copies `LITESTREAM_ACCESS_KEY_ID`/`LITESTREAM_SECRET_ACCESS_KEY` into the `AWS_*`
/// variables when those are unset; ltx-tui records the result here instead of changing the
/// process environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvCredentials {
    /// The access key id, and the variable it came from.
    pub access_key_id: Option<(String, &'static str)>,
    /// The secret access key, and the variable it came from.
    pub secret_access_key: Option<(Secret, &'static str)>,
}

/// serde helper: skip `false` booleans.
fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}
