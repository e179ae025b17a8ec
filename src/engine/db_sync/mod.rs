//! One database's sync: read the committed WAL frames since the last position, write them as
//! the next L0 file in the meta directory, and checkpoint when the WAL grows (ref §2.5, §2.7).
//!
//! This is blocking code (SQLite, files); the database task runs it on the blocking pool. The
//! safety rule it keeps: no frame is checkpointed away before it is in an L0 file. The read
//! lock pins the WAL between syncs; a checkpoint happens only right after a sync that reached
//! the WAL end, under the write barrier for PASSIVE (or in a restart window, where the frames
//! a restart may leave behind are read after the fact and kept only with proof, see
//! [`DbSync::restart_window`]), and a TRUNCATE is followed by a full "checkpoint boundary"
//! snapshot, as Litestream does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::ltx::{Checksum, Encoder, Header, Txid};
use crate::sqlite::{
    CheckpointMode, CheckpointResult, EngineConnection, SqliteError, WalFile, WalSegment,
    frame_size,
};

use super::EngineError;
use super::meta_dir::MetaDir;
use super::verify::{
    PreviousSync, SyncStart, WAL_HEADER_SIZE, decide, decide_with, frame_still_there,
    old_generation_tail_is_whole,
};

mod captured;
mod checkpoint;
mod restart_window;

use captured::{CAPTURE_LIMIT_BYTES, CapturedL0};
use restart_window::Window;

/// The per-database settings a sync needs (from the configuration, with Litestream's defaults).
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// SQLite busy timeout for the engine's connection.
    pub busy_timeout: Duration,
    /// Largest WAL span per L0 file (0: unlimited), cut at commit boundaries.
    pub max_sync_wal_bytes: u64,
    /// WAL pages after which a PASSIVE checkpoint runs.
    pub min_checkpoint_page_count: u64,
    /// WAL pages after which a blocking TRUNCATE checkpoint runs.
    pub truncate_page_n: u64,
    /// Time-based PASSIVE checkpoint interval (`None`: off).
    pub checkpoint_interval: Option<Duration>,
    /// How soon the next sync comes while the WAL is being written (the task's batch
    /// interval): a PASSIVE checkpoint starts now if waiting for that sync would let the WAL
    /// pass the threshold first.
    pub next_sync_within: Duration,
    /// Let the application's own checkpoint restart the WAL in a short window without any
    /// engine lock, instead of holding the write barrier (see [`DbSync::restart_window`]).
    /// Off, or where the WAL cannot be given headroom, every PASSIVE checkpoint takes the
    /// barrier.
    pub restart_window: bool,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            busy_timeout: Duration::from_secs(1),
            max_sync_wal_bytes: 64 * 1024 * 1024,
            min_checkpoint_page_count: 1000,
            truncate_page_n: 121_359,
            checkpoint_interval: Some(Duration::from_secs(60)),
            next_sync_within: Duration::from_millis(10),
            restart_window: true,
        }
    }
}

/// One L0 file written by a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedFile {
    /// Its TXID.
    pub txid: Txid,
    /// Its size in bytes.
    pub bytes: u64,
    /// The WAL bytes it was read from (its header's WALSize).
    pub wal_bytes: u64,
    /// Database size in pages after it.
    pub commit: u32,
    /// Why it holds every page, if it does.
    pub snapshot: Option<&'static str>,
}

/// A checkpoint the sync ran.
#[derive(Debug, Clone)]
pub struct CheckpointReport {
    /// The mode.
    pub mode: CheckpointMode,
    /// What SQLite reported.
    pub result: CheckpointResult,
    /// True when the WAL restarted (new salts) afterwards.
    pub restarted: bool,
    /// Time spent checkpointing (read lock released, the pragma, read lock re-acquired).
    pub duration: Duration,
    /// True when it ran in a restart window (no write barrier; see `DbSync::restart_window`).
    pub window: bool,
}

/// A checkpoint that failed; [`DbSync::take_failed_checkpoints`] hands them out, since the
/// failure itself travels up as the sync's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointFailure {
    /// The mode.
    pub mode: CheckpointMode,
    /// Time spent before it failed.
    pub duration: Duration,
}

/// What one call to [`DbSync::sync`] did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// L0 files written, oldest first.
    pub files: Vec<SyncedFile>,
    /// Checkpoints run.
    pub checkpoints: Vec<CheckpointReport>,
    /// WAL file size after the sync.
    pub wal_size: u64,
    /// Database file size after the sync.
    pub db_size: u64,
    /// Bytes of valid WAL frames after the last commit read (an open transaction's spilled
    /// frames), left for the next sync.
    pub unsynced_wal_bytes: u64,
    /// The logical synced WAL size: the WAL offset the last sync reached (Litestream's
    /// `lastSyncedWALOffset`).
    pub synced_wal_offset: u64,
}

struct Open {
    conn: EngineConnection,
    wal: WalFile,
    page_size: u32,
    /// Device and inode of the database file when it was opened: a different pair at the
    /// path later means the file was replaced (a restore, a copy moved into place).
    file_id: Option<(u64, u64)>,
}

/// Device and inode of the file at `path`, or `None` when it cannot be read.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The sync state of one database: its connection, its meta directory and its position.
pub struct DbSync {
    db_path: PathBuf,
    settings: SyncSettings,
    meta: MetaDir,
    open: Option<Open>,
    prev: Option<PreviousSync>,
    last_synced_wal_offset: u64,
    last_checkpoint: Instant,
    synced_since_checkpoint: bool,
    unsynced_wal_bytes: u64,
    failed_checkpoints: Vec<CheckpointFailure>,
    /// While true, a sync keeps its L0 file in memory instead of writing it (under the
    /// checkpoint barrier, where writers wait on every millisecond).
    capture: bool,
    /// When the current (or last) sync started.
    sync_started: Option<Instant>,
    /// WAL growth while being written, bytes per second (smoothed over syncs).
    wal_rate: f64,
    /// Time from a sync's start to its checkpoint barrier (smoothed).
    checkpoint_lead: Duration,
    /// An L0 file read under the barrier, written right after it ends.
    captured: Vec<CapturedL0>,
    /// Whether the next PASSIVE checkpoint opens a restart window or takes the barrier.
    window: Window,
    /// True while a restart window has the read lock down: the WAL counts as pinned (what
    /// the window lets happen is verified after the fact), and reads are checked.
    in_window: bool,
    /// True once a restart window has opened here: a snapshot the recovery table forces after
    /// that may come from a restart the window let happen, and turns windows off.
    window_used: bool,
}

impl std::fmt::Debug for DbSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSync")
            .field("db_path", &self.db_path)
            .field("txid", &self.local_txid())
            .field("open", &self.open.is_some())
            .finish()
    }
}

/// Wall-clock milliseconds since the epoch (LTX header time).
pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl DbSync {
    /// Prepares syncing `db_path` with its meta directory at `meta_path` (default
    /// `.<name>-litestream` beside it). Nothing is opened until [`DbSync::open`].
    pub fn new(
        db_path: PathBuf,
        meta_path: Option<PathBuf>,
        settings: SyncSettings,
    ) -> Result<Self, EngineError> {
        let meta = MetaDir::open(meta_path.unwrap_or_else(|| MetaDir::default_for(&db_path)))?;
        Ok(DbSync {
            db_path,
            settings,
            meta,
            open: None,
            prev: None,
            last_synced_wal_offset: 0,
            last_checkpoint: Instant::now(),
            synced_since_checkpoint: false,
            unsynced_wal_bytes: 0,
            failed_checkpoints: Vec::new(),
            capture: false,
            sync_started: None,
            wal_rate: 0.0,
            checkpoint_lead: Duration::from_millis(5),
            captured: Vec::new(),
            window: Window::Ready { misses: 0 },
            in_window: false,
            window_used: false,
        })
    }

    /// The database path.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The meta directory.
    pub fn meta(&self) -> &MetaDir {
        &self.meta
    }

    /// True once the database has been opened.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The page size (0 before the database is opened).
    pub fn page_size(&self) -> u32 {
        self.open.as_ref().map_or(0, |o| o.page_size)
    }

    /// The highest local TXID (from the newest L0 file), if any.
    pub fn local_txid(&self) -> Option<Txid> {
        self.prev.map(|p| p.header.max_txid)
    }

    /// Opens the database as Litestream does (WAL mode, its tables, the read lock) and reads
    /// the local position from the newest L0 file, fully verified. Returns `false` when the
    /// database file does not exist yet.
    pub fn open(&mut self) -> Result<bool, EngineError> {
        if self.open.is_some() {
            return Ok(true);
        }
        if !self.db_path.exists() {
            return Ok(false);
        }
        let sq = |e| EngineError::sqlite(&self.db_path, e);
        let mut conn =
            EngineConnection::open(&self.db_path, self.settings.busy_timeout).map_err(sq)?;
        conn.ensure_wal_exists().map_err(sq)?;
        conn.acquire_read_lock().map_err(sq)?;
        let wal = WalFile::open(conn.wal_path()).map_err(sq)?;
        let page_size = conn.page_size();
        self.open = Some(Open {
            conn,
            wal,
            page_size,
            file_id: file_id(&self.db_path),
        });
        self.reload_position()?;
        Ok(true)
    }

    /// Re-reads the local position from the meta directory (after a reset or a download of
    /// the replica's newest L0 file). The in-memory WAL knowledge is forgotten.
    pub fn reload_position(&mut self) -> Result<(), EngineError> {
        self.prev = match self.meta.max_l0()? {
            Some(name) => {
                let summary = self.meta.verify_l0(name)?;
                Some(PreviousSync {
                    header: summary.header,
                    synced_to_wal_end: false,
                    lock_held: false,
                    restart_clean: false,
                })
            }
            None => None,
        };
        Ok(())
    }

    /// Closes the connection (releasing the read lock); the next sync reopens it.
    pub fn close(&mut self) -> Result<(), EngineError> {
        if let Some(open) = self.open.take() {
            open.conn
                .close()
                .map_err(|e| EngineError::sqlite(&self.db_path, e))?;
        }
        if let Some(prev) = self.prev.as_mut() {
            prev.lock_lost();
        }
        Ok(())
    }

    /// Syncs every committed WAL frame into L0 files (several when `max-sync-wal-bytes` cuts
    /// the WAL), then checkpoints if the WAL has grown past a threshold.
    pub fn sync(&mut self) -> Result<SyncReport, EngineError> {
        if !self.open()? {
            return Err(EngineError::sqlite(
                &self.db_path,
                SqliteError::DatabaseMissing {
                    path: self.db_path.clone(),
                },
            ));
        }
        let mut report = SyncReport::default();
        if self.replaced()? {
            // The file at the path is not the one the connection has open: start over on the
            // new file with a snapshot, continuing the TXIDs.
            tracing::warn!(
                db = %self.db_path.display(),
                "database file replaced; reopening it and taking a snapshot"
            );
            self.close()?;
            if !self.open()? {
                return Err(EngineError::sqlite(
                    &self.db_path,
                    SqliteError::DatabaseMissing {
                        path: self.db_path.clone(),
                    },
                ));
            }
            let (files, _) = self.sync_once(Some("database file replaced"))?;
            report.files.extend(files);
        }
        let wal_size_before = self.wal_size()?;
        let offset_before = self.last_synced_wal_offset;
        let started = Instant::now();
        let since_last = self.sync_started.replace(started).map(|t| started - t);
        // What this sync reads stays in memory until it is done, so that a checkpoint's
        // syncs before and under its barrier continue one L0 file, written after the barrier.
        self.capture = true;
        let synced = self.sync_to_end(&mut report).and_then(|()| {
            let grown = self.last_synced_wal_offset.saturating_sub(offset_before);
            if let Some(dt) = since_last.filter(|dt| !dt.is_zero()) {
                // The WAL restarts under the checkpoint; a shrinking offset says nothing.
                let rate = grown as f64 / dt.as_secs_f64();
                self.wal_rate = if self.last_synced_wal_offset >= offset_before {
                    (self.wal_rate + rate) / 2.0
                } else {
                    self.wal_rate
                };
            }
            self.checkpoint_if_needed(wal_size_before, grown, &mut report)
        });
        self.capture = false;
        let flushed = self.flush_captured(&mut report);
        synced?;
        flushed?;
        report.wal_size = self.wal_size()?;
        report.db_size = std::fs::metadata(&self.db_path)
            .map(|m| m.len())
            .unwrap_or(0);
        report.unsynced_wal_bytes = self.unsynced_wal_bytes;
        report.synced_wal_offset = self.last_synced_wal_offset;
        Ok(report)
    }

    /// True when the database file at the path is no longer the one that was opened (its
    /// device or inode changed). A path that vanished is not "replaced": the open connection
    /// keeps working on the unlinked file until the path reappears.
    fn replaced(&self) -> Result<bool, EngineError> {
        let Some(open) = self.open.as_ref() else {
            return Ok(false);
        };
        Ok(match (open.file_id, file_id(&self.db_path)) {
            (Some(opened), Some(now)) => opened != now,
            _ => false,
        })
    }

    /// The checkpoints that failed since the last call, oldest first.
    pub fn take_failed_checkpoints(&mut self) -> Vec<CheckpointFailure> {
        std::mem::take(&mut self.failed_checkpoints)
    }

    fn open_ref(&mut self) -> Result<&mut Open, EngineError> {
        self.open.as_mut().ok_or_else(|| {
            EngineError::sqlite(
                &self.db_path,
                SqliteError::DatabaseMissing {
                    path: self.db_path.clone(),
                },
            )
        })
    }

    fn wal_size(&mut self) -> Result<u64, EngineError> {
        let path = self.db_path.clone();
        let open = self.open_ref()?;
        open.wal.size().map_err(|e| EngineError::sqlite(&path, e))
    }

    /// Writes L0 files until a sync reaches the WAL end (or finds nothing new).
    fn sync_to_end(&mut self, report: &mut SyncReport) -> Result<(), EngineError> {
        loop {
            let (files, limited) = self.sync_once(None)?;
            report.files.extend(files);
            if !limited {
                return Ok(());
            }
        }
    }

    /// One new L0 file at most (returned unless it was captured in memory; a file captured
    /// earlier is written first and returned too). `force` forces a snapshot with that reason.
    fn sync_once(
        &mut self,
        force: Option<&'static str>,
    ) -> Result<(Vec<SyncedFile>, bool), EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let last_l0 = self.local_txid().map(|t| self.meta.l0_path(t));
        let prev = self.prev;
        let max_bytes = self.settings.max_sync_wal_bytes;
        let open = self.open.as_mut().ok_or_else(|| {
            sq(SqliteError::DatabaseMissing {
                path: db_path.clone(),
            })
        })?;
        open.conn.ensure_wal_exists().map_err(sq)?;

        let mut start = match force {
            Some(reason) => SyncStart::snapshot(reason),
            None => match self.captured.last() {
                // The newest L0 file is still in memory.
                Some(c) => decide_with(prev.as_ref(), &open.wal, |pgno, data| {
                    Ok(c.page(pgno) == Some(data))
                })?,
                None => decide(
                    prev.as_ref(),
                    &open.wal,
                    last_l0.as_deref().unwrap_or(Path::new("")),
                )?,
            },
        };
        let limit = if start.snapshot.is_some() {
            0
        } else {
            max_bytes
        };
        let snapshot_from_32 = |start: &mut SyncStart, reason| {
            *start = SyncStart::snapshot(reason);
            WalSegment::read(&open.wal, WAL_HEADER_SIZE, None, 0).map_err(sq)
        };
        let mut seg = match WalSegment::read(&open.wal, start.offset, start.salts, limit) {
            Ok(seg) => seg,
            Err(SqliteError::PrevFrameMismatch { .. } | SqliteError::HeaderSaltMismatch { .. }) => {
                snapshot_from_32(&mut start, "previous WAL frame changed")?
            }
            Err(e) => return Err(sq(e)),
        };
        if let Some(new_salts) = start.restarted
            && !old_generation_tail_is_whole(&open.wal, &seg, start.offset, new_salts)
                .map_err(sq)?
        {
            seg = snapshot_from_32(&mut start, SyncStart::TAIL_UNPROVEN)?;
        }
        if let Some(reason) = start.snapshot.filter(|r| *r != "first sync") {
            tracing::info!(db = %db_path.display(), reason, "taking a full snapshot");
            if force.is_none() && self.window_used && self.window != Window::Off {
                // Windows are an optimisation: whatever forced this, the barrier is the safe
                // way from here on (one unplanned snapshot per database at most).
                tracing::info!(db = %db_path.display(), "checkpoints take the write barrier from now on");
                self.window = Window::Off;
            }
        }
        let wal_size = open.wal.size().map_err(sq)?;
        let size = seg.end_offset - start.offset;
        tracing::debug!(
            db = %db_path.display(),
            start = start.offset,
            snapshot = ?start.snapshot,
            end = seg.end_offset,
            valid_end = seg.valid_end,
            stop = ?seg.stop,
            wal_size,
            salts = ?seg.salts,
            "read WAL"
        );
        self.unsynced_wal_bytes = seg.valid_end - seg.end_offset;
        let pinned = open.conn.holds_read_lock() || self.in_window;
        // The old generation's last frames are read (or there were none): the new generation
        // comes next, from offset 32.
        let tail_done = start.restarted.is_some() && !seg.limited;
        if start.restarted.is_some() && size == 0 {
            if let Some(p) = self.prev.as_mut() {
                p.restart_clean = tail_done;
            }
            self.last_synced_wal_offset = start.offset;
            return Ok((Vec::new(), true));
        }
        if start.snapshot.is_none() && size == 0 {
            // Nothing new, and the WAL was verified to still hold the previous sync's frames
            // at the resume offset: from here on the lock pins it.
            if let Some(p) = self.prev.as_mut() {
                // (Not inside a restart window: the WAL end there is not pinned.)
                p.synced_to_wal_end =
                    !self.in_window && (seg.end_offset == wal_size || wal_size <= WAL_HEADER_SIZE);
                p.lock_held = pinned;
            }
            self.last_synced_wal_offset = start.offset;
            return Ok((Vec::new(), false));
        }

        let page_size = open.page_size;
        let commit = match seg.commit {
            Some(c) => c,
            None => open.conn.db_file().page_count(page_size).map_err(sq)?,
        };
        // Frames that another WAL generation may be overwriting while they are read (an old
        // generation's last frames after a restart, or any read while a restart window has
        // the engine's read lock down) are kept only in memory, and only if the first of them
        // is still there once their pages are copied: a newer generation writes its frames in
        // order from the first, so it cannot have reached any of them without that one.
        let checked = start.restarted.is_some() || self.in_window;
        // A sync that continues the one captured just before it (same WAL, next frame, no
        // snapshot) joins its L0 file: one TXID, one file, one upload for both.
        let merge = self.capture
            && start.snapshot.is_none()
            && self.captured.last().is_some_and(|c| {
                c.file.snapshot.is_none()
                    && (c.header.wal_offset + c.header.wal_size) as u64 == start.offset
                    && (c.header.wal_salt1, c.header.wal_salt2) == seg.salts
            });
        let mut merged = if merge { self.captured.pop() } else { None };
        let end = start.offset + size;
        let plan = |merged: Option<&CapturedL0>| {
            let txid = match (merged, prev) {
                (Some(c), _) => c.header.max_txid,
                (None, p) => p.map_or(Txid(1), |p| p.header.max_txid.next()),
            };
            let mut header = Header::new(page_size, commit, txid, txid, now_ms());
            header.wal_offset = merged.map_or(start.offset as i64, |c| c.header.wal_offset);
            header.wal_size = end as i64 - header.wal_offset;
            (header.wal_salt1, header.wal_salt2) = seg.salts;
            let lock = header.lock_pgno();
            let pages: Vec<u32> = if start.snapshot.is_some() || txid == Txid(1) {
                (1..=commit).filter(|p| *p != lock).collect()
            } else {
                let prev_commit = match merged {
                    Some(c) => c.header.commit,
                    None => prev.map_or(0, |p| p.header.commit),
                };
                let mut set: BTreeSet<u32> = seg.pages.keys().copied().collect();
                set.extend((prev_commit + 1..=commit).filter(|p| *p != lock));
                if let Some(c) = merged {
                    // The database may have shrunk since: only pages within the new size.
                    set.extend(c.pages.iter().copied().filter(|p| *p <= commit));
                }
                set.into_iter().collect()
            };
            (header, pages)
        };
        let fits = |pages: &[u32], captured: &[CapturedL0]| {
            captured.iter().map(|c| c.data.len() as u64).sum::<u64>()
                + pages.len() as u64 * u64::from(page_size)
                <= CAPTURE_LIMIT_BYTES
        };
        let (mut header, mut pages) = plan(merged.as_ref());
        if let Some(c) = merged.take_if(|_| !fits(&pages, &self.captured)) {
            // Too big to keep in memory: the earlier part stays a file of its own.
            self.captured.push(c);
            (header, pages) = plan(None);
        }
        let txid = header.max_txid;
        let mut file = SyncedFile {
            txid,
            bytes: 0,
            wal_bytes: header.wal_size as u64,
            commit,
            snapshot: start.snapshot.or((txid == Txid(1)).then_some("first sync")),
        };
        let limited = (seg.limited && end < wal_size) || tail_done;
        let capture = self.capture && fits(&pages, &self.captured);
        let mut written = Vec::new();
        if capture {
            let ps = page_size as usize;
            let mut data = vec![0u8; pages.len() * ps];
            // Ok(false): a checked read that cannot be kept.
            let mut copy = || -> Result<bool, SqliteError> {
                for (pgno, page) in pages.iter().zip(data.chunks_exact_mut(ps)) {
                    match seg.read_page(&open.wal, *pgno, page) {
                        Ok(true) => continue,
                        Ok(false) => {}
                        // A newer generation overwrote the frame while it was read, or the
                        // WAL was cut under it.
                        Err(SqliteError::FrameChanged { .. }) if checked => return Ok(false),
                        Err(e) if checked && e.is_frame_gone() => return Ok(false),
                        Err(e) => return Err(e),
                    }
                    match merged.as_ref().and_then(|c| c.page(*pgno)) {
                        Some(earlier) => page.copy_from_slice(earlier),
                        // The database file may hold newer pages than these frames when no
                        // lock holds the checkpoint back.
                        None if checked => return Ok(false),
                        None => read_db_page(&open.conn, *pgno, page_size, page)?,
                    }
                }
                Ok(!checked || frame_still_there(&open.wal, start.offset, seg.salts)?)
            };
            let copied = copy();
            if !matches!(copied, Ok(true)) {
                // The file this read would have joined stays as it was, in memory.
                self.captured.extend(merged);
                copied.map_err(sq)?;
                return self.unproven(&start);
            }
            self.captured.push(CapturedL0 {
                header,
                file: file.clone(),
                pages,
                data,
            });
        } else if checked {
            self.captured.extend(merged);
            return self.unproven(&start);
        } else {
            for earlier in std::mem::take(&mut self.captured) {
                written.push(self.write_captured(earlier)?);
            }
            let open = self.open.as_ref().ok_or_else(|| missing(&db_path))?;
            let (conn, wal) = (&open.conn, &open.wal);
            file.bytes = self.meta.write_l0(txid, |w| {
                encode_l0(w, header, &db_path, &pages, |_, pgno, page| {
                    if !seg.read_page(wal, pgno, page).map_err(sq)? {
                        read_db_page(conn, pgno, page_size, page).map_err(sq)?;
                    }
                    Ok(())
                })
            })?;
            written.push(file);
        }

        self.prev = Some(PreviousSync {
            header,
            synced_to_wal_end: end == wal_size && !self.in_window,
            lock_held: pinned,
            restart_clean: tail_done,
        });
        self.last_synced_wal_offset = end;
        self.synced_since_checkpoint = true;
        Ok((written, limited))
    }

    /// Writes an L0 file captured under the barrier. On failure the position is re-read from
    /// the meta directory, so the next sync starts from the files that exist.
    fn write_captured(&mut self, c: CapturedL0) -> Result<SyncedFile, EngineError> {
        let db_path = self.db_path.clone();
        let page_size = c.header.page_size as usize;
        let name = crate::ltx::FileName::new(c.header.min_txid, c.header.max_txid);
        let written = self.meta.write_l0_unsynced_name(name, |w| {
            encode_l0(w, c.header, &db_path, &c.pages, |i, _, page| {
                page.copy_from_slice(&c.data[i * page_size..(i + 1) * page_size]);
                Ok(())
            })
        });
        match written {
            Ok(bytes) => Ok(SyncedFile { bytes, ..c.file }),
            Err(e) => {
                self.reload_position()?;
                Err(e)
            }
        }
    }

    /// Writes the L0 files captured in memory, oldest first.
    fn flush_captured(&mut self, report: &mut SyncReport) -> Result<(), EngineError> {
        if self.captured.is_empty() {
            return Ok(());
        }
        for c in std::mem::take(&mut self.captured) {
            report.files.push(self.write_captured(c)?);
        }
        // One directory fsync makes all the renames durable.
        self.meta.sync_l0_dir()
    }

    /// Writes a snapshot of the database at the local position (pages 1..commit from the WAL
    /// up to the last synced offset, else from the database file) as an LTX file with MinTXID
    /// 1 and MaxTXID = the local TXID, for the L9 snapshot level. Returns the writer and the
    /// header. Safe without the write barrier: the read lock keeps every frame past the last
    /// sync out of the database file.
    pub fn write_snapshot<W: std::io::Write>(&mut self, w: W) -> Result<(W, Header), EngineError> {
        let db_path = self.db_path.clone();
        let sq = |e| EngineError::sqlite(&db_path, e);
        let ltx = |source| EngineError::Ltx {
            path: db_path.clone(),
            source,
        };
        let Some(prev) = self.prev else {
            return Err(EngineError::Config(format!(
                "{} has no local position yet; a snapshot needs one sync first",
                db_path.display()
            )));
        };
        if !prev.lock_held {
            return Err(EngineError::Config(format!(
                "{}: the WAL is not pinned since the last sync; sync first",
                db_path.display()
            )));
        }
        let end = self.last_synced_wal_offset;
        let open = self.open.as_mut().ok_or_else(|| {
            sq(SqliteError::DatabaseMissing {
                path: db_path.clone(),
            })
        })?;
        let page_size = open.page_size;
        let salts = (prev.header.wal_salt1, prev.header.wal_salt2);
        let seg = if end > WAL_HEADER_SIZE {
            let seg = WalSegment::read(
                &open.wal,
                WAL_HEADER_SIZE,
                Some(salts),
                end - WAL_HEADER_SIZE,
            )
            .map_err(sq)?;
            if seg.end_offset != end {
                return Err(EngineError::Config(format!(
                    "{}: the WAL no longer holds the synced frames (ends at {}, synced to {end}); sync first",
                    db_path.display(),
                    seg.end_offset
                )));
            }
            Some(seg)
        } else {
            None
        };
        let commit = prev.header.commit;
        let mut header = Header::new(page_size, commit, Txid(1), prev.header.max_txid, now_ms());
        // As Litestream: the WAL range of the last frame included, and the current salts.
        let fs = frame_size(page_size);
        (header.wal_offset, header.wal_size) = if end >= WAL_HEADER_SIZE + fs {
            ((end - fs) as i64, fs as i64)
        } else {
            (WAL_HEADER_SIZE as i64, 0)
        };
        (header.wal_salt1, header.wal_salt2) = salts;
        let mut enc = Encoder::new(w, header).map_err(ltx)?;
        let mut page = vec![0u8; page_size as usize];
        let lock = header.lock_pgno();
        for pgno in (1..=commit).filter(|p| *p != lock) {
            let from_wal = match &seg {
                Some(seg) => seg.read_page(&open.wal, pgno, &mut page).map_err(sq)?,
                None => false,
            };
            if !from_wal {
                read_db_page(&open.conn, pgno, page_size, &mut page).map_err(sq)?;
            }
            enc.encode_page(pgno, &page).map_err(ltx)?;
        }
        let (w, _) = enc.finish(Checksum::ZERO).map_err(ltx)?;
        Ok((w, header))
    }

    /// Discards local L0 files and forgets the position (`litestream reset`).
    pub fn reset(&mut self) -> Result<(), EngineError> {
        self.captured.clear();
        self.meta.wipe()?;
        self.prev = None;
        self.last_synced_wal_offset = 0;
        Ok(())
    }
}

/// The error for a database that is not open (any more).
fn missing(db_path: &Path) -> EngineError {
    EngineError::sqlite(
        db_path,
        SqliteError::DatabaseMissing {
            path: db_path.to_path_buf(),
        },
    )
}

/// Encodes an L0 file: `header`, then `pages` in order, each filled by `fill(index, pgno,
/// buffer)`.
fn encode_l0<W: std::io::Write>(
    w: W,
    header: Header,
    db_path: &Path,
    pages: &[u32],
    mut fill: impl FnMut(usize, u32, &mut [u8]) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let ltx = |source| EngineError::Ltx {
        path: db_path.to_path_buf(),
        source,
    };
    let mut enc = Encoder::new(w, header).map_err(ltx)?;
    let mut page = vec![0u8; header.page_size as usize];
    for (i, &pgno) in pages.iter().enumerate() {
        fill(i, pgno, &mut page)?;
        enc.encode_page(pgno, &page).map_err(ltx)?;
    }
    enc.finish(Checksum::ZERO).map_err(ltx)?;
    Ok(())
}

/// Reads a page from the database file; a page beyond its end reads as zeros, as SQLite does.
fn read_db_page(
    conn: &EngineConnection,
    pgno: u32,
    page_size: u32,
    buf: &mut [u8],
) -> Result<(), SqliteError> {
    match conn.db_file().read_page(pgno, page_size, buf) {
        Ok(()) => Ok(()),
        Err(SqliteError::PageOutOfRange { .. }) => {
            buf.fill(0);
            Ok(())
        }
        Err(e) => Err(e),
    }
}
