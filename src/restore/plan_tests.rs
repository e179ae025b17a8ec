//! Unit tests of the plan: every rule, tie-break and gap of Litestream's `CalcRestorePlan`.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::storage::datetime_from_ms;

/// 2026-01-01T00:00:00Z.
const T0_MS: i64 = 1_767_225_600_000;

fn at(secs: i64) -> DateTime<Utc> {
    datetime_from_ms(T0_MS + secs * 1000).unwrap_or_default()
}

/// A file at `level` covering `min..=max`, created at `secs`, of size `100 * level + max`.
fn f(level: u8, min: u64, max: u64, secs: i64) -> LtxFileInfo {
    LtxFileInfo {
        level,
        min_txid: Txid(min),
        max_txid: Txid(max),
        size: 100 * u64::from(level) + max,
        created_at: at(secs),
    }
}

fn names(plan: &RestorePlan) -> Vec<(u8, u64, u64)> {
    plan.files
        .iter()
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0))
        .collect()
}

fn l0_chain(n: u64) -> Vec<LtxFileInfo> {
    (1..=n).map(|t| f(0, t, t, t as i64)).collect()
}

#[test]
fn latest_from_l0_only_uses_every_file() {
    let plan = plan(&l0_chain(4), &RestoreTarget::Latest).unwrap();
    assert_eq!(
        names(&plan),
        vec![(0, 1, 1), (0, 2, 2), (0, 3, 3), (0, 4, 4)]
    );
    assert_eq!(plan.txid, Txid(4));
    assert_eq!(plan.min_txid(), Txid(1));
    assert_eq!(plan.total_bytes, 1 + 2 + 3 + 4);
    assert_eq!(plan.timestamp, at(4));
}

#[test]
fn latest_starts_from_the_newest_snapshot_and_prefers_higher_levels() {
    let mut files = l0_chain(10);
    files.push(f(1, 1, 4, 4));
    files.push(f(1, 5, 8, 8));
    files.push(f(2, 1, 8, 8));
    files.push(f(9, 1, 3, 3));
    files.push(f(9, 1, 6, 6));
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    // Snapshot 1-6, then the best file starting at ≤ 7 with max > 6: L2 1-8 and L1 5-8 both
    // reach 8; the smaller MinTXID (L2 1-8) wins. Then L0 9 and 10.
    assert_eq!(
        names(&plan),
        vec![(9, 1, 6), (2, 1, 8), (0, 9, 9), (0, 10, 10)]
    );
    assert_eq!(plan.txid, Txid(10));
}

#[test]
fn snapshot_alone_when_it_is_the_newest() {
    let mut files = l0_chain(5);
    files.push(f(9, 1, 5, 5));
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(9, 1, 5)]);
}

#[test]
fn txid_target_is_inclusive_and_filters_files_ending_after_it() {
    let mut files = l0_chain(10);
    files.push(f(1, 1, 8, 8));
    files.push(f(9, 1, 10, 10));
    let plan = plan(&files, &RestoreTarget::Txid(Txid(7))).unwrap();
    // The snapshot (max 10) and L1 1-8 end after 7: excluded. L0 1..7 it is.
    assert_eq!(plan.files.len(), 7);
    assert_eq!(plan.txid, Txid(7));
    let plan = plan_for(&files, 8);
    assert_eq!(names(&plan), vec![(1, 1, 8)]);
    let plan = plan_for(&files, 9);
    assert_eq!(names(&plan), vec![(1, 1, 8), (0, 9, 9)]);
    let plan = plan_for(&files, 10);
    assert_eq!(names(&plan), vec![(9, 1, 10)]);
}

fn plan_for(files: &[LtxFileInfo], txid: u64) -> RestorePlan {
    plan(files, &RestoreTarget::Txid(Txid(txid))).unwrap()
}

#[test]
fn txid_target_reached_by_the_snapshot_stops_there() {
    let mut files = l0_chain(6);
    files.push(f(9, 1, 4, 4));
    let plan = plan_for(&files, 4);
    assert_eq!(names(&plan), vec![(9, 1, 4)]);
}

#[test]
fn txid_beyond_the_replica_is_no_matching_backup() {
    let err = plan(&l0_chain(3), &RestoreTarget::Txid(Txid(9))).unwrap_err();
    assert!(err.is_no_backup(), "{err}");
    assert!(
        err.to_string()
            .starts_with("no matching backup files available"),
        "{err}"
    );
}

#[test]
fn txid_inside_a_compacted_file_without_l0_is_not_reachable() {
    // Only L1 1-8 and L0 9: TXID 5 is not a file boundary.
    let files = vec![f(1, 1, 8, 8), f(0, 9, 9, 9)];
    let err = plan(&files, &RestoreTarget::Txid(Txid(5))).unwrap_err();
    assert!(err.is_no_backup(), "{err}");
}

#[test]
fn empty_replica_is_no_matching_backup() {
    for target in [
        RestoreTarget::Latest,
        RestoreTarget::Txid(Txid(1)),
        RestoreTarget::Timestamp(at(100)),
    ] {
        let err = plan(&[], &target).unwrap_err();
        assert_eq!(err.to_string(), "no matching backup files available");
    }
}

#[test]
fn timestamp_target_keeps_files_created_strictly_before_it() {
    let mut files = l0_chain(6);
    files.push(f(9, 1, 3, 3));
    // At exactly the creation time of TXID 4, file 4 is excluded (strictly before).
    let plan = plan(&files, &RestoreTarget::Timestamp(at(4))).unwrap();
    assert_eq!(names(&plan), vec![(9, 1, 3)]);
    let plan = super::plan(
        &files,
        &RestoreTarget::Timestamp(at(4) + Duration::milliseconds(1)),
    )
    .unwrap();
    assert_eq!(names(&plan), vec![(9, 1, 3), (0, 4, 4)]);
}

#[test]
fn timestamp_before_every_file_is_no_matching_backup() {
    let err = plan(&l0_chain(3), &RestoreTarget::Timestamp(at(1))).unwrap_err();
    assert!(err.is_no_backup(), "{err}");
}

#[test]
fn timestamp_skips_a_snapshot_created_after_it() {
    let mut files = l0_chain(5);
    files.push(f(9, 1, 2, 2));
    files.push(f(9, 1, 5, 50));
    let plan = plan(&files, &RestoreTarget::Timestamp(at(10))).unwrap();
    assert_eq!(
        names(&plan),
        vec![(9, 1, 2), (0, 3, 3), (0, 4, 4), (0, 5, 5)]
    );
}

#[test]
fn tie_on_max_txid_prefers_smaller_min_txid() {
    let files = vec![f(0, 1, 1, 1), f(1, 2, 6, 6), f(2, 1, 6, 6)];
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(2, 1, 6)]);
    // Same but the larger range sits on the lower level: the smaller MinTXID still wins.
    let files = vec![f(0, 1, 1, 1), f(2, 2, 6, 6), f(1, 1, 6, 6)];
    let plan = super::plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(1, 1, 6)]);
}

#[test]
fn tie_on_range_prefers_higher_level() {
    let files = vec![f(0, 1, 4, 4), f(3, 1, 4, 4), f(1, 1, 4, 4)];
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(3, 1, 4)]);
}

#[test]
fn tie_on_range_and_level_prefers_earlier_created_at() {
    // Two files with the same range at the same level (e.g. re-uploaded): the earlier wins.
    let files = vec![f(1, 1, 4, 9), f(1, 1, 4, 5)];
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert_eq!(plan.files[0].created_at, at(5));
}

#[test]
fn overlapping_files_are_allowed() {
    // L1 3-6 overlaps what L1 1-4 covered: MinTXID ≤ reached + 1 makes it a candidate.
    let files = vec![f(1, 1, 4, 4), f(1, 3, 6, 6)];
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(1, 1, 4), (1, 3, 6)]);
}

#[test]
fn latest_with_a_gap_is_non_contiguous() {
    let files = vec![f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 4, 4, 4)];
    let err = plan(&files, &RestoreTarget::Latest).unwrap_err();
    match &err {
        RestoreError::NonContiguous {
            level,
            name,
            reached,
        } => {
            assert_eq!((*level, name.min_txid, *reached), (0, Txid(4), Txid(2)));
        }
        other => panic!("expected NonContiguous, got {other}"),
    }
    assert!(
        err.to_string().contains("non-contiguous ltx files"),
        "{err}"
    );
}

#[test]
fn a_gap_covered_by_another_level_is_fine() {
    // L0 3 is gone but L1 1-4 bridges it.
    let files = vec![
        f(0, 1, 1, 1),
        f(0, 2, 2, 2),
        f(0, 4, 4, 4),
        f(0, 5, 5, 5),
        f(1, 1, 4, 4),
    ];
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(1, 1, 4), (0, 5, 5)]);
}

#[test]
fn txid_target_before_a_gap_is_fine() {
    let files = vec![f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 4, 4, 4)];
    let plan = plan(&files, &RestoreTarget::Txid(Txid(2))).unwrap();
    assert_eq!(plan.txid, Txid(2));
    // A TXID target past the gap cannot be reached.
    let err = super::plan(&files, &RestoreTarget::Txid(Txid(4))).unwrap_err();
    assert!(err.is_no_backup(), "{err}");
}

#[test]
fn timestamp_target_does_not_report_gaps() {
    let files = vec![f(0, 1, 1, 1), f(0, 2, 2, 2), f(0, 4, 4, 4)];
    let plan = plan(&files, &RestoreTarget::Timestamp(at(100))).unwrap();
    assert_eq!(plan.txid, Txid(2));
}

#[test]
fn no_snapshot_and_no_file_at_txid_one_is_not_restorable() {
    let files = vec![f(0, 5, 5, 5), f(0, 6, 6, 6)];
    let err = plan(&files, &RestoreTarget::Latest).unwrap_err();
    assert!(matches!(err, RestoreError::NonContiguous { .. }), "{err}");
    let err = super::plan(&files, &RestoreTarget::Txid(Txid(6))).unwrap_err();
    assert!(err.is_no_backup(), "{err}");
}

#[test]
fn old_l0_files_before_the_snapshot_are_consumed_silently() {
    // Snapshot 1-5; L0 1..5 are covered, L0 6 extends it.
    let mut files = l0_chain(6);
    files.push(f(9, 1, 5, 5));
    let plan = plan(&files, &RestoreTarget::Latest).unwrap();
    assert_eq!(names(&plan), vec![(9, 1, 5), (0, 6, 6)]);
}

#[test]
fn input_order_does_not_matter() {
    let mut files = l0_chain(8);
    files.push(f(1, 1, 4, 4));
    files.push(f(9, 1, 2, 2));
    let expected = plan(&files, &RestoreTarget::Latest).unwrap();
    files.reverse();
    assert_eq!(plan(&files, &RestoreTarget::Latest).unwrap(), expected);
}

#[test]
fn timestamp_range_check_matches_litestream() {
    let files = l0_chain(3);
    assert!(check_timestamp_in_range(&files, at(2)).is_ok());
    assert!(check_timestamp_in_range(&files, at(3)).is_ok());
    let err = check_timestamp_in_range(&files, at(0)).unwrap_err();
    assert!(
        err.to_string().starts_with("timestamp does not exist"),
        "{err}"
    );
    assert!(check_timestamp_in_range(&files, at(4)).is_err());
}

#[test]
fn plan_serializes_with_hex_txids() {
    let plan = plan(&l0_chain(2), &RestoreTarget::Txid(Txid(2))).unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["txid"], "0000000000000002");
    assert_eq!(json["files"][0]["min_txid"], "0000000000000001");
    let back: RestorePlan = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan);
}
