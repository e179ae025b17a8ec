//! Retention: which replica files (and local L0 copies) may be deleted, exactly by Litestream
//! 0.5.17's rules (`DB.EnforceSnapshotRetention`, `Compactor.EnforceRetentionByTXID`,
//! `DB.EnforceL0RetentionByTime`), and the deleting itself.
//!
//! Snapshot retention (run on every level-9 tick, after the snapshot attempt):
//! - List level 9 (sorted by MaxTXID, since every snapshot starts at TXID 1). Mark every
//!   snapshot whose CreatedAt is before `now − retention`; the newest snapshot is never deleted.
//! - The floor is the MaxTXID of the snapshot just before the first one kept (the last snapshot
//!   of the leading run of deleted ones); 0 when the oldest snapshot is kept.
//! - At every compaction level 1..N, delete the files whose MaxTXID < floor, always keeping the
//!   level's newest file.
//!
//! L0 retention (every `l0-retention-check-interval`, and after each level-1 compaction):
//! - Nothing happens when `l0-retention` is zero or level 1 is empty.
//! - Walk L0 in order; stop at the first file created after `now − l0-retention` (so the L0
//!   files kept stay one unbroken run); of the files before it, delete those whose MaxTXID ≤ the
//!   highest level-1 MaxTXID. If the walk reached the end, never delete the newest L0 file.
//! - Deleted files go from the meta directory and from the replica.
//!
//! `retention.enabled: false` keeps every replica file (nothing is deleted remotely) while
//! local L0 copies are still cleaned up, as in Litestream.
//!
//! Why no restore that the replica still promises breaks:
//! - A restore to TXID `t` (Litestream's plan, see `ref/ltx-litestream.md` §3.2) starts at the
//!   newest snapshot with MaxTXID ≤ `t` and then needs, from some level, a chain of files from
//!   that snapshot's MaxTXID + 1 up to a file ending exactly at `t`.
//! - Snapshot retention keeps the newest snapshot, so a latest restore always has its base.
//!   Every kept snapshot has a MaxTXID greater than the floor (names are unique and sorted), so
//!   every file a restore from a kept snapshot needs has MaxTXID > floor and survives. What
//!   goes is what retention is for: TXIDs older than the oldest kept snapshot, which only a
//!   deleted snapshot, or the TXID-1 chain that reached them, could restore.
//! - L0 retention deletes only L0 files that level 1 already covers (MaxTXID ≤ max L1 TXID;
//!   level-1 files are merged from contiguous L0 runs), and only a leading run of them, so the
//!   L0 files kept continue level 1 without a gap and a latest restore still reaches the newest
//!   TXID. The newest L0 file (the local position) is kept. What goes is per-TXID granularity
//!   older than `l0-retention` inside level-1 files; every level-1 file boundary stays a
//!   restorable TXID.
//! - Each level keeps its newest file, so no level is ever emptied by retention.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ltx::{FileName, Txid};
use crate::storage::{LtxFileInfo, ReplicaClient};

use super::compaction::SNAPSHOT_LEVEL;
use super::level_schedule::saturating_sub;
use super::replica_failure::replica_failure;
use super::{EngineError, MetaDir};

/// Files retention removed (or, with remote deletion disabled, selected) at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelDeletion {
    /// The level.
    pub level: u8,
    /// The files selected by the rules, in listing order.
    pub files: Vec<FileName>,
    /// True when they were deleted from the replica; false when `retention.enabled` is false.
    pub remote: bool,
    /// True when their local copies in the meta directory were deleted (level 0 only).
    pub local: bool,
}

/// What one snapshot-retention pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRetentionReport {
    /// Files at lower levels with MaxTXID below this were eligible (0 = none).
    pub floor: Txid,
    /// Level 9 first, then each compaction level that had files selected.
    pub deletions: Vec<LevelDeletion>,
}

impl SnapshotRetentionReport {
    /// How many files were selected at each level, for `EngineEvent::RetentionApplied`.
    pub fn counts(&self) -> Vec<(u8, usize)> {
        self.deletions
            .iter()
            .map(|d| (d.level, d.files.len()))
            .collect()
    }
}

/// What one L0-retention pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L0RetentionReport {
    /// The highest MaxTXID at level 1 (0 when level 1 is empty and nothing was done).
    pub max_l1_txid: Txid,
    /// The L0 files selected and where they were deleted.
    pub deletion: LevelDeletion,
    /// L0 files old enough but not yet covered by level 1.
    pub not_compacted: usize,
    /// L0 files from the first too-recent one to the end.
    pub too_recent: usize,
}

/// Enforces snapshot retention: deletes level-9 snapshots created before `now − retention`
/// (never the newest), then at each level of `levels` (level 0 and 9 are ignored there) the
/// files whose MaxTXID is below the floor (never a level's newest). With `remote_enabled`
/// false nothing is deleted and the report lists what would have been.
pub async fn enforce_snapshot_retention(
    client: &ReplicaClient,
    retention: Duration,
    levels: &[u8],
    now: DateTime<Utc>,
    remote_enabled: bool,
) -> Result<SnapshotRetentionReport, EngineError> {
    let threshold = saturating_sub(now, retention);
    let snapshots = list(client, SNAPSHOT_LEVEL).await?;
    let (selected, floor) = snapshot_deletions(&snapshots, threshold);
    let mut deletions = Vec::new();
    if !selected.is_empty() {
        delete_remote(client, SNAPSHOT_LEVEL, &selected, remote_enabled).await?;
        deletions.push(LevelDeletion {
            level: SNAPSHOT_LEVEL,
            files: selected,
            remote: remote_enabled,
            local: false,
        });
    }
    if floor > Txid::ZERO {
        let lower: BTreeSet<u8> = levels
            .iter()
            .copied()
            .filter(|l| *l != 0 && *l != SNAPSHOT_LEVEL)
            .collect();
        for level in lower {
            let files = list(client, level).await?;
            let selected = deletions_below(&files, floor);
            if selected.is_empty() {
                continue;
            }
            delete_remote(client, level, &selected, remote_enabled).await?;
            deletions.push(LevelDeletion {
                level,
                files: selected,
                remote: remote_enabled,
                local: false,
            });
        }
    }
    if !deletions.is_empty() {
        tracing::info!(floor = %floor, remote = remote_enabled, deleted = ?deletions.iter().map(|d| (d.level, d.files.len())).collect::<Vec<_>>(), "snapshot retention enforced");
    }
    Ok(SnapshotRetentionReport { floor, deletions })
}

/// Enforces L0 retention: deletes the L0 files already covered by level 1 and created before
/// `now − l0_retention`, stopping at the first too-recent file and never deleting the newest
/// L0 file; local copies in `local` go first, then (when `remote_enabled`) the replica's.
pub async fn enforce_l0_retention(
    client: &ReplicaClient,
    local: Option<&MetaDir>,
    l0_retention: Duration,
    now: DateTime<Utc>,
    remote_enabled: bool,
) -> Result<L0RetentionReport, EngineError> {
    let mut report = L0RetentionReport {
        max_l1_txid: Txid::ZERO,
        deletion: LevelDeletion {
            level: 0,
            files: Vec::new(),
            remote: false,
            local: false,
        },
        not_compacted: 0,
        too_recent: 0,
    };
    if l0_retention.is_zero() {
        return Ok(report);
    }
    let max_l1 = list(client, 1)
        .await?
        .iter()
        .map(|f| f.max_txid)
        .max()
        .unwrap_or(Txid::ZERO);
    report.max_l1_txid = max_l1;
    if max_l1 == Txid::ZERO {
        return Ok(report);
    }
    let threshold = saturating_sub(now, l0_retention);
    let l0 = list(client, 0).await?;
    let plan = l0_deletions(&l0, max_l1, threshold);
    report.not_compacted = plan.not_compacted;
    report.too_recent = plan.too_recent;
    if plan.files.is_empty() {
        return Ok(report);
    }
    // Local copies first: if that fails the replica is untouched and the next pass retries
    // both; if the replica deletion fails the files are still listed and the next pass
    // retries them (Litestream deletes remotely first and only logs local failures).
    if let Some(meta) = local {
        let meta = meta.clone();
        let names = plan.files.clone();
        let dir = meta.l0_dir();
        tokio::task::spawn_blocking(move || meta.delete_l0(&names))
            .await
            .map_err(|e| {
                EngineError::io(
                    "deleting expired local L0 files",
                    &dir,
                    std::io::Error::other(e),
                )
            })??;
        report.deletion.local = true;
    }
    delete_remote(client, 0, &plan.files, remote_enabled).await?;
    report.deletion.remote = remote_enabled;
    tracing::info!(
        deleted = plan.files.len(),
        max_l1_txid = %max_l1,
        remote = remote_enabled,
        "l0 retention enforced"
    );
    report.deletion.files = plan.files;
    Ok(report)
}

async fn list(client: &ReplicaClient, level: u8) -> Result<Vec<LtxFileInfo>, EngineError> {
    client
        .list_ltx_files(level, Txid::ZERO)
        .await
        .map_err(|e| replica_failure(client, "listing files for retention", e))
}

async fn delete_remote(
    client: &ReplicaClient,
    level: u8,
    names: &[FileName],
    remote_enabled: bool,
) -> Result<(), EngineError> {
    if !remote_enabled {
        tracing::debug!(
            level,
            count = names.len(),
            "skipping remote deletion (retention disabled)"
        );
        return Ok(());
    }
    client
        .delete_ltx_files(level, names)
        .await
        .map_err(|e| replica_failure(client, "deleting expired files", e))
}

/// The snapshots to delete (created before `threshold`, never the last listed) and the floor
/// (MaxTXID of the snapshot just before the first one kept; 0 if the first is kept).
fn snapshot_deletions(
    snapshots: &[LtxFileInfo],
    threshold: DateTime<Utc>,
) -> (Vec<FileName>, Txid) {
    let mut doomed: Vec<bool> = snapshots.iter().map(|s| s.created_at < threshold).collect();
    if let Some(last) = doomed.last_mut() {
        *last = false;
    }
    let floor = match doomed.iter().position(|d| !d) {
        Some(i) if i > 0 => snapshots[i - 1].max_txid,
        _ => Txid::ZERO,
    };
    let files = snapshots
        .iter()
        .zip(&doomed)
        .filter(|(_, d)| **d)
        .map(|(s, _)| s.name())
        .collect();
    (files, floor)
}

/// The files with MaxTXID < `floor`, never the last listed.
fn deletions_below(files: &[LtxFileInfo], floor: Txid) -> Vec<FileName> {
    let keep_last = files.len().saturating_sub(1);
    files
        .iter()
        .enumerate()
        .filter(|(i, f)| *i < keep_last && f.max_txid < floor)
        .map(|(_, f)| f.name())
        .collect()
}

/// The L0 retention decision over a listing of level 0.
#[derive(Debug, PartialEq, Eq)]
struct L0Plan {
    files: Vec<FileName>,
    not_compacted: usize,
    too_recent: usize,
}

fn l0_deletions(l0: &[LtxFileInfo], max_l1: Txid, threshold: DateTime<Utc>) -> L0Plan {
    let stop = l0
        .iter()
        .position(|f| f.created_at > threshold)
        .unwrap_or(l0.len());
    let old = &l0[..stop];
    let mut files: Vec<FileName> = old
        .iter()
        .filter(|f| f.max_txid <= max_l1)
        .map(LtxFileInfo::name)
        .collect();
    let processed_all = stop == l0.len();
    if processed_all
        && let Some(last) = l0.last()
        && files.last() == Some(&last.name())
    {
        files.pop();
    }
    L0Plan {
        not_compacted: old.iter().filter(|f| f.max_txid > max_l1).count(),
        too_recent: l0.len() - stop,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    fn file(level: u8, min: u64, max: u64, created: i64) -> LtxFileInfo {
        LtxFileInfo {
            level,
            min_txid: Txid(min),
            max_txid: Txid(max),
            size: 1,
            created_at: t(created),
        }
    }

    fn names(v: &[FileName]) -> Vec<(u64, u64)> {
        v.iter().map(|n| (n.min_txid.0, n.max_txid.0)).collect()
    }

    #[test]
    fn snapshots_older_than_the_threshold_go_but_never_the_newest() {
        let snaps = [
            file(9, 1, 5, 0),
            file(9, 1, 10, 10),
            file(9, 1, 15, 20),
            file(9, 1, 20, 30),
        ];
        let (files, floor) = snapshot_deletions(&snaps, t(15));
        assert_eq!(names(&files), [(1, 5), (1, 10)]);
        assert_eq!(floor, Txid(10));
        // Everything old: the newest stays; floor is the one before it.
        let (files, floor) = snapshot_deletions(&snaps, t(100));
        assert_eq!(names(&files), [(1, 5), (1, 10), (1, 15)]);
        assert_eq!(floor, Txid(15));
        // Nothing old.
        let (files, floor) = snapshot_deletions(&snaps, t(0));
        assert!(files.is_empty());
        assert_eq!(floor, Txid::ZERO);
        assert_eq!(snapshot_deletions(&[], t(0)), (vec![], Txid::ZERO));
    }

    #[test]
    fn floor_comes_from_the_leading_run_of_deleted_snapshots() {
        // CreatedAt not in TXID order: 5 old, 10 new, 15 old, 20 new.
        let snaps = [
            file(9, 1, 5, 0),
            file(9, 1, 10, 50),
            file(9, 1, 15, 0),
            file(9, 1, 20, 50),
        ];
        let (files, floor) = snapshot_deletions(&snaps, t(10));
        assert_eq!(names(&files), [(1, 5), (1, 15)]);
        assert_eq!(floor, Txid(5));
        // Oldest kept: floor 0 even though a later one goes.
        let snaps = [file(9, 1, 5, 50), file(9, 1, 10, 0), file(9, 1, 20, 50)];
        let (files, floor) = snapshot_deletions(&snaps, t(10));
        assert_eq!(names(&files), [(1, 10)]);
        assert_eq!(floor, Txid::ZERO);
    }

    #[test]
    fn txid_retention_keeps_the_newest_file() {
        let files = [file(1, 1, 5, 0), file(1, 6, 9, 0), file(1, 10, 12, 0)];
        assert_eq!(names(&deletions_below(&files, Txid(10))), [(1, 5), (6, 9)]);
        assert_eq!(names(&deletions_below(&files, Txid(9))), [(1, 5)]);
        assert_eq!(names(&deletions_below(&files, Txid(100))), [(1, 5), (6, 9)]);
        assert!(deletions_below(&files, Txid::ZERO).is_empty());
        assert!(deletions_below(&[], Txid(100)).is_empty());
    }

    #[test]
    fn l0_retention_stops_at_the_first_recent_file() {
        let l0: Vec<LtxFileInfo> = (1..=6)
            .map(|i| file(0, i, i, if i == 4 { 100 } else { 0 }))
            .collect();
        let plan = l0_deletions(&l0, Txid(6), t(50));
        assert_eq!(names(&plan.files), [(1, 1), (2, 2), (3, 3)]);
        assert_eq!((plan.not_compacted, plan.too_recent), (0, 3));
    }

    #[test]
    fn l0_retention_keeps_uncompacted_and_newest_files() {
        let l0: Vec<LtxFileInfo> = (1..=6).map(|i| file(0, i, i, 0)).collect();
        let plan = l0_deletions(&l0, Txid(4), t(50));
        assert_eq!(names(&plan.files), [(1, 1), (2, 2), (3, 3), (4, 4)]);
        assert_eq!((plan.not_compacted, plan.too_recent), (2, 0));
        // Level 1 covers everything: the newest L0 file stays.
        let plan = l0_deletions(&l0, Txid(6), t(50));
        assert_eq!(names(&plan.files).len(), 5);
        assert_eq!(names(&plan.files).last(), Some(&(5, 5)));
        // Created exactly at the threshold is old enough (not after it).
        let plan = l0_deletions(&l0, Txid(6), t(0));
        assert_eq!(plan.files.len(), 5);
        let plan = l0_deletions(&l0, Txid(6), t(-1));
        assert!(plan.files.is_empty());
        assert_eq!(plan.too_recent, 6);
    }
}
