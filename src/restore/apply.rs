//! Applying the plan's files, in order, to the temp database file.
//!
//! Each file is streamed through the LTX decoder (one page in memory) and its pages written at
//! `(pgno − 1) × page_size`; a later file's page overwrites an earlier one, so the latest page
//! wins, as in Litestream's merge. Pages are decoded straight into the write buffers of
//! `write_pipe.rs`, whose thread writes runs of consecutive pages (a snapshot goes out
//! sequentially in large writes) while the next buffer is decoded.
//!
//! Every file is fully verified (file checksum, structure) by the decoder before the next one
//! is applied. The final size is the last file's commit (growth and shrink follow it); the
//! lock page is never written, so it reads as zeros. A coverage bit set (one bit per page:
//! 32 KiB per GiB of 4 KiB pages) proves that every page 1..commit but the lock page came from
//! some file: a page missing from the plan is an error naming the last file, never a silent
//! hole. Applying in order rather than merging N open files keeps one file open at a time,
//! whatever the number of files.

use std::fs::File;
use std::io::BufRead;
use std::path::Path;

use super::write_pipe::PageWriter;
use super::{FileRef, Progress, RestoreError, RestoreProgress};
use crate::ltx::{Decoder, Txid};
use crate::storage::LtxFileInfo;

/// A progress event is sent every this many pages within a file.
const PROGRESS_EVERY_PAGES: u64 = 16 * 1024;

/// One bit per page number.
#[derive(Debug, Default)]
struct PageSet {
    words: Vec<u64>,
}

impl PageSet {
    fn insert(&mut self, pgno: u32) {
        let (w, b) = ((pgno / 64) as usize, pgno % 64);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << b;
    }

    fn contains(&self, pgno: u32) -> bool {
        let (w, b) = ((pgno / 64) as usize, pgno % 64);
        self.words.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    /// Forgets every page above `commit` (the database shrank to `commit` pages).
    fn truncate(&mut self, commit: u32) {
        let keep = (commit / 64) as usize + 1;
        self.words.truncate(keep);
        if let Some(last) = self.words.get_mut(keep - 1) {
            let bits = commit % 64 + 1;
            *last &= if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            };
        }
    }

    /// The first page in `1..=commit` (other than `skip`) that is not in the set.
    fn first_missing(&self, commit: u32, skip: u32) -> Option<u32> {
        (1..=commit).find(|&p| p != skip && !self.contains(p))
    }
}

/// The state of the temp database while files are applied.
pub struct Applier {
    writer: PageWriter,
    page_size: u32,
    commit: u32,
    coverage: PageSet,
    last: Option<FileRef>,
    files_applied: usize,
    pages_written: u64,
}

/// What [`Applier::finish`] leaves: the synced temp file's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Database page size.
    pub page_size: u32,
    /// Database size in pages.
    pub page_count: u32,
    /// Page frames written.
    pub pages_written: u64,
    /// MaxTXID of the last file applied.
    pub txid: Txid,
}

impl Applier {
    /// Creates (truncating) the temp database file at `path`.
    pub fn create(path: &Path) -> Result<Self, RestoreError> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| RestoreError::io("create temp database", path, e))?;
        Ok(Applier {
            writer: PageWriter::start(file, path)?,
            page_size: 0,
            commit: 0,
            coverage: PageSet::default(),
            last: None,
            files_applied: 0,
            pages_written: 0,
        })
    }

    /// Decodes `reader` (the bytes of `info`), checks its header against the plan, writes its
    /// pages and verifies its checksums.
    pub fn apply(
        &mut self,
        info: &LtxFileInfo,
        reader: impl BufRead,
        progress: &Progress,
    ) -> Result<(), RestoreError> {
        let file = FileRef {
            level: info.level,
            name: info.name(),
        };
        let invalid = |source| RestoreError::InvalidFile { file, source };
        let inconsistent = |problem: String| RestoreError::Inconsistent { file, problem };
        let mut dec = Decoder::new(reader).map_err(invalid)?;
        let h = *dec.header();
        if (h.min_txid, h.max_txid) != (info.min_txid, info.max_txid) {
            return Err(inconsistent(format!(
                "its header covers TXIDs {}-{}, its name says {}-{}",
                h.min_txid, h.max_txid, info.min_txid, info.max_txid
            )));
        }
        if self.last.is_none() {
            if !h.is_snapshot() {
                return Err(inconsistent(format!(
                    "the first file of a restore must be a snapshot (MinTXID 1), this one starts at {}",
                    h.min_txid
                )));
            }
            self.page_size = h.page_size;
        } else if h.page_size != self.page_size {
            return Err(inconsistent(format!(
                "page size {} differs from the snapshot's {}",
                h.page_size, self.page_size
            )));
        }
        self.commit = h.commit;
        self.coverage.truncate(h.commit);
        let lock = h.lock_pgno();
        let mut pages_in_file = 0u64;
        let page_size = self.page_size as usize;
        // Each page is decoded straight into the write buffer, and kept only if it survives.
        while let Some(frame) = dec
            .next_page(self.writer.slot(page_size)?)
            .map_err(invalid)?
        {
            if frame.pgno == lock {
                return Err(inconsistent(format!(
                    "it holds the lock page {lock}, which no LTX file may hold"
                )));
            }
            if frame.pgno > h.commit {
                // Above this file's commit: the page does not survive it (as compaction drops it).
                continue;
            }
            let offset = u64::from(frame.pgno - 1) * u64::from(self.page_size);
            self.writer.commit(offset, page_size);
            self.coverage.insert(frame.pgno);
            pages_in_file += 1;
            if pages_in_file.is_multiple_of(PROGRESS_EVERY_PAGES) {
                progress.emit(RestoreProgress::PagesWritten {
                    files_applied: self.files_applied,
                    pages_written: self.pages_written + pages_in_file,
                });
            }
        }
        dec.finish().map_err(invalid)?;
        self.pages_written += pages_in_file;
        self.files_applied += 1;
        self.last = Some(file);
        progress.emit(RestoreProgress::PagesWritten {
            files_applied: self.files_applied,
            pages_written: self.pages_written,
        });
        Ok(())
    }

    /// Checks that every page is present, sets the final size and fsyncs the temp file.
    pub fn finish(self) -> Result<Applied, RestoreError> {
        let Some(last) = self.last else {
            return Err(RestoreError::NoMatchingBackup {
                detail: Some("the plan holds no file".into()),
            });
        };
        let lock = crate::ltx::lock_pgno(self.page_size);
        if let Some(missing) = self.coverage.first_missing(self.commit, lock) {
            return Err(RestoreError::Inconsistent {
                file: last,
                problem: format!(
                    "after applying it, page {missing} of {} is in no file of the plan (a file \
                     that grew the database lacks it)",
                    self.commit
                ),
            });
        }
        let path = self.writer.path().to_path_buf();
        let file = self.writer.finish()?;
        let size = u64::from(self.commit) * u64::from(self.page_size);
        file.set_len(size)
            .map_err(|e| RestoreError::io("set the size of", &path, e))?;
        file.sync_all()
            .map_err(|e| RestoreError::io("fsync", &path, e))?;
        Ok(Applied {
            page_size: self.page_size,
            page_count: self.commit,
            pages_written: self.pages_written,
            txid: last.name.max_txid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_set_truncate_forgets_pages_above_commit() {
        let mut set = PageSet::default();
        for p in 1..=200 {
            set.insert(p);
        }
        set.truncate(130);
        assert!(set.contains(130));
        assert!(!set.contains(131));
        assert!(!set.contains(200));
        assert_eq!(set.first_missing(130, 0), None);
        assert_eq!(set.first_missing(131, 0), Some(131));
        set.truncate(127);
        assert!(set.contains(127) && !set.contains(128));
        set.truncate(63);
        assert!(set.contains(63) && !set.contains(64));
    }

    #[test]
    fn page_set_skips_the_lock_page() {
        let mut set = PageSet::default();
        for p in [1, 2, 4] {
            set.insert(p);
        }
        assert_eq!(set.first_missing(4, 3), None);
        assert_eq!(set.first_missing(4, 0), Some(3));
    }
}
