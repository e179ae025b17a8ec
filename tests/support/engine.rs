//! Driving the replication engine in-process: test-speed [`DbTaskParams`], waiting on the
//! engine's `watch` channel for a condition (never on sleeps), collecting events, a steady
//! background writer, and reading a replica's L0 TXIDs.
//!
//! Waits are conditions with generous deadlines: a test under parallel load gets slower, not
//! flaky. A failed wait panics with the last status seen and what was being waited for.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use ltx_tui::engine::{
    DatabaseStatus, DbTaskParams, EngineEvent, EngineSnapshot, ReplicationState, SyncSettings,
};
use ltx_tui::ltx::Txid;
use ltx_tui::storage::ReplicaClient;
use tokio::sync::{broadcast, watch};

/// How long a test waits for a condition that needs a few syncs or a retry after backoff.
pub const WAIT: Duration = Duration::from_secs(30);

/// Parameters for one database with test-speed timings: the WAL is polled every 100 ms (file
/// notifications make syncs faster still), errors back off from 100 ms, and no compaction,
/// snapshot or retention runs unless a test turns it on. Checkpoint thresholds are
/// Litestream's defaults.
pub fn test_params(db_path: &Path, replica_url: impl Into<String>) -> DbTaskParams {
    DbTaskParams {
        index: 0,
        db_path: db_path.to_path_buf(),
        meta_path: None,
        sync: SyncSettings::default(),
        monitor_interval: Duration::from_millis(100),
        min_sync_interval: Duration::from_millis(10),
        snapshot_interval: None,
        snapshot_retention: None,
        levels: Vec::new(),
        l0_retention: Duration::ZERO,
        l0_retention_check_interval: Duration::from_secs(15),
        l0_rollup: None,
        retention_enabled: true,
        verify_compaction: false,
        shutdown_sync_timeout: Duration::from_secs(10),
        shutdown_sync_interval: Duration::from_millis(100),
        replica_url: replica_url.into(),
    }
}

/// The status of `db` in `snapshot` (panics if the engine does not replicate it).
#[track_caller]
pub fn status_of(snapshot: &EngineSnapshot, db: &Path) -> DatabaseStatus {
    snapshot
        .database(db)
        .unwrap_or_else(|| panic!("the engine does not replicate {}", db.display()))
        .clone()
}

/// Waits on the watch channel until `db`'s status satisfies `cond` (checked on the current
/// value first, then after every change) and returns that status. Panics after `timeout`
/// with the last status seen, or if the engine drops the channel.
pub async fn wait_for_status(
    rx: &mut watch::Receiver<EngineSnapshot>,
    db: &Path,
    what: &str,
    timeout: Duration,
    mut cond: impl FnMut(&DatabaseStatus) -> bool,
) -> DatabaseStatus {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let status = status_of(&rx.borrow_and_update(), db);
        if cond(&status) {
            return status;
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("the engine closed its watch channel while waiting for {what}"),
            Err(_) => {
                panic!("timed out after {timeout:?} waiting for {what}; last status: {status:#?}")
            }
        }
    }
}

/// Waits until the replica holds every local TXID and nothing is pending or failing: state
/// `replicating`, no error, local TXID == replica TXID (both known), no pending bytes.
pub async fn wait_caught_up(
    rx: &mut watch::Receiver<EngineSnapshot>,
    db: &Path,
    what: &str,
) -> DatabaseStatus {
    wait_for_status(rx, db, what, WAIT, |s| {
        s.state == ReplicationState::Replicating
            && s.last_error.is_none()
            && s.local_txid.is_some()
            && s.local_txid == s.replica_txid
            && s.lag.pending_bytes == 0
    })
    .await
}

/// Every event the engine sends from the moment of [`EventLog::start`], collected by a
/// background task so a busy run never overflows the bounded channel.
pub struct EventLog {
    events: Arc<std::sync::Mutex<Vec<EngineEvent>>>,
    lost: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl EventLog {
    /// Subscribes and starts collecting (must run inside a tokio runtime).
    pub fn start(mut rx: broadcast::Receiver<EngineEvent>) -> EventLog {
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let lost = Arc::new(AtomicU64::new(0));
        let task = {
            let events = Arc::clone(&events);
            let lost = Arc::clone(&lost);
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(event) => events.lock().unwrap().push(event),
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            lost.fetch_add(n, Ordering::Relaxed);
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            })
        };
        EventLog { events, lost, task }
    }

    /// The events collected so far, oldest first.
    pub fn events(&self) -> Vec<EngineEvent> {
        self.events.lock().unwrap().clone()
    }

    /// How many events the collector lost because it fell behind.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The L0 TXIDs of a replica (each L0 file covers one TXID), ascending.
pub async fn replica_l0_txids(client: &ReplicaClient) -> Vec<u64> {
    client
        .list_ltx_files(0, Txid(0))
        .await
        .unwrap_or_else(|e| panic!("list the replica's L0 files: {e}"))
        .iter()
        .map(|f| {
            assert_eq!(f.min_txid, f.max_txid, "an L0 file covers one TXID: {f:?}");
            f.min_txid.0
        })
        .collect()
}

/// Asserts `txids` is exactly `1..=max` (no gap, no duplicate) and returns `max`.
#[track_caller]
pub fn assert_contiguous_from_one(txids: &[u64], what: &str) -> u64 {
    let max = *txids
        .last()
        .unwrap_or_else(|| panic!("{what}: no L0 file at all"));
    let expected: Vec<u64> = (1..=max).collect();
    assert_eq!(txids, expected.as_slice(), "{what}: L0 TXIDs 1..={max}");
    max
}

/// A steady application writer on its own connection and thread: one small transaction (a
/// row with a random blob of up to 2 KiB) at a time, with a short pause between commits so the
/// engine sees a stream of commits rather than one storm. The pause only shapes the workload;
/// nothing waits on it.
pub struct SteadyWriter {
    stop: Arc<AtomicBool>,
    commits: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl SteadyWriter {
    /// Starts writing rows into `table` (which must have the columns of
    /// [`super::sqlite_db::TestDb::create_table`]).
    pub fn start(db_path: &Path, table: &str, seed: u64) -> SteadyWriter {
        let stop = Arc::new(AtomicBool::new(false));
        let commits = Arc::new(AtomicU64::new(0));
        let path: PathBuf = db_path.to_path_buf();
        let table = table.to_owned();
        let thread = {
            let stop = Arc::clone(&stop);
            let commits = Arc::clone(&commits);
            std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(&path).unwrap();
                conn.busy_timeout(Duration::from_secs(10)).unwrap();
                let sql = format!(
                    "INSERT INTO \"{table}\"(name, qty, payload) VALUES (?1, ?2, randomblob(?3))"
                );
                let mut n = 0u64;
                // Bounded: a forgotten stop ends the writer after 100k commits.
                while !stop.load(Ordering::Relaxed) && n < 100_000 {
                    conn.execute(
                        &sql,
                        rusqlite::params![
                            format!("w{seed:x}-{n}"),
                            n as i64,
                            ((seed.wrapping_add(n * 7919)) % 2048) as i64
                        ],
                    )
                    .unwrap_or_else(|e| panic!("steady writer insert {n}: {e}"));
                    n += 1;
                    commits.store(n, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        SteadyWriter {
            stop,
            commits,
            thread: Some(thread),
        }
    }

    /// Commits so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Stops the writer and waits for its last commit; returns the number of commits.
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the steady writer panicked");
        }
        self.commits()
    }
}

impl Drop for SteadyWriter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
