//! Checkpoints: Litestream's policy (when), its procedure under the write barrier (how), and
//! the early backfill behind a pin that keeps the barrier short (ref §2.7).

use std::time::{Duration, Instant};

use crate::sqlite::{CheckpointMode, CheckpointResult, SqliteError, frame_size};

use super::restart_window::Window;
use super::{CheckpointFailure, CheckpointReport, DbSync, SyncReport};
use crate::engine::EngineError;
use crate::engine::verify::WAL_HEADER_SIZE;

impl DbSync {
    /// Litestream's checkpoint policy, evaluated after a sync reached the WAL end.
    ///
    /// `grown` is how far this sync moved the synced offset: the WAL's growth over one sync
    /// interval. The PASSIVE threshold is applied to where the WAL will be at the next sync
    /// (now + `grown`, counting at most half the threshold), so under a steady writer the
    /// checkpoint lands before the WAL crosses the threshold rather than after. The threshold
    /// is also SQLite's default `wal_autocheckpoint` (1000 pages): an application writer whose
    /// WAL stays past it while our read lock pins the WAL re-runs a failing checkpoint, which
    /// sorts the whole WAL index, on every commit.
    pub(super) fn checkpoint_if_needed(
        &mut self,
        wal_size_before: u64,
        grown: u64,
        report: &mut SyncReport,
    ) -> Result<(), EngineError> {
        let page_size = self.page_size();
        if page_size == 0 {
            return Ok(());
        }
        let wal_bytes = |pages: u64| WAL_HEADER_SIZE + pages * frame_size(page_size);
        let logical = self.last_synced_wal_offset;
        if self.settings.truncate_page_n > 0
            && wal_size_before >= wal_bytes(self.settings.truncate_page_n)
        {
            let passive = self.checkpoint(CheckpointMode::Passive, report)?;
            if !(passive.restarted
                && self.last_synced_wal_offset < wal_bytes(self.settings.truncate_page_n))
            {
                self.checkpoint(CheckpointMode::Truncate, report)?;
            }
            return Ok(());
        }
        let threshold = wal_bytes(self.settings.min_checkpoint_page_count);
        // Where the WAL would be when the next sync's checkpoint closes it, if this one
        // waits: the next sync is at most `next_sync_within` away, and its barrier comes
        // `checkpoint_lead` after it starts.
        // Never for a WAL of a quarter of the threshold or less (nor of one frame, which
        // Litestream's verification cannot resume from once the WAL restarts).
        let ahead = self.settings.next_sync_within + self.checkpoint_lead;
        let predicted = logical + (self.wal_rate * ahead.as_secs_f64()) as u64;
        let early_enough = logical > (threshold / 4).max(wal_bytes(1));
        // A restart window costs the writer nothing, and the WAL it restarts should be long
        // (see MIN_WINDOW_FRAMES): no early start for it.
        let windowed = self.window_wanted();
        if self.settings.min_checkpoint_page_count > 0
            && (logical + grown.min(threshold / 2) >= threshold
                || (!windowed && early_enough && predicted >= threshold * 9 / 10))
        {
            self.checkpoint(CheckpointMode::Passive, report)?;
            return Ok(());
        }
        if let Some(interval) = self.settings.checkpoint_interval
            && self.synced_since_checkpoint
            && self.last_checkpoint.elapsed() >= interval
            && logical > wal_bytes(1)
        {
            self.checkpoint(CheckpointMode::Passive, report)?;
        }
        Ok(())
    }

    /// Runs one checkpoint with Litestream's procedure and syncs whatever it changed.
    pub(super) fn checkpoint(
        &mut self,
        mode: CheckpointMode,
        report: &mut SyncReport,
    ) -> Result<CheckpointReport, EngineError> {
        if mode == CheckpointMode::Passive && self.settings.restart_window {
            match self.window {
                Window::Ready { .. } if !self.window_wanted() => {}
                Window::Ready { .. } => {
                    if let Some(done) = self.restart_window(report)? {
                        return Ok(done);
                    }
                }
                Window::Barrier(n) => {
                    self.window = if n <= 1 {
                        Window::Ready { misses: 0 }
                    } else {
                        Window::Barrier(n - 1)
                    };
                }
                Window::Off => {}
            }
        }
        self.barrier_checkpoint(mode, report)
    }

    /// Runs one checkpoint with Litestream's procedure (PASSIVE under the write barrier) and
    /// syncs whatever it changed.
    pub(super) fn barrier_checkpoint(
        &mut self,
        mode: CheckpointMode,
        report: &mut SyncReport,
    ) -> Result<CheckpointReport, EngineError> {
        let result = self.checkpoint_steps(mode, report);
        // The early pin is normally released under the barrier; on every other way out it
        // goes here (a no-op when it is not held).
        if let Some(open) = self.open.as_mut()
            && open.conn.holds_pin()
        {
            if result.is_err()
                && let Some(p) = self.prev.as_mut()
            {
                // The main read lock was taken again behind the pin and may sit on a fully
                // backfilled WAL, which allows one restart, with frames not read yet: a
                // restart seen next cannot be trusted.
                p.lock_lost();
            }
            let _ = open.conn.release_pin();
        }
        result
    }

    /// [`DbSync::checkpoint`] but for releasing the early pin when it ends early.
    pub(super) fn checkpoint_steps(
        &mut self,
        mode: CheckpointMode,
        report: &mut SyncReport,
    ) -> Result<CheckpointReport, EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let before = self.open_ref()?.wal.read_header().map_err(sq)?;
        let mut early_us = 0u64;
        if mode == CheckpointMode::Passive {
            // Do the heavy part before the barrier, while writers go on: backfill the WAL as
            // far as it is now, so under the barrier only the frames committed since are
            // copied. (Flushing the WAL here as well was measured: it lengthened the cycle
            // more than it shortened the barrier.)
            let early = Instant::now();
            self.backfill_behind_pin()?;
            early_us = early.elapsed().as_micros() as u64;
        }
        let barrier_started = Instant::now();
        let mut acquired_us = 0u64;
        let mut tail_us = 0u64;
        if mode == CheckpointMode::Passive {
            match self.open_ref()?.conn.begin_barrier() {
                Ok(()) => {}
                // A busy writer holds the write lock: skip this checkpoint (as Litestream does
                // on SQLITE_BUSY) rather than fail the sync; the next sync tries again.
                Err(e) if e.is_busy() => {
                    tracing::debug!(target: "ltx_tui::checkpoint", db = %db_path.display(), "checkpoint skipped: busy");
                    // The main read lock was taken again behind the pin; on a fully backfilled
                    // WAL it allows one restart once the pin goes. Read what is committed while
                    // the pin still holds: a restart then needs a WAL with nothing past what
                    // was backfilled before that lock, so it cannot take unread frames.
                    self.sync_to_end(report)?;
                    if let Some(p) = self.prev.as_mut() {
                        // So a restart seen next (one at most) lost nothing: the generation
                        // ended where this read did.
                        p.restart_clean = true;
                    }
                    let skipped = CheckpointReport {
                        mode,
                        result: CheckpointResult {
                            busy: true,
                            log_frames: -1,
                            checkpointed_frames: -1,
                        },
                        restarted: false,
                        duration: Duration::ZERO,
                        window: false,
                    };
                    report.checkpoints.push(skipped.clone());
                    return Ok(skipped);
                }
                Err(e) => return Err(sq(e)),
            }
            acquired_us = barrier_started.elapsed().as_micros() as u64;
            if let Some(t) = self.sync_started {
                self.checkpoint_lead = (self.checkpoint_lead + t.elapsed()) / 2;
            }
            // Nothing can commit now: capture the last frames before the lock is released,
            // in memory (written once the barrier ends).
            let was = std::mem::replace(&mut self.capture, true);
            let tail = self.sync_to_end(report);
            self.capture = was;
            tail_us = barrier_started.elapsed().as_micros() as u64 - acquired_us;
            if let Err(e) = tail {
                let _ = self.open_ref()?.conn.end_barrier();
                if !self.capture {
                    self.flush_captured(report)?;
                }
                return Err(e);
            }
        }
        if mode != CheckpointMode::Passive
            && let Some(p) = self.prev.as_mut()
        {
            // No barrier: the application may commit while the read lock is down.
            p.lock_lost();
        }
        let open = self.open_ref()?;
        let started = Instant::now();
        let outcome = (|| {
            // Everything is read and nothing can commit: the early pin may go.
            open.conn.release_pin()?;
            open.conn.release_read_lock()?;
            let result = checkpoint_waiting_for_others(&mut open.conn, mode);
            open.conn.acquire_read_lock()?;
            result
        })();
        let duration = started.elapsed();
        let end = open.conn.end_barrier();
        let held_us = barrier_started.elapsed().as_micros() as u64;
        let tail_bytes: usize = self.captured.iter().map(|c| c.data.len()).sum();
        if !self.capture {
            // The tail goes to its L0 file now, whatever the checkpoint did: the position
            // counts it. (Inside a sync, the sync writes it when it is done.)
            self.flush_captured(report)?;
        }
        tracing::debug!(
            target: "ltx_tui::checkpoint",
            db = %db_path.display(),
            ?mode,
            early_us,
            held_us,
            acquired_us,
            tail_us,
            tail_bytes,
            frames = ?outcome.as_ref().ok().map(|r| (r.log_frames, r.checkpointed_frames)),
            checkpoint_us = duration.as_micros() as u64,
            "checkpoint"
        );
        let result = match outcome {
            Ok(result) => result,
            Err(e) => {
                self.failed_checkpoints
                    .push(CheckpointFailure { mode, duration });
                if !self.open_ref()?.conn.holds_read_lock()
                    && let Some(p) = self.prev.as_mut()
                {
                    p.lock_lost();
                }
                return Err(sq(e));
            }
        };
        end.map_err(sq)?;
        if mode == CheckpointMode::Passive
            && let Some(p) = self.prev.as_mut()
        {
            // The tail under the barrier read every frame committed in this generation, and
            // the read lock was taken again before anyone could commit (ref §2.6 and the
            // clean-restart row in `verify`).
            p.restart_clean = true;
        }
        let open = self.open_ref()?;
        open.conn.bump_seq().map_err(sq)?;
        let after = open.wal.read_header().map_err(sq)?;
        let restarted = after.salts() != before.salts();
        self.last_checkpoint = Instant::now();
        self.synced_since_checkpoint = false;
        if restarted {
            if let Some(p) = self.prev.as_mut() {
                // A PASSIVE checkpoint ran under the barrier: nothing was lost while the lock
                // was down. Other modes ran without it: take a boundary snapshot.
                p.lock_held = mode == CheckpointMode::Passive;
            }
            if mode == CheckpointMode::Passive {
                // Read the new WAL's first frames now (the old generation was read to its end:
                // the clean-restart row in `verify`).
                self.sync_to_end(report)?;
            } else {
                self.open_ref()?.conn.begin_barrier().map_err(sq)?;
                let snap = self.sync_once(Some("checkpoint boundary"));
                let _ = self.open_ref()?.conn.end_barrier();
                let (file, _) = snap?;
                report.files.extend(file);
            }
        }
        let checkpoint = CheckpointReport {
            mode,
            result,
            restarted,
            duration,
            window: false,
        };
        report.checkpoints.push(checkpoint.clone());
        Ok(checkpoint)
    }

    /// A PASSIVE checkpoint without the barrier, behind a pin at the WAL's current end.
    ///
    /// A third connection takes a read mark at the WAL end (the pin), the main one releases its
    /// older mark, checkpoints and takes its read lock again: frames up to the pin's mark are
    /// copied into the database file while writers keep committing. The pin stays held until
    /// the barrier, so no writer can restart the WAL before the engine has read it all, however
    /// much this checkpoint backfilled. What is left for the barrier is the few frames
    /// committed since.
    pub(super) fn backfill_behind_pin(&mut self) -> Result<(), EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let open = self.open_ref()?;
        open.conn.hold_pin().map_err(sq)?;
        let outcome = (|| {
            open.conn.release_read_lock()?;
            let result = open.conn.checkpoint(CheckpointMode::Passive);
            open.conn.acquire_read_lock()?;
            result
        })();
        if let Err(e) = outcome {
            // Without the main read lock there is no pin once the early one goes (the caller
            // releases it): the next sync verifies the WAL from scratch.
            let lost = !open.conn.holds_read_lock();
            if lost && let Some(p) = self.prev.as_mut() {
                p.lock_lost();
            }
            return Err(sq(e));
        }
        Ok(())
    }

    /// Syncs, then runs a checkpoint of `mode` now with Litestream's procedure (PASSIVE under
    /// the write barrier, which restarts the WAL even with no application writing; other modes
    /// followed by a boundary snapshot when they restarted the WAL).
    pub fn checkpoint_now(&mut self, mode: CheckpointMode) -> Result<SyncReport, EngineError> {
        let mut report = self.sync()?;
        // Asked for by an operator: restart the WAL now, whatever the application does.
        self.barrier_checkpoint(mode, &mut report)?;
        report.wal_size = self.wal_size()?;
        report.unsynced_wal_bytes = self.unsynced_wal_bytes;
        report.synced_wal_offset = self.last_synced_wal_offset;
        Ok(report)
    }
}

/// How long a PASSIVE checkpoint under the barrier waits for another connection's checkpoint
/// (an application's autocheckpoint that started before the barrier) to finish.
const CHECKPOINT_LOCK_WAIT: Duration = Duration::from_millis(100);

/// Runs a checkpoint; a PASSIVE one that finds another checkpoint running (SQLite reports busy
/// at once, with no frame counts) is retried until that one is done, for at most
/// [`CHECKPOINT_LOCK_WAIT`]. Under the barrier no new checkpoint can start meanwhile (every
/// other connection waits for the write lock), so the wait is one checkpoint long.
fn checkpoint_waiting_for_others(
    conn: &mut crate::sqlite::EngineConnection,
    mode: CheckpointMode,
) -> Result<CheckpointResult, SqliteError> {
    let deadline = Instant::now() + CHECKPOINT_LOCK_WAIT;
    loop {
        let result = conn.checkpoint(mode)?;
        let locked_out = result.busy && result.log_frames < 0;
        if mode != CheckpointMode::Passive || !locked_out || Instant::now() >= deadline {
            return Ok(result);
        }
        std::thread::yield_now();
    }
}
