//! The 16-byte LTX trailer: post-apply database checksum and file checksum.

use serde::Serialize;

use super::checksum::{CHECKSUM_FLAG, Checksum};
use super::{Header, LtxError, Result, TRAILER_SIZE};

/// The end of every LTX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Trailer {
    /// Rolling database checksum after applying the file (0 with `NoChecksum`).
    pub post_apply_checksum: Checksum,
    /// CRC-64/GO-ISO of the file's byte stream with bit 63 set.
    pub file_checksum: Checksum,
}

impl Trailer {
    /// Serialises the trailer (big-endian).
    pub fn to_bytes(&self) -> [u8; TRAILER_SIZE] {
        let mut b = [0u8; TRAILER_SIZE];
        b[0..8].copy_from_slice(&self.post_apply_checksum.0.to_be_bytes());
        b[8..16].copy_from_slice(&self.file_checksum.0.to_be_bytes());
        b
    }

    /// Parses 16 trailer bytes (no validation).
    pub fn from_bytes(b: &[u8; TRAILER_SIZE]) -> Trailer {
        let mut post = [0u8; 8];
        let mut file = [0u8; 8];
        post.copy_from_slice(&b[0..8]);
        file.copy_from_slice(&b[8..16]);
        Trailer {
            post_apply_checksum: Checksum(u64::from_be_bytes(post)),
            file_checksum: Checksum(u64::from_be_bytes(file)),
        }
    }

    /// Checks the trailer rules against the header: the post-apply checksum is 0 with
    /// `NoChecksum` and flagged otherwise, and the file checksum always carries bit 63.
    pub fn validate(&self, header: &Header) -> Result<()> {
        validate_post_apply(header, self.post_apply_checksum)?;
        if !self.file_checksum.has_flag() {
            return Err(LtxError::InvalidTrailer {
                field: "file_checksum",
                value: self.file_checksum.to_string(),
                rule: "must have bit 63 set",
            });
        }
        Ok(())
    }
}

/// The post-apply checksum rules shared by the encoder and the decoder.
pub(crate) fn validate_post_apply(header: &Header, post: Checksum) -> Result<()> {
    let bad = |rule: &'static str| {
        Err(LtxError::InvalidTrailer {
            field: "post_apply_checksum",
            value: post.to_string(),
            rule,
        })
    };
    if header.no_checksum() {
        if post != Checksum::ZERO {
            return bad("must be 0 when the NoChecksum flag is set");
        }
    } else if !post.has_flag() {
        return bad("must be non-zero with bit 63 set when checksums are tracked");
    }
    Ok(())
}

/// The extra encoder rule for "deletion" files (commit 0): the post-apply checksum must be
/// exactly the flag, which is impossible with `NoChecksum`.
pub(crate) fn validate_post_apply_for_commit(header: &Header, post: Checksum) -> Result<()> {
    if header.commit == 0 && post.0 != CHECKSUM_FLAG {
        return Err(LtxError::InvalidTrailer {
            field: "post_apply_checksum",
            value: post.to_string(),
            rule: "must be exactly 8000000000000000 when commit is 0 (an empty database)",
        });
    }
    Ok(())
}
