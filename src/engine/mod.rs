//! The replication engine: one task per database turns WAL changes into L0 files, uploads
//! them, compacts, snapshots and enforces retention, following Litestream 0.5's rules so a
//! replica written by either tool is read by the other.
//!
//! Faces talk to it only through [`EngineHandle`]: commands with oneshot replies, a `watch` of
//! [`EngineSnapshot`], and a bounded broadcast of [`EngineEvent`]s. The engine never imports a
//! face. [`EngineHandle::metrics`] gives its Prometheus counters, which [`serve_metrics`]
//! exposes at `addr` as Litestream does.

mod backoff;
mod blocking_stream;
mod command;
mod compaction;
mod db_sync;
mod db_task;
mod error;
mod event;
mod l0_rollup;
mod lag;
mod level_contiguity;
mod level_schedule;
mod meta_dir;
mod metrics;
mod metrics_server;
mod metrics_text;
mod replica_failure;
mod replica_target;
mod retention;
mod runner;
mod status;
mod verify;
mod wal_watcher;

pub use backoff::{Backoff, MAX_BACKOFF};
pub use command::{EngineCommand, Reply};
pub use compaction::{
    CompactionSkip, MAX_COMPACTION_LEVEL, SNAPSHOT_LEVEL, compact_level, compaction_inputs,
    compaction_skip, newest_file,
};
pub use db_sync::{
    CheckpointFailure, CheckpointReport, DbSync, SyncReport, SyncSettings, SyncedFile,
};
pub use db_task::{DbTaskParams, Shared};
pub use error::EngineError;
pub use event::EngineEvent;
pub use l0_rollup::{RollupQueue, Uploaded, merge_group};
pub use lag::LagTracker;
pub use level_contiguity::{
    ContiguityKind, ContiguityViolation, contiguity_violations, verify_level_contiguity,
};
pub use level_schedule::{LevelSchedule, delay_until, is_too_early, next_boundary, prev_boundary};
pub use meta_dir::{MetaDir, sync_dir};
pub use metrics::{
    CheckpointCounters, DbCounters, DbMetrics, EngineMetrics, EngineMetricsSnapshot,
    L0RetentionCounts,
};
pub use metrics_server::{listen_targets, serve_metrics};
pub use metrics_text::{CONTENT_TYPE as METRICS_CONTENT_TYPE, render as render_metrics};
pub use replica_target::{display_url, replica_spec};
pub use retention::{
    L0RetentionReport, LevelDeletion, SnapshotRetentionReport, enforce_l0_retention,
    enforce_snapshot_retention,
};
pub use runner::{EVENT_CAPACITY, Engine, EngineHandle, MIN_SYNC_INTERVAL};
pub use status::{DatabaseStatus, EngineSnapshot, Lag, ReplicationState};
pub use verify::{PreviousSync, SyncStart, WAL_HEADER_SIZE, decide};
