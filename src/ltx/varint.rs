//! Unsigned LEB128 varints, exactly as Go's `binary.AppendUvarint` / `binary.Uvarint`.

/// The longest valid encoding of a u64 (Go's `binary.MaxVarintLen64`).
pub const MAX_VARINT_LEN: usize = 10;

/// Appends `value` as an unsigned LEB128 varint.
pub fn put_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Outcome of feeding one byte to a [`UvarintParser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintStep {
    /// More bytes are needed.
    More,
    /// The varint is complete.
    Done(u64),
    /// The encoding overflows 64 bits (more than 10 bytes, or a 10th byte above 1).
    Overflow,
}

/// Incremental varint decoder, so the page index can be parsed as a stream.
#[derive(Debug, Default, Clone, Copy)]
pub struct UvarintParser {
    value: u64,
    shift: u32,
    len: usize,
}

impl UvarintParser {
    /// Feeds one byte; after `Done` or `Overflow` the parser is reset for the next varint.
    pub fn push(&mut self, byte: u8) -> VarintStep {
        self.len += 1;
        if self.len == MAX_VARINT_LEN && byte > 1 {
            *self = Self::default();
            return VarintStep::Overflow;
        }
        self.value |= u64::from(byte & 0x7f) << self.shift;
        if byte < 0x80 {
            let value = self.value;
            *self = Self::default();
            return VarintStep::Done(value);
        }
        if self.len == MAX_VARINT_LEN {
            *self = Self::default();
            return VarintStep::Overflow;
        }
        self.shift += 7;
        VarintStep::More
    }
}

/// Decodes one varint from the start of `buf`; returns the value and the bytes consumed, or
/// `None` if `buf` ends early or the encoding overflows.
pub fn read_uvarint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut parser = UvarintParser::default();
    for (i, &byte) in buf.iter().enumerate() {
        match parser.push(byte) {
            VarintStep::More => continue,
            VarintStep::Done(v) => return Some((v, i + 1)),
            VarintStep::Overflow => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_edge_values() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put_uvarint(&mut buf, v);
            assert_eq!(read_uvarint(&buf), Some((v, buf.len())), "value {v}");
        }
    }

    #[test]
    fn varint_matches_go_encoding_of_300() {
        let mut buf = Vec::new();
        put_uvarint(&mut buf, 300);
        assert_eq!(buf, [0xac, 0x02]);
    }

    #[test]
    fn varint_rejects_overflow_and_truncation() {
        assert_eq!(read_uvarint(&[0xff; 11]), None);
        assert_eq!(
            read_uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            None
        );
        assert_eq!(read_uvarint(&[0x80, 0x80]), None);
    }
}
