//! Page frames: the 6-byte page header, the v3 block variant (flag 0x0001, u32 length, raw LZ4
//! block) that we write, and the legacy variant (flags 0, one LZ4 frame per page) that
//! Litestream 0.5.0–0.5.15 wrote and that we still read. Also the lock-page rule.

use std::io::{BufRead, Cursor, Read};

use serde::Serialize;

use super::counting::CountingReader;
use super::{LtxError, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PAGE_HEADER_SIZE, Result};

/// Page header flag: a u32 compressed length follows and the payload is a raw LZ4 block.
pub const PAGE_HEADER_FLAG_SIZE: u16 = 0x0001;

/// The LZ4 frame magic number (little-endian on disk).
const LZ4_FRAME_MAGIC: u32 = 0x184D_2204;
/// The only block-maximum-size code Litestream's legacy writer used: 64 KiB.
const LZ4_BLOCK_SIZE_64K: u8 = 4;

/// True for 512, 1024, …, 65536.
pub fn is_valid_page_size(page_size: u32) -> bool {
    (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size) && page_size.is_power_of_two()
}

/// The page holding SQLite's PENDING_BYTE (offset 0x40000000); never stored in LTX files.
pub fn lock_pgno(page_size: u32) -> u32 {
    (0x4000_0000 / page_size.max(1)) + 1
}

/// The largest page frame (header, length prefix and payload) a valid file can hold for this
/// page size; anything larger is rejected before allocating.
pub fn max_frame_size(page_size: u32) -> usize {
    // The block variant is bounded by the LZ4 block bound. A legacy frame adds a 19-byte
    // descriptor at most, 4 bytes per block, an end mark and a content checksum.
    PAGE_HEADER_SIZE + 4 + lz4_flex::block::get_maximum_output_size(page_size as usize) + 64
}

/// How a page's payload is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageVariant {
    /// v3 block variant: flag 0x0001, u32 length, raw LZ4 block (ltx ≥ 0.5.2, Litestream ≥ 0.5.16).
    Block,
    /// Legacy variant: flags 0 and one complete LZ4 frame (Litestream 0.5.0–0.5.15).
    LegacyFrame,
}

/// Where a decoded page frame sat in the file and how it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageFrame {
    /// Page number (1-based).
    pub pgno: u32,
    /// Byte offset of the page header from the start of the file.
    pub offset: u64,
    /// Total frame size in bytes (page header, length prefix if any, payload).
    pub size: u64,
    /// Size of the compressed payload in bytes.
    pub compressed_size: u64,
    /// Storage variant.
    pub variant: PageVariant,
}

/// Reads page frames from a stream, reusing one compressed-payload buffer.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    compressed: Vec<u8>,
}

/// What the frame reader found at the current position.
pub(crate) enum FrameRead {
    /// A page was decompressed into the caller's buffer.
    Page(PageFrame),
    /// The zero page header that ends the page block.
    End,
}

impl FrameReader {
    /// Reads one page frame into `page` (whose length is the page size), feeding every hashed
    /// byte to `hash`: the page header, the length prefix, then the decompressed page.
    pub(crate) fn read<R: BufRead>(
        &mut self,
        r: &mut CountingReader<R>,
        page: &mut [u8],
        mut hash: impl FnMut(&[u8]),
    ) -> Result<FrameRead> {
        let offset = r.offset();
        // Page header plus the length prefix of the block variant, hashed in one call.
        let mut hdr = [0u8; PAGE_HEADER_SIZE + 4];
        r.read_exact(&mut hdr[..PAGE_HEADER_SIZE])
            .map_err(|e| LtxError::from_read(e, "page header", offset))?;
        let pgno = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let flags = u16::from_be_bytes([hdr[4], hdr[5]]);
        if pgno == 0 && flags == 0 {
            hash(&hdr[..PAGE_HEADER_SIZE]);
            return Ok(FrameRead::End);
        }
        let invalid = |field: &'static str, value: String, rule: String| LtxError::InvalidPage {
            offset,
            pgno,
            field,
            value,
            rule,
        };
        if pgno == 0 {
            return Err(invalid(
                "pgno",
                "0".into(),
                "only the end-of-pages header may have pgno 0".into(),
            ));
        }
        if flags & !PAGE_HEADER_FLAG_SIZE != 0 {
            return Err(invalid(
                "flags",
                format!("{flags:#06x}"),
                "only flag 0x0001 (length-prefixed LZ4 block) is defined".into(),
            ));
        }
        let page_size = page.len();
        if flags & PAGE_HEADER_FLAG_SIZE != 0 {
            r.read_exact(&mut hdr[PAGE_HEADER_SIZE..])
                .map_err(|e| LtxError::from_read(e, "page compressed size", offset))?;
            hash(&hdr);
            let csize = u32::from_be_bytes([hdr[6], hdr[7], hdr[8], hdr[9]]) as usize;
            let bound = lz4_flex::block::get_maximum_output_size(page_size);
            if csize == 0 || csize > bound {
                return Err(invalid(
                    "compressed_size",
                    csize.to_string(),
                    format!("must be between 1 and {bound} for page size {page_size}"),
                ));
            }
            // Decompress straight out of the reader's buffer when the payload is there whole;
            // otherwise gather it first.
            let available = r
                .fill_buf()
                .map_err(|e| LtxError::from_read(e, "page payload", offset))?;
            let decompressed = if available.len() >= csize {
                let n = lz4_flex::block::decompress_into(&available[..csize], page);
                r.consume(csize);
                n
            } else {
                self.compressed.resize(csize, 0);
                r.read_exact(&mut self.compressed)
                    .map_err(|e| LtxError::from_read(e, "page payload", offset))?;
                lz4_flex::block::decompress_into(&self.compressed, page)
            };
            let n = decompressed.map_err(|e| {
                invalid(
                    "lz4_block",
                    format!("{csize} bytes"),
                    format!("does not decompress: {e}"),
                )
            })?;
            if n != page_size {
                return Err(invalid(
                    "decompressed_size",
                    n.to_string(),
                    format!("must equal the page size {page_size}"),
                ));
            }
            hash(page);
            return Ok(FrameRead::Page(PageFrame {
                pgno,
                offset,
                size: (PAGE_HEADER_SIZE + 4 + csize) as u64,
                compressed_size: csize as u64,
                variant: PageVariant::Block,
            }));
        }
        hash(&hdr[..PAGE_HEADER_SIZE]);
        read_legacy_frame(r, page, offset, pgno)?;
        hash(page);
        let size = r.offset() - offset;
        Ok(FrameRead::Page(PageFrame {
            pgno,
            offset,
            size,
            compressed_size: size - PAGE_HEADER_SIZE as u64,
            variant: PageVariant::LegacyFrame,
        }))
    }
}

/// Reads one legacy LZ4 frame holding exactly one page, consuming the frame's end mark and
/// content checksum but never a byte of the next page header.
fn read_legacy_frame<R: BufRead>(
    r: &mut CountingReader<R>,
    page: &mut [u8],
    offset: u64,
    pgno: u32,
) -> Result<()> {
    let invalid = |field: &'static str, value: String, rule: String| LtxError::InvalidPage {
        offset,
        pgno,
        field,
        value,
        rule,
    };
    // Magic, FLG and BD: check the declared block size before the LZ4 library allocates for it.
    let mut descriptor = [0u8; 6];
    r.read_exact(&mut descriptor)
        .map_err(|e| LtxError::from_read(e, "legacy LZ4 frame descriptor", offset))?;
    let magic = u32::from_le_bytes([descriptor[0], descriptor[1], descriptor[2], descriptor[3]]);
    if magic != LZ4_FRAME_MAGIC {
        return Err(invalid(
            "lz4_frame_magic",
            format!("{magic:#010x}"),
            "a page without flag 0x0001 must hold an LZ4 frame (magic 0x184d2204)".into(),
        ));
    }
    let block_size_code = (descriptor[5] >> 4) & 0x7;
    if block_size_code != LZ4_BLOCK_SIZE_64K {
        return Err(invalid(
            "lz4_frame_block_size",
            block_size_code.to_string(),
            "legacy LTX pages use 64 KiB LZ4 blocks (code 4)".into(),
        ));
    }
    let chained = Cursor::new(descriptor).chain(&mut *r);
    let mut frame = lz4_flex::frame::FrameDecoder::new(chained);
    frame.read_exact(page).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => LtxError::Truncated {
            what: "legacy LZ4 frame",
            offset,
        },
        _ => invalid(
            "lz4_frame",
            "payload".into(),
            format!("does not decompress: {e}"),
        ),
    })?;
    let mut extra = [0u8; 1];
    match frame.read(&mut extra) {
        Ok(0) => Ok(()),
        Ok(_) => Err(invalid(
            "lz4_frame",
            "payload".into(),
            format!("decompresses to more than the page size {}", page.len()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(LtxError::Truncated {
            what: "legacy LZ4 frame end",
            offset,
        }),
        Err(e) => Err(invalid(
            "lz4_frame",
            "end".into(),
            format!("is invalid: {e}"),
        )),
    }
}

/// Decodes one standalone page frame (as fetched by a ranged read through the page index) into
/// `page`, whose length must be the page size. Returns the frame description.
pub fn decode_page_frame(bytes: &[u8], offset: u64, page: &mut [u8]) -> Result<PageFrame> {
    if !is_valid_page_size(page.len() as u32) {
        return Err(LtxError::InvalidArgument {
            name: "page",
            reason: format!("buffer length {} is not a valid page size", page.len()),
        });
    }
    let mut r = CountingReader::new(bytes, offset);
    match FrameReader::default().read(&mut r, page, |_| {})? {
        FrameRead::Page(frame) => {
            if frame.size != bytes.len() as u64 {
                return Err(LtxError::InvalidPage {
                    offset,
                    pgno: frame.pgno,
                    field: "frame_size",
                    value: bytes.len().to_string(),
                    rule: format!("the frame occupies {} bytes", frame.size),
                });
            }
            Ok(frame)
        }
        FrameRead::End => Err(LtxError::InvalidPage {
            offset,
            pgno: 0,
            field: "pgno",
            value: "0".into(),
            rule: "expected a page frame, found the end-of-pages header".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_page_numbers_match_sqlite() {
        assert_eq!(lock_pgno(4096), 262_145);
        assert_eq!(lock_pgno(512), 2_097_153);
        assert_eq!(lock_pgno(65536), 16_385);
    }

    #[test]
    fn page_sizes_are_powers_of_two_in_range() {
        assert!(is_valid_page_size(512) && is_valid_page_size(65536));
        assert!(
            !is_valid_page_size(256) && !is_valid_page_size(131072) && !is_valid_page_size(3000)
        );
    }

    #[test]
    fn legacy_frame_page_is_read_without_consuming_the_next_header() {
        let page: Vec<u8> = (0..4096u32).map(|i| (i % 13) as u8).collect();
        let mut frame_bytes = Vec::new();
        {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .content_checksum(true);
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, &mut frame_bytes);
            std::io::Write::write_all(&mut enc, &page).unwrap();
            enc.finish().unwrap();
        }
        let mut file = vec![0, 0, 0, 7, 0, 0];
        file.extend_from_slice(&frame_bytes);
        file.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut r = CountingReader::new(file.as_slice(), 0);
        let mut out = vec![0u8; 4096];
        let mut reader = FrameReader::default();
        match reader.read(&mut r, &mut out, |_| {}).unwrap() {
            FrameRead::Page(f) => {
                assert_eq!(f.pgno, 7);
                assert_eq!(f.variant, PageVariant::LegacyFrame);
                assert_eq!(f.size as usize, 6 + frame_bytes.len());
            }
            FrameRead::End => panic!("expected a page"),
        }
        assert_eq!(out, page);
        assert!(matches!(
            reader.read(&mut r, &mut out, |_| {}).unwrap(),
            FrameRead::End
        ));
    }
}
