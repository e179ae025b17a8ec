//! Restart windows: a PASSIVE checkpoint of a fast-filling WAL without the write barrier,
//! the application's own autocheckpoint restarting the WAL while the engine watches.

use std::time::{Duration, Instant};

use crate::sqlite::{
    CheckpointMode, CheckpointResult, Headroom, WalFile, frame_size, reserve_wal_headroom,
};

use super::{CheckpointFailure, CheckpointReport, DbSync, SyncReport, SyncedFile};
use crate::engine::EngineError;
use crate::engine::verify::{SyncStart, WAL_HEADER_SIZE};

/// How PASSIVE checkpoints restart the WAL for one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Window {
    /// The next one opens a restart window; `misses` windows in a row closed with no restart.
    Ready {
        /// Windows in a row that saw no restart.
        misses: u32,
    },
    /// [`MISSES_BEFORE_BARRIER`] windows in a row closed with no restart (the application
    /// does not checkpoint on its own, or not soon enough): this many more take the barrier
    /// before a window is tried again.
    Barrier(u32),
    /// Never here: the WAL cannot be given headroom, or something cuts the WAL file.
    Off,
}

/// Windows in a row with no restart before checkpoints turn to the barrier for a while (one
/// alone may only mean the application's checkpoint was slow to finish).
const MISSES_BEFORE_BARRIER: u32 = 3;

/// Barrier checkpoints after [`MISSES_BEFORE_BARRIER`] windows saw no restart, before the
/// next window.
const BARRIER_AFTER_MISS: u32 = 16;

/// How long a restart window stays open at most.
const WINDOW_OPEN_FOR: Duration = Duration::from_millis(50);

/// The fewest WAL frames read for a restart window to open. A new generation overwrites the
/// old one's frames from the first: the old generation's last frames are safe until it has
/// written as many as the engine had read, at least this many (a few milliseconds at the
/// fastest writers), and the engine reads them first. A smaller WAL takes the barrier.
const MIN_WINDOW_FRAMES: u64 = 256;

/// How often an open window reads the frames appended since it opened.
const WINDOW_READ_EVERY: Duration = Duration::from_millis(1);

/// The most a window reserves past the WAL's frames for the writer's growth.
const MAX_HEADROOM_BYTES: u64 = 64 * 1024 * 1024;

/// How often an open window looks at the WAL header.
const WINDOW_POLL: Duration = Duration::from_micros(100);

impl DbSync {
    /// What a checked read (see `sync_once`) does when its frames cannot be kept: an old
    /// generation's last frames force a snapshot; a read during a restart window is simply
    /// dropped (the position stays), to be read again with the lock held or as such a tail.
    pub(super) fn unproven(
        &mut self,
        start: &SyncStart,
    ) -> Result<(Vec<SyncedFile>, bool), EngineError> {
        if start.restarted.is_some() {
            if self.window_used && self.window != Window::Off {
                tracing::info!(
                    db = %self.db_path.display(),
                    "the WAL restarted and its last frames could not be proven read: checkpoints take the write barrier from now on"
                );
                self.window = Window::Off;
            }
            self.sync_once(Some(SyncStart::TAIL_UNPROVEN))
        } else {
            Ok((Vec::new(), false))
        }
    }

    /// True when the next PASSIVE checkpoint should open a restart window: they are on, not
    /// given up here, and the WAL fills to the threshold within a second. A slower writer
    /// hardly ever meets the barrier, and it would not restart the WAL inside a window: the
    /// window would only hold the next sync back.
    pub(super) fn window_wanted(&self) -> bool {
        let threshold = WAL_HEADER_SIZE
            + self.settings.min_checkpoint_page_count * frame_size(self.page_size().max(512));
        self.settings.restart_window
            && matches!(self.window, Window::Ready { .. })
            && self.wal_rate >= threshold as f64
    }

    /// A PASSIVE checkpoint with no engine lock held for a moment, so that the WAL restarts
    /// without the write barrier. Returns `None` (nothing done) when the WAL cannot be given
    /// headroom here; the caller takes the barrier instead.
    ///
    /// With the barrier, every restart stops the application's writer for the time it takes
    /// to read the last frames and run the checkpoint, and SQLite's busy handler makes a
    /// waiting writer sleep a millisecond or more. Here the engine instead gives up its read
    /// locks, backfills what it can, and watches the WAL header for up to
    /// [`WINDOW_OPEN_FOR`]: the application's own checkpoint (SQLite's autocheckpoint, run by
    /// the writer between its transactions) completes the backfill and its next transaction
    /// restarts the WAL. The engine then takes its read lock again (at most this one restart
    /// can have happened unseen by it, and the salt proves it) and reads the old generation's
    /// last frames after the fact: the reserved headroom guarantees they are followed by bytes
    /// that fail verification, and the new generation needs as many frames as the engine had
    /// read before it reaches them (see [`crate::engine::verify`]). When that proof fails, the
    /// sync takes a snapshot: slower, never wrong.
    ///
    /// [`MISSES_BEFORE_BARRIER`] windows in a row that see no restart (the application never
    /// checkpoints on its own) send the next [`BARRIER_AFTER_MISS`] checkpoints to the barrier; a WAL file cut below its
    /// headroom (`journal_size_limit`, a TRUNCATE checkpoint) turns windows off here.
    pub(super) fn restart_window(
        &mut self,
        report: &mut SyncReport,
    ) -> Result<Option<CheckpointReport>, EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let page_size = self.page_size();
        if page_size == 0 || self.prev.is_none() {
            return Ok(None);
        }
        let fs = frame_size(page_size);
        let frames = self.last_synced_wal_offset.saturating_sub(WAL_HEADER_SIZE) / fs;
        if frames < MIN_WINDOW_FRAMES {
            // The new generation would reach the frames read so far too soon.
            return Ok(None);
        }
        // Room for what the writer can append while the window is open, twice over, and
        // never less than twice the threshold.
        let growth = (self.wal_rate * 2.0 * WINDOW_OPEN_FOR.as_secs_f64()) as u64;
        let room = (2 * self.settings.min_checkpoint_page_count)
            .max(growth.min(MAX_HEADROOM_BYTES) / fs)
            .max(2);
        let reserve_to = WAL_HEADER_SIZE + (frames + room) * fs;
        let wal_path = self.open_ref()?.conn.wal_path().to_path_buf();
        match reserve_wal_headroom(&wal_path, reserve_to) {
            Ok(Headroom::Reserved { .. }) => {}
            Ok(Headroom::Unsupported) => {
                tracing::info!(db = %db_path.display(), "the WAL cannot be extended here: every checkpoint takes the write barrier");
                self.window = Window::Off;
                return Ok(None);
            }
            Err(e) => {
                // No space for the headroom, say: the barrier needs none.
                tracing::debug!(target: "ltx_tui::checkpoint", db = %db_path.display(), error = %e, "no WAL headroom; barrier checkpoint");
                return Ok(None);
            }
        }
        let open = self.open_ref()?;
        let before = open.wal.read_header().map_err(sq)?;
        let reserved = open.wal.size().map_err(sq)?;
        if let Some(t) = self.sync_started {
            self.checkpoint_lead = (self.checkpoint_lead + t.elapsed()) / 2;
        }
        if let Some(p) = self.prev.as_mut() {
            // From here the old generation may get frames past the sync position, and a
            // WAL cut after a restart (`journal_size_limit`) proves nothing about them.
            p.restart_clean = false;
            p.synced_to_wal_end = false;
        }
        let started = Instant::now();
        self.in_window = true;
        self.window_used = true;
        let outcome = self.window_open(before.salts(), report);
        self.in_window = false;
        // Whatever happened in the window, the lock comes back.
        let reacquired = self.open_ref()?.conn.acquire_read_lock().map_err(sq);
        let outcome = outcome.and_then(|result| reacquired.map(|()| result));
        let duration = started.elapsed();
        let open = self.open_ref()?;
        if !open.conn.holds_read_lock()
            && let Some(p) = self.prev.as_mut()
        {
            p.lock_lost();
        }
        let result = match outcome {
            Ok(result) => result,
            Err(e) => {
                self.failed_checkpoints.push(CheckpointFailure {
                    mode: CheckpointMode::Passive,
                    duration,
                });
                return Err(e);
            }
        };
        let open = self.open_ref()?;
        let changed = |wal: &WalFile| {
            wal.read_header()
                .ok()
                .is_none_or(|h| h.salts() != before.salts())
        };
        let mut restarted = changed(&open.wal);
        if !restarted {
            // No one wrote since the backfill, or the application does not checkpoint. A WAL
            // left fully backfilled could restart later at any moment (a read lock taken on
            // it does not prevent that), and a large transaction then might overwrite the
            // frames before the engine looks: restart it now, as Litestream does after its
            // checkpoints. (With frames left to backfill this only appends one.)
            match open.conn.bump_seq() {
                Ok(()) => restarted = changed(&open.wal),
                // A writer that commits all the time can keep the lock from the bump for the
                // whole busy timeout: the WAL is not restarted, which is what this tells.
                Err(e) if e.is_busy() => {}
                Err(e) => return Err(sq(e)),
            }
        }
        if open.wal.size().map_err(sq)? < reserved {
            tracing::info!(
                db = %db_path.display(),
                "the WAL file was cut below its reserved headroom (journal_size_limit or a TRUNCATE checkpoint): checkpoints take the write barrier from now on"
            );
            self.window = Window::Off;
        } else if let Window::Ready { misses } = self.window {
            self.window = match (restarted, misses + 1) {
                (true, _) => Window::Ready { misses: 0 },
                (false, n) if n >= MISSES_BEFORE_BARRIER => Window::Barrier(BARRIER_AFTER_MISS),
                (false, n) => Window::Ready { misses: n },
            };
        }
        tracing::debug!(
            target: "ltx_tui::checkpoint",
            db = %db_path.display(),
            window_us = duration.as_micros() as u64,
            restarted,
            frames = ?(result.log_frames, result.checkpointed_frames),
            "restart window"
        );
        self.last_checkpoint = Instant::now();
        self.synced_since_checkpoint = false;
        // The old generation's last frames and the new one's first, or more of the old one.
        self.sync_to_end(report)?;
        let checkpoint = CheckpointReport {
            mode: CheckpointMode::Passive,
            result,
            restarted,
            duration,
            window: true,
        };
        report.checkpoints.push(checkpoint.clone());
        Ok(Some(checkpoint))
    }

    /// The open part of [`DbSync::restart_window`]: every engine lock released, a PASSIVE
    /// checkpoint, then until the WAL header changes (at most [`WINDOW_OPEN_FOR`]) the frames
    /// the writer appends are read as they come, so that few are left to read after the fact.
    /// The caller takes the read lock again, whatever this returns.
    pub(super) fn window_open(
        &mut self,
        salts: (u32, u32),
        report: &mut SyncReport,
    ) -> Result<CheckpointResult, EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let open = self.open_ref()?;
        open.conn.release_pin().map_err(sq)?;
        open.conn.release_read_lock().map_err(sq)?;
        let result = open.conn.checkpoint(CheckpointMode::Passive).map_err(sq)?;
        let deadline = Instant::now() + WINDOW_OPEN_FOR;
        let mut last_read = Instant::now();
        while Instant::now() < deadline {
            match self.open_ref()?.wal.read_header() {
                Ok(h) if h.salts() == salts => {}
                // Restarted, or cut to nothing by a TRUNCATE: look now.
                _ => break,
            }
            if last_read.elapsed() >= WINDOW_READ_EVERY {
                self.sync_to_end(report)?;
                last_read = Instant::now();
            }
            std::thread::sleep(WINDOW_POLL);
        }
        Ok(result)
    }
}
