//! The LTX encoder: strict, streaming, one page in memory.
//!
//! It writes the v3 block variant for every page and refuses everything Litestream's encoder
//! refuses: pages out of order, pages beyond the commit, the lock page, an incomplete snapshot,
//! checksums that break the header flags.

use std::io::Write;

use super::checksum::{CHECKSUM_FLAG, Checksum, Crc64};
use super::page::PAGE_HEADER_FLAG_SIZE;
use super::page_index::{PageIndexEntry, encode_page_index};
use super::trailer::{validate_post_apply, validate_post_apply_for_commit};
use super::{HEADER_SIZE, Header, LtxError, PAGE_HEADER_SIZE, Result, Trailer};

/// Writes one LTX file to `W`. Call [`Encoder::encode_page`] for each page in ascending order,
/// then [`Encoder::finish`]. For files, hand it a `BufWriter`: it issues one write per page.
#[derive(Debug)]
pub struct Encoder<W: Write> {
    w: W,
    header: Header,
    crc: Crc64,
    offset: u64,
    index: Vec<PageIndexEntry>,
    prev_pgno: u32,
    frame: Vec<u8>,
}

impl<W: Write> Encoder<W> {
    /// Validates `header` and writes it. Fails with `InvalidHeader` on any rule violation.
    pub fn new(mut w: W, header: Header) -> Result<Self> {
        header.validate()?;
        let bytes = header.to_bytes();
        w.write_all(&bytes).map_err(|source| LtxError::Io {
            operation: "writing LTX header",
            source,
        })?;
        let mut crc = Crc64::default();
        crc.update(&bytes);
        let bound = lz4_flex::block::get_maximum_output_size(header.page_size as usize);
        Ok(Encoder {
            w,
            header,
            crc,
            offset: HEADER_SIZE as u64,
            index: Vec::new(),
            prev_pgno: 0,
            frame: vec![0u8; PAGE_HEADER_SIZE + 4 + bound],
        })
    }

    /// The header being written.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.offset
    }

    /// Number of pages written so far.
    pub fn page_count(&self) -> usize {
        self.index.len()
    }

    /// Compresses and writes one page. `data.len()` must equal the page size; `pgno` must be
    /// above the previous page (in a snapshot: exactly the next page, skipping the lock page),
    /// at most the commit, and never the lock page.
    pub fn encode_page(&mut self, pgno: u32, data: &[u8]) -> Result<()> {
        self.check_page(pgno, data)?;
        let frame = &mut self.frame;
        frame[0..4].copy_from_slice(&pgno.to_be_bytes());
        frame[4..6].copy_from_slice(&PAGE_HEADER_FLAG_SIZE.to_be_bytes());
        let csize = lz4_flex::block::compress_into(data, &mut frame[PAGE_HEADER_SIZE + 4..])
            .map_err(|e| LtxError::Encode {
                field: "page_data",
                value: format!("pgno {pgno}"),
                rule: format!("LZ4 compression failed: {e}"),
            })?;
        frame[6..10].copy_from_slice(&(csize as u32).to_be_bytes());
        let total = PAGE_HEADER_SIZE + 4 + csize;
        self.w
            .write_all(&frame[..total])
            .map_err(|source| LtxError::Io {
                operation: "writing page frame",
                source,
            })?;
        self.crc.update(&frame[..PAGE_HEADER_SIZE + 4]);
        self.crc.update(data);
        self.index.push(PageIndexEntry {
            pgno,
            offset: self.offset,
            size: total as u64,
        });
        self.offset += total as u64;
        self.prev_pgno = pgno;
        Ok(())
    }

    fn check_page(&self, pgno: u32, data: &[u8]) -> Result<()> {
        let h = &self.header;
        let refuse = |rule: String| {
            Err(LtxError::Encode {
                field: "pgno",
                value: pgno.to_string(),
                rule,
            })
        };
        if data.len() != h.page_size as usize {
            return Err(LtxError::Encode {
                field: "page_data",
                value: format!("{} bytes", data.len()),
                rule: format!("must be exactly the page size {}", h.page_size),
            });
        }
        if pgno == 0 {
            return refuse("page numbers start at 1".into());
        }
        if pgno > h.commit {
            return refuse(format!("must not exceed the commit size {}", h.commit));
        }
        let lock = h.lock_pgno();
        if pgno == lock {
            return refuse(format!(
                "is the lock page for page size {}; it is never stored",
                h.page_size
            ));
        }
        if h.is_snapshot() {
            let expected = if self.prev_pgno + 1 == lock {
                lock + 1
            } else {
                self.prev_pgno + 1
            };
            if pgno != expected {
                return refuse(format!(
                    "a snapshot must hold pages 1..commit in order; expected {expected}"
                ));
            }
        } else if pgno <= self.prev_pgno {
            return refuse(format!(
                "pages must be strictly ascending; previous page was {}",
                self.prev_pgno
            ));
        }
        Ok(())
    }

    /// Writes the end of pages, the page index and the trailer, and returns the writer and the
    /// trailer. `post_apply_checksum` must be 0 with `NoChecksum`. A snapshot must be complete.
    pub fn finish(mut self, post_apply_checksum: Checksum) -> Result<(W, Trailer)> {
        let h = self.header;
        if h.is_snapshot() {
            let lock = h.lock_pgno();
            let last_expected = if h.commit == lock { lock - 1 } else { h.commit };
            if self.prev_pgno != last_expected {
                return Err(LtxError::Encode {
                    field: "pgno",
                    value: self.prev_pgno.to_string(),
                    rule: format!(
                        "a snapshot must end with page {last_expected} (commit {})",
                        h.commit
                    ),
                });
            }
        }
        validate_post_apply(&h, post_apply_checksum)?;
        validate_post_apply_for_commit(&h, post_apply_checksum)?;

        let mut tail = vec![0u8; PAGE_HEADER_SIZE];
        tail.extend_from_slice(&encode_page_index(&self.index));
        tail.extend_from_slice(&post_apply_checksum.0.to_be_bytes());
        self.crc.update(&tail);
        let trailer = Trailer {
            post_apply_checksum,
            file_checksum: Checksum(CHECKSUM_FLAG | self.crc.value()),
        };
        tail.extend_from_slice(&trailer.file_checksum.0.to_be_bytes());
        self.w
            .write_all(&tail)
            .and_then(|()| self.w.flush())
            .map_err(|source| LtxError::Io {
                operation: "writing page index and trailer",
                source,
            })?;
        Ok((self.w, trailer))
    }
}
