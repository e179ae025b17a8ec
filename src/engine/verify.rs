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

    // The last frame the previous sync read must still be there, unchanged.
    let mut page = vec![0u8; header.page_size as usize];
    let frame = wal
        .read_frame(prev_frame, &mut page)
        .map_err(|e| EngineError::sqlite(db, e))?;
    if frame.salts() != prev_salts || !page_in_l0(last_l0, frame.pgno, &page)? {
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
