//! The engine's Prometheus counters and gauges, under Litestream 0.5's names, types and labels
//! (`ref/ltx-litestream.md` §5.1), plus ltx-tui's replication-lag gauges that Litestream lacks.
//!
//! Each database task owns one [`DbMetrics`] (shared through an `Arc`) and updates it after
//! every sync, checkpoint, L0-retention pass and compaction verification; an update is one
//! uncontended mutex lock. The replica-operation families come from each replica client's
//! [`ReplicaMetrics`]. [`EngineMetrics`] holds both for every database and copies them into an
//! [`EngineMetricsSnapshot`] on each scrape; `metrics_text.rs` renders that snapshot as the
//! Prometheus text format. There is no global registry: two engines in one process (tests, or
//! the console next to a headless engine) keep separate numbers.
//!
//! As in Litestream: a sync counts whether it succeeds or not, `litestream_wal_size` is the
//! logical synced WAL size (the offset the last sync reached), `litestream_total_wal_bytes`
//! adds the WAL span of every L0 file written, `litestream_disk_full` is set by each sync (1
//! when it failed with ENOSPC/EDQUOT, 0 otherwise), a checkpoint counts whether it succeeds or
//! not, and a compaction verification that finds a gap or overlap (or cannot list the level)
//! counts one error.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::ltx::Txid;
use crate::sqlite::CheckpointMode;
use crate::storage::{MetricsSnapshot, ReplicaMetrics};

use super::db_sync::{CheckpointFailure, SyncReport};
use super::error::EngineError;
use super::retention::L0RetentionReport;
use super::status::Lag;

/// Checkpoint modes exported with zero values before they first run, so that `increase()`
/// over a fresh process sees the first error (the engine runs these two by itself).
const SEEDED_CHECKPOINT_MODES: [CheckpointMode; 2] =
    [CheckpointMode::Passive, CheckpointMode::Truncate];

/// Counters of one checkpoint mode of one database.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CheckpointCounters {
    /// Checkpoints attempted (`litestream_checkpoint_count`).
    pub count: u64,
    /// Checkpoints that failed (`litestream_checkpoint_error_count`).
    pub errors: u64,
    /// Seconds spent checkpointing (`litestream_checkpoint_seconds`).
    pub seconds: f64,
}

/// L0 files by status in the last L0-retention pass (`litestream_l0_retention_files_total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L0RetentionCounts {
    /// Old enough and covered by level 1: selected for deletion.
    pub eligible: u64,
    /// Old enough but not yet compacted into level 1.
    pub not_compacted: u64,
    /// Younger than `l0-retention`.
    pub too_recent: u64,
}

/// Every exported number of one database at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbCounters {
    /// The `db` label: the database path.
    pub db: String,
    /// Database file size in bytes after the last sync (`litestream_db_size`).
    pub db_size: u64,
    /// Logical synced WAL size in bytes (`litestream_wal_size`).
    pub wal_size: u64,
    /// WAL bytes converted into L0 files (`litestream_total_wal_bytes`).
    pub total_wal_bytes: u64,
    /// Local TXID after the last successful sync (`litestream_txid`).
    pub txid: u64,
    /// Syncs attempted (`litestream_sync_count`).
    pub sync_count: u64,
    /// Syncs that failed (`litestream_sync_error_count`).
    pub sync_error_count: u64,
    /// Seconds spent syncing (`litestream_sync_seconds`).
    pub sync_seconds: f64,
    /// True while the last sync failed with a full disk (`litestream_disk_full`).
    pub disk_full: bool,
    /// Checkpoint counters by mode name (`PASSIVE`, `TRUNCATE`, …).
    pub checkpoints: BTreeMap<&'static str, CheckpointCounters>,
    /// Compaction verifications that failed (`litestream_compaction_verify_error_count`).
    pub compaction_verify_error_count: u64,
    /// The last L0-retention pass, once one ran.
    pub l0_retention: Option<L0RetentionCounts>,
    /// Seconds since the oldest change not yet in the replica (`ltx_replication_lag_seconds`).
    pub lag_seconds: f64,
    /// Bytes written locally but not yet in the replica (`ltx_replication_pending_bytes`).
    pub pending_bytes: u64,
    /// TXIDs written locally but not yet in the replica (`ltx_replication_pending_txids`).
    pub pending_txids: u64,
    /// Highest TXID known to be in the replica (`ltx_replica_txid`).
    pub replica_txid: u64,
}

impl DbCounters {
    /// Zeroed counters for database `db`, with the seeded checkpoint modes present.
    pub fn new(db: String) -> DbCounters {
        DbCounters {
            db,
            checkpoints: SEEDED_CHECKPOINT_MODES
                .iter()
                .map(|m| (m.as_str(), CheckpointCounters::default()))
                .collect(),
            ..DbCounters::default()
        }
    }
}

#[derive(Debug)]
struct LiveDb {
    counters: DbCounters,
    /// When the oldest change not yet in the replica was seen; lag grows from it per scrape.
    lag_since: Option<Instant>,
}

/// The live counters of one database, updated by its task.
#[derive(Debug)]
pub struct DbMetrics {
    live: Mutex<LiveDb>,
}

impl DbMetrics {
    /// Zeroed counters labelled with `db`'s path.
    pub fn new(db: &Path) -> DbMetrics {
        DbMetrics {
            live: Mutex::new(LiveDb {
                counters: DbCounters::new(db.display().to_string()),
                lag_since: None,
            }),
        }
    }

    /// Records one sync that took `elapsed`: its report, or its error; `txid` is the local
    /// position after it.
    pub fn record_sync(
        &self,
        elapsed: Duration,
        outcome: Result<&SyncReport, &EngineError>,
        txid: Option<Txid>,
    ) {
        let mut live = self.lock();
        let c = &mut live.counters;
        c.sync_count += 1;
        c.sync_seconds += elapsed.as_secs_f64();
        match outcome {
            Ok(report) => {
                c.disk_full = false;
                c.db_size = report.db_size;
                c.wal_size = report.synced_wal_offset;
                c.total_wal_bytes += report.files.iter().map(|f| f.wal_bytes).sum::<u64>();
                for checkpoint in &report.checkpoints {
                    let counters = c.checkpoints.entry(checkpoint.mode.as_str()).or_default();
                    counters.count += 1;
                    counters.seconds += checkpoint.duration.as_secs_f64();
                }
                if let Some(txid) = txid {
                    c.txid = txid.0;
                }
            }
            Err(e) => {
                c.sync_error_count += 1;
                c.disk_full = e.is_disk_full();
            }
        }
    }

    /// Records a checkpoint that failed.
    pub fn record_checkpoint_failure(&self, failure: &CheckpointFailure) {
        let mut live = self.lock();
        let counters = live
            .counters
            .checkpoints
            .entry(failure.mode.as_str())
            .or_default();
        counters.count += 1;
        counters.errors += 1;
        counters.seconds += failure.duration.as_secs_f64();
    }

    /// Records the outcome of an L0-retention pass (one that stopped early because level 1
    /// is empty classified no file and changes nothing).
    pub fn record_l0_retention(&self, report: &L0RetentionReport) {
        if report.max_l1_txid == Txid::ZERO {
            return;
        }
        self.lock().counters.l0_retention = Some(L0RetentionCounts {
            eligible: report.deletion.files.len() as u64,
            not_compacted: report.not_compacted as u64,
            too_recent: report.too_recent as u64,
        });
    }

    /// Records a compaction verification that failed.
    pub fn record_compaction_verify_error(&self) {
        self.lock().counters.compaction_verify_error_count += 1;
    }

    /// Records the replication position as the task publishes it: the replica TXID (kept when
    /// unknown), when the oldest change not yet in the replica was seen, and the lag figure.
    pub fn record_replication(
        &self,
        replica_txid: Option<Txid>,
        lag_since: Option<Instant>,
        lag: &Lag,
    ) {
        let mut live = self.lock();
        live.lag_since = lag_since;
        let c = &mut live.counters;
        if let Some(txid) = replica_txid {
            c.replica_txid = txid.0;
        }
        c.pending_bytes = lag.pending_bytes;
        c.pending_txids = lag.pending_txids;
    }

    /// A copy of the counters as of `now` (lag seconds are computed for that moment).
    pub fn snapshot(&self, now: Instant) -> DbCounters {
        let live = self.lock();
        let mut counters = live.counters.clone();
        counters.lag_seconds = live.lag_since.map_or(0.0, |since| {
            now.saturating_duration_since(since).as_secs_f64()
        });
        counters
    }

    fn lock(&self) -> MutexGuard<'_, LiveDb> {
        // Counters stay meaningful even if an updater panicked mid-update.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every number one scrape exports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineMetricsSnapshot {
    /// One entry per database, in configuration order.
    pub databases: Vec<DbCounters>,
    /// One entry per replica client (several may share a `replica_type`).
    pub replicas: Vec<MetricsSnapshot>,
}

/// The live metrics of a running engine: each database's counters and its replica client's
/// operation counters. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct EngineMetrics {
    databases: Vec<Arc<DbMetrics>>,
    replicas: Vec<Arc<ReplicaMetrics>>,
}

impl EngineMetrics {
    /// Metrics over the given databases and replica clients.
    pub fn new(databases: Vec<Arc<DbMetrics>>, replicas: Vec<Arc<ReplicaMetrics>>) -> Self {
        EngineMetrics {
            databases,
            replicas,
        }
    }

    /// The counters of the database at `index` (configuration order).
    pub fn database(&self, index: usize) -> Option<&Arc<DbMetrics>> {
        self.databases.get(index)
    }

    /// A copy of every number as of `now`.
    pub fn snapshot(&self, now: Instant) -> EngineMetricsSnapshot {
        EngineMetricsSnapshot {
            databases: self.databases.iter().map(|d| d.snapshot(now)).collect(),
            replicas: self.replicas.iter().map(|r| r.snapshot()).collect(),
        }
    }

    /// The Prometheus text exposition of every number, as of now.
    pub fn render(&self) -> String {
        super::metrics_text::render(&self.snapshot(Instant::now()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::engine::SyncedFile;
    use crate::engine::db_sync::CheckpointReport;
    use crate::sqlite::CheckpointResult;

    fn report() -> SyncReport {
        let file = |txid, wal_bytes| SyncedFile {
            txid: Txid(txid),
            bytes: 100,
            wal_bytes,
            commit: 2,
            snapshot: None,
        };
        SyncReport {
            files: vec![file(4, 4152), file(5, 8304)],
            checkpoints: vec![CheckpointReport {
                mode: CheckpointMode::Passive,
                result: CheckpointResult {
                    busy: false,
                    log_frames: 3,
                    checkpointed_frames: 3,
                },
                restarted: true,
                duration: Duration::from_millis(250),
                window: false,
            }],
            wal_size: 12_488,
            db_size: 8192,
            unsynced_wal_bytes: 0,
            synced_wal_offset: 12_488,
        }
    }

    #[test]
    fn a_sync_updates_sizes_txid_wal_bytes_and_checkpoints() {
        let m = DbMetrics::new(Path::new("/data/app.db"));
        m.record_sync(Duration::from_millis(500), Ok(&report()), Some(Txid(5)));
        let c = m.snapshot(Instant::now());
        assert_eq!(c.db, "/data/app.db");
        assert_eq!((c.db_size, c.wal_size, c.txid), (8192, 12_488, 5));
        assert_eq!(c.total_wal_bytes, 4152 + 8304);
        assert_eq!((c.sync_count, c.sync_error_count), (1, 0));
        assert_eq!(c.sync_seconds, 0.5);
        let passive = c.checkpoints["PASSIVE"];
        assert_eq!(
            (passive.count, passive.errors, passive.seconds),
            (1, 0, 0.25)
        );
        assert_eq!(c.checkpoints["TRUNCATE"], CheckpointCounters::default());
    }

    #[test]
    fn a_failed_sync_counts_an_error_and_sets_disk_full_until_a_success() {
        let m = DbMetrics::new(Path::new("/d.db"));
        let full = EngineError::io(
            "writing L0 file",
            Path::new("/d.db-litestream/ltx/0/x.tmp"),
            std::io::Error::from_raw_os_error(28),
        );
        m.record_sync(Duration::ZERO, Err(&full), None);
        let c = m.snapshot(Instant::now());
        assert_eq!(
            (c.sync_count, c.sync_error_count, c.disk_full),
            (1, 1, true)
        );
        let other = EngineError::Config("boom".into());
        m.record_sync(Duration::ZERO, Err(&other), None);
        assert!(!m.snapshot(Instant::now()).disk_full);
        m.record_sync(Duration::ZERO, Err(&full), None);
        m.record_sync(Duration::ZERO, Ok(&SyncReport::default()), None);
        let c = m.snapshot(Instant::now());
        assert_eq!(
            (c.sync_count, c.sync_error_count, c.disk_full),
            (4, 3, false)
        );
    }

    #[test]
    fn checkpoint_failures_count_as_attempts_and_errors() {
        let m = DbMetrics::new(Path::new("/d.db"));
        m.record_checkpoint_failure(&CheckpointFailure {
            mode: CheckpointMode::Restart,
            duration: Duration::from_millis(10),
        });
        let c = m.snapshot(Instant::now());
        assert_eq!(
            c.checkpoints["RESTART"],
            CheckpointCounters {
                count: 1,
                errors: 1,
                seconds: 0.01
            }
        );
    }

    #[test]
    fn lag_seconds_grow_per_scrape_until_the_replica_catches_up() {
        let m = DbMetrics::new(Path::new("/d.db"));
        let t0 = Instant::now();
        let lag = Lag {
            seconds: 0.0,
            pending_bytes: 4096,
            pending_txids: 2,
        };
        m.record_replication(Some(Txid(7)), Some(t0), &lag);
        let c = m.snapshot(t0 + Duration::from_millis(1500));
        assert_eq!(c.lag_seconds, 1.5);
        assert_eq!(
            (c.pending_bytes, c.pending_txids, c.replica_txid),
            (4096, 2, 7)
        );
        // An unknown replica position keeps the last known one.
        m.record_replication(None, None, &Lag::default());
        let c = m.snapshot(t0 + Duration::from_secs(9));
        assert_eq!(
            (c.lag_seconds, c.replica_txid, c.pending_txids),
            (0.0, 7, 0)
        );
    }
}
