//! The overlay: every file of the plan after the snapshot, fully verified before the snapshot
//! is streamed, and reduced to an index of the latest version of each page.
//!
//! Each overlay file is decoded once (file checksum, structure, header against the plan and
//! the snapshot) while its bytes are copied, as they are read, into one spool file beside the
//! output; the index maps a page number to its frame in the spool (offset, size), never to
//! page data. The spool keeps the restore independent of the replica after this pass (a
//! replicator may delete a level-0 file meanwhile) and holds remote files' bytes on disk.
//!
//! The rules are those of applying the files in plan order:
//! - a later frame of a page replaces an earlier one (within a file too);
//! - a file's pages above its own `commit` are dropped (as compaction drops them);
//! - a file's `commit` drops every earlier page above it (the database shrank), which a later
//!   file may supply again; pages of the snapshot above the smallest overlay `commit` are
//!   dropped the same way ([`Overlay::snapshot_limit`]);
//! - the database ends at the last file's `commit`.
//!
//! Memory: 16 bytes per entry; the entries are sorted and deduplicated whenever they double,
//! so they stay within twice the number of distinct pages the overlay changes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{FileRef, Progress, RestoreError, RestoreProgress};
use crate::ltx::{Decoder, Header, LtxError, decode_page_frame};
use crate::storage::LtxFileInfo;

/// Entries are compacted (sorted, deduplicated) once there are at least this many.
const COMPACT_MIN_ENTRIES: usize = 64 * 1024;
/// Write buffer of the spool.
const SPOOL_BUFFER_BYTES: usize = 1024 * 1024;

/// Where the latest version of one page sits in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Page number.
    pub pgno: u32,
    /// Frame size in bytes.
    size: u32,
    /// Offset of the frame's page header in the spool.
    offset: u64,
}

/// Sorts `entries` by page number, keeping only the last (latest) entry of each page.
fn compact(entries: &mut Vec<Entry>) {
    // Stable: among entries of one page the order of arrival stays, and the last one wins.
    entries.sort_by_key(|e| e.pgno);
    let mut kept = 0;
    for i in 0..entries.len() {
        if entries
            .get(i + 1)
            .is_some_and(|next| next.pgno == entries[i].pgno)
        {
            continue;
        }
        entries[kept] = entries[i];
        kept += 1;
    }
    entries.truncate(kept);
}

/// A `BufReader` whose consumed bytes are also written to the spool.
struct Tee<'a> {
    inner: BufReader<File>,
    out: &'a mut BufWriter<File>,
    copied: u64,
    error: Option<io::Error>,
}

impl Tee<'_> {
    fn copy(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            match self.out.write_all(bytes) {
                Ok(()) => self.copied += bytes.len() as u64,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let n = self.inner.read(buf)?;
        self.copy(&buf[..n]);
        Ok(n)
    }
}

impl BufRead for Tee<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let buffered = self.inner.buffer();
        let amt = amt.min(buffered.len());
        if self.error.is_none() {
            match self.out.write_all(&buffered[..amt]) {
                Ok(()) => self.copied += amt as u64,
                Err(e) => self.error = Some(e),
            }
        }
        self.inner.consume(amt);
    }
}

/// Builds the [`Overlay`] one file at a time, in plan order.
pub struct OverlayBuilder {
    spool: BufWriter<File>,
    spool_path: PathBuf,
    spool_len: u64,
    snapshot: Header,
    entries: Vec<Entry>,
    compacted_len: usize,
    max_pgno: u32,
    commit: u32,
    snapshot_limit: u32,
    last: Option<FileRef>,
    files: usize,
}

/// The verified overlay: the latest frame of each surviving page, sorted by page number.
pub struct Overlay {
    entries: Vec<Entry>,
    spool: File,
    spool_path: PathBuf,
    commit: u32,
    snapshot_limit: u32,
    last: Option<FileRef>,
    files: usize,
    frame: Vec<u8>,
}

impl OverlayBuilder {
    /// Starts an overlay over the snapshot whose header is `snapshot`, spooling frames into a
    /// new file at `spool_path`.
    pub fn new(spool_path: &Path, snapshot: Header) -> Result<Self, RestoreError> {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(spool_path)
            .map_err(|e| RestoreError::io("create the overlay spool", spool_path, e))?;
        Ok(OverlayBuilder {
            spool: BufWriter::with_capacity(SPOOL_BUFFER_BYTES, file),
            spool_path: spool_path.to_path_buf(),
            spool_len: 0,
            snapshot,
            entries: Vec::new(),
            compacted_len: 0,
            max_pgno: 0,
            commit: snapshot.commit,
            snapshot_limit: snapshot.commit,
            last: None,
            files: 0,
        })
    }

    /// Decodes and verifies the overlay file `info` (its bytes in `file`), spools it and
    /// indexes its pages.
    pub fn add(
        &mut self,
        info: &LtxFileInfo,
        file: BufReader<File>,
        progress: &Progress,
    ) -> Result<(), RestoreError> {
        let file_ref = FileRef {
            level: info.level,
            name: info.name(),
        };
        let invalid = |source| RestoreError::InvalidFile {
            file: file_ref,
            source,
        };
        let inconsistent = |problem: String| RestoreError::Inconsistent {
            file: file_ref,
            problem,
        };
        let base = self.spool_len;
        let mut tee = Tee {
            inner: file,
            out: &mut self.spool,
            copied: 0,
            error: None,
        };
        let mut dec = Decoder::new(&mut tee).map_err(invalid)?;
        let h = *dec.header();
        if (h.min_txid, h.max_txid) != (info.min_txid, info.max_txid) {
            return Err(inconsistent(format!(
                "its header covers TXIDs {}-{}, its name says {}-{}",
                h.min_txid, h.max_txid, info.min_txid, info.max_txid
            )));
        }
        if h.page_size != self.snapshot.page_size {
            return Err(inconsistent(format!(
                "page size {} differs from the snapshot's {}",
                h.page_size, self.snapshot.page_size
            )));
        }
        // The file's commit drops every earlier page above it.
        if h.commit < self.max_pgno {
            self.entries.retain(|e| e.pgno <= h.commit);
            self.compacted_len = self.compacted_len.min(self.entries.len());
            self.max_pgno = h.commit;
        }
        self.snapshot_limit = self.snapshot_limit.min(h.commit);
        self.commit = h.commit;
        let lock = h.lock_pgno();
        let mut page = vec![0u8; h.page_size as usize];
        while let Some(frame) = dec.next_page(&mut page).map_err(invalid)? {
            if frame.pgno == lock {
                return Err(inconsistent(format!(
                    "it holds the lock page {lock}, which no LTX file may hold"
                )));
            }
            if frame.pgno > h.commit {
                continue;
            }
            let size = u32::try_from(frame.size).map_err(|_| {
                inconsistent(format!(
                    "page {} has a frame of {} bytes",
                    frame.pgno, frame.size
                ))
            })?;
            self.entries.push(Entry {
                pgno: frame.pgno,
                size,
                offset: base + frame.offset,
            });
            self.max_pgno = self.max_pgno.max(frame.pgno);
        }
        dec.finish().map_err(invalid)?;
        if let Some(e) = tee.error.take() {
            return Err(RestoreError::io(
                "write the overlay spool",
                &self.spool_path,
                e,
            ));
        }
        self.spool_len += tee.copied;
        if self.entries.len() >= COMPACT_MIN_ENTRIES.max(2 * self.compacted_len) {
            compact(&mut self.entries);
            self.compacted_len = self.entries.len();
        }
        self.files += 1;
        self.last = Some(file_ref);
        progress.emit(RestoreProgress::PagesWritten {
            files_applied: self.files,
            pages_written: 0,
        });
        Ok(())
    }

    /// Flushes the spool and sorts the index.
    pub fn finish(mut self) -> Result<Overlay, RestoreError> {
        compact(&mut self.entries);
        self.entries.shrink_to_fit();
        let spool = self.spool.into_inner().map_err(|e| {
            RestoreError::io("write the overlay spool", &self.spool_path, e.into_error())
        })?;
        Ok(Overlay {
            entries: self.entries,
            spool,
            spool_path: self.spool_path,
            commit: self.commit,
            snapshot_limit: self.snapshot_limit,
            last: self.last,
            files: self.files,
            frame: Vec::new(),
        })
    }
}

impl Overlay {
    /// The database size in pages after the whole plan (the last file's commit).
    pub fn commit(&self) -> u32 {
        self.commit
    }

    /// The snapshot's pages above this are dropped (a file of the overlay shrank the
    /// database below them).
    pub fn snapshot_limit(&self) -> u32 {
        self.snapshot_limit
    }

    /// The last file of the overlay, if any.
    pub fn last(&self) -> Option<FileRef> {
        self.last
    }

    /// Number of overlay files.
    pub fn files(&self) -> usize {
        self.files
    }

    /// The surviving pages, sorted by page number.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Decodes the spooled frame of `entry` into `page` (page-size long).
    pub fn read_page(&mut self, entry: &Entry, page: &mut [u8]) -> Result<(), RestoreError> {
        self.frame.resize(entry.size as usize, 0);
        self.spool
            .read_exact_at(&mut self.frame, entry.offset)
            .map_err(|e| RestoreError::io("read the overlay spool", &self.spool_path, e))?;
        let frame = decode_page_frame(&self.frame, entry.offset, page)
            .map_err(|e| spool_error(&self.spool_path, &e))?;
        if frame.pgno != entry.pgno {
            return Err(RestoreError::Task {
                operation: "reading the overlay spool",
                reason: format!(
                    "{}: the frame at {} holds page {}, not {}",
                    self.spool_path.display(),
                    entry.offset,
                    frame.pgno,
                    entry.pgno
                ),
            });
        }
        Ok(())
    }
}

fn spool_error(path: &Path, e: &LtxError) -> RestoreError {
    RestoreError::Task {
        operation: "reading the overlay spool",
        reason: format!("{}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(pgno: u32, offset: u64) -> Entry {
        Entry {
            pgno,
            size: 1,
            offset,
        }
    }

    #[test]
    fn compaction_keeps_the_latest_entry_of_each_page() {
        let mut v = vec![e(5, 0), e(3, 1), e(5, 2), e(1, 3), e(3, 4), e(5, 5)];
        compact(&mut v);
        assert_eq!(v, vec![e(1, 3), e(3, 4), e(5, 5)]);
        let mut empty = Vec::new();
        compact(&mut empty);
        assert!(empty.is_empty());
    }
}
