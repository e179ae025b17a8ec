//! Where the next sync starts, and whether it must be a full snapshot: Litestream's
//! `verifyWithExecutor` recovery table (ref §2.6), row by row.
//!
//! | Condition | Decision |
//! |---|---|
//! | no previous L0 file | snapshot from offset 32 (first sync) |
//! | resume offset beyond the WAL, last sync ended at the WAL end | WAL truncated by a checkpoint: incremental from 32 with the new salts |
//! | resume offset beyond the WAL otherwise | snapshot: WAL truncated by another process |
//! | resume offset 32 (previous file had no frames) | incremental if the header salts match, else snapshot |
//! | previous frame is the first frame | incremental if the header salts match, else snapshot |
//! | previous frame's salts differ, or its page is not byte-identical in the last L0 file | snapshot: WAL overwritten by another process |
//! | previous frame matches but the header salts changed (WAL restarted) | scan salts from the start: only {new, old} seen ⇒ incremental from 32, else snapshot |
//! | … and the old generation may have frames past the resume offset | read them first (see below) |
//! | otherwise | incremental from the resume offset |
//!
//! One deliberate strengthening: the "WAL restarted" and "WAL truncated" rows continue
//! incrementally only when this process held its read lock since the previous sync. A restart
//! that happened while nothing pinned the WAL (ltx-tui was not running) may have checkpointed
//! frames past the resume offset away unseen, so a snapshot is taken instead.
//!
//! One row of our own, checked first: the previous sync's WAL generation is known to end where
//! that sync did (`restart_clean`): it was read under the write barrier of a PASSIVE checkpoint
//! and the read lock taken again before anyone could commit, or it is an old generation whose
//! last frames were read with proof (below). The read lock then allows one restart at most (a
//! lock on a fully backfilled WAL reads the database file and blocks every later backfill, so
//! a second restart cannot happen), and a restart seen loses nothing, however far the new
//! generation has already overwritten the old one: the salts are scanned from 32 when the first
//! salt went up by exactly one (SQLite adds one per restart), else a snapshot.
//!
//! One addition: a restart the engine let happen without its write barrier (it released its
//! locks for a moment so that the application's own checkpoint could restart the WAL) may
//! leave frames of the old generation past the resume offset. They are read after the fact,
//! with the old salts and the old checksum chain, and kept only with proof that nothing was
//! lost: the header's salt shows exactly one restart, the frame after the last one read fails
//! verification inside the file (the end of the file proves nothing: it may have been cut
//! there), and the new generation has not reached the first of them. Otherwise a snapshot.

use std::fs::File;
use std::path::Path;

use crate::ltx::{Header, SeekRangeReader, read_page, read_page_index};
use crate::sqlite::{WalFile, WalSegment, WalStop, frame_size};

use super::EngineError;

/// The WAL header is 32 bytes; frame 0 starts there.
pub const WAL_HEADER_SIZE: u64 = 32;

/// What the engine remembers about the previous sync.
#[derive(Debug, Clone, Copy)]
pub struct PreviousSync {
    /// Header of the newest local L0 file.
    pub header: Header,
    /// True when that sync ended exactly at the end of the WAL file.
    pub synced_to_wal_end: bool,
    /// True when this process has held its read lock continuously since that sync.
    pub lock_held: bool,
    /// True when the WAL generation of that sync is known to end at its position: it was
    /// read to the end under the write barrier (and the read lock taken again after the
    /// checkpoint, before anyone could commit), or it restarted and its last frames were read
    /// with proof of where they end. With `lock_held`, a restart seen after it (one at most)
    /// is resumed at offset 32 whatever the new generation overwrote.
    pub restart_clean: bool,
}

impl PreviousSync {
    /// The read lock was released with nothing else holding the WAL: frames may have been
    /// committed (and a restart may follow) unseen, so neither guarantee holds any more.
    pub fn lock_lost(&mut self) {
        self.lock_held = false;
        self.restart_clean = false;
    }
}

/// Where to start reading the WAL and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStart {
    /// WAL offset of the first frame to read.
    pub offset: u64,
    /// Salts the frames must carry (`None`: the header's).
    pub salts: Option<(u32, u32)>,
    /// `Some(reason)` when the file must hold every page.
    pub snapshot: Option<&'static str>,
    /// The new header salts when the WAL restarted and this start reads the old generation's
    /// last frames (with `salts`); the reader must prove where they end.
    pub restarted: Option<(u32, u32)>,
}

impl SyncStart {
    /// A full snapshot read from the WAL's first frame, for `reason`.
    pub(crate) fn snapshot(reason: &'static str) -> Self {
        SyncStart {
            offset: WAL_HEADER_SIZE,
            salts: None,
            snapshot: Some(reason),
            restarted: None,
        }
    }

    fn incremental(offset: u64, salts: (u32, u32)) -> Self {
        SyncStart {
            offset,
            salts: Some(salts),
            snapshot: None,
            restarted: None,
        }
    }

    /// The old generation's last frames from `offset`, before the new one (`new` salts).
    fn old_generation_tail(offset: u64, old: (u32, u32), new: (u32, u32)) -> Self {
        SyncStart {
            offset,
            salts: Some(old),
            snapshot: None,
            restarted: Some(new),
        }
    }

    /// The reason for the snapshot a restart forces when its old generation's last frames
    /// cannot be proven complete.
    pub const TAIL_UNPROVEN: &'static str = "WAL restarted before its last frames were read";
}

/// Applies the recovery table. `last_l0` is the path of the newest local L0 file.
pub fn decide(
    prev: Option<&PreviousSync>,
    wal: &WalFile,
    last_l0: &Path,
) -> Result<SyncStart, EngineError> {
    decide_with(prev, wal, |pgno, data| page_in_l0(last_l0, pgno, data))
}

/// [`decide`], with `in_last_l0(pgno, data)` telling whether the newest L0 file holds page
/// `pgno` with exactly `data` (for a file still in memory).
pub fn decide_with(
    prev: Option<&PreviousSync>,
    wal: &WalFile,
    in_last_l0: impl FnOnce(u32, &[u8]) -> Result<bool, EngineError>,
) -> Result<SyncStart, EngineError> {
    let Some(prev) = prev else {
        return Ok(SyncStart::snapshot("first sync"));
    };
    let h = &prev.header;
    let db = wal.path();
    let prev_salts = (h.wal_salt1, h.wal_salt2);
    let offset = (h.wal_offset + h.wal_size) as u64;
    let wal_size = wal.size().map_err(|e| EngineError::sqlite(db, e))?;
    let header = wal.read_header().map_err(|e| EngineError::sqlite(db, e))?;

    if h.wal_offset == 0 {
        // The previous file came from elsewhere (a compaction or a restore download): nothing
        // ties it to this WAL.
        return Ok(SyncStart::snapshot("previous file has no WAL position"));
    }
    if prev.lock_held && prev.restart_clean && header.salts() != prev_salts {
        // Nothing of the old generation is left to read: its last frame need not be there.
        if header.salt1 != prev_salts.0.wrapping_add(1) {
            return Ok(SyncStart::snapshot("WAL restarted more than once"));
        }
        let fs = frame_size(header.page_size);
        return restarted_wal(wal, header.salts(), prev_salts, offset, fs);
    }
    if offset > wal_size {
        if prev.synced_to_wal_end && prev.lock_held {
            return Ok(SyncStart::incremental(WAL_HEADER_SIZE, header.salts()));
        }
        return Ok(SyncStart::snapshot("WAL truncated by another process"));
    }
    if offset == WAL_HEADER_SIZE {
        return Ok(if header.salts() == prev_salts {
            SyncStart::incremental(offset, prev_salts)
        } else {
            SyncStart::snapshot("WAL salts changed")
        });
    }
    let fs = frame_size(header.page_size);
    if offset < WAL_HEADER_SIZE + fs || !(offset - WAL_HEADER_SIZE).is_multiple_of(fs) {
        return Ok(SyncStart::snapshot(
            "resume offset is not a frame boundary of this WAL",
        ));
    }
    let prev_frame = offset - fs;
    if prev_frame == WAL_HEADER_SIZE && header.salts() != prev_salts {
        return Ok(SyncStart::snapshot("WAL salts changed"));
    }
    if prev.lock_held && header.salts() == prev_salts {
        // Pinned since the previous sync and not restarted: no one can have overwritten the
        // frames, so skip re-reading the last frame and the L0 file on every sync.
        return Ok(SyncStart::incremental(offset, prev_salts));
    }

    // The last frame the previous sync read must still be there, unchanged.
    let mut page = vec![0u8; header.page_size as usize];
    let frame = match wal.read_frame(prev_frame, &mut page) {
        Ok(frame) => frame,
        // Cut since its size was read: the row for a WAL shorter than the resume offset.
        Err(e) if e.is_frame_gone() => {
            return Ok(SyncStart::snapshot("WAL truncated by another process"));
        }
        Err(e) => return Err(EngineError::sqlite(db, e)),
    };
    if frame.salts() != prev_salts || !in_last_l0(frame.pgno, &page)? {
        return Ok(SyncStart::snapshot("WAL overwritten by another process"));
    }
    if header.salts() != prev_salts {
        if !prev.lock_held {
            return Ok(SyncStart::snapshot("WAL restarted while it was not pinned"));
        }
        // Restarts add one to the first salt: anything else means the WAL restarted more
        // than once (or was rewritten), and a whole generation may be gone.
        if header.salt1 != prev_salts.0.wrapping_add(1) {
            return Ok(SyncStart::snapshot("WAL restarted more than once"));
        }
        return Ok(SyncStart::old_generation_tail(
            offset,
            prev_salts,
            header.salts(),
        ));
    }
    Ok(SyncStart::incremental(offset, prev_salts))
}

/// The WAL restarted (new header salts) but old frames remain: scan frames from the start
/// until the old salt; anything but the new or old salt means a full or restart checkpoint
/// overwrote frames, and only a snapshot is safe.
fn restarted_wal(
    wal: &WalFile,
    new: (u32, u32),
    old: (u32, u32),
    until: u64,
    fs: u64,
) -> Result<SyncStart, EngineError> {
    let mut at = WAL_HEADER_SIZE;
    while at < until {
        let Some(frame) = wal
            .read_frame_header(at)
            .map_err(|e| EngineError::sqlite(wal.path(), e))?
        else {
            break;
        };
        if frame.salts() == old {
            break;
        }
        if frame.salts() != new {
            return Ok(SyncStart::snapshot("full or restart checkpoint detected"));
        }
        at += fs;
    }
    Ok(SyncStart::incremental(WAL_HEADER_SIZE, new))
}

/// True when the frame at `offset` still carries `salts`: no newer WAL generation has reached
/// it (nor the frames after it, which that generation would write later).
pub(crate) fn frame_still_there(
    wal: &WalFile,
    offset: u64,
    salts: (u32, u32),
) -> Result<bool, crate::sqlite::SqliteError> {
    Ok(wal
        .read_frame_header(offset)?
        .is_some_and(|h| h.salts() == salts))
}

/// True when the frames read from `start` (with the old generation's salts, after the WAL
/// restarted with `new_salts`) are all the old generation had: the frame after the last one
/// read fails verification inside the file (a cut file proves nothing), and the new generation
/// has not reached `start` (it writes its frames in order from the first, so a frame of it
/// there would mean the old ones past it may have been overwritten before they were read).
pub(crate) fn old_generation_tail_is_whole(
    wal: &WalFile,
    seg: &WalSegment,
    start: u64,
    new_salts: (u32, u32),
) -> Result<bool, crate::sqlite::SqliteError> {
    let ends_inside = seg.limited
        || matches!(
            seg.stop,
            WalStop::SaltMismatch | WalStop::ChecksumMismatch | WalStop::InvalidPgno
        );
    // Read after the tail: a frame header is written before its page, so a new-generation
    // header seen here is counted even while its page is still being written.
    let overrun = wal
        .read_frame_header(start)?
        .is_some_and(|h| h.salts() == new_salts);
    Ok(ends_inside && !overrun)
}

/// True when `pgno` is in the L0 file with exactly `data`.
fn page_in_l0(path: &Path, pgno: u32, data: &[u8]) -> Result<bool, EngineError> {
    let file = File::open(path).map_err(|e| EngineError::io("opening L0 file", path, e))?;
    let mut reader = SeekRangeReader(file);
    let ltx = |source| EngineError::Ltx {
        path: path.to_path_buf(),
        source,
    };
    let view = read_page_index(&mut reader).map_err(ltx)?;
    Ok(read_page(&mut reader, &view, pgno).map_err(ltx)?.as_deref() == Some(data))
}

#[cfg(test)]
mod tests {
    //! Every row of the recovery table, on hand-built WAL files and L0 files.
    use std::io::Write;

    use super::*;
    use crate::ltx::{Checksum, Encoder, FileName, Txid};
    use crate::sqlite::{FrameHeader, WalByteOrder, WalHeader};

    const PS: u32 = 512;
    const OLD: (u32, u32) = (7, 70);
    const NEW: (u32, u32) = (8, 80);

    fn page(tag: u8) -> Vec<u8> {
        vec![tag; PS as usize]
    }

    /// A WAL file: a header with `header_salts`, then frames `(pgno, salts, tag)`; every frame
    /// commits, and the checksum chain restarts whenever the salts change.
    fn wal(dir: &Path, header_salts: (u32, u32), frames: &[(u32, (u32, u32), u8)]) -> WalFile {
        let header = WalHeader::new(WalByteOrder::Little, PS, 0, header_salts.0, header_salts.1);
        let mut bytes = header.encode().to_vec();
        let mut seed = header.checksum();
        for &(pgno, salts, tag) in frames {
            if salts != header_salts {
                seed = (salts.0, salts.1);
            }
            let data = page(tag);
            let fh = FrameHeader::sealed(WalByteOrder::Little, seed, pgno, pgno, salts, &data);
            seed = fh.checksum();
            bytes.extend_from_slice(&fh.encode());
            bytes.extend_from_slice(&data);
        }
        let path = dir.join("db-wal");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
        WalFile::open(&path).unwrap()
    }

    /// An L0 file holding `pgno` with page `tag`, and its header with WAL position
    /// `(offset, size)` and `salts`.
    fn l0(
        dir: &Path,
        pgno: u32,
        tag: u8,
        offset: i64,
        size: i64,
        salts: (u32, u32),
    ) -> (std::path::PathBuf, Header) {
        let mut h = Header::new(PS, pgno.max(1), Txid(2), Txid(2), 0);
        (h.wal_offset, h.wal_size, h.wal_salt1, h.wal_salt2) = (offset, size, salts.0, salts.1);
        let mut enc = Encoder::new(Vec::new(), h).unwrap();
        enc.encode_page(pgno, &page(tag)).unwrap();
        let (bytes, _) = enc.finish(Checksum::ZERO).unwrap();
        let path = dir.join(FileName::new(Txid(2), Txid(2)).to_string());
        std::fs::write(&path, bytes).unwrap();
        (path, h)
    }

    fn prev(header: Header, synced_to_wal_end: bool, lock_held: bool) -> PreviousSync {
        PreviousSync {
            header,
            synced_to_wal_end,
            lock_held,
            restart_clean: false,
        }
    }

    fn clean(header: Header, lock_held: bool) -> PreviousSync {
        PreviousSync {
            restart_clean: true,
            ..prev(header, false, lock_held)
        }
    }

    fn fs() -> u64 {
        frame_size(PS)
    }

    #[test]
    fn no_previous_file_means_a_first_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let w = wal(dir.path(), OLD, &[(1, OLD, 1)]);
        assert_eq!(
            decide(None, &w, Path::new("")).unwrap().snapshot,
            Some("first sync")
        );
    }

    #[test]
    fn a_previous_file_without_wal_position_means_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let w = wal(dir.path(), OLD, &[(1, OLD, 1)]);
        let (path, mut h) = l0(dir.path(), 1, 1, 32, 0, OLD);
        (h.wal_offset, h.wal_size, h.wal_salt1, h.wal_salt2) = (0, 0, 0, 0);
        let got = decide(Some(&prev(h, true, true)), &w, &path).unwrap();
        assert_eq!(got.snapshot, Some("previous file has no WAL position"));
    }

    #[test]
    fn a_wal_shorter_than_the_resume_offset_is_a_checkpoint_truncation_or_foreign_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let w = wal(dir.path(), NEW, &[(1, NEW, 9)]);
        let (path, h) = l0(dir.path(), 2, 2, 32, 3 * fs() as i64, OLD);
        let ours = decide(Some(&prev(h, true, true)), &w, &path).unwrap();
        assert_eq!(
            ours,
            SyncStart {
                offset: 32,
                salts: Some(NEW),
                snapshot: None,
                restarted: None,
            }
        );
        for (end, held) in [(false, true), (true, false)] {
            let got = decide(Some(&prev(h, end, held)), &w, &path).unwrap();
            assert_eq!(
                got.snapshot,
                Some("WAL truncated by another process"),
                "synced_to_end {end} lock {held}"
            );
        }
    }

    #[test]
    fn resume_at_offset_32_depends_on_the_header_salts() {
        let dir = tempfile::tempdir().unwrap();
        let (path, h) = l0(dir.path(), 1, 1, 32, 0, OLD);
        let same = wal(dir.path(), OLD, &[(1, OLD, 1)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &same, &path).unwrap(),
            SyncStart {
                offset: 32,
                salts: Some(OLD),
                snapshot: None,
                restarted: None,
            }
        );
        let changed = wal(dir.path(), NEW, &[(1, NEW, 1)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &changed, &path)
                .unwrap()
                .snapshot,
            Some("WAL salts changed")
        );
    }

    #[test]
    fn resume_after_the_first_frame_depends_on_the_header_salts() {
        let dir = tempfile::tempdir().unwrap();
        let (path, h) = l0(dir.path(), 1, 1, 32, fs() as i64, OLD);
        let same = wal(dir.path(), OLD, &[(1, OLD, 1), (2, OLD, 2)]);
        let start = 32 + fs();
        assert_eq!(
            decide(Some(&prev(h, true, true)), &same, &path).unwrap(),
            SyncStart {
                offset: start,
                salts: Some(OLD),
                snapshot: None,
                restarted: None,
            }
        );
        let changed = wal(dir.path(), NEW, &[(1, NEW, 1), (2, NEW, 2)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &changed, &path)
                .unwrap()
                .snapshot,
            Some("WAL salts changed")
        );
    }

    #[test]
    fn a_changed_previous_frame_means_the_wal_was_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // The previous sync read frames 0 and 1; frame 1 held page 3 with tag 3.
        let (path, h) = l0(dir.path(), 3, 3, 32, 2 * fs() as i64, OLD);
        let other_page = wal(dir.path(), OLD, &[(1, OLD, 1), (3, OLD, 4)]);
        assert_eq!(
            // Only possible while unpinned: a pinned WAL is never rewritten in place.
            decide(Some(&prev(h, true, false)), &other_page, &path)
                .unwrap()
                .snapshot,
            Some("WAL overwritten by another process")
        );
        let other_salts = wal(dir.path(), NEW, &[(1, NEW, 1), (3, NEW, 3)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &other_salts, &path)
                .unwrap()
                .snapshot,
            Some("WAL overwritten by another process")
        );
        let intact = wal(dir.path(), OLD, &[(1, OLD, 1), (3, OLD, 3), (4, OLD, 4)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &intact, &path).unwrap(),
            SyncStart {
                offset: 32 + 2 * fs(),
                salts: Some(OLD),
                snapshot: None,
                restarted: None,
            }
        );
    }

    #[test]
    fn a_restart_after_a_generation_read_to_its_end_continues_from_32_only_when_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let (path, h) = l0(dir.path(), 3, 3, 32, 3 * fs() as i64, OLD);
        // The previous sync read the old generation to its end. New frames overwrote frame 0
        // only; frames 1 and 2 are the old generation.
        let restarted = wal(dir.path(), NEW, &[(5, NEW, 5), (2, OLD, 2), (3, OLD, 3)]);
        assert_eq!(
            decide(Some(&clean(h, true)), &restarted, &path).unwrap(),
            SyncStart {
                offset: 32,
                salts: Some(NEW),
                snapshot: None,
                restarted: None,
            }
        );
        assert_eq!(
            decide(Some(&clean(h, false)), &restarted, &path)
                .unwrap()
                .snapshot,
            Some("WAL restarted while it was not pinned")
        );
        // A third salt before the old frames: a full or restart checkpoint happened in between.
        let twice = wal(
            dir.path(),
            NEW,
            &[(5, NEW, 5), (6, (9, 90), 6), (3, OLD, 3)],
        );
        assert_eq!(
            decide(Some(&clean(h, true)), &twice, &path)
                .unwrap()
                .snapshot,
            Some("full or restart checkpoint detected")
        );
    }

    #[test]
    fn a_restart_after_a_clean_checkpoint_continues_from_32_even_over_the_old_last_frame() {
        let dir = tempfile::tempdir().unwrap();
        // The previous sync read the old generation's three frames under the barrier.
        let (path, h) = l0(dir.path(), 3, 3, 32, 3 * fs() as i64, OLD);
        let next = (OLD.0 + 1, 99);
        // The new generation has already overwritten all three, and more.
        let overrun = wal(
            dir.path(),
            next,
            &[(5, next, 5), (6, next, 6), (7, next, 7), (8, next, 8)],
        );
        assert_eq!(
            decide(Some(&clean(h, true)), &overrun, &path).unwrap(),
            SyncStart {
                offset: 32,
                salts: Some(next),
                snapshot: None,
                restarted: None,
            }
        );
        // Once the lock was released with nothing else holding the WAL, the old rows apply.
        let mut lost = clean(h, true);
        lost.lock_lost();
        assert!(!lost.lock_held && !lost.restart_clean);
        assert_eq!(
            decide(Some(&lost), &overrun, &path).unwrap().snapshot,
            Some("WAL overwritten by another process")
        );
        // Without the clean checkpoint, or without the lock since, the old rows apply.
        assert_eq!(
            decide(Some(&prev(h, false, true)), &overrun, &path)
                .unwrap()
                .snapshot,
            Some("WAL overwritten by another process")
        );
        assert_eq!(
            decide(Some(&clean(h, false)), &overrun, &path)
                .unwrap()
                .snapshot,
            Some("WAL overwritten by another process")
        );
        // A first salt that went up by more than one: more than one restart, a snapshot.
        let twice = (OLD.0 + 2, 99);
        let w = wal(dir.path(), twice, &[(5, twice, 5)]);
        assert_eq!(
            decide(Some(&clean(h, true)), &w, &path).unwrap().snapshot,
            Some("WAL restarted more than once")
        );
        // Not restarted: incremental from the resume offset as before.
        let same = wal(dir.path(), OLD, &[(1, OLD, 1), (2, OLD, 2), (3, OLD, 3)]);
        assert_eq!(
            decide(Some(&clean(h, true)), &same, &path).unwrap(),
            SyncStart {
                offset: 32 + 3 * fs(),
                salts: Some(OLD),
                snapshot: None,
                restarted: None,
            }
        );
    }

    #[test]
    fn a_restart_that_may_have_left_old_frames_behind_reads_them_first() {
        let dir = tempfile::tempdir().unwrap();
        let (path, h) = l0(dir.path(), 3, 3, 32, 3 * fs() as i64, OLD);
        let restarted = wal(dir.path(), NEW, &[(5, NEW, 5), (2, OLD, 2), (3, OLD, 3)]);
        let mut p = prev(h, true, true);
        p.restart_clean = false;
        assert_eq!(
            decide(Some(&p), &restarted, &path).unwrap(),
            SyncStart {
                offset: 32 + 3 * fs(),
                salts: Some(OLD),
                snapshot: None,
                restarted: Some(NEW),
            }
        );
        // The first salt moved by two: two restarts, and a whole generation may be gone.
        let later = (NEW.0 + 1, 81);
        let twice = wal(
            dir.path(),
            later,
            &[(5, later, 5), (2, OLD, 2), (3, OLD, 3)],
        );
        assert_eq!(
            decide(Some(&p), &twice, &path).unwrap().snapshot,
            Some("WAL restarted more than once")
        );
    }

    /// A WAL after one restart: the new generation's first `new_frames` frames, then what is
    /// left of the old one (`old_frames` in all, chained from its own header checksum), then
    /// `zero_frames` frames of zeros (reserved headroom).
    fn restarted_wal_file(
        path: &Path,
        new_frames: usize,
        old_frames: usize,
        zero_frames: usize,
    ) -> WalFile {
        let order = WalByteOrder::Little;
        let old_header = WalHeader::new(order, PS, 0, OLD.0, OLD.1);
        let new_header = WalHeader::new(order, PS, 0, NEW.0, NEW.1);
        let fs = fs() as usize;
        let mut bytes = new_header.encode().to_vec();
        bytes.resize(32 + old_frames.max(new_frames) * fs, 0);
        let chain = |header: &WalHeader, salts, n: usize, from: usize, bytes: &mut Vec<u8>| {
            let mut seed = header.checksum();
            for i in 0..n {
                let data = page(i as u8 + 1);
                let fh = FrameHeader::sealed(order, seed, i as u32 + 1, i as u32 + 1, salts, &data);
                seed = fh.checksum();
                if i >= from {
                    let at = 32 + i * fs;
                    bytes[at..at + 24].copy_from_slice(&fh.encode());
                    bytes[at + 24..at + fs].copy_from_slice(&data);
                }
            }
        };
        chain(&old_header, OLD, old_frames, new_frames, &mut bytes);
        chain(&new_header, NEW, new_frames, 0, &mut bytes);
        bytes.resize(bytes.len() + zero_frames * fs, 0);
        std::fs::write(path, bytes).unwrap();
        WalFile::open(path).unwrap()
    }

    #[test]
    fn an_old_generation_tail_counts_only_with_proof_of_its_end_and_no_overrun() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-wal");
        // The engine had read old frames 0..=2; frame 3 is the tail; the new generation wrote
        // one frame.
        let start = 32 + 3 * fs();
        let wal = restarted_wal_file(&path, 1, 4, 1);
        let seg = WalSegment::read(&wal, start, Some(OLD), 0).unwrap();
        assert_eq!(seg.end_offset, start + fs(), "the tail frame is read");
        assert!(old_generation_tail_is_whole(&wal, &seg, start, NEW).unwrap());
        assert!(frame_still_there(&wal, start, OLD).unwrap());

        // The file ends right after the tail: it may have been cut there, no proof.
        let cut = restarted_wal_file(&path, 1, 4, 0);
        let seg = WalSegment::read(&cut, start, Some(OLD), 0).unwrap();
        assert_eq!(seg.end_offset, start + fs());
        assert!(!old_generation_tail_is_whole(&cut, &seg, start, NEW).unwrap());

        // The new generation reaches the tail after it was read: its pages may be the new
        // generation's, so neither check passes.
        let wal = restarted_wal_file(&path, 1, 4, 1);
        let seg = WalSegment::read(&wal, start, Some(OLD), 0).unwrap();
        let overrun = restarted_wal_file(&path, 4, 4, 1);
        assert!(!old_generation_tail_is_whole(&overrun, &seg, start, NEW).unwrap());
        assert!(!frame_still_there(&overrun, start, OLD).unwrap());

        // No tail at all (the old generation ended where the engine had read), proven by the
        // zeros after it.
        let ended = restarted_wal_file(&path, 1, 3, 1);
        let seg = WalSegment::read(&ended, start, Some(OLD), 0).unwrap();
        assert_eq!(seg.end_offset, start);
        assert!(old_generation_tail_is_whole(&ended, &seg, start, NEW).unwrap());
    }
}
