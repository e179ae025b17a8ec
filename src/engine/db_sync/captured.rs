//! L0 files kept in memory until a checkpoint's barrier ends.

use crate::ltx::Header;

use super::SyncedFile;

/// An L0 file whose pages were copied into memory but not yet encoded and written: the tail
/// of the WAL read under the checkpoint barrier. The sync position already counts it.
pub(super) struct CapturedL0 {
    pub(super) header: Header,
    pub(super) file: SyncedFile,
    pub(super) pages: Vec<u32>,
    pub(super) data: Vec<u8>,
}

impl CapturedL0 {
    /// The page `pgno` as this file holds it.
    pub(super) fn page(&self, pgno: u32) -> Option<&[u8]> {
        let ps = self.header.page_size as usize;
        let i = self.pages.binary_search(&pgno).ok()?;
        self.data.get(i * ps..(i + 1) * ps)
    }
}

/// Largest L0 file kept in memory under the barrier; a bigger one (a snapshot forced there) is
/// written directly.
pub(super) const CAPTURE_LIMIT_BYTES: u64 = 64 * 1024 * 1024;
