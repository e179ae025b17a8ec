//! The one error type of the LTX room. Every variant names the field or structure at fault,
//! the offending value and, when reading, the byte offset where it was found.

use std::io;

/// An error reading, writing, validating or merging LTX data.
#[derive(Debug, thiserror::Error)]
pub enum LtxError {
    /// The underlying reader or writer failed.
    #[error("i/o error while {operation}: {source}")]
    Io {
        /// What the codec was doing, e.g. "reading page frame".
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// The input ended before a structure was complete.
    #[error(
        "truncated LTX file: unexpected end of input while reading {what} at byte offset {offset}"
    )]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Byte offset where the structure starts.
        offset: u64,
    },

    /// The first four bytes are not `LTX1`.
    #[error("not an LTX file: magic is {found:02x?}, expected \"LTX1\" (4c 54 58 31)")]
    BadMagic {
        /// The four bytes found.
        found: [u8; 4],
    },

    /// A header field breaks a validation rule.
    #[error("invalid header field {field} = {value}: {rule}")]
    InvalidHeader {
        /// Header field name, e.g. `page_size`.
        field: &'static str,
        /// The value found, as text.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },

    /// A page frame is malformed.
    #[error("invalid page frame at byte offset {offset} (pgno {pgno}): {field} = {value}: {rule}")]
    InvalidPage {
        /// Byte offset of the page header.
        offset: u64,
        /// Page number from the page header (0 if unknown).
        pgno: u32,
        /// The offending field, e.g. `flags`, `compressed_size`, `lz4_block`.
        field: &'static str,
        /// The value found, as text.
        value: String,
        /// The rule it breaks.
        rule: String,
    },

    /// The page index is malformed.
    #[error("invalid page index at byte offset {offset}: {field} = {value}: {rule}")]
    InvalidPageIndex {
        /// Byte offset where the problem was found.
        offset: u64,
        /// The offending field, e.g. `pgno`, `index_size`.
        field: &'static str,
        /// The value found, as text.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },

    /// A trailer field breaks a validation rule.
    #[error("invalid trailer field {field} = {value}: {rule}")]
    InvalidTrailer {
        /// Trailer field name.
        field: &'static str,
        /// The value found, as text.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },

    /// A checksum does not match the data.
    #[error("{what} mismatch: stored {stored:016x}, computed {computed:016x}")]
    ChecksumMismatch {
        /// Which checksum: `file checksum` or `post-apply checksum`.
        what: &'static str,
        /// The value stored in the file.
        stored: u64,
        /// The value computed from the data.
        computed: u64,
    },

    /// The encoder was asked to write something the format forbids.
    #[error("cannot encode {field} = {value}: {rule}")]
    Encode {
        /// The offending field, e.g. `pgno`, `page_data`.
        field: &'static str,
        /// The value given, as text.
        value: String,
        /// The rule it breaks.
        rule: String,
    },

    /// Compaction inputs do not form a contiguous TXID range.
    #[error(
        "non-contiguous LTX files: input {index} covers {min_txid}-{max_txid} but the previous input ended at {prev_max_txid}"
    )]
    NonContiguous {
        /// Position of the offending input (0-based).
        index: usize,
        /// MaxTXID of the previous input, as text.
        prev_max_txid: String,
        /// MinTXID of the offending input, as text.
        min_txid: String,
        /// MaxTXID of the offending input, as text.
        max_txid: String,
    },

    /// Compaction inputs disagree on page size.
    #[error(
        "page size mismatch: input {index} has page size {found}, the first input has {expected}"
    )]
    PageSizeMismatch {
        /// Position of the offending input (0-based).
        index: usize,
        /// Page size of the first input.
        expected: u32,
        /// Page size of the offending input.
        found: u32,
    },

    /// Text is not a 16-digit hexadecimal TXID.
    #[error("invalid TXID {text:?}: expected exactly 16 hexadecimal digits")]
    InvalidTxid {
        /// The text given.
        text: String,
    },

    /// Text is not an LTX file name.
    #[error("invalid LTX file name {text:?}: expected <16 hex digits>-<16 hex digits>.ltx")]
    InvalidFileName {
        /// The text given.
        text: String,
    },

    /// A caller-supplied argument is unusable (wrong buffer length, empty input list…).
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument {
        /// Argument name.
        name: &'static str,
        /// Why it is unusable.
        reason: String,
    },
}

impl LtxError {
    /// Maps an I/O error to `Truncated` when it is an unexpected EOF, else to `Io`.
    pub(crate) fn from_read(err: io::Error, what: &'static str, offset: u64) -> LtxError {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            LtxError::Truncated { what, offset }
        } else {
            LtxError::Io {
                operation: what,
                source: err,
            }
        }
    }
}
