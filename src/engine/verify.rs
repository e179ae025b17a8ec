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
//! | otherwise | incremental from the resume offset |
//!
//! One deliberate strengthening: the "WAL restarted" and "WAL truncated" rows continue
//! incrementally only when this process held its read lock since the previous sync. A restart
//! that happened while nothing pinned the WAL (ltx-tui was not running) may have checkpointed
//! frames past the resume offset away unseen, so a snapshot is taken instead.
//!
//! One row of our own, checked first: after a PASSIVE checkpoint under the write barrier the
//! previous sync read every frame its WAL generation committed, and the read lock taken after
//! it allows one restart at most (a lock on a fully backfilled WAL reads the database file and
//! blocks every later backfill, so a second restart cannot happen). A restart seen then loses
//! nothing, however far the new generation has already overwritten the old one: incremental
//! from 32 when the first salt went up by one (SQLite adds one per restart), else a snapshot.

use std::fs::File;
use std::path::Path;

use crate::ltx::{Header, SeekRangeReader, read_page, read_page_index};
use crate::sqlite::{WalFile, frame_size};

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
    /// True when that sync read every frame its WAL generation committed and the read lock
    /// was taken again after a checkpoint under the write barrier: with `lock_held`, one
    /// restart at most can follow and it cannot take unread frames with it.
    pub restart_clean: bool,
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
}

impl SyncStart {
    fn snapshot(reason: &'static str) -> Self {
        SyncStart {
            offset: WAL_HEADER_SIZE,
            salts: None,
            snapshot: Some(reason),
        }
    }

    fn incremental(offset: u64, salts: (u32, u32)) -> Self {
        SyncStart {
            offset,
            salts: Some(salts),
            snapshot: None,
        }
    }
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
        return Ok(if header.salt1 == prev_salts.0.wrapping_add(1) {
            SyncStart::incremental(WAL_HEADER_SIZE, header.salts())
        } else {
            SyncStart::snapshot("WAL restarted more than once")
        });
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
    let frame = wal
        .read_frame(prev_frame, &mut page)
        .map_err(|e| EngineError::sqlite(db, e))?;
    if frame.salts() != prev_salts || !in_last_l0(frame.pgno, &page)? {
        return Ok(SyncStart::snapshot("WAL overwritten by another process"));
    }
    if header.salts() != prev_salts {
        if !prev.lock_held {
            return Ok(SyncStart::snapshot("WAL restarted while it was not pinned"));
        }
        return restarted_wal(wal, header.salts(), prev_salts, offset, fs);
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
                snapshot: None
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
                snapshot: None
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
                snapshot: None
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
                snapshot: None
            }
        );
    }

    #[test]
    fn a_restarted_wal_with_the_old_frames_still_behind_continues_from_32_only_when_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let (path, h) = l0(dir.path(), 3, 3, 32, 3 * fs() as i64, OLD);
        // New frames overwrote frame 0 only; frames 1 and 2 are the old generation.
        let restarted = wal(dir.path(), NEW, &[(5, NEW, 5), (2, OLD, 2), (3, OLD, 3)]);
        assert_eq!(
            decide(Some(&prev(h, true, true)), &restarted, &path).unwrap(),
            SyncStart {
                offset: 32,
                salts: Some(NEW),
                snapshot: None
            }
        );
        assert_eq!(
            decide(Some(&prev(h, true, false)), &restarted, &path)
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
            decide(Some(&prev(h, true, true)), &twice, &path)
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
                snapshot: None
            }
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
                snapshot: None
            }
        );
    }
}
