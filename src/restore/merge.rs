//! The merge: the snapshot streamed once, in page order, with the overlay's latest version of
//! a page put in place of the snapshot's, so every page of the database is written exactly
//! once and in sequence (no page is written twice, no write goes back).
//!
//! For each page `1..=commit` (the last file's commit), in order, the bytes come from:
//! - the overlay, when it holds the page ([`Overlay`] applies the plan's order and shrinks);
//! - else the snapshot, when it holds the page and no file shrank the database below it;
//! - else, for SQLite's lock page, zeros (no LTX file holds it);
//! - else nowhere: an error naming the plan's last file, as a page missing from the plan is
//!   never a silent hole. It is reported once the snapshot is verified, so a corrupt snapshot
//!   is named as such.
//!
//! The snapshot's frames are decoded straight into the write buffer; its checksums are
//! verified over every page, including those the overlay replaces or a shrink drops.

use std::io::BufRead;

use super::overlay::Overlay;
use super::write_pipe::PageWriter;
use super::{FileRef, Progress, RestoreError, RestoreProgress};
use crate::ltx::{Decoder, Txid};
use crate::storage::LtxFileInfo;

/// A progress event is sent every this many pages.
const PROGRESS_EVERY_PAGES: u64 = 16 * 1024;

/// What [`merge`] leaves: the synced temp file's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    /// Database page size.
    pub page_size: u32,
    /// Database size in pages.
    pub page_count: u32,
    /// Pages written (each page of the database once).
    pub pages_written: u64,
    /// MaxTXID of the plan's last file.
    pub txid: Txid,
}

/// Reads the header of the plan's first file (its bytes in `reader`) and checks that it is
/// the snapshot the plan names.
pub fn open_snapshot<R: BufRead>(
    info: &LtxFileInfo,
    reader: R,
) -> Result<(FileRef, Decoder<R>), RestoreError> {
    let file = FileRef {
        level: info.level,
        name: info.name(),
    };
    let dec = Decoder::new(reader).map_err(|source| RestoreError::InvalidFile { file, source })?;
    let h = dec.header();
    let problem = if (h.min_txid, h.max_txid) != (info.min_txid, info.max_txid) {
        format!(
            "its header covers TXIDs {}-{}, its name says {}-{}",
            h.min_txid, h.max_txid, info.min_txid, info.max_txid
        )
    } else if !h.is_snapshot() {
        format!(
            "the first file of a restore must be a snapshot (MinTXID 1), this one starts at {}",
            h.min_txid
        )
    } else {
        return Ok((file, dec));
    };
    Err(RestoreError::Inconsistent { file, problem })
}

/// The merge's position in the output.
struct Stream<'a> {
    writer: PageWriter,
    overlay: &'a mut Overlay,
    page_size: usize,
    lock: u32,
    /// The next page number to write.
    next: u32,
    /// Index of the next overlay entry.
    cursor: usize,
    /// The first page found in no file; nothing more is written after it.
    missing: Option<u32>,
    files: usize,
    progress: &'a Progress,
}

impl Stream<'_> {
    fn written(&mut self) {
        let pages = u64::from(self.next - 1);
        if pages.is_multiple_of(PROGRESS_EVERY_PAGES) {
            self.progress.emit(RestoreProgress::PagesWritten {
                files_applied: self.files,
                pages_written: pages,
            });
        }
    }

    /// Writes page `self.next`, which the snapshot does not supply.
    fn fill_one(&mut self) -> Result<(), RestoreError> {
        let pgno = self.next;
        let entry = self.overlay.entries().get(self.cursor).copied();
        let slot = self.writer.slot(self.page_size)?;
        match entry {
            Some(e) if e.pgno == pgno => {
                self.overlay.read_page(&e, slot)?;
                self.cursor += 1;
            }
            _ if pgno == self.lock => slot.fill(0),
            _ => {
                self.missing = Some(pgno);
                return Ok(());
            }
        }
        self.writer.commit(self.page_size);
        self.next += 1;
        self.written();
        Ok(())
    }

    /// Writes the pages before `pgno` that the snapshot does not supply.
    fn fill_to(&mut self, pgno: u32) -> Result<(), RestoreError> {
        while self.next < pgno && self.missing.is_none() {
            self.fill_one()?;
        }
        Ok(())
    }
}

/// Streams the snapshot from `dec` (its header already checked against the plan: `snapshot`)
/// merged with `overlay` into `writer`, verifies the snapshot, and returns the file unsynced
/// with the facts of the result.
pub fn merge<R: BufRead>(
    snapshot: FileRef,
    mut dec: Decoder<R>,
    overlay: &mut Overlay,
    writer: PageWriter,
    progress: &Progress,
) -> Result<(std::fs::File, Merged), RestoreError> {
    let invalid = |source| RestoreError::InvalidFile {
        file: snapshot,
        source,
    };
    let inconsistent = |problem: String| RestoreError::Inconsistent {
        file: snapshot,
        problem,
    };
    let header = *dec.header();
    let limit = overlay.snapshot_limit();
    let commit = overlay.commit();
    let last = overlay.last().unwrap_or(snapshot);
    let mut s = Stream {
        writer,
        page_size: header.page_size as usize,
        lock: header.lock_pgno(),
        next: 1,
        cursor: 0,
        missing: None,
        files: overlay.files() + 1,
        overlay,
        progress,
    };
    let mut previous = 0u32;
    let mut moved = Vec::new();
    loop {
        let slot = s.writer.slot(s.page_size)?;
        let Some(frame) = dec.next_page(slot).map_err(invalid)? else {
            break;
        };
        let pgno = frame.pgno;
        if pgno <= previous {
            return Err(inconsistent(format!(
                "its pages are not in ascending order (page {pgno} after page {previous})"
            )));
        }
        previous = pgno;
        if pgno == s.lock {
            return Err(inconsistent(format!(
                "it holds the lock page {pgno}, which no LTX file may hold"
            )));
        }
        if pgno > limit || s.missing.is_some() {
            // Dropped by a shrink (or nothing more is written): only verified.
            continue;
        }
        if s.next < pgno {
            // Pages the snapshot skips (the lock page) go first: the page just decoded waits.
            moved.clear();
            moved.extend_from_slice(slot);
            s.fill_to(pgno)?;
            if s.missing.is_some() {
                continue;
            }
            s.writer.slot(s.page_size)?.copy_from_slice(&moved);
        }
        let entry = s.overlay.entries().get(s.cursor).copied();
        if let Some(e) = entry.filter(|e| e.pgno == pgno) {
            // The overlay's version replaces the snapshot's (already hashed by the decoder).
            let slot = s.writer.slot(s.page_size)?;
            s.overlay.read_page(&e, slot)?;
            s.cursor += 1;
        }
        s.writer.commit(s.page_size);
        s.next += 1;
        s.written();
    }
    dec.finish().map_err(invalid)?;
    // Pages above the snapshot's (or above a shrink), from the overlay.
    s.fill_to(commit + 1)?;
    if let Some(missing) = s.missing {
        return Err(RestoreError::Inconsistent {
            file: last,
            problem: format!(
                "after applying it, page {missing} of {commit} is in no file of the plan (a file \
                 that grew the database lacks it)"
            ),
        });
    }
    let pages_written = u64::from(s.next - 1);
    let file = s.writer.finish()?;
    s.progress.emit(RestoreProgress::PagesWritten {
        files_applied: s.files,
        pages_written,
    });
    Ok((
        file,
        Merged {
            page_size: header.page_size,
            page_count: commit,
            pages_written,
            txid: last.name.max_txid,
        },
    ))
}
