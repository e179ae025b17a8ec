//! One task per database: it wakes on WAL change notifications (with polling as the
//! fallback), syncs new frames into L0 files, uploads them, takes snapshots, answers
//! commands, backs off after errors, and makes a final sync at shutdown.
//!
//! Blocking work (SQLite, files, encoding) runs on tokio's blocking pool; the task keeps its
//! [`DbSync`] and hands it over for each blocking call.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tokio::sync::{Notify, broadcast, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::ltx::{FileName, Header, Txid};
use crate::storage::ReplicaClient;

use chrono::Utc;

use super::backoff::Backoff;
use super::command::EngineCommand;
use super::compaction::{SNAPSHOT_LEVEL, compact_level};
use super::db_sync::{DbSync, SyncReport, now_ms};
use super::error::EngineError;
use super::event::EngineEvent;
use super::l0_rollup::{RollupQueue, Uploaded, merge_group};
use super::lag::LagTracker;
use super::level_contiguity::verify_level_contiguity;
use super::level_schedule::LevelSchedule;
use super::meta_dir::sync_dir;
use super::metrics::{DbMetrics, EngineMetrics};
use super::retention::{enforce_l0_retention, enforce_snapshot_retention};
use super::status::{DatabaseStatus, EngineSnapshot, ReplicationState};
use super::wal_watcher::WalWatcher;

/// Everything one database task needs, resolved from the configuration.
#[derive(Debug, Clone)]
pub struct DbTaskParams {
    /// Position of this database in [`EngineSnapshot::databases`].
    pub index: usize,
    /// Absolute database path.
    pub db_path: PathBuf,
    /// Meta directory override.
    pub meta_path: Option<PathBuf>,
    /// Sync and checkpoint settings.
    pub sync: super::db_sync::SyncSettings,
    /// Polling fallback: the longest time between two looks at the WAL.
    pub monitor_interval: Duration,
    /// Shortest time between two syncs, so a write storm is batched.
    pub min_sync_interval: Duration,
    /// L9 snapshot interval (`None`: off).
    pub snapshot_interval: Option<Duration>,
    /// L9 snapshot retention (`None`: keep every snapshot).
    pub snapshot_retention: Option<Duration>,
    /// Compaction intervals of L1, L2, … (Litestream's `levels`).
    pub levels: Vec<Duration>,
    /// How long L0 files are kept once compacted into L1.
    pub l0_retention: Duration,
    /// How often L0 retention runs.
    pub l0_retention_check_interval: Duration,
    /// The L0 roll-up window (`None`: off); see [`super::l0_rollup`].
    pub l0_rollup: Option<Duration>,
    /// `retention.enabled`: false keeps every remote file (local cleanup still happens).
    pub retention_enabled: bool,
    /// `verify-compaction`: check level contiguity after each compaction.
    pub verify_compaction: bool,
    /// Total time the final sync at shutdown keeps retrying.
    pub shutdown_sync_timeout: Duration,
    /// Delay between those retries.
    pub shutdown_sync_interval: Duration,
    /// Replica URL without secrets, for display and errors.
    pub replica_url: String,
}

/// The channels every task publishes on.
#[derive(Debug)]
pub struct Shared {
    /// The latest state of every database.
    pub snapshot: watch::Sender<EngineSnapshot>,
    /// Discrete events (lagging receivers lose the oldest).
    pub events: broadcast::Sender<EngineEvent>,
    /// Every database's Prometheus counters (each task updates the one at its index).
    pub metrics: EngineMetrics,
}

/// The task's state.
pub struct DbTask {
    p: DbTaskParams,
    shared: Arc<Shared>,
    client: Arc<ReplicaClient>,
    sync: Option<DbSync>,
    initialized: bool,
    replica_txid: Option<Txid>,
    pending_sizes: BTreeMap<u64, u64>,
    /// The newest level-9 snapshot this task uploaded or saw; its disappearance means the
    /// replica was wiped.
    known_snapshot: Option<Txid>,
    /// Uploaded L0 files waiting for the roll-up, and when it next runs.
    rollup: RollupQueue,
    next_rollup: tokio::time::Instant,
    /// The newest level-1 MaxTXID, once known (the roll-up never merges across it).
    level1_max: Option<Txid>,
    lag: LagTracker,
    backoff: Backoff,
    paused: bool,
    retry_at: Option<tokio::time::Instant>,
    /// When the last successful sync started.
    last_sync_at: Option<tokio::time::Instant>,
    /// True when the last sync found new frames (or an open transaction's): the WAL is being
    /// written, so the task syncs again one batch interval later without waiting for a file
    /// notification, and keeps the watch paused meanwhile.
    busy: bool,
    /// Whether the last sync found anything new (see `busy`).
    last_sync_found: bool,
    next_snapshot: Option<tokio::time::Instant>,
    snapshot_schedule: Option<LevelSchedule>,
    /// Per compaction level (index 0 is L1): its schedule and next run.
    level_schedules: Vec<(LevelSchedule, tokio::time::Instant)>,
    next_l0_retention: tokio::time::Instant,
    status: DatabaseStatus,
    metrics: Arc<DbMetrics>,
}

impl DbTask {
    /// Prepares the task; nothing is opened until it runs.
    pub fn new(
        p: DbTaskParams,
        shared: Arc<Shared>,
        client: Arc<ReplicaClient>,
    ) -> Result<Self, EngineError> {
        let sync = DbSync::new(p.db_path.clone(), p.meta_path.clone(), p.sync.clone())?;
        let status = DatabaseStatus::new(
            p.db_path.clone(),
            client.replica_type().to_string(),
            p.replica_url.clone(),
        );
        let backoff = Backoff::new(p.monitor_interval.max(Duration::from_millis(100)));
        let metrics = shared
            .metrics
            .database(p.index)
            .cloned()
            .unwrap_or_else(|| Arc::new(DbMetrics::new(&p.db_path)));
        Ok(DbTask {
            p,
            shared,
            client,
            sync: Some(sync),
            initialized: false,
            replica_txid: None,
            pending_sizes: BTreeMap::new(),
            known_snapshot: None,
            rollup: RollupQueue::default(),
            next_rollup: tokio::time::Instant::now(),
            level1_max: None,
            lag: LagTracker::default(),
            backoff,
            paused: false,
            retry_at: None,
            last_sync_at: None,
            busy: false,
            last_sync_found: false,
            next_snapshot: None,
            snapshot_schedule: None,
            level_schedules: Vec::new(),
            next_l0_retention: tokio::time::Instant::now(),
            status,
            metrics,
        })
    }

    /// Runs until `shutdown` is cancelled, then makes the final sync and returns.
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<EngineCommand>,
        shutdown: CancellationToken,
    ) {
        let changed = Arc::new(Notify::new());
        let mut watcher = WalWatcher::start(&self.p.db_path, Arc::clone(&changed));
        if let Err(e) = &watcher {
            tracing::warn!(db = %self.p.db_path.display(), "file notifications unavailable, polling only: {e}");
        }
        // Every level and the snapshot level run once at start, then on their UTC-aligned
        // interval boundaries, as Litestream schedules them.
        let start = tokio::time::Instant::now();
        // Each schedule's first `next_run` is "now": consume it here, so the runs below are
        // scheduled on the following boundaries instead of being due again at once.
        let started = |interval: Duration| {
            let mut schedule = LevelSchedule::new(interval);
            let _ = schedule.next_run(Utc::now());
            schedule
        };
        self.snapshot_schedule = self.p.snapshot_interval.map(started);
        self.next_snapshot = self.p.snapshot_interval.map(|_| start);
        self.level_schedules = self.p.levels.iter().map(|i| (started(*i), start)).collect();
        self.next_l0_retention = start + self.p.l0_retention_check_interval;
        self.next_rollup = start + self.p.l0_rollup.unwrap_or_default();
        self.step(true).await;
        loop {
            let now = tokio::time::Instant::now();
            // While the WAL is being written, sync once per batch interval; otherwise wait
            // for a notification, or poll.
            let poll_at = match (self.busy, self.last_sync_at) {
                (true, Some(last)) => last + self.p.min_sync_interval,
                _ => now + self.p.monitor_interval,
            };
            let maintenance = self.next_maintenance().filter(|_| self.retry_at.is_none());
            let wake = [Some(poll_at), self.retry_at, maintenance]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(poll_at);
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(cmd) = commands.recv() => self.command(cmd).await,
                () = changed.notified(), if !self.busy => {
                    self.lag.wal_changed(Instant::now());
                    // Sync at the next batch boundary (the wake-up above). Until the WAL is
                    // quiet again, more events would only cost the writer: each one wakes the
                    // watcher's thread from inside the writer's `write`.
                    self.set_busy(true, &mut watcher);
                }
                () = tokio::time::sleep_until(wake) => {
                    if self.busy
                        && let Some(last) = self.last_sync_at
                    {
                        // Unnoticed commits may have happened since the last sync read the
                        // WAL: count the lag from then, the earliest they can be.
                        self.lag.wal_changed(last.into_std());
                    }
                    self.step(true).await;
                    if self.busy && !self.last_sync_found {
                        // Quiet: watch again, then look once more, so a commit between the
                        // sync's read and the watch is not left for the next poll.
                        self.set_busy(false, &mut watcher);
                        self.step(false).await;
                    }
                    // Found changes (also a poll that found what notifications missed, or
                    // there are none): sync on the batch interval from here.
                    if !self.busy && self.last_sync_found {
                        self.set_busy(true, &mut watcher);
                    }
                }
            }
        }
        drop(watcher);
        self.shutdown().await;
    }

    /// Enters or leaves the busy mode (see `busy`), pausing or resuming the WAL watch.
    fn set_busy(&mut self, busy: bool, watcher: &mut notify::Result<WalWatcher>) {
        self.busy = busy;
        if let Ok(w) = watcher.as_mut()
            && let Err(e) = w.set_paused(busy)
        {
            tracing::warn!(db = %self.p.db_path.display(), "file notifications: {e}; polling only until the next change");
        }
    }

    /// The earliest due time of compaction, snapshot and retention work.
    fn next_maintenance(&self) -> Option<tokio::time::Instant> {
        let levels = self.level_schedules.iter().map(|(_, at)| *at);
        let retention = (!self.p.l0_retention.is_zero()).then_some(self.next_l0_retention);
        // The roll-up wakes the task only while files wait for it (an idle database sleeps).
        let rollup =
            (self.p.l0_rollup.is_some() && !self.rollup.is_empty()).then_some(self.next_rollup);
        levels
            .chain(self.next_snapshot)
            .chain(retention)
            .chain(rollup)
            .min()
    }

    /// One round: sync, upload, and the maintenance that is due (when `maintenance`); errors
    /// are recorded with backoff.
    async fn step(&mut self, maintenance: bool) {
        self.last_sync_found = false;
        if self.paused {
            return;
        }
        if let Some(at) = self.retry_at
            && at > tokio::time::Instant::now()
        {
            return;
        }
        let result = async {
            self.replicate().await?;
            if maintenance && self.initialized {
                self.maintain().await?;
            }
            Ok::<(), EngineError>(())
        }
        .await;
        self.record(result);
    }

    /// Runs every due compaction level (lowest first), the L9 snapshot with its retention, and
    /// L0 retention (also right after each L1 compaction, as Litestream does).
    async fn maintain(&mut self) -> Result<(), EngineError> {
        let now = tokio::time::Instant::now();
        if let Some(window) = self.p.l0_rollup
            && self.next_rollup <= now
        {
            self.next_rollup = now + window;
            self.roll_up(window).await?;
        }
        let meta = self.sync.as_ref().map(|s| s.meta().clone());
        let mut l1_compacted = false;
        // Highest level first: a level due at the same moment as the one below it (all run once
        // at start) does not immediately re-compact what the lower level just produced, as
        // Litestream's independent level goroutines do not either.
        for i in (0..self.level_schedules.len()).rev() {
            if self.level_schedules[i].1 > now {
                continue;
            }
            let level = (i + 1) as u8;
            let interval = self.level_schedules[i].0.interval();
            let wall = Utc::now();
            let next = self.level_schedules[i].0.next_run(wall);
            self.level_schedules[i].1 = now + super::level_schedule::delay_until(wall, next);
            if let Some(file) =
                compact_level(&self.client, meta.as_ref(), level, interval, wall).await?
            {
                l1_compacted |= level == 1;
                if level == 1 {
                    self.level1_max = Some(file.max_txid);
                }
                self.emit(EngineEvent::Compacted {
                    db: self.p.db_path.clone(),
                    level,
                    min_txid: file.min_txid,
                    max_txid: file.max_txid,
                    bytes: file.size,
                });
                if self.p.verify_compaction {
                    let problems = verify_level_contiguity(&self.client, level)
                        .await
                        .inspect_err(|_| self.metrics.record_compaction_verify_error())?;
                    if !problems.is_empty() {
                        self.metrics.record_compaction_verify_error();
                    }
                    for problem in problems {
                        tracing::warn!(db = %self.p.db_path.display(), "compaction verification: {problem}");
                    }
                }
            }
        }
        if let Some(at) = self.next_snapshot
            && at <= now
        {
            self.snapshot(false).await?;
            if let Some(retention) = self.p.snapshot_retention {
                let levels: Vec<u8> = (1..=self.level_schedules.len() as u8).collect();
                let report = enforce_snapshot_retention(
                    &self.client,
                    retention,
                    &levels,
                    Utc::now(),
                    self.p.retention_enabled,
                )
                .await?;
                for (level, files) in report.counts() {
                    if files > 0 {
                        self.emit(EngineEvent::RetentionApplied {
                            db: self.p.db_path.clone(),
                            level,
                            files,
                        });
                    }
                }
            }
        }
        if !self.p.l0_retention.is_zero() && (l1_compacted || self.next_l0_retention <= now) {
            self.next_l0_retention = now + self.p.l0_retention_check_interval;
            self.check_replica_position().await?;
            let report = enforce_l0_retention(
                &self.client,
                meta.as_ref(),
                self.p.l0_retention,
                Utc::now(),
                self.p.retention_enabled,
            )
            .await?;
            self.metrics.record_l0_retention(&report);
            let deleted = report.deletion.files.len();
            if deleted > 0 {
                self.emit(EngineEvent::RetentionApplied {
                    db: self.p.db_path.clone(),
                    level: 0,
                    files: deleted,
                });
            }
        }
        Ok(())
    }

    fn record(&mut self, result: Result<(), EngineError>) {
        match result {
            Ok(()) => {
                if self.backoff.failures() > 0 {
                    self.emit(EngineEvent::Recovered {
                        db: self.p.db_path.clone(),
                    });
                }
                self.backoff.succeed();
                self.retry_at = None;
                self.status.last_error = None;
            }
            Err(e) => {
                let delay = self.backoff.fail();
                self.retry_at = Some(tokio::time::Instant::now() + delay);
                let message = e.to_string();
                tracing::warn!(db = %self.p.db_path.display(), retry_in = ?delay, "replication error: {message}");
                self.status.last_error = Some(message.clone());
                self.replica_txid = None;
                self.emit(EngineEvent::Error {
                    db: self.p.db_path.clone(),
                    message,
                });
            }
        }
        self.status.consecutive_errors = self.backoff.failures();
        self.publish();
    }

    /// Opens the database on first use, syncs, and uploads everything pending.
    async fn replicate(&mut self) -> Result<(), EngineError> {
        if !self.initialized {
            let opened = self.blocking(|s| s.open()).await?;
            if !opened {
                self.status.state = ReplicationState::WaitingForDatabase;
                return Ok(());
            }
            self.catch_up_with_replica().await?;
            self.initialized = true;
        }
        let started = tokio::time::Instant::now();
        let result = self.blocking(|s| s.sync()).await;
        self.record_sync_metrics(started.elapsed(), result.as_ref());
        let report: SyncReport = result?;
        // When it started: the batch interval counts from there, and commits it did not see
        // can be no older.
        self.last_sync_at = Some(started);
        self.last_sync_found = !report.files.is_empty() || report.unsynced_wal_bytes > 0;
        self.after_sync(&report);
        let synced = started.elapsed();
        self.upload_pending().await?;
        tracing::debug!(target: "ltx_tui::step", sync_us = synced.as_micros() as u64, upload_us = (started.elapsed() - synced).as_micros() as u64, files = report.files.len(), "step");
        // An operator's sync_now while paused syncs once; the database stays paused.
        self.status.state = if self.paused {
            ReplicationState::Paused
        } else {
            ReplicationState::Replicating
        };
        Ok(())
    }

    /// Updates the sync and checkpoint metrics after one sync.
    fn record_sync_metrics(
        &mut self,
        elapsed: Duration,
        result: Result<&SyncReport, &EngineError>,
    ) {
        let txid = self.sync.as_ref().and_then(DbSync::local_txid);
        self.metrics.record_sync(elapsed, result, txid);
        for failure in self
            .sync
            .as_mut()
            .map(DbSync::take_failed_checkpoints)
            .unwrap_or_default()
        {
            self.metrics.record_checkpoint_failure(&failure);
        }
    }

    fn after_sync(&mut self, report: &SyncReport) {
        for f in &report.files {
            self.pending_sizes.insert(f.txid.0, f.bytes);
            self.lag.synced(f.txid.0);
            self.status.last_sync = Some(SystemTime::now());
            self.emit(EngineEvent::Synced {
                db: self.p.db_path.clone(),
                txid: f.txid,
                snapshot: f.snapshot.is_some(),
                reason: f.snapshot.map(str::to_string),
                bytes: f.bytes,
            });
        }
        if report.files.is_empty() && report.unsynced_wal_bytes == 0 {
            self.lag.nothing_pending_in_wal();
        }
        for c in &report.checkpoints {
            self.emit(EngineEvent::Checkpoint {
                db: self.p.db_path.clone(),
                mode: c.mode.as_str().to_string(),
                restarted: c.restarted,
            });
        }
        self.status.wal_size = report.wal_size;
        self.status.db_size = report.db_size;
        self.status.page_size = self
            .sync
            .as_ref()
            .map_or(self.status.page_size, DbSync::page_size);
        self.status.lag.pending_bytes =
            report.unsynced_wal_bytes + self.pending_sizes.values().sum::<u64>();
    }

    /// The behind-replica check (ref §2.8): when the replica's newest L0 file is ahead of the
    /// local one (the database was restored, or the meta directory is stale), the local L0
    /// files are replaced by that newest file so TXIDs continue after it.
    async fn catch_up_with_replica(&mut self) -> Result<(), EngineError> {
        let remote = self.replica_max_txid().await?;
        let local = self.sync.as_ref().and_then(DbSync::local_txid);
        self.replica_txid = Some(remote);
        if remote.0 == 0 || local.is_some_and(|l| l >= remote) {
            self.pending_sizes.clear();
            return Ok(());
        }
        let name = FileName::new(remote, remote);
        let bytes = self
            .client
            .read_ltx(0, name)
            .await
            .map_err(|e| self.replica_error(e))?;
        self.blocking(move |s| {
            s.meta().wipe()?;
            let dir = s.meta().l0_dir();
            let path = dir.join(name.to_string());
            let tmp = path.with_extension("ltx.tmp");
            std::fs::write(&tmp, &bytes)
                .map_err(|e| EngineError::io("writing downloaded L0 file", &tmp, e))?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| EngineError::io("fsyncing downloaded L0 file", &tmp, e))?;
            std::fs::rename(&tmp, &path)
                .map_err(|e| EngineError::io("renaming downloaded L0 file", &path, e))?;
            sync_dir(&dir)?;
            s.reload_position()
        })
        .await?;
        self.pending_sizes.clear();
        tracing::info!(db = %self.p.db_path.display(), replica_txid = %remote, "local position was behind the replica; continuing after it");
        Ok(())
    }

    /// Confirms the replica still holds the newest L0 file this task uploaded (L0 retention
    /// always keeps a level's newest file). If it does not, the replica was wiped or replaced
    /// behind the engine's back: forget the cached position so the next upload starts from
    /// what the replica really has (bridging with a snapshot where local files are gone).
    async fn check_replica_position(&mut self) -> Result<(), EngineError> {
        if let Some(known) = self.known_snapshot {
            let newest = self
                .client
                .list_ltx_files(SNAPSHOT_LEVEL, Txid(0))
                .await
                .map_err(|e| self.replica_error(e))?
                .into_iter()
                .map(|f| f.max_txid)
                .max();
            // Snapshot retention always keeps the newest snapshot, so losing it means the
            // replica's history is gone, even if an L0 file was uploaded since.
            if newest.is_none_or(|n| n < known) {
                tracing::warn!(
                    db = %self.p.db_path.display(),
                    snapshot = %known,
                    "the replica no longer holds this engine's newest snapshot (wiped or replaced?); uploading again from the start"
                );
                self.known_snapshot = None;
                self.replica_txid = Some(Txid(0));
                self.rollup.clear();
                self.level1_max = None;
                return Ok(());
            }
        }
        let Some(cached) = self.replica_txid.filter(|t| t.0 > 0) else {
            return Ok(());
        };
        let still_there = self
            .client
            .list_ltx_files(0, cached)
            .await
            .map_err(|e| self.replica_error(e))?
            .iter()
            .any(|f| f.max_txid >= cached);
        if !still_there {
            let remote = self.replica_max_txid().await?;
            tracing::warn!(
                db = %self.p.db_path.display(),
                uploaded = %cached,
                replica = %remote,
                "the replica no longer holds files this engine uploaded (wiped or replaced?); uploading again from its position"
            );
            self.replica_txid = Some(remote);
        }
        Ok(())
    }

    async fn replica_max_txid(&mut self) -> Result<Txid, EngineError> {
        let files = self
            .client
            .list_ltx_files(0, Txid(0))
            .await
            .map_err(|e| self.replica_error(e))?;
        Ok(files.iter().map(|f| f.max_txid).max().unwrap_or(Txid(0)))
    }

    /// Uploads local L0 files above the replica position, oldest first.
    async fn upload_pending(&mut self) -> Result<(), EngineError> {
        let Some(local) = self.sync.as_ref().and_then(DbSync::local_txid) else {
            return Ok(());
        };
        let mut replica = match self.replica_txid {
            Some(t) => t,
            None => {
                let t = self.replica_max_txid().await?;
                self.replica_txid = Some(t);
                t
            }
        };
        while replica < local {
            let txid = replica.next();
            let name = FileName::new(txid, txid);
            let path = self
                .sync
                .as_ref()
                .map(|s| s.meta().l0_path(txid))
                .unwrap_or_default();
            let bytes = match tokio::fs::read(&path).await {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // The replica is behind by files that local retention already removed
                    // (a wiped or replaced bucket, a long outage): they cannot be uploaded
                    // any more, so bridge the gap with a snapshot of the database at the
                    // local position (level 9, TXIDs 1..=local) and continue after it.
                    replica = self.bridge_with_snapshot(txid, local).await?;
                    continue;
                }
                Err(e) => return Err(EngineError::io("reading L0 file for upload", &path, e)),
            };
            let timestamp = header_timestamp(&bytes).map_err(|source| EngineError::Ltx {
                path: path.clone(),
                source,
            })?;
            let size = bytes.len() as u64;
            let started = Instant::now();
            self.client
                .write_ltx(0, name, Bytes::from(bytes), timestamp)
                .await
                .map_err(|e| self.replica_error(e))?;
            replica = txid;
            self.replica_txid = Some(txid);
            if self.p.l0_rollup.is_some() {
                self.rollup.push(Uploaded {
                    txid,
                    timestamp_ms: timestamp,
                });
            }
            if let Some(uploaded) = self.pending_sizes.remove(&txid.0) {
                // Keep the published figure in step with uploads, not only with syncs.
                self.status.lag.pending_bytes =
                    self.status.lag.pending_bytes.saturating_sub(uploaded);
            }
            self.lag.uploaded(txid.0);
            self.status.last_upload = Some(SystemTime::now());
            self.emit(EngineEvent::Uploaded {
                db: self.p.db_path.clone(),
                level: 0,
                name: name.to_string(),
                bytes: size,
                duration: started.elapsed(),
            });
        }
        Ok(())
    }

    /// Merges the uploaded L0 files of every closed roll-up window into one L0 file each:
    /// merged locally, uploaded, then the small files deleted from the replica and locally.
    async fn roll_up(&mut self, window: Duration) -> Result<(), EngineError> {
        let Some(local) = self.sync.as_ref().and_then(DbSync::local_txid) else {
            return Ok(());
        };
        let compacted_through = self.level1_max().await?;
        let groups = self
            .rollup
            .take_due(window, now_ms(), local, compacted_through);
        for group in groups {
            let inputs = group.clone();
            let (name, bytes, header) = self
                .blocking(move |s| {
                    let (name, bytes, header) = merge_group(s.meta(), &inputs)?;
                    s.meta().write_l0_as(name, |w| {
                        w.write_all(&bytes).map_err(|e| {
                            EngineError::io("writing rolled-up L0 file", &s.meta().l0_dir(), e)
                        })
                    })?;
                    Ok((name, bytes, header))
                })
                .await?;
            let size = bytes.len() as u64;
            self.client
                .write_ltx(0, name, Bytes::from(bytes), header.timestamp)
                .await
                .map_err(|e| self.replica_error(e))?;
            let names: Vec<FileName> = group.iter().map(|t| FileName::new(*t, *t)).collect();
            self.client
                .delete_ltx_files(0, &names)
                .await
                .map_err(|e| self.replica_error(e))?;
            self.blocking(move |s| s.meta().delete_l0(&names)).await?;
            tracing::debug!(db = %self.p.db_path.display(), %name, inputs = group.len(), size, "L0 roll-up");
            self.emit(EngineEvent::Compacted {
                db: self.p.db_path.clone(),
                level: 0,
                min_txid: name.min_txid,
                max_txid: name.max_txid,
                bytes: size,
            });
        }
        Ok(())
    }

    /// The newest level-1 MaxTXID (0 without compaction levels), listed once and then kept
    /// current from this task's own level-1 compactions.
    async fn level1_max(&mut self) -> Result<Txid, EngineError> {
        if self.p.levels.is_empty() {
            return Ok(Txid(0));
        }
        if let Some(max) = self.level1_max {
            return Ok(max);
        }
        let max = self
            .client
            .list_ltx_files(1, Txid(0))
            .await
            .map_err(|e| self.replica_error(e))?
            .iter()
            .map(|f| f.max_txid)
            .max()
            .unwrap_or(Txid(0));
        self.level1_max = Some(max);
        Ok(max)
    }

    /// Uploads a level-9 snapshot at the local position because the replica lacks L0 file
    /// `missing` and the local copy is gone; returns the TXID the replica now reaches.
    async fn bridge_with_snapshot(
        &mut self,
        missing: Txid,
        local: Txid,
    ) -> Result<Txid, EngineError> {
        tracing::warn!(
            db = %self.p.db_path.display(),
            missing = %missing,
            local = %local,
            "the replica lacks L0 files that local retention already removed; uploading a snapshot to bridge the gap"
        );
        let reached = self.snapshot(true).await?.unwrap_or(local);
        self.replica_txid = Some(reached);
        let bridged: Vec<u64> = self
            .pending_sizes
            .range(..=reached.0)
            .map(|(t, _)| *t)
            .collect();
        for t in bridged {
            if let Some(size) = self.pending_sizes.remove(&t) {
                self.status.lag.pending_bytes = self.status.lag.pending_bytes.saturating_sub(size);
            }
        }
        self.lag.uploaded(reached.0);
        self.status.last_upload = Some(SystemTime::now());
        Ok(reached)
    }

    /// Builds an L9 snapshot from the live database and uploads it, unless the newest one is
    /// already at the local position (or `force`). Returns its TXID.
    async fn snapshot(&mut self, force: bool) -> Result<Option<Txid>, EngineError> {
        if let Some(schedule) = self.snapshot_schedule.as_mut() {
            let wall = Utc::now();
            let next = schedule.next_run(wall);
            self.next_snapshot =
                Some(tokio::time::Instant::now() + super::level_schedule::delay_until(wall, next));
        }
        let Some(local) = self.sync.as_ref().and_then(DbSync::local_txid) else {
            return Ok(None);
        };
        let newest = self
            .client
            .list_ltx_files(SNAPSHOT_LEVEL, Txid(0))
            .await
            .map_err(|e| self.replica_error(e))?
            .into_iter()
            .map(|f| f.max_txid)
            .max();
        if !force && newest.is_some_and(|n| n >= local) {
            self.known_snapshot = newest;
            return Ok(newest);
        }
        let (bytes, header): (Vec<u8>, Header) =
            self.blocking(|s| s.write_snapshot(Vec::new())).await?;
        let name = FileName::new(Txid(1), header.max_txid);
        let size = bytes.len() as u64;
        self.client
            .write_ltx(SNAPSHOT_LEVEL, name, Bytes::from(bytes), header.timestamp)
            .await
            .map_err(|e| self.replica_error(e))?;
        self.known_snapshot = Some(header.max_txid);
        self.emit(EngineEvent::SnapshotTaken {
            db: self.p.db_path.clone(),
            txid: header.max_txid,
            bytes: size,
        });
        Ok(Some(header.max_txid))
    }

    async fn command(&mut self, cmd: EngineCommand) {
        match cmd {
            EngineCommand::SyncNow { reply, .. } => {
                self.retry_at = None;
                let result = self.replicate().await;
                let failed = result.as_ref().err().map(ToString::to_string);
                self.record(result);
                let _ = reply.send(match failed {
                    None => Ok(self.replica_txid),
                    Some(message) => Err(EngineError::Replica {
                        url: self.p.replica_url.clone(),
                        message,
                    }),
                });
            }
            EngineCommand::SnapshotNow { reply, .. } => {
                let result = async {
                    self.replicate().await?;
                    self.snapshot(true).await
                }
                .await;
                let out = match &result {
                    Ok(t) => Ok(*t),
                    Err(e) => Err(EngineError::Replica {
                        url: self.p.replica_url.clone(),
                        message: e.to_string(),
                    }),
                };
                self.record(result.map(|_| ()));
                let _ = reply.send(out);
            }
            EngineCommand::Pause { reply, .. } => {
                self.paused = true;
                self.status.state = ReplicationState::Paused;
                self.emit(EngineEvent::StateChanged {
                    db: self.p.db_path.clone(),
                    state: "paused".into(),
                });
                self.publish();
                let _ = reply.send(Ok(self.replica_txid));
            }
            EngineCommand::Resume { reply, .. } => {
                self.paused = false;
                self.status.state = ReplicationState::Replicating;
                self.emit(EngineEvent::StateChanged {
                    db: self.p.db_path.clone(),
                    state: "replicating".into(),
                });
                // Published before the sync: a sync still waiting out an error's backoff
                // publishes nothing, and the state must not read "paused" meanwhile.
                self.publish();
                self.step(false).await;
                let _ = reply.send(Ok(self.replica_txid));
            }
            EngineCommand::Reset { reply, .. } => {
                let result = self.blocking(|s| s.reset()).await;
                self.initialized = false;
                self.replica_txid = None;
                self.pending_sizes.clear();
                let out = result.map(|()| None);
                let _ = reply.send(out);
                self.step(false).await;
            }
        }
    }

    /// The final sync: retried every `shutdown-sync-interval` for up to
    /// `shutdown-sync-timeout`, then the connection is closed (releasing the read lock).
    async fn shutdown(mut self) {
        if self.initialized && !self.paused {
            let deadline = tokio::time::Instant::now() + self.p.shutdown_sync_timeout;
            loop {
                match self.replicate().await {
                    Ok(()) => break,
                    Err(e)
                        if tokio::time::Instant::now() + self.p.shutdown_sync_interval
                            < deadline =>
                    {
                        tracing::warn!(db = %self.p.db_path.display(), "final sync failed, retrying: {e}");
                        tokio::time::sleep(self.p.shutdown_sync_interval).await;
                    }
                    Err(e) => {
                        tracing::error!(db = %self.p.db_path.display(), "final sync failed: {e}");
                        self.status.last_error = Some(e.to_string());
                        break;
                    }
                }
            }
        }
        let _ = self.blocking(|s| s.close()).await;
        self.status.state = ReplicationState::Stopped;
        self.publish();
    }

    /// Runs `f` on the blocking pool with the task's [`DbSync`].
    async fn blocking<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut DbSync) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let Some(mut sync) = self.sync.take() else {
            return Err(EngineError::Config(
                "internal: the database state is in use".into(),
            ));
        };
        let joined = tokio::task::spawn_blocking(move || {
            let result = f(&mut sync);
            (sync, result)
        })
        .await;
        match joined {
            Ok((sync, result)) => {
                self.sync = Some(sync);
                result
            }
            Err(e) => {
                // The blocking call panicked: start over from the meta directory.
                self.initialized = false;
                self.sync = DbSync::new(
                    self.p.db_path.clone(),
                    self.p.meta_path.clone(),
                    self.p.sync.clone(),
                )
                .ok();
                Err(EngineError::Config(format!(
                    "internal error while syncing: {e}"
                )))
            }
        }
    }

    fn replica_error(&self, e: crate::storage::StorageError) -> EngineError {
        EngineError::Replica {
            url: self.p.replica_url.clone(),
            message: e.to_string(),
        }
    }

    fn emit(&self, event: EngineEvent) {
        // No receiver is fine: events are informational.
        let _ = self.shared.events.send(event);
    }

    fn publish(&mut self) {
        let local = self.sync.as_ref().and_then(DbSync::local_txid);
        self.status.local_txid = local;
        self.status.replica_txid = self.replica_txid;
        let lag = self.lag.lag(
            Instant::now(),
            self.status.lag.pending_bytes,
            local.map_or(0, |t| t.0),
            self.replica_txid.map_or(0, |t| t.0),
        );
        self.metrics
            .record_replication(self.replica_txid, self.lag.oldest_pending(), &lag);
        self.status.lag = lag;
        if self.status.last_error.is_some() && !self.paused {
            self.status.state = ReplicationState::Error;
        }
        let status = self.status.clone();
        let index = self.p.index;
        self.shared.snapshot.send_modify(|s| {
            s.version += 1;
            if let Some(slot) = s.databases.get_mut(index) {
                *slot = status;
            }
        });
    }
}

/// The header timestamp of an LTX file held in memory.
fn header_timestamp(bytes: &[u8]) -> Result<i64, crate::ltx::LtxError> {
    let mut header = [0u8; crate::ltx::HEADER_SIZE];
    let n = header.len().min(bytes.len());
    header[..n].copy_from_slice(&bytes[..n]);
    if n < header.len() {
        return Err(crate::ltx::LtxError::Truncated {
            what: "header",
            offset: 0,
        });
    }
    Ok(Header::from_bytes(&header)?.timestamp)
}
