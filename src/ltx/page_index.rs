//! The page index after the page block: for each page, ascending by pgno, the varint triple
//! (pgno, offset of its page header, frame size); a 0 terminator; then the u64 byte length of
//! the varints including the terminator.

use serde::Serialize;

use super::varint::{UvarintParser, VarintStep, put_uvarint, read_uvarint};
use super::{LtxError, Result};

/// Where one page's frame sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageIndexEntry {
    /// Page number.
    pub pgno: u32,
    /// Byte offset of the page header from the start of the file.
    pub offset: u64,
    /// Total frame size in bytes.
    pub size: u64,
}

/// Encodes the index (varints, terminator, u64 size); entries must already be sorted by pgno.
pub(crate) fn encode_page_index(entries: &[PageIndexEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 8 + 9);
    for e in entries {
        put_uvarint(&mut out, u64::from(e.pgno));
        put_uvarint(&mut out, e.offset);
        put_uvarint(&mut out, e.size);
    }
    put_uvarint(&mut out, 0);
    let len = out.len() as u64;
    out.extend_from_slice(&len.to_be_bytes());
    out
}

/// Parses the varint part of an index (up to and including the terminator) from `bytes`, which
/// starts at file offset `base`. Returns the entries and the bytes consumed.
pub(crate) fn decode_page_index(bytes: &[u8], base: u64) -> Result<(Vec<PageIndexEntry>, usize)> {
    let mut entries = Vec::new();
    let mut pos = 0usize;
    let next = |pos: &mut usize, field: &'static str| -> Result<u64> {
        let (v, n) = read_uvarint(&bytes[*pos..]).ok_or(LtxError::InvalidPageIndex {
            offset: base + *pos as u64,
            field,
            value: "varint".into(),
            rule: "is truncated or overflows 64 bits",
        })?;
        *pos += n;
        Ok(v)
    };
    loop {
        let at = base + pos as u64;
        let pgno = next(&mut pos, "pgno")?;
        if pgno == 0 {
            return Ok((entries, pos));
        }
        let pgno = u32::try_from(pgno).map_err(|_| LtxError::InvalidPageIndex {
            offset: at,
            field: "pgno",
            value: pgno.to_string(),
            rule: "must fit in 32 bits",
        })?;
        let offset = next(&mut pos, "offset")?;
        let size = next(&mut pos, "size")?;
        entries.push(PageIndexEntry { pgno, offset, size });
    }
}

/// Streams through index bytes one at a time, counting entries without storing them, so the
/// streaming decoder's memory does not grow with the file.
#[derive(Debug, Default)]
pub(crate) struct IndexScanner {
    parser: UvarintParser,
    field: usize,
    entries: u64,
    done: bool,
}

impl IndexScanner {
    /// Feeds index bytes located at file offset `base`. Bytes after the terminator are ignored,
    /// as Go's decoder ignores them.
    pub(crate) fn feed(&mut self, bytes: &[u8], base: u64) -> Result<()> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.done {
                return Ok(());
            }
            match self.parser.push(b) {
                VarintStep::More => {}
                VarintStep::Overflow => {
                    return Err(LtxError::InvalidPageIndex {
                        offset: base + i as u64,
                        field: "varint",
                        value: format!("{b:#04x}"),
                        rule: "overflows 64 bits",
                    });
                }
                VarintStep::Done(v) => {
                    if self.field == 0 && v == 0 {
                        self.done = true;
                    } else if self.field == 0 && v > u64::from(u32::MAX) {
                        return Err(LtxError::InvalidPageIndex {
                            offset: base + i as u64,
                            field: "pgno",
                            value: v.to_string(),
                            rule: "must fit in 32 bits",
                        });
                    } else {
                        self.field = (self.field + 1) % 3;
                        if self.field == 0 {
                            self.entries += 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the scan: the terminator must have been seen. Returns the number of entries.
    pub(crate) fn finish(&self, end_offset: u64) -> Result<u64> {
        if !self.done {
            return Err(LtxError::InvalidPageIndex {
                offset: end_offset,
                field: "terminator",
                value: "missing".into(),
                rule: "the page index must end with a 0 varint before the index size and trailer",
            });
        }
        Ok(self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_index_round_trips_and_matches_litestream_bytes() {
        // Litestream 0.5.17 L0 file with one page 2 at offset 100, frame size 68:
        // index bytes `02 64 44 00` then the u64 size 4.
        let entries = vec![PageIndexEntry {
            pgno: 2,
            offset: 100,
            size: 68,
        }];
        let bytes = encode_page_index(&entries);
        assert_eq!(bytes, [2, 100, 68, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
        let (decoded, used) = decode_page_index(&bytes, 0).unwrap();
        assert_eq!(decoded, entries);
        assert_eq!(used, 4);
        let mut scan = IndexScanner::default();
        scan.feed(&bytes[..4], 0).unwrap();
        assert_eq!(scan.finish(4).unwrap(), 1);
    }

    #[test]
    fn missing_terminator_is_an_error() {
        let mut scan = IndexScanner::default();
        scan.feed(&[2, 100], 0).unwrap();
        assert!(matches!(
            scan.finish(2),
            Err(LtxError::InvalidPageIndex {
                field: "terminator",
                ..
            })
        ));
        assert!(decode_page_index(&[2, 100, 68], 0).is_err());
    }
}
