//! Litestream 0.5's default values, and ltx-tui's own, in one place.
//!
//! Each constant names the key it is the default for. The values come from Litestream's
//! `DefaultConfig`, `db.go`, `replica.go`, `store.go` and `compaction_level.go` (see
//! `ref/ltx-litestream.md` §2.1); the resolved [`Config`](super::Config) has them filled in.

use std::path::Path;

use super::duration::GoDuration;
use super::size::ByteSize;

/// `monitor-interval`: how often the WAL is polled.
pub const MONITOR_INTERVAL: GoDuration = GoDuration::from_secs(1);
/// `sync-interval`: how often L0 files are uploaded.
pub const SYNC_INTERVAL: GoDuration = GoDuration::from_secs(1);
/// `busy-timeout`: the SQLite busy timeout.
pub const BUSY_TIMEOUT: GoDuration = GoDuration::from_secs(1);
/// `min-checkpoint-page-count`: WAL pages before a PASSIVE checkpoint.
pub const MIN_CHECKPOINT_PAGE_COUNT: u64 = 1000;
/// `restart-windows` (ltx-tui): restart windows for fast-filling WALs (see the engine).
pub const RESTART_WINDOWS: bool = true;
/// `truncate-page-n`: WAL pages before an emergency TRUNCATE checkpoint (0 means this).
pub const TRUNCATE_PAGE_N: u64 = 121_359;
/// `checkpoint-interval`: time-based PASSIVE checkpoint (0 disables).
pub const CHECKPOINT_INTERVAL: GoDuration = GoDuration::from_mins(1);
/// `levels`: the compaction intervals of L1, L2 and L3.
pub const LEVEL_INTERVALS: [GoDuration; 3] = [
    GoDuration::from_secs(30),
    GoDuration::from_mins(5),
    GoDuration::from_hours(1),
];
/// The most compaction levels `levels` may list (level 9 is the snapshot level).
pub const MAX_LEVELS: usize = 8;
/// `snapshot.interval`: how often a level-9 snapshot is written.
pub const SNAPSHOT_INTERVAL: GoDuration = GoDuration::from_hours(24);
/// `snapshot.retention`: how long snapshots are kept.
pub const SNAPSHOT_RETENTION: GoDuration = GoDuration::from_hours(24);
/// `l0-retention`: how long L0 files are kept after compaction into L1.
pub const L0_RETENTION: GoDuration = GoDuration::from_mins(5);
/// `l0-retention-check-interval`: how often L0 retention runs.
pub const L0_RETENTION_CHECK_INTERVAL: GoDuration = GoDuration::from_secs(15);
/// `l0-rollup` (ltx-tui): L0 files are merged per this window once it is two windows old, so
/// L0 holds about as many files and bytes as Litestream's once-a-second syncs make, while
/// each commit still reaches the replica within milliseconds.
pub const L0_ROLLUP: GoDuration = GoDuration::from_secs(1);
/// `shutdown-sync-timeout`: total time to retry the final sync at shutdown.
pub const SHUTDOWN_SYNC_TIMEOUT: GoDuration = GoDuration::from_secs(30);
/// `shutdown-sync-interval`: delay between shutdown sync retries.
pub const SHUTDOWN_SYNC_INTERVAL: GoDuration = GoDuration::from_millis(500);
/// `max-sync-ltx-files`: L0 files uploaded per replica sync run.
pub const MAX_SYNC_LTX_FILES: u64 = 256;
/// `max-sync-wal-bytes`: WAL bytes per L0 file (0 means unlimited).
pub const MAX_SYNC_WAL_BYTES: ByteSize = ByteSize::from_mib(64);
/// `heartbeat-interval`: how often the heartbeat URL is pinged.
pub const HEARTBEAT_INTERVAL: GoDuration = GoDuration::from_mins(5);
/// The smallest `heartbeat-interval` Litestream accepts.
pub const MIN_HEARTBEAT_INTERVAL: GoDuration = GoDuration::from_mins(1);
/// `socket.path`: the control socket.
pub const SOCKET_PATH: &str = "/var/run/litestream.sock";
/// `socket.permissions`: the control socket's file mode.
pub const SOCKET_PERMISSIONS: u32 = 0o600;
/// `logging.level`.
pub const LOG_LEVEL: &str = "info";
/// `ui.theme`.
pub const UI_THEME: &str = "default";
/// `mcp-servers[].timeout`: how long a call to an attached MCP server may take.
pub const MCP_SERVER_TIMEOUT: GoDuration = GoDuration::from_secs(30);
/// The longest `mcp-servers[].name` (names become tool-name prefixes).
pub const MCP_SERVER_NAME_MAX: usize = 32;

/// The default local metadata directory of a database: `/dir/.name-litestream`.
pub fn meta_path_for(db: &Path) -> Option<std::path::PathBuf> {
    let name = db.file_name()?.to_string_lossy();
    Some(db.with_file_name(format!(".{name}-litestream")))
}
