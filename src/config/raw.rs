//! The configuration file as written: every key optional, nothing resolved yet.
//!
//! These shapes mirror the YAML one to one so that validation can tell "absent" from "set to the
//! default" (Litestream promotes a per-database snapshot setting only when the global one is
//! absent) and can point at the exact key. Unknown keys are rejected while reading. `resolve.rs`
//! turns a [`RawConfig`] into the public [`Config`](super::Config).

use serde::Deserialize;

use super::duration::GoDuration;
use super::keys::{Pair, keyed_struct};
use super::mcp_servers::McpServerConfig;
use super::replica::{ReplicaKeys, ReplicaSettings};
use super::secret::Secret;
use super::sections::{
    LevelConfig, LoggingConfig, RetentionConfig, SnapshotSettings, SocketConfig, UiConfig,
    ValidationConfig,
};
use super::size::ByteSize;

keyed_struct! {
    /// The top-level keys other than the replica settings.
    pub(crate) struct TopLevelKeys {
        /// Databases to replicate.
        "dbs" => pub dbs: Option<Vec<RawDb>>,
        /// Prometheus metrics bind address.
        "addr" => pub addr: Option<String>,
        /// MCP server bind address.
        "mcp-addr" => pub mcp_addr: Option<String>,
        /// Bearer token for the MCP server (ltx-tui).
        "mcp-token" => pub mcp_token: Option<Secret>,
        /// Directories MCP restores may write into (ltx-tui).
        "restore-dirs" => pub restore_dirs: Option<Vec<String>>,
        /// Attached MCP servers (ltx-tui).
        "mcp-servers" => pub mcp_servers: Option<Vec<McpServerConfig>>,
        /// Console preferences (ltx-tui).
        "ui" => pub ui: Option<UiConfig>,
        /// Command run alongside replication.
        "exec" => pub exec: Option<String>,
        /// Logging.
        "logging" => pub logging: Option<LoggingConfig>,
        /// Compaction levels L1…Ln.
        "levels" => pub levels: Option<Vec<LevelConfig>>,
        /// Snapshot interval and retention.
        "snapshot" => pub snapshot: Option<SnapshotSettings>,
        /// L0 retention after compaction.
        "l0-retention" => pub l0_retention: Option<GoDuration>,
        /// How often L0 retention runs.
        "l0-retention-check-interval" => pub l0_retention_check_interval: Option<GoDuration>,
        /// ltx-tui: window of the L0 roll-up (`0s` disables it).
        "l0-rollup" => pub l0_rollup: Option<GoDuration>,
        /// Remote retention switch.
        "retention" => pub retention: Option<RetentionConfig>,
        /// Periodic validation.
        "validation" => pub validation: Option<ValidationConfig>,
        /// Check TXID contiguity after compaction.
        "verify-compaction" => pub verify_compaction: Option<bool>,
        /// Heartbeat URL.
        "heartbeat-url" => pub heartbeat_url: Option<String>,
        /// Heartbeat interval.
        "heartbeat-interval" => pub heartbeat_interval: Option<GoDuration>,
        /// Total time to retry the final sync at shutdown.
        "shutdown-sync-timeout" => pub shutdown_sync_timeout: Option<GoDuration>,
        /// Delay between shutdown sync retries.
        "shutdown-sync-interval" => pub shutdown_sync_interval: Option<GoDuration>,
        /// Control socket.
        "socket" => pub socket: Option<SocketConfig>,
    }
}

/// The whole file: top-level keys plus the global replica settings.
pub(crate) type RawConfig = Pair<TopLevelKeys, ReplicaSettings>;

/// A replica mapping: its own keys plus replica settings.
pub(crate) type RawReplica = Pair<ReplicaKeys, ReplicaSettings>;

/// One `dbs` entry as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub(crate) struct RawDb {
    /// Database file.
    pub path: Option<String>,
    /// Directory of databases.
    pub dir: Option<String>,
    /// File name pattern within `dir`.
    pub pattern: Option<String>,
    /// Scan `dir` recursively.
    pub recursive: bool,
    /// Watch `dir` for new databases.
    pub watch: bool,
    /// Local metadata directory.
    pub meta_path: Option<String>,
    /// Base metadata directory for `dir` databases.
    pub meta_dir: Option<String>,
    /// WAL poll interval.
    pub monitor_interval: Option<GoDuration>,
    /// Time-based checkpoint interval.
    pub checkpoint_interval: Option<GoDuration>,
    /// SQLite busy timeout.
    pub busy_timeout: Option<GoDuration>,
    /// PASSIVE checkpoint threshold in pages.
    pub min_checkpoint_page_count: Option<u64>,
    /// TRUNCATE checkpoint threshold in pages.
    pub truncate_page_n: Option<u64>,
    /// WAL bytes per L0 file.
    pub max_sync_wal_bytes: Option<ByteSize>,
    /// ltx-tui: restart windows instead of the write barrier for fast-filling WALs.
    pub restart_windows: Option<bool>,
    /// Restore from the replica when the database is missing.
    pub restore_if_db_not_exists: bool,
    /// Per-database snapshot settings (promoted to global).
    pub snapshot: Option<SnapshotSettings>,
    /// The replica.
    pub replica: Option<RawReplica>,
    /// Deprecated list of replicas (at most one).
    pub replicas: Option<Vec<RawReplica>>,
}
