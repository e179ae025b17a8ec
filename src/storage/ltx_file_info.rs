//! One LTX file as a replica listing shows it (Litestream's `ltx.FileInfo`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ltx::{FileName, Txid};

/// An LTX file in a replica: where it is, which TXIDs it covers, how big it is, and when it
/// was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtxFileInfo {
    /// The compaction level (0 = per-sync files, 9 = snapshots).
    pub level: u8,
    /// First TXID covered.
    pub min_txid: Txid,
    /// Last TXID covered.
    pub max_txid: Txid,
    /// Object size in bytes.
    pub size: u64,
    /// Creation time: the file's mtime for `file`, the object's LastModified for object
    /// stores, or the `litestream-timestamp` metadata (the LTX header timestamp) after
    /// [`super::ReplicaClient::created_at_from_metadata`].
    pub created_at: DateTime<Utc>,
}

impl LtxFileInfo {
    /// The file's name, `<min>-<max>.ltx`.
    pub fn name(&self) -> FileName {
        FileName::new(self.min_txid, self.max_txid)
    }

    /// The sort key of listings: level, then min TXID, then max TXID.
    pub fn sort_key(&self) -> (u8, Txid, Txid) {
        (self.level, self.min_txid, self.max_txid)
    }
}
