//! The compaction merge of N LTX files into one, as superfly/ltx's `Compactor` does it.
//!
//! Inputs are oldest first and must be contiguous (`next.min ≤ prev.max + 1` and
//! `next.max > prev.max`). Pages are merged by pgno; when several inputs hold a page the latest
//! input wins; pages above the last input's commit are dropped (the database shrank). The
//! output header takes the first input's MinTXID and pre-apply checksum and the last input's
//! MaxTXID, commit, timestamp and post-apply checksum; WAL fields are zero. Memory is one page
//! per input.

use std::io::{BufRead, Write};

use super::{
    Checksum, Decoder, Encoder, HEADER_FLAG_NO_CHECKSUM, Header, LtxError, Result, Trailer,
};

/// How to merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactOptions {
    /// Header flags of the output; Litestream always uses `NoChecksum`.
    pub flags: u32,
    /// Accept gaps between inputs (Litestream's `AllowNonContiguousTXIDs`).
    pub allow_non_contiguous: bool,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            flags: HEADER_FLAG_NO_CHECKSUM,
            allow_non_contiguous: false,
        }
    }
}

struct Input<R: BufRead> {
    dec: Decoder<R>,
    page: Vec<u8>,
    current: Option<u32>,
}

impl<R: BufRead> Input<R> {
    fn advance(&mut self) -> Result<()> {
        self.current = self.dec.next_page(&mut self.page)?.map(|f| f.pgno);
        Ok(())
    }
}

/// Merges `inputs` (oldest first) into one LTX file written to `out`. Every input is fully
/// verified (file checksum) before the output is finished. Checksums are copied as Litestream
/// copies them, so NoChecksum output from checksum-tracking inputs fails validation with an
/// error naming the checksum field. Returns the writer, the output header and its trailer.
pub fn compact<R: BufRead, W: Write>(
    inputs: Vec<Decoder<R>>,
    out: W,
    opts: CompactOptions,
) -> Result<(W, Header, Trailer)> {
    let header = output_header(&inputs, opts)?;
    let mut enc = Encoder::new(out, header)?;
    let mut inputs: Vec<Input<R>> = inputs
        .into_iter()
        .map(|dec| {
            let page = vec![0u8; dec.header().page_size as usize];
            Input {
                dec,
                page,
                current: None,
            }
        })
        .collect();
    for input in &mut inputs {
        input.advance()?;
    }
    while let Some(pgno) = inputs.iter().filter_map(|i| i.current).min() {
        // The latest input holding this page wins; every holder moves on.
        let winner = inputs.iter().rposition(|i| i.current == Some(pgno));
        if let Some(w) = winner
            && pgno <= header.commit
        {
            enc.encode_page(pgno, &inputs[w].page)?;
        }
        for input in inputs.iter_mut().filter(|i| i.current == Some(pgno)) {
            input.advance()?;
        }
    }
    let mut post_apply = Checksum::ZERO;
    for input in inputs {
        post_apply = input.dec.finish()?.trailer.post_apply_checksum;
    }
    let (w, trailer) = enc.finish(post_apply)?;
    Ok((w, header, trailer))
}

/// Checks page sizes and contiguity and builds the output header as Litestream does.
fn output_header<R: BufRead>(inputs: &[Decoder<R>], opts: CompactOptions) -> Result<Header> {
    let (Some(first), Some(last)) = (inputs.first(), inputs.last()) else {
        return Err(LtxError::InvalidArgument {
            name: "inputs",
            reason: "compaction needs at least one input file".into(),
        });
    };
    let (first, last) = (first.header(), last.header());
    let mut prev = first;
    for (index, dec) in inputs.iter().enumerate().skip(1) {
        let h = dec.header();
        if h.page_size != first.page_size {
            return Err(LtxError::PageSizeMismatch {
                index,
                expected: first.page_size,
                found: h.page_size,
            });
        }
        let contiguous =
            h.min_txid.0 <= prev.max_txid.0.saturating_add(1) && h.max_txid > prev.max_txid;
        if !contiguous && !opts.allow_non_contiguous {
            return Err(LtxError::NonContiguous {
                index,
                prev_max_txid: prev.max_txid.to_string(),
                min_txid: h.min_txid.to_string(),
                max_txid: h.max_txid.to_string(),
            });
        }
        prev = h;
    }
    Ok(Header {
        flags: opts.flags,
        page_size: first.page_size,
        commit: last.commit,
        min_txid: first.min_txid,
        max_txid: last.max_txid,
        timestamp: last.timestamp,
        pre_apply_checksum: first.pre_apply_checksum,
        wal_offset: 0,
        wal_size: 0,
        wal_salt1: 0,
        wal_salt2: 0,
        node_id: 0,
    })
}
