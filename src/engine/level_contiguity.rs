//! The `verify-compaction` check: the files of one level must follow each other exactly, each
//! file's MinTXID being the previous file's MaxTXID + 1 (Litestream's
//! `VerifyLevelConsistency` / `ValidateLevel`). A gap means TXIDs that no file of the level
//! covers; an overlap means two files claim the same TXIDs. Level 9 (snapshots, all starting at
//! TXID 1) is not contiguous by design and is not checked by Litestream either.

use std::fmt;

use crate::ltx::{FileName, Txid};
use crate::storage::ReplicaClient;

use super::EngineError;
use super::replica_failure::replica_failure;

/// What is wrong between two neighbouring files of a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContiguityKind {
    /// The next file starts after `prev.max + 1`.
    Gap,
    /// The next file starts at or before `prev.max`.
    Overlap,
}

/// One break in a level's TXID chain, between `prev` and the `next` file in listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContiguityViolation {
    /// The level checked.
    pub level: u8,
    /// Gap or overlap.
    pub kind: ContiguityKind,
    /// The earlier file.
    pub prev: FileName,
    /// The file that does not start at `prev.max + 1`.
    pub next: FileName,
}

impl fmt::Display for ContiguityViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = self.prev.max_txid.next();
        match self.kind {
            ContiguityKind::Gap => write!(
                f,
                "level {}: TXID gap detected: prev.MaxTXID={}, next.MinTXID={} (expected {expected})",
                self.level, self.prev.max_txid, self.next.min_txid
            ),
            ContiguityKind::Overlap => write!(
                f,
                "level {}: TXID overlap detected: prev.MaxTXID={}, next.MinTXID={}",
                self.level, self.prev.max_txid, self.next.min_txid
            ),
        }
    }
}

/// Every gap and overlap between neighbouring names (sorted by min, then max TXID).
pub fn contiguity_violations(level: u8, names: &[FileName]) -> Vec<ContiguityViolation> {
    names
        .windows(2)
        .filter_map(|pair| {
            let (prev, next) = (pair[0], pair[1]);
            let expected: Txid = prev.max_txid.next();
            let kind = match next.min_txid.cmp(&expected) {
                std::cmp::Ordering::Equal => return None,
                std::cmp::Ordering::Greater => ContiguityKind::Gap,
                std::cmp::Ordering::Less => ContiguityKind::Overlap,
            };
            Some(ContiguityViolation {
                level,
                kind,
                prev,
                next,
            })
        })
        .collect()
}

/// Lists `level` on the replica and returns every gap and overlap in its TXID chain (empty when
/// the level is exactly contiguous or has fewer than two files). Litestream logs the first one
/// as a warning after a compaction when `verify-compaction` is on.
pub async fn verify_level_contiguity(
    client: &ReplicaClient,
    level: u8,
) -> Result<Vec<ContiguityViolation>, EngineError> {
    let files = client
        .list_ltx_files(level, Txid::ZERO)
        .await
        .map_err(|e| replica_failure(client, "listing files to verify contiguity", e))?;
    let names: Vec<FileName> = files.iter().map(|f| f.name()).collect();
    Ok(contiguity_violations(level, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(min: u64, max: u64) -> FileName {
        FileName::new(Txid(min), Txid(max))
    }

    #[test]
    fn exact_chains_have_no_violations() {
        assert!(contiguity_violations(1, &[]).is_empty());
        assert!(contiguity_violations(1, &[n(1, 5)]).is_empty());
        assert!(contiguity_violations(1, &[n(1, 5), n(6, 6), n(7, 20)]).is_empty());
    }

    #[test]
    fn gaps_and_overlaps_are_reported_in_order() {
        let v = contiguity_violations(2, &[n(1, 5), n(7, 9), n(9, 12), n(13, 13)]);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].kind, ContiguityKind::Gap);
        assert_eq!((v[0].prev, v[0].next), (n(1, 5), n(7, 9)));
        assert_eq!(v[1].kind, ContiguityKind::Overlap);
        assert_eq!(
            v[0].to_string(),
            "level 2: TXID gap detected: prev.MaxTXID=0000000000000005, \
             next.MinTXID=0000000000000007 (expected 0000000000000006)"
        );
        assert_eq!(
            v[1].to_string(),
            "level 2: TXID overlap detected: prev.MaxTXID=0000000000000009, \
             next.MinTXID=0000000000000009"
        );
    }
}
