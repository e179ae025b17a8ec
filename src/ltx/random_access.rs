//! Random access to one page through the page index, for local files and remote objects
//! alike: one ranged read of the header, one of the file's tail (32 KiB, as Litestream does,
//! re-fetching the index if it is larger), then one of the page frame.
//!
//! A single page cannot be checked against the file checksum (that covers the whole file);
//! its frame is still fully validated and must decompress to exactly one page.

use std::io::{self, Read, Seek, SeekFrom};

use super::page::max_frame_size;
use super::page_index::decode_page_index;
use super::{
    HEADER_SIZE, Header, LtxError, PAGE_HEADER_SIZE, PageIndexEntry, Result, TRAILER_SIZE,
    decode_page_frame,
};

/// How much of the tail is fetched first, as Litestream's `fetchPageIndexData` does.
const TAIL_FETCH: u64 = 32 * 1024;
const TAIL_SIZE: u64 = 8 + TRAILER_SIZE as u64;

/// Something that can serve byte ranges: a local file, or (in the storage room) an object.
pub trait RangeRead {
    /// Total size in bytes.
    fn size(&mut self) -> io::Result<u64>;
    /// Exactly `len` bytes starting at `offset`.
    fn read_range(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>>;
}

/// [`RangeRead`] over anything seekable (a `File`, a `Cursor`).
#[derive(Debug)]
pub struct SeekRangeReader<T>(pub T);

impl<T: Read + Seek> RangeRead for SeekRangeReader<T> {
    fn size(&mut self) -> io::Result<u64> {
        self.0.seek(SeekFrom::End(0))
    }

    fn read_range(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.0.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; len];
        self.0.read_exact(&mut buf)?;
        Ok(buf)
    }
}

/// A file's header and page index, read without reading its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageIndexView {
    /// The validated header.
    pub header: Header,
    /// Index entries in file order (ascending pgno for files written by a compliant encoder).
    pub entries: Vec<PageIndexEntry>,
    /// Total file size.
    pub file_size: u64,
}

impl PageIndexView {
    /// The index entry for `pgno`, if the file holds that page.
    pub fn entry(&self, pgno: u32) -> Option<&PageIndexEntry> {
        match self.entries.binary_search_by_key(&pgno, |e| e.pgno) {
            Ok(i) => self.entries.get(i),
            Err(_) => self.entries.iter().find(|e| e.pgno == pgno),
        }
    }
}

fn read_err(what: &'static str, offset: u64) -> impl Fn(io::Error) -> LtxError {
    move |e| LtxError::from_read(e, what, offset)
}

/// Reads the header and the page index with at most three ranged reads.
pub fn read_page_index(r: &mut impl RangeRead) -> Result<PageIndexView> {
    let size = r.size().map_err(|source| LtxError::Io {
        operation: "sizing LTX file",
        source,
    })?;
    let min_size = (HEADER_SIZE + PAGE_HEADER_SIZE + 1) as u64 + TAIL_SIZE;
    if size < min_size {
        return Err(LtxError::Truncated {
            what: "LTX file (too short for header and trailer)",
            offset: size,
        });
    }
    let tail_start = size.saturating_sub(TAIL_FETCH).max(HEADER_SIZE as u64);
    let (header_bytes, tail) = if tail_start == HEADER_SIZE as u64 {
        let all = r
            .read_range(0, size as usize)
            .map_err(read_err("LTX file", 0))?;
        (all[..HEADER_SIZE].to_vec(), all[HEADER_SIZE..].to_vec())
    } else {
        let head = r
            .read_range(0, HEADER_SIZE)
            .map_err(read_err("header", 0))?;
        let tail = r
            .read_range(tail_start, (size - tail_start) as usize)
            .map_err(read_err("page index tail", tail_start))?;
        (head, tail)
    };
    let mut hb = [0u8; HEADER_SIZE];
    hb.copy_from_slice(&header_bytes);
    let header = Header::from_bytes(&hb)?;
    header.validate()?;

    let size_at = tail.len() - TAIL_SIZE as usize;
    let mut sb = [0u8; 8];
    sb.copy_from_slice(&tail[size_at..size_at + 8]);
    let index_size = u64::from_be_bytes(sb);
    let max_index = size - min_size + 1;
    if index_size == 0 || index_size > max_index {
        return Err(LtxError::InvalidPageIndex {
            offset: size - TAIL_SIZE,
            field: "index_size",
            value: index_size.to_string(),
            rule: "must be between 1 and the space between the pages and the trailer",
        });
    }
    let index_start = size - TAIL_SIZE - index_size;
    let index_bytes = if index_start >= tail_start {
        let from = (index_start - tail_start) as usize;
        tail[from..size_at].to_vec()
    } else {
        r.read_range(index_start, index_size as usize)
            .map_err(read_err("page index", index_start))?
    };
    let (entries, _) = decode_page_index(&index_bytes, index_start)?;
    let pages_end = index_start - PAGE_HEADER_SIZE as u64;
    let max_frame = max_frame_size(header.page_size) as u64;
    for e in &entries {
        let fits = e.offset >= HEADER_SIZE as u64
            && e.size > PAGE_HEADER_SIZE as u64
            && e.size <= max_frame
            && e.offset
                .checked_add(e.size)
                .is_some_and(|end| end <= pages_end);
        if !fits {
            return Err(LtxError::InvalidPageIndex {
                offset: index_start,
                field: "entry",
                value: format!("pgno {} offset {} size {}", e.pgno, e.offset, e.size),
                rule: "must point at a page frame inside the page block",
            });
        }
    }
    Ok(PageIndexView {
        header,
        entries,
        file_size: size,
    })
}

/// Fetches and decodes one page through the index; `None` if the file does not hold it.
pub fn read_page(
    r: &mut impl RangeRead,
    view: &PageIndexView,
    pgno: u32,
) -> Result<Option<Vec<u8>>> {
    let Some(entry) = view.entry(pgno).copied() else {
        return Ok(None);
    };
    let bytes = r
        .read_range(entry.offset, entry.size as usize)
        .map_err(read_err("page frame", entry.offset))?;
    let mut page = vec![0u8; view.header.page_size as usize];
    let frame = decode_page_frame(&bytes, entry.offset, &mut page)?;
    if frame.pgno != pgno {
        return Err(LtxError::InvalidPageIndex {
            offset: entry.offset,
            field: "pgno",
            value: frame.pgno.to_string(),
            rule: "the frame at the indexed offset holds a different page",
        });
    }
    Ok(Some(page))
}
