//! The L0 roll-up: ltx-tui syncs within milliseconds of a commit, so under a steady writer it
//! writes many small L0 files where Litestream, looking once a second, writes one. Each file
//! repeats the pages its commits touched plus a header, index and trailer, and L0 keeps five
//! minutes of them (`l0-retention`), so the replica would hold several times Litestream's
//! bytes. Once a window (`l0-rollup`, 1 s by default) is complete and one more window has
//! passed, the uploaded L0 files whose header time falls in it are merged into one L0 file
//! `<first min>-<last max>.ltx` (the LTX compactor: the latest page wins), uploaded, and the
//! small files deleted (replica first, then the meta directory).
//!
//! What stays true:
//! - Every TXID at a window's end stays restorable, so points in time older than two windows
//!   are as fine-grained as Litestream's once-a-second syncs; newer ones are per commit batch.
//! - The newest local L0 file (the resume position for the next sync) is never merged, nor is
//!   anything not yet uploaded.
//! - The merged file is on the replica before any file it replaces is deleted, so a restore
//!   never misses a TXID. A crash in between leaves the merged file beside the small ones (an
//!   overlap); restores pick the file that reaches furthest, and compaction drops files
//!   covered by another (see [`super::compaction::compaction_inputs`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::time::Duration;

use crate::ltx::{self, CompactOptions, Decoder, FileName, Header, Txid};

use super::{EngineError, MetaDir};

/// One uploaded single-TXID L0 file waiting for its window to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    /// Its TXID.
    pub txid: Txid,
    /// Its header timestamp (ms since the epoch).
    pub timestamp_ms: i64,
}

/// The uploaded L0 files not yet rolled up, oldest first.
#[derive(Debug, Default)]
pub struct RollupQueue {
    files: VecDeque<Uploaded>,
}

impl RollupQueue {
    /// Records an uploaded file (TXIDs arrive in increasing order; a gap starts a new run).
    pub fn push(&mut self, file: Uploaded) {
        self.files.push_back(file);
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Forgets everything (after a reset or a replica position change).
    pub fn clear(&mut self) {
        self.files.clear();
    }

    /// Takes the groups to merge now: runs of consecutive TXIDs below `keep_from` (the newest
    /// local file, never merged) whose timestamps fall in the same `window`, for windows that
    /// ended at least one window before `now_ms`. A group never straddles `compacted_through`
    /// (the newest level-1 MaxTXID): a merged file reaching past it from below would be skipped
    /// by the next compaction (its MinTXID is not above level 1's MaxTXID), leaving level 1 a
    /// gap; so the files up to it and the files after it are merged separately. Groups of one
    /// file are dropped (nothing to merge); files of windows still open stay queued.
    pub fn take_due(
        &mut self,
        window: Duration,
        now_ms: i64,
        keep_from: Txid,
        compacted_through: Txid,
    ) -> Vec<Vec<Txid>> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
        let open_from = now_ms.div_euclid(window_ms) - 1;
        let mut groups: Vec<Vec<Txid>> = Vec::new();
        let mut current: Vec<Txid> = Vec::new();
        let mut current_bucket = None;
        while let Some(front) = self.files.front().copied() {
            let bucket = front.timestamp_ms.div_euclid(window_ms);
            if bucket >= open_from || front.txid >= keep_from {
                break;
            }
            self.files.pop_front();
            let continues = current_bucket == Some(bucket)
                && current.last().is_some_and(|last| {
                    last.next() == front.txid
                        && (*last > compacted_through) == (front.txid > compacted_through)
                });
            if !continues && !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            current_bucket = Some(bucket);
            current.push(front.txid);
        }
        if !current.is_empty() {
            groups.push(current);
        }
        groups.retain(|g| g.len() > 1);
        groups
    }
}

/// Merges the local L0 files of `group` (consecutive single-TXID files) into one LTX file in
/// memory; returns its name, bytes and header.
pub fn merge_group(
    meta: &MetaDir,
    group: &[Txid],
) -> Result<(FileName, Vec<u8>, Header), EngineError> {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return Err(EngineError::Config("an empty L0 roll-up group".to_owned()));
    };
    let name = FileName::new(*first, *last);
    let mut decoders = Vec::with_capacity(group.len());
    for txid in group {
        let path = meta.l0_path(*txid);
        let file = File::open(&path)
            .map_err(|e| EngineError::io("opening L0 file to roll up", &path, e))?;
        decoders.push(
            Decoder::new(BufReader::new(file))
                .map_err(|source| EngineError::Ltx { path, source })?,
        );
    }
    let label = meta.l0_dir().join(name.to_string());
    let (bytes, header, _) = ltx::compact(decoders, Vec::new(), CompactOptions::default())
        .map_err(|source| EngineError::Ltx {
            path: label.clone(),
            source,
        })?;
    if header.min_txid != name.min_txid || header.max_txid != name.max_txid {
        return Err(EngineError::Ltx {
            path: label,
            source: ltx::LtxError::InvalidArgument {
                name: "inputs",
                reason: format!(
                    "the merged header covers {}-{} but the inputs cover {}-{}",
                    header.min_txid, header.max_txid, name.min_txid, name.max_txid
                ),
            },
        });
    }
    Ok((name, bytes, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(files: &[(u64, i64)]) -> RollupQueue {
        let mut q = RollupQueue::default();
        for (txid, ts) in files {
            q.push(Uploaded {
                txid: Txid(*txid),
                timestamp_ms: *ts,
            });
        }
        q
    }

    fn txids(groups: &[Vec<Txid>]) -> Vec<Vec<u64>> {
        groups
            .iter()
            .map(|g| g.iter().map(|t| t.0).collect())
            .collect()
    }

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn closed_windows_merge_per_window_and_open_ones_wait() {
        let mut q = queue(&[
            (1, 100),
            (2, 400),
            (3, 999),
            (4, 1000),
            (5, 1500),
            (6, 2100),
        ]);
        // At 2.5 s the window [1 s, 2 s) ended less than a window ago: only [0, 1 s) is due.
        assert_eq!(
            txids(&q.take_due(S, 2500, Txid(100), Txid(0))),
            vec![vec![1, 2, 3]]
        );
        // At 3.0 s [1 s, 2 s) is due too; [2 s, 3 s) is not.
        assert_eq!(
            txids(&q.take_due(S, 3000, Txid(100), Txid(0))),
            vec![vec![4, 5]]
        );
        assert!(!q.is_empty());
        assert_eq!(
            txids(&q.take_due(S, 4000, Txid(100), Txid(0))),
            Vec::<Vec<u64>>::new()
        );
        assert!(
            q.is_empty(),
            "a lone file is dropped from the queue, not merged"
        );
    }

    #[test]
    fn the_newest_local_file_and_after_are_never_merged() {
        let mut q = queue(&[(1, 0), (2, 10), (3, 20)]);
        assert_eq!(
            txids(&q.take_due(S, 10_000, Txid(3), Txid(0))),
            vec![vec![1, 2]]
        );
        assert!(!q.is_empty(), "TXID 3 stays queued");
    }

    #[test]
    fn a_txid_gap_splits_a_window() {
        let mut q = queue(&[(1, 0), (2, 10), (5, 20), (6, 30)]);
        assert_eq!(
            txids(&q.take_due(S, 10_000, Txid(100), Txid(0))),
            vec![vec![1, 2], vec![5, 6]]
        );
    }

    #[test]
    fn files_level_1_already_covers_are_not_merged_across_its_end() {
        // Level 1 reaches TXID 2: merging 1-4 would straddle it, and the next compaction
        // (inputs from MinTXID 3) would skip the merged file; 1-2 and 3-4 are merged apart.
        let mut q = queue(&[(1, 0), (2, 10), (3, 20), (4, 30)]);
        assert_eq!(
            txids(&q.take_due(S, 10_000, Txid(100), Txid(2))),
            vec![vec![1, 2], vec![3, 4]]
        );
    }
}
