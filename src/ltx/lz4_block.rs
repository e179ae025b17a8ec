//! The LZ4 block decompressor of the v3 page variant, in safe Rust.
//!
//! lz4_flex copies an overlapping match (offset smaller than its length) one byte at a time.
//! Database pages are full of those: a page's free space is one run of zeros, stored as a
//! literal zero and a match at offset 1 as long as the run. Here such a match is a `fill`
//! (offset 1) or `copy_within` in chunks that double (other offsets); every other copy is one
//! `copy_from_slice` or `copy_within`. Restoring a 1 GiB database of half-empty pages spent
//! 62% of its CPU in lz4_flex's byte loop.
//!
//! It accepts exactly the blocks lz4_flex's `decompress_into` accepts (the tests compare both
//! on valid and mangled blocks) and, being slice code without `unsafe`, fails with an error on
//! hostile input, never reading or writing out of bounds.

use std::fmt;

/// Why a block does not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lz4Error {
    /// The block ends inside a length, an offset, or right after a match.
    Truncated,
    /// A literal run reaches past the end of the block.
    LiteralOutOfBounds,
    /// The decompressed data would exceed the output.
    OutputTooSmall,
    /// A match offset is 0 or points before the start of the output.
    BadOffset,
}

impl fmt::Display for Lz4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lz4Error::Truncated => "the block ends early",
            Lz4Error::LiteralOutOfBounds => "a literal run reaches past the end of the block",
            Lz4Error::OutputTooSmall => "it decompresses to more than the output holds",
            Lz4Error::BadOffset => "a match offset is 0 or points before the output",
        })
    }
}

/// Reads the extra bytes of a length whose 4-bit field is 15.
#[inline]
fn read_length(src: &[u8], pos: &mut usize, mut n: usize) -> Result<usize, Lz4Error> {
    loop {
        let b = *src.get(*pos).ok_or(Lz4Error::Truncated)?;
        *pos += 1;
        n += usize::from(b);
        if b != 0xFF {
            return Ok(n);
        }
    }
}

/// Copies the match of `len` bytes at `offset` back from `at` to `at` (`offset` ≤ `at`,
/// `at + len` ≤ `dst.len()`, checked by the caller).
#[inline]
fn copy_match(dst: &mut [u8], at: usize, offset: usize, len: usize) {
    let start = at - offset;
    if offset >= len {
        dst.copy_within(start..start + len, at);
    } else if offset == 1 {
        let byte = dst[start];
        dst[at..at + len].fill(byte);
    } else {
        // The output from `start` on repeats with period `offset`: copy whole periods from
        // `start`, twice as many each time, the source always before the destination.
        let mut done = 0;
        while done < len {
            let n = (offset + done).min(len - done);
            dst.copy_within(start..start + n, at + done);
            done += n;
        }
    }
}

/// Decompresses the LZ4 block `src` into `dst`; returns the number of bytes written.
pub fn decompress_into(src: &[u8], dst: &mut [u8]) -> Result<usize, Lz4Error> {
    let mut i = 0usize;
    let mut o = 0usize;
    loop {
        let token = *src.get(i).ok_or(Lz4Error::Truncated)?;
        i += 1;
        let mut literals = usize::from(token >> 4);
        if literals == 15 {
            literals = read_length(src, &mut i, literals)?;
        }
        if literals > 0 {
            let from = src
                .get(i..i + literals)
                .ok_or(Lz4Error::LiteralOutOfBounds)?;
            dst.get_mut(o..o + literals)
                .ok_or(Lz4Error::OutputTooSmall)?
                .copy_from_slice(from);
            i += literals;
            o += literals;
        }
        if i >= src.len() {
            return Ok(o);
        }
        let offset_bytes = src.get(i..i + 2).ok_or(Lz4Error::Truncated)?;
        let offset = usize::from(u16::from_le_bytes([offset_bytes[0], offset_bytes[1]]));
        i += 2;
        if offset == 0 || offset > o {
            return Err(Lz4Error::BadOffset);
        }
        let mut len = usize::from(token & 0x0F) + 4;
        if len == 19 {
            len = read_length(src, &mut i, len)?;
        }
        if len > dst.len() - o {
            return Err(Lz4Error::OutputTooSmall);
        }
        copy_match(dst, o, offset, len);
        o += len;
        if i >= src.len() {
            return Err(Lz4Error::Truncated);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Data with long runs, short periods and noise, as pages hold.
    fn page_like(seed: u64, len: usize, runs: &[(usize, usize, u8)]) -> Vec<u8> {
        let mut x = seed | 1;
        let mut out: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for &(at, n, period) in runs {
            let at = at % len.max(1);
            let end = (at + n).min(len);
            for (k, byte) in out[at..end].iter_mut().enumerate() {
                *byte = if period <= 1 {
                    0
                } else {
                    (k % usize::from(period)) as u8
                };
            }
        }
        out
    }

    fn same_as_lz4_flex(block: &[u8], out_len: usize) {
        let mut ours = vec![0u8; out_len];
        let mut theirs = vec![0u8; out_len];
        let a = decompress_into(block, &mut ours);
        let b = lz4_flex::block::decompress_into(block, &mut theirs);
        match (a, b) {
            (Ok(n), Ok(m)) => {
                assert_eq!(n, m);
                assert_eq!(ours[..n], theirs[..m]);
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("ours {a:?}, lz4_flex {b:?}"),
        }
    }

    #[test]
    fn a_half_empty_page_round_trips() {
        let mut page = page_like(7, 4096, &[]);
        page[2048..].fill(0);
        let block = lz4_flex::block::compress(&page);
        let mut out = vec![0u8; 4096];
        assert_eq!(decompress_into(&block, &mut out), Ok(4096));
        assert_eq!(out, page);
        // Too small an output, a truncated block and a zero offset are errors.
        assert_eq!(
            decompress_into(&block, &mut [0u8; 4095]),
            Err(Lz4Error::OutputTooSmall)
        );
        assert!(decompress_into(&block[..block.len() - 1], &mut out).is_err());
        assert_eq!(
            decompress_into(&[0x14, b'a', 0, 0, 0], &mut out),
            Err(Lz4Error::BadOffset)
        );
        assert_eq!(decompress_into(&[], &mut out), Err(Lz4Error::Truncated));
    }

    #[test]
    fn overlapping_matches_of_every_small_period() {
        for period in 1..=40u8 {
            let data = page_like(u64::from(period), 3000, &[(100, 2500, period)]);
            let block = lz4_flex::block::compress(&data);
            let mut out = vec![0u8; data.len()];
            assert_eq!(decompress_into(&block, &mut out), Ok(data.len()));
            assert_eq!(out, data, "period {period}");
        }
    }

    proptest! {
        #[test]
        fn valid_blocks_decompress_as_lz4_flex_does(
            seed in any::<u64>(),
            len in 0usize..6000,
            runs in proptest::collection::vec((0usize..6000, 0usize..3000, 0u8..20), 0..6),
        ) {
            let data = page_like(seed, len, &runs);
            let block = lz4_flex::block::compress(&data);
            let mut out = vec![0u8; len];
            prop_assert_eq!(decompress_into(&block, &mut out), Ok(len));
            prop_assert_eq!(&out, &data);
            same_as_lz4_flex(&block, len);
        }

        #[test]
        fn mangled_blocks_are_accepted_or_refused_as_lz4_flex_does(
            seed in any::<u64>(),
            len in 1usize..3000,
            runs in proptest::collection::vec((0usize..3000, 0usize..2000, 0u8..8), 0..4),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            cut in any::<usize>(),
            out_len in 0usize..4000,
        ) {
            let data = page_like(seed, len, &runs);
            let mut block = lz4_flex::block::compress(&data);
            for (at, byte) in edits {
                let at = at % block.len();
                block[at] = byte;
            }
            block.truncate(cut % (block.len() + 1));
            same_as_lz4_flex(&block, out_len);
        }

        #[test]
        fn random_bytes_never_panic(block in proptest::collection::vec(any::<u8>(), 0..64), out_len in 0usize..300) {
            same_as_lz4_flex(&block, out_len);
        }
    }
}
