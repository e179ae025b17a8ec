//! Starting the engine: one task per configured database, the shared channels, and the
//! [`EngineHandle`] the faces hold.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::ltx::Txid;
use crate::storage::{ReplicaClient, ReplicaEnv};

use super::command::EngineCommand;
use super::db_sync::SyncSettings;
use super::db_task::{DbTask, DbTaskParams, Shared};
use super::error::EngineError;
use super::event::EngineEvent;
use super::metrics::{DbMetrics, EngineMetrics};
use super::replica_target::{display_url, replica_spec};
use super::status::{DatabaseStatus, EngineSnapshot};

/// Shortest time between two syncs of one database (batches write storms; Litestream's
/// equivalent is its 1 s poll).
pub const MIN_SYNC_INTERVAL: Duration = Duration::from_millis(10);
/// Capacity of the event channel; slow receivers lose the oldest events.
pub const EVENT_CAPACITY: usize = 1024;

/// The faces' grip on a running engine.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    routes: Arc<Vec<(PathBuf, mpsc::Sender<EngineCommand>)>>,
    snapshot: watch::Receiver<EngineSnapshot>,
    events: broadcast::Sender<EngineEvent>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    metrics: EngineMetrics,
}

/// Builds and starts engines.
#[derive(Debug)]
pub struct Engine;

impl Engine {
    /// Starts one task per database of `config` on the current tokio runtime. Replica
    /// credentials fall back to `env` (AWS_* and LITESTREAM_* variables).
    pub fn start(config: &Config, env: &ReplicaEnv) -> Result<EngineHandle, EngineError> {
        let mut dbs = Vec::new();
        for (index, db) in config.dbs.iter().enumerate() {
            let Some(path) = db.path.clone() else {
                return Err(EngineError::Config(format!(
                    "dbs[{index}]: directory replication (dir:) is not supported by ltx-tui yet; list each database with path:"
                )));
            };
            let Some(replica) = &db.replica else {
                return Err(EngineError::Config(format!(
                    "dbs[{index}] ({}): no replica configured",
                    path.display()
                )));
            };
            let spec = replica_spec(replica)?;
            let client = ReplicaClient::new(&spec, env).map_err(|e| EngineError::Replica {
                url: display_url(replica, &spec),
                message: e.to_string(),
            })?;
            let params = DbTaskParams {
                index,
                db_path: path,
                meta_path: db.effective_meta_path(),
                sync: SyncSettings {
                    busy_timeout: db.busy_timeout.to_std().unwrap_or(Duration::from_secs(1)),
                    max_sync_wal_bytes: db.max_sync_wal_bytes.bytes(),
                    min_checkpoint_page_count: db.min_checkpoint_page_count,
                    truncate_page_n: db.truncate_page_n,
                    checkpoint_interval: db.checkpoint_interval.to_std().filter(|d| !d.is_zero()),
                    next_sync_within: MIN_SYNC_INTERVAL,
                    restart_window: db.restart_windows,
                },
                monitor_interval: db
                    .monitor_interval
                    .to_std()
                    .unwrap_or(Duration::from_secs(1)),
                min_sync_interval: MIN_SYNC_INTERVAL,
                snapshot_interval: config.snapshot.interval.to_std().filter(|d| !d.is_zero()),
                snapshot_retention: config.snapshot.retention.to_std().filter(|d| !d.is_zero()),
                levels: config
                    .levels
                    .iter()
                    .filter_map(|l| l.interval.to_std())
                    .collect(),
                l0_retention: config.l0_retention.to_std().unwrap_or_default(),
                l0_rollup: config.l0_rollup.to_std().filter(|d| !d.is_zero()),
                l0_retention_check_interval: config
                    .l0_retention_check_interval
                    .to_std()
                    .filter(|d| !d.is_zero())
                    .unwrap_or(Duration::from_secs(15)),
                retention_enabled: config.retention.enabled,
                verify_compaction: config.verify_compaction,
                shutdown_sync_timeout: config
                    .shutdown_sync_timeout
                    .to_std()
                    .unwrap_or(Duration::from_secs(30)),
                shutdown_sync_interval: config
                    .shutdown_sync_interval
                    .to_std()
                    .unwrap_or(Duration::from_millis(500)),
                replica_url: display_url(replica, &spec),
            };
            dbs.push((params, Arc::new(client)));
        }
        Ok(Engine::start_with(dbs))
    }

    /// Starts tasks for databases whose replica clients are already built (tests wrap the
    /// store, for example with fault injection). Must run inside a tokio runtime.
    pub fn start_with(dbs: Vec<(DbTaskParams, Arc<ReplicaClient>)>) -> EngineHandle {
        let initial = EngineSnapshot {
            version: 0,
            running: true,
            databases: dbs
                .iter()
                .map(|(p, c)| {
                    DatabaseStatus::new(
                        p.db_path.clone(),
                        c.replica_type().to_string(),
                        p.replica_url.clone(),
                    )
                })
                .collect(),
        };
        let (snapshot_tx, snapshot_rx) = watch::channel(initial);
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let metrics = EngineMetrics::new(
            dbs.iter()
                .map(|(p, _)| Arc::new(DbMetrics::new(&p.db_path)))
                .collect(),
            dbs.iter().map(|(_, c)| Arc::clone(c.metrics())).collect(),
        );
        let shared = Arc::new(Shared {
            snapshot: snapshot_tx,
            events: events.clone(),
            metrics: metrics.clone(),
        });
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let mut routes = Vec::new();
        for (index, (mut params, client)) in dbs.into_iter().enumerate() {
            params.index = index;
            let (tx, rx) = mpsc::channel(32);
            routes.push((params.db_path.clone(), tx));
            let db_path = params.db_path.clone();
            match DbTask::new(params, Arc::clone(&shared), client) {
                Ok(task) => {
                    tracker.spawn(task.run(rx, shutdown.child_token()));
                }
                Err(e) => {
                    tracing::error!(db = %db_path.display(), "cannot start replication: {e}");
                    shared.snapshot.send_modify(|s| {
                        if let Some(d) = s.databases.get_mut(index) {
                            d.last_error = Some(e.to_string());
                            d.state = super::status::ReplicationState::Error;
                        }
                    });
                }
            }
        }
        tracker.close();
        // Keep the snapshot sender alive for as long as tasks may publish.
        let keep = Arc::clone(&shared);
        let done = tracker.clone();
        tokio::spawn(async move {
            done.wait().await;
            keep.snapshot.send_modify(|s| {
                s.running = false;
                s.version += 1;
            });
        });
        EngineHandle {
            routes: Arc::new(routes),
            snapshot: snapshot_rx,
            events,
            shutdown,
            tracker,
            metrics,
        }
    }
}

impl EngineHandle {
    /// A receiver of the latest [`EngineSnapshot`].
    pub fn watch(&self) -> watch::Receiver<EngineSnapshot> {
        self.snapshot.clone()
    }

    /// The latest snapshot, cloned.
    pub fn snapshot(&self) -> EngineSnapshot {
        self.snapshot.borrow().clone()
    }

    /// The engine's Prometheus metrics (live: each render reads the current values).
    pub fn metrics(&self) -> EngineMetrics {
        self.metrics.clone()
    }

    /// A new receiver of engine events (from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// The configured database paths, in order.
    pub fn databases(&self) -> Vec<PathBuf> {
        self.routes.iter().map(|(p, _)| p.clone()).collect()
    }

    async fn send(
        &self,
        db: &Path,
        make: impl FnOnce(PathBuf, oneshot::Sender<Result<Option<Txid>, EngineError>>) -> EngineCommand,
    ) -> Result<Option<Txid>, EngineError> {
        let Some((path, tx)) = self.routes.iter().find(|(p, _)| p == db) else {
            return Err(EngineError::UnknownDatabase {
                path: db.to_path_buf(),
                configured: self
                    .routes
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let (reply, rx) = oneshot::channel();
        tx.send(make(path.clone(), reply))
            .await
            .map_err(|_| EngineError::ShuttingDown)?;
        rx.await.map_err(|_| EngineError::ShuttingDown)?
    }

    /// Syncs and uploads now; returns the replica TXID.
    pub async fn sync_now(&self, db: &Path) -> Result<Option<Txid>, EngineError> {
        self.send(db, |db, reply| EngineCommand::SyncNow { db, reply })
            .await
    }

    /// Takes and uploads an L9 snapshot now; returns its TXID.
    pub async fn snapshot_now(&self, db: &Path) -> Result<Option<Txid>, EngineError> {
        self.send(db, |db, reply| EngineCommand::SnapshotNow { db, reply })
            .await
    }

    /// Pauses replication of one database.
    pub async fn pause(&self, db: &Path) -> Result<Option<Txid>, EngineError> {
        self.send(db, |db, reply| EngineCommand::Pause { db, reply })
            .await
    }

    /// Resumes replication of one database.
    pub async fn resume(&self, db: &Path) -> Result<Option<Txid>, EngineError> {
        self.send(db, |db, reply| EngineCommand::Resume { db, reply })
            .await
    }

    /// Discards the local meta directory and starts again after the replica's position.
    pub async fn reset(&self, db: &Path) -> Result<Option<Txid>, EngineError> {
        self.send(db, |db, reply| EngineCommand::Reset { db, reply })
            .await
    }

    /// Stops every task after its final sync and waits for them.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tracker.wait().await;
    }
}
