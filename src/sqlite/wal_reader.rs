//! Reading the committed part of a WAL from a position: Litestream's `WALReader` plus
//! `PageMap(maxBytes)`, as a [`WalSegment`].
//!
//! Frames are verified exactly as SQLite's recovery and Litestream do: each frame's salts
//! must equal the expected salts and its checksum must continue the running chain (seeded by
//! the header checksum at offset 32, or by the previous frame's stored checksum when
//! resuming). Reading stops at the first short frame, salt mismatch or checksum mismatch; it
//! also stops at a frame with page number 0, which SQLite never writes and its own recovery
//! rejects. Only whole transactions count: pages of frames after the last commit frame are
//! left for the next read, and pages numbered above the final commit size are dropped (the
//! database shrank inside the WAL, e.g. by `VACUUM`).
//!
//! Memory does not grow with frame data: the scan streams through a fixed buffer and keeps
//! only `pgno -> frame offset`; page data is read on demand with [`WalSegment::read_page`].

use std::collections::BTreeMap;

use super::Result;
use super::error::SqliteError;
use super::wal_file::WalFile;
use super::wal_frame::{FrameHeader, WAL_FRAME_HEADER_SIZE, frame_size};
use super::wal_header::WalHeader;

/// Bytes read per positional read while scanning (rounded down to whole frames, at least one).
const SCAN_BUFFER_BYTES: u64 = 1 << 20;

/// Frames in the first read of a scan; each next read doubles, up to [`SCAN_BUFFER_BYTES`].
const FIRST_SCAN_FRAMES: usize = 8;

/// Why a scan stopped reading frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WalStop {
    /// The file ends exactly at a frame boundary.
    EndOfFile,
    /// The file ends inside a frame (a frame still being written, or a torn write).
    ShortFrame,
    /// A frame carries other salts (a leftover frame of an earlier WAL generation).
    SaltMismatch,
    /// A frame's checksum does not continue the chain (leftover or corrupt frame).
    ChecksumMismatch,
    /// A frame has page number 0, which SQLite never writes.
    InvalidPgno,
    /// `max_bytes` was reached at a commit frame; more frames may follow.
    MaxBytes,
}

/// The committed transactions found in a WAL from a start offset: Litestream's page map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalSegment {
    /// The WAL header as read at the start of the scan.
    pub header: WalHeader,
    /// Page size in bytes (from the WAL header).
    pub page_size: u32,
    /// Salts of the frames read: the header's from offset 32, the expected ones when resuming.
    pub salts: (u32, u32),
    /// For every page written by a committed transaction read, the offset of the frame holding
    /// its latest committed copy; pages numbered above [`WalSegment::commit`] are dropped.
    pub pages: BTreeMap<u32, u64>,
    /// Database size in pages after the last committed transaction read; `None` if no commit was read.
    pub commit: Option<u32>,
    /// Offset the read started at (a frame boundary, at least 32).
    pub start_offset: u64,
    /// Offset just after the last committed frame read; equals `start_offset` when nothing was committed.
    pub end_offset: u64,
    /// Offset just after the last frame that verified, committed or not (`>= end_offset`).
    pub valid_end: u64,
    /// Number of commit frames (transactions) read.
    pub transactions: u64,
    /// True when the scan stopped at a commit because `max_bytes` was reached.
    pub limited: bool,
    /// Why the scan stopped.
    pub stop: WalStop,
}

impl WalSegment {
    /// Reads committed frames from `start_offset`, stopping after the first commit at which
    /// `end - start >= max_bytes` (0 means no limit).
    ///
    /// At offset 32 the chain is seeded by the header checksum and frames must carry the
    /// header's salts; `expected_salts`, when given, must equal them, else
    /// [`SqliteError::HeaderSaltMismatch`]. Past 32 the previous frame is re-read without
    /// checksum verification: its stored checksum seeds the chain and its salts must equal
    /// `expected_salts` (the header's if `None`), else [`SqliteError::PrevFrameMismatch`]
    /// and the caller restarts at 32. Header problems are [`SqliteError::WalNotReady`]
    /// (retryable) or [`SqliteError::WalHeader`].
    pub fn read(
        wal: &WalFile,
        start_offset: u64,
        expected_salts: Option<(u32, u32)>,
        max_bytes: u64,
    ) -> Result<WalSegment> {
        let header = wal.read_header()?;
        let page_size = header.page_size;
        let fs = frame_size(page_size);
        let first_index = wal.frame_index_at(page_size, start_offset)?;
        let (salts, seed) = if first_index == 0 {
            if let Some(expected) = expected_salts
                && expected != header.salts()
            {
                return Err(SqliteError::HeaderSaltMismatch {
                    path: wal.path().to_path_buf(),
                    expected,
                    found: header.salts(),
                });
            }
            (header.salts(), header.checksum())
        } else {
            let expected = expected_salts.unwrap_or(header.salts());
            let prev_offset = start_offset - fs;
            let prev = if wal.size()? >= start_offset {
                wal.read_frame_header(prev_offset)?
            } else {
                None
            };
            match prev {
                Some(h) if h.salts() == expected => (expected, h.checksum()),
                other => {
                    return Err(SqliteError::PrevFrameMismatch {
                        path: wal.path().to_path_buf(),
                        offset: start_offset,
                        prev_offset,
                        frame_index: first_index - 1,
                        expected,
                        found: other.map(|h| h.salts()),
                    });
                }
            }
        };

        let mut seg = WalSegment {
            header,
            page_size,
            salts,
            pages: BTreeMap::new(),
            commit: None,
            start_offset,
            end_offset: start_offset,
            valid_end: start_offset,
            transactions: 0,
            limited: false,
            stop: WalStop::EndOfFile,
        };
        seg.scan(wal, seed, max_bytes)?;
        if let Some(commit) = seg.commit {
            seg.pages.retain(|&pgno, _| pgno <= commit);
        }
        Ok(seg)
    }

    /// Streams frames from `start_offset` through a fixed buffer, folding committed pages in.
    fn scan(&mut self, wal: &WalFile, mut seed: (u32, u32), max_bytes: u64) -> Result<()> {
        let fs = frame_size(self.page_size);
        let order = self.header.byte_order;
        // Frames appended after this point are left for the next read.
        let limit = wal.size()?;
        let per_chunk = (SCAN_BUFFER_BYTES / fs).max(1) as usize;
        let fs_usize = fs as usize;
        // The first read is small and each next one twice as big: a sync usually finds a few
        // new frames and then stale ones of an earlier WAL generation (the file is not
        // truncated when the WAL restarts), and reading a megabyte of those costs more than
        // the frames wanted.
        let mut chunk = FIRST_SCAN_FRAMES.min(per_chunk);
        let mut buf = vec![0u8; chunk * fs_usize];
        // Pages of the transaction being read, in frame order; merged at its commit frame.
        let mut pending: Vec<(u32, u64)> = Vec::new();
        let mut offset = self.start_offset;
        loop {
            let want = usize::try_from(limit.saturating_sub(offset))
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let got = wal.read_at_most(offset, &mut buf[..want], "reading WAL frames")?;
            let mut frames = buf[..got].chunks_exact(fs_usize);
            for frame in frames.by_ref() {
                let (head, page) = frame.split_at(WAL_FRAME_HEADER_SIZE as usize);
                let mut h = [0u8; WAL_FRAME_HEADER_SIZE as usize];
                h.copy_from_slice(head);
                let fh = FrameHeader::decode(&h);
                if fh.salts() != self.salts {
                    self.stop = WalStop::SaltMismatch;
                    return Ok(());
                }
                let sum = fh.compute_checksum(order, seed, page);
                if sum != fh.checksum() {
                    self.stop = WalStop::ChecksumMismatch;
                    return Ok(());
                }
                if fh.pgno == 0 {
                    self.stop = WalStop::InvalidPgno;
                    return Ok(());
                }
                seed = sum;
                pending.push((fh.pgno, offset));
                offset += fs;
                self.valid_end = offset;
                if fh.is_commit() {
                    self.pages.extend(pending.drain(..));
                    self.commit = Some(fh.commit);
                    self.end_offset = offset;
                    self.transactions += 1;
                    if max_bytes > 0 && offset - self.start_offset >= max_bytes {
                        self.limited = true;
                        self.stop = WalStop::MaxBytes;
                        return Ok(());
                    }
                }
            }
            // A short read means the scan reached `limit` (or the file shrank meanwhile).
            if got < buf.len() {
                self.stop = if frames.remainder().is_empty() {
                    WalStop::EndOfFile
                } else {
                    WalStop::ShortFrame
                };
                return Ok(());
            }
            if chunk < per_chunk {
                chunk = (chunk * 2).min(per_chunk);
                buf.resize(chunk * fs_usize, 0);
            }
        }
    }

    /// True when no committed transaction was read.
    pub fn is_empty(&self) -> bool {
        self.commit.is_none()
    }

    /// Bytes of committed frames read (`end_offset - start_offset`; Litestream's WAL size of an L0 file).
    pub fn size(&self) -> u64 {
        self.end_offset - self.start_offset
    }

    /// Number of committed frames read.
    pub fn committed_frames(&self) -> u64 {
        self.size() / frame_size(self.page_size)
    }

    /// Number of verified frames after the last commit (an open or unfinished transaction).
    pub fn uncommitted_frames(&self) -> u64 {
        (self.valid_end - self.end_offset) / frame_size(self.page_size)
    }

    /// Offset of the frame holding the latest committed copy of `pgno`, if the segment has it.
    pub fn page_offset(&self, pgno: u32) -> Option<u64> {
        self.pages.get(&pgno).copied()
    }

    /// Reads the latest committed copy of `pgno` into `buf` (one page long); `false` if the
    /// segment does not hold that page. Errors with [`SqliteError::FrameChanged`] if the frame
    /// no longer carries this page number and these salts (the WAL was overwritten).
    pub fn read_page(&self, wal: &WalFile, pgno: u32, buf: &mut [u8]) -> Result<bool> {
        let Some(offset) = self.page_offset(pgno) else {
            return Ok(false);
        };
        let fh = self.read_frame_page(wal, offset, buf)?;
        if fh.pgno != pgno {
            return Err(self.changed(wal, offset, "pgno", pgno, fh.pgno));
        }
        Ok(true)
    }

    /// Reads the page of the frame at `offset` into `buf` (one page long) and returns the frame
    /// header, checking that the frame still carries this segment's salts.
    pub fn read_frame_page(
        &self,
        wal: &WalFile,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<FrameHeader> {
        if buf.len() != self.page_size as usize {
            return Err(SqliteError::BufferSize {
                what: "WAL page buffer",
                expected: self.page_size as usize,
                found: buf.len(),
            });
        }
        wal.frame_index_at(self.page_size, offset)?;
        let fh = wal.read_frame(offset, buf)?;
        if fh.salt1 != self.salts.0 {
            return Err(self.changed(wal, offset, "salt1", self.salts.0, fh.salt1));
        }
        if fh.salt2 != self.salts.1 {
            return Err(self.changed(wal, offset, "salt2", self.salts.1, fh.salt2));
        }
        Ok(fh)
    }

    fn changed(
        &self,
        wal: &WalFile,
        offset: u64,
        field: &'static str,
        expected: u32,
        found: u32,
    ) -> SqliteError {
        SqliteError::FrameChanged {
            path: wal.path().to_path_buf(),
            offset,
            frame_index: (offset - 32) / frame_size(self.page_size),
            field,
            expected,
            found,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::sqlite::wal_checksum::WalByteOrder;

    /// Writes a WAL of `(pgno, commit)` frames whose pages are filled with `pgno as u8`.
    fn build(order: WalByteOrder, page_size: u32, frames: &[(u32, u32)]) -> Vec<u8> {
        let h = WalHeader::new(order, page_size, 0, 11, 22);
        let mut out = h.encode().to_vec();
        let mut seed = h.checksum();
        for &(pgno, commit) in frames {
            let page = vec![pgno as u8; page_size as usize];
            let fh = FrameHeader::sealed(order, seed, pgno, commit, h.salts(), &page);
            seed = fh.checksum();
            out.extend_from_slice(&fh.encode());
            out.extend_from_slice(&page);
        }
        out
    }

    fn wal_from(bytes: &[u8]) -> (tempfile::TempDir, WalFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db-wal");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        let wal = WalFile::open(&path).unwrap();
        (dir, wal)
    }

    #[test]
    fn pages_commit_and_offsets() {
        let ps = 512;
        let fs = frame_size(ps);
        let bytes = build(
            WalByteOrder::Little,
            ps,
            &[(1, 0), (2, 2), (2, 0), (3, 3), (4, 0)],
        );
        let (_d, wal) = wal_from(&bytes);
        let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
        assert_eq!(seg.commit, Some(3));
        assert_eq!(seg.transactions, 2);
        assert_eq!(
            seg.pages.iter().map(|(&p, &o)| (p, o)).collect::<Vec<_>>(),
            vec![(1, 32), (2, 32 + 2 * fs), (3, 32 + 3 * fs)]
        );
        assert_eq!(seg.end_offset, 32 + 4 * fs);
        assert_eq!(seg.valid_end, 32 + 5 * fs);
        assert_eq!(seg.uncommitted_frames(), 1);
        assert_eq!(seg.committed_frames(), 4);
        assert_eq!(seg.stop, WalStop::EndOfFile);
        let mut page = vec![0u8; ps as usize];
        assert!(seg.read_page(&wal, 3, &mut page).unwrap());
        assert!(page.iter().all(|&b| b == 3));
        assert!(!seg.read_page(&wal, 4, &mut page).unwrap());
        let e = seg.read_page(&wal, 3, &mut [0u8; 10]).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::BufferSize {
                expected: 512,
                found: 10,
                ..
            }
        ));
    }

    #[test]
    fn shrink_drops_pages_above_commit() {
        let bytes = build(WalByteOrder::Big, 1024, &[(5, 0), (1, 5), (2, 2)]);
        let (_d, wal) = wal_from(&bytes);
        let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
        assert_eq!(seg.commit, Some(2));
        assert_eq!(seg.pages.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn resume_limit_and_misalignment() {
        let ps = 512;
        let fs = frame_size(ps);
        let bytes = build(WalByteOrder::Little, ps, &[(1, 1), (2, 2), (3, 3)]);
        let (_d, wal) = wal_from(&bytes);
        let seg = WalSegment::read(&wal, 32, None, 1).unwrap();
        assert!(seg.limited && seg.stop == WalStop::MaxBytes);
        assert_eq!((seg.end_offset, seg.commit), (32 + fs, Some(1)));
        let next = WalSegment::read(&wal, seg.end_offset, Some(seg.salts), 0).unwrap();
        assert_eq!(next.commit, Some(3));
        assert_eq!(next.pages.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
        let e = WalSegment::read(&wal, 33, None, 0).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::MisalignedOffset { offset: 33, .. }
        ));
        let e = WalSegment::read(&wal, seg.end_offset, Some((1, 2)), 0).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::PrevFrameMismatch {
                found: Some((11, 22)),
                ..
            }
        ));
        let e = WalSegment::read(&wal, 32 + 9 * fs, None, 0).unwrap_err();
        assert!(matches!(
            e,
            SqliteError::PrevFrameMismatch {
                found: None,
                frame_index: 8,
                ..
            }
        ));
        let e = WalSegment::read(&wal, 32, Some((11, 23)), 0).unwrap_err();
        assert!(matches!(e, SqliteError::HeaderSaltMismatch { .. }));
    }

    #[test]
    fn pgno_zero_stops() {
        let bytes = build(WalByteOrder::Little, 512, &[(1, 1), (0, 1)]);
        let (_d, wal) = wal_from(&bytes);
        let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
        assert_eq!(seg.stop, WalStop::InvalidPgno);
        assert_eq!(seg.transactions, 1);
    }

    #[test]
    fn scans_across_buffer_refills() {
        // 65536-byte pages: 15 frames per 1 MiB buffer, so 40 frames need three reads.
        let frames: Vec<(u32, u32)> = (1..=40)
            .map(|p| (p, if p % 7 == 0 { p } else { 0 }))
            .collect();
        let bytes = build(WalByteOrder::Little, 65536, &frames);
        let (_d, wal) = wal_from(&bytes[..bytes.len() - 10]);
        let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
        assert_eq!(seg.commit, Some(35));
        assert_eq!(seg.pages.len(), 35);
        assert_eq!(seg.stop, WalStop::ShortFrame);
        assert_eq!(seg.valid_end, 32 + 39 * frame_size(65536));
    }
}
