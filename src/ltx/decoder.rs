//! The streaming LTX decoder: its memory is one page plus small fixed buffers, whatever the
//! file size. It verifies the file checksum over the exact byte stream of the format (header,
//! page headers, length prefixes, decompressed pages, terminator, page index, post-apply
//! checksum) and, for snapshots that track checksums, the rolling database checksum.
//!
//! It is as lenient as Litestream's decoder: page order is not re-checked and the stored index
//! size is not compared, but every structure must parse and every checksum must match.

use std::io::{BufRead, Read, Write};

use serde::Serialize;

use super::checksum::{CHECKSUM_FLAG, Crc64, page_checksum};
use super::counting::CountingReader;
use super::page::{FrameRead, FrameReader};
use super::page_index::IndexScanner;
use super::{HEADER_SIZE, Header, LtxError, PageFrame, Result, TRAILER_SIZE, Trailer};

/// Bytes at the very end of a file: the u64 index size and the 16-byte trailer.
const TAIL_SIZE: usize = 8 + TRAILER_SIZE;
/// Read size for the page index section.
const CHUNK: usize = 8192;

/// Reads one LTX file from `R`: [`Decoder::new`] reads and validates the header,
/// [`Decoder::next_page`] yields pages, [`Decoder::finish`] reads the index and trailer and
/// verifies the checksums.
#[derive(Debug)]
pub struct Decoder<R: BufRead> {
    r: CountingReader<R>,
    header: Header,
    crc: Crc64,
    frames: FrameReader,
    pages_done: bool,
    page_count: u64,
    rolling: Option<u64>,
}

/// What a fully verified file contained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecodeSummary {
    /// The header.
    pub header: Header,
    /// The trailer (its file checksum verified).
    pub trailer: Trailer,
    /// Number of page frames.
    pub page_count: u64,
    /// Number of page-index entries.
    pub index_entries: u64,
    /// The index size stored before the trailer.
    pub index_size_stored: u64,
    /// The byte length of the index varints actually present.
    pub index_size_actual: u64,
    /// Total file size in bytes.
    pub file_size: u64,
}

impl<R: BufRead> Decoder<R> {
    /// Reads and validates the header.
    pub fn new(r: R) -> Result<Self> {
        let mut r = CountingReader::new(r, 0);
        let mut bytes = [0u8; HEADER_SIZE];
        r.read_exact(&mut bytes)
            .map_err(|e| LtxError::from_read(e, "header", 0))?;
        let header = Header::from_bytes(&bytes)?;
        header.validate()?;
        let mut crc = Crc64::default();
        crc.update(&bytes);
        let rolling = (header.is_snapshot() && !header.no_checksum()).then_some(CHECKSUM_FLAG);
        Ok(Decoder {
            r,
            header,
            crc,
            frames: FrameReader::default(),
            pages_done: false,
            page_count: 0,
            rolling,
        })
    }

    /// The validated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Decodes the next page into `page` (length = page size). Returns `None` after the last
    /// page; further calls keep returning `None`.
    pub fn next_page(&mut self, page: &mut [u8]) -> Result<Option<PageFrame>> {
        if self.pages_done {
            return Ok(None);
        }
        if page.len() != self.header.page_size as usize {
            return Err(LtxError::InvalidArgument {
                name: "page",
                reason: format!(
                    "buffer length {} differs from the page size {}",
                    page.len(),
                    self.header.page_size
                ),
            });
        }
        let crc = &mut self.crc;
        match self.frames.read(&mut self.r, page, |b| crc.update(b))? {
            FrameRead::End => {
                self.pages_done = true;
                Ok(None)
            }
            FrameRead::Page(frame) => {
                self.page_count += 1;
                if let Some(sum) = self.rolling.as_mut()
                    && frame.pgno != self.header.lock_pgno()
                {
                    *sum = CHECKSUM_FLAG | (*sum ^ page_checksum(frame.pgno, page).0);
                }
                Ok(Some(frame))
            }
        }
    }

    /// Reads any remaining pages, the page index and the trailer; verifies the trailer rules,
    /// the file checksum and (for checksum-tracking snapshots) the post-apply checksum.
    pub fn finish(mut self) -> Result<DecodeSummary> {
        let mut page = vec![0u8; self.header.page_size as usize];
        while self.next_page(&mut page)?.is_some() {}
        drop(page);

        let index_start = self.r.offset();
        let mut scanner = IndexScanner::default();
        let mut pending: Vec<u8> = Vec::with_capacity(CHUNK + TAIL_SIZE);
        let mut chunk = [0u8; CHUNK];
        let mut base = index_start;
        loop {
            let n = self.r.read(&mut chunk).map_err(|source| LtxError::Io {
                operation: "reading page index",
                source,
            })?;
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&chunk[..n]);
            if pending.len() > TAIL_SIZE {
                let k = pending.len() - TAIL_SIZE;
                self.crc.update(&pending[..k]);
                scanner.feed(&pending[..k], base)?;
                base += k as u64;
                pending.drain(..k);
            }
        }
        if pending.len() < TAIL_SIZE {
            return Err(LtxError::Truncated {
                what: "page index size and trailer",
                offset: base,
            });
        }
        let index_entries = scanner.finish(base)?;
        let mut size = [0u8; 8];
        size.copy_from_slice(&pending[0..8]);
        let mut trailer_bytes = [0u8; TRAILER_SIZE];
        trailer_bytes.copy_from_slice(&pending[8..TAIL_SIZE]);
        self.crc.update(&pending[..16]);
        let trailer = Trailer::from_bytes(&trailer_bytes);
        trailer.validate(&self.header)?;
        let computed = CHECKSUM_FLAG | self.crc.value();
        if computed != trailer.file_checksum.0 {
            return Err(LtxError::ChecksumMismatch {
                what: "file checksum",
                stored: trailer.file_checksum.0,
                computed,
            });
        }
        if let Some(sum) = self.rolling
            && sum != trailer.post_apply_checksum.0
        {
            return Err(LtxError::ChecksumMismatch {
                what: "post-apply checksum",
                stored: trailer.post_apply_checksum.0,
                computed: sum,
            });
        }
        Ok(DecodeSummary {
            header: self.header,
            trailer,
            page_count: self.page_count,
            index_entries,
            index_size_stored: u64::from_be_bytes(size),
            index_size_actual: base - index_start,
            file_size: base + TAIL_SIZE as u64,
        })
    }

    /// Writes the database this snapshot describes to `w`: pages 1..commit in order, the lock
    /// page as zeros; requires a snapshot holding exactly those pages, then verifies the file.
    pub fn decode_database_to<W: Write>(mut self, mut w: W) -> Result<(W, DecodeSummary)> {
        if !self.header.is_snapshot() {
            return Err(LtxError::InvalidArgument {
                name: "decoder",
                reason: format!(
                    "file {}-{} is not a snapshot (min_txid must be 1)",
                    self.header.min_txid, self.header.max_txid
                ),
            });
        }
        let lock = self.header.lock_pgno();
        let mut page = vec![0u8; self.header.page_size as usize];
        let write_err = |source| LtxError::Io {
            operation: "writing database page",
            source,
        };
        for expected in 1..=self.header.commit {
            if expected == lock {
                w.write_all(&vec![0u8; page.len()]).map_err(write_err)?;
                continue;
            }
            match self.next_page(&mut page)? {
                Some(frame) if frame.pgno == expected => w.write_all(&page).map_err(write_err)?,
                Some(frame) => {
                    return Err(LtxError::InvalidPage {
                        offset: frame.offset,
                        pgno: frame.pgno,
                        field: "pgno",
                        value: frame.pgno.to_string(),
                        rule: format!("a snapshot must hold page {expected} here"),
                    });
                }
                None => {
                    return Err(LtxError::InvalidPage {
                        offset: self.r.offset(),
                        pgno: 0,
                        field: "pgno",
                        value: "end of pages".into(),
                        rule: format!(
                            "a snapshot must hold pages 1..{}; page {expected} is missing",
                            self.header.commit
                        ),
                    });
                }
            }
        }
        if let Some(frame) = self.next_page(&mut page)? {
            return Err(LtxError::InvalidPage {
                offset: frame.offset,
                pgno: frame.pgno,
                field: "pgno",
                value: frame.pgno.to_string(),
                rule: format!("is beyond the commit size {}", self.header.commit),
            });
        }
        let summary = self.finish()?;
        Ok((w, summary))
    }

    /// Gives back the underlying reader (for example to reuse a connection).
    pub fn into_inner(self) -> R {
        self.r.into_inner()
    }
}

/// A whole decoded file held in memory: for tools and tests, not for restore paths.
#[derive(Debug, Clone)]
pub struct DecodedFile {
    /// Every page frame with its decompressed data, in file order.
    pub pages: Vec<(PageFrame, Vec<u8>)>,
    /// The verified summary (header, trailer, counts).
    pub summary: DecodeSummary,
}

/// Decodes and verifies a whole file, keeping every page in memory.
pub fn decode_file<R: BufRead>(r: R) -> Result<DecodedFile> {
    let mut dec = Decoder::new(r)?;
    let mut pages = Vec::new();
    let mut page = vec![0u8; dec.header().page_size as usize];
    while let Some(frame) = dec.next_page(&mut page)? {
        pages.push((frame, page.clone()));
    }
    let summary = dec.finish()?;
    Ok(DecodedFile { pages, summary })
}

impl DecodedFile {
    /// The file's pages as `(pgno, data)`.
    pub fn page_data(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.pages.iter().map(|(f, d)| (f.pgno, d.as_slice()))
    }
}
