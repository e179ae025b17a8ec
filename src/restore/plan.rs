//! The restore plan: which LTX files, in which order, rebuild the database at a target.
//!
//! This is Litestream's `CalcRestorePlan` (`ref/ltx-litestream.md` §3.2), as a pure function
//! over a replica listing:
//! 1. the last level-9 snapshot (ascending order) that passes the target's filter starts the
//!    plan (a TXID target already reached stops there);
//! 2. one ascending cursor per level 8..0: each round every cursor consumes its files with
//!    MinTXID ≤ reached + 1, and among those that extend the plan (MaxTXID > reached) and pass
//!    the filter the best one across levels is appended. "Better" is a larger MaxTXID, then a
//!    smaller MinTXID, then a higher level, then an earlier CreatedAt. The loop ends when no
//!    candidate is left or a TXID target is reached;
//! 3. a latest restore fails with "non-contiguous ltx files" if any level still holds an
//!    unconsumed file (it starts past reached + 1: a gap);
//! 4. an empty plan, or a TXID target not reached, is "no matching backup files available".
//!
//! The filter: a TXID target keeps files with MaxTXID ≤ target; a timestamp target keeps files
//! created strictly before it.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RestoreError, RestoreTarget};
use crate::ltx::Txid;
use crate::storage::LtxFileInfo;

/// The level of snapshots.
pub const SNAPSHOT_LEVEL: u8 = 9;

/// The files a restore applies, oldest first (the first one is a snapshot: MinTXID 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestorePlan {
    /// The target the plan was made for.
    pub target: RestoreTarget,
    /// The files, in apply order.
    pub files: Vec<LtxFileInfo>,
    /// The TXID the restored database will be at (MaxTXID of the last file).
    pub txid: Txid,
    /// Sum of the files' sizes in bytes (what will be fetched).
    pub total_bytes: u64,
    /// CreatedAt of the last file (the time the restored state was replicated).
    pub timestamp: DateTime<Utc>,
}

impl RestorePlan {
    /// MinTXID of the first file (1 for every valid plan).
    pub fn min_txid(&self) -> Txid {
        self.files.first().map_or(Txid::ZERO, |f| f.min_txid)
    }
}

impl RestoreTarget {
    /// Whether a file may be part of a plan for this target.
    fn admits(&self, f: &LtxFileInfo) -> bool {
        match self {
            RestoreTarget::Latest => true,
            RestoreTarget::Txid(t) => f.max_txid <= *t,
            RestoreTarget::Timestamp(ts) => f.created_at < *ts,
        }
    }

    /// True once a plan reaching `reached` is complete for a TXID target.
    fn reached(&self, reached: Txid) -> bool {
        matches!(self, RestoreTarget::Txid(t) if reached >= *t)
    }
}

/// Litestream's order of candidates: `Greater` means `a` is the better file.
fn better(a: &LtxFileInfo, b: &LtxFileInfo) -> Ordering {
    a.max_txid
        .cmp(&b.max_txid)
        .then_with(|| b.min_txid.cmp(&a.min_txid))
        .then_with(|| a.level.cmp(&b.level))
        .then_with(|| b.created_at.cmp(&a.created_at))
}

/// Computes the restore plan for `target` over `files` (every level of a replica, any order).
pub fn plan(files: &[LtxFileInfo], target: &RestoreTarget) -> Result<RestorePlan, RestoreError> {
    // Ascending per level, as Litestream's listings are.
    let mut levels: Vec<Vec<&LtxFileInfo>> = vec![Vec::new(); usize::from(SNAPSHOT_LEVEL) + 1];
    for f in files.iter().filter(|f| f.level <= SNAPSHOT_LEVEL) {
        levels[usize::from(f.level)].push(f);
    }
    for level in &mut levels {
        level.sort_by_key(|f| (f.min_txid, f.max_txid));
    }

    let mut chosen: Vec<LtxFileInfo> = Vec::new();
    let mut reached = Txid::ZERO;
    if let Some(snapshot) = levels[usize::from(SNAPSHOT_LEVEL)]
        .iter()
        .rev()
        .find(|f| target.admits(f))
    {
        chosen.push((*snapshot).clone());
        reached = snapshot.max_txid;
    }

    // One cursor per level 8..0 (an index into that level's ascending list).
    let mut cursors = [0usize; SNAPSHOT_LEVEL as usize];
    while !target.reached(reached) {
        let mut best: Option<&LtxFileInfo> = None;
        for level in (0..SNAPSHOT_LEVEL).rev() {
            let list = &levels[usize::from(level)];
            let cursor = &mut cursors[usize::from(level)];
            while let Some(f) = list.get(*cursor).copied() {
                if f.min_txid > reached.next() {
                    break;
                }
                *cursor += 1;
                if f.max_txid > reached
                    && target.admits(f)
                    && best.is_none_or(|b| better(f, b) == Ordering::Greater)
                {
                    best = Some(f);
                }
            }
        }
        let Some(next) = best else { break };
        chosen.push(next.clone());
        reached = next.max_txid;
    }

    if *target == RestoreTarget::Latest {
        for level in (0..SNAPSHOT_LEVEL).rev() {
            if let Some(f) = levels[usize::from(level)].get(cursors[usize::from(level)]) {
                return Err(RestoreError::NonContiguous {
                    level,
                    name: f.name(),
                    reached,
                });
            }
        }
    }
    let Some(last) = chosen.last() else {
        return Err(RestoreError::NoMatchingBackup {
            detail: no_files_detail(files, target),
        });
    };
    if let RestoreTarget::Txid(t) = target
        && reached < *t
    {
        return Err(RestoreError::NoMatchingBackup {
            detail: Some(format!(
                "TXID {t} is not a file boundary the replica can reach (the plan stops at {reached})"
            )),
        });
    }
    let timestamp = last.created_at;
    Ok(RestorePlan {
        target: *target,
        txid: reached,
        total_bytes: chosen.iter().map(|f| f.size).sum(),
        timestamp,
        files: chosen,
    })
}

fn no_files_detail(files: &[LtxFileInfo], target: &RestoreTarget) -> Option<String> {
    if files.is_empty() {
        return None;
    }
    match target {
        RestoreTarget::Latest => Some("no file starts at TXID 1 and no snapshot exists".into()),
        RestoreTarget::Txid(t) => Some(format!("no file chain from TXID 1 reaches TXID {t}")),
        RestoreTarget::Timestamp(ts) => Some(format!(
            "no usable file was created before {}",
            ts.to_rfc3339()
        )),
    }
}

/// Litestream's check for URL restores with a timestamp: the time must lie within the oldest
/// and newest CreatedAt of all files, else "timestamp does not exist".
pub fn check_timestamp_in_range(
    files: &[LtxFileInfo],
    timestamp: DateTime<Utc>,
) -> Result<(), RestoreError> {
    let oldest = files.iter().map(|f| f.created_at).min();
    let newest = files.iter().map(|f| f.created_at).max();
    let (Some(oldest), Some(newest)) = (oldest, newest) else {
        return Err(RestoreError::NoMatchingBackup { detail: None });
    };
    if timestamp < oldest || timestamp > newest {
        return Err(RestoreError::TimestampOutOfRange {
            timestamp: timestamp.to_rfc3339(),
            oldest: oldest.to_rfc3339(),
            newest: newest.to_rfc3339(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
