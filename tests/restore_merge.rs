//! The restore's merge rules (snapshot streamed once with the overlay's latest pages in
//! place) against a model of the plain rule — apply every file of the plan in order, a page
//! above a file's commit dropped, a file's commit dropping every earlier page above it, the
//! last commit the size, and a page in no file an error naming the last file:
//! - an overlay after a shrink, growth beyond the snapshot, a page dropped by a shrink and
//!   never supplied again (the error names the file, nothing is left at the output);
//! - random plans (proptest): the restored bytes, or the error, equal the model's.
//!
//! Replicas are written with the LTX encoder: a level-9 snapshot (TXID 1) and level-0 files
//! (TXIDs 2..), 512-byte pages, so each case takes milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid};
use ltx_tui::restore::{Progress, RestoreError, RestoreOptions, RestoreOutcome, restore};
use ltx_tui::storage::{ReplicaClient, ReplicaEnv, ReplicaSpec};
use proptest::prelude::*;

const PAGE_SIZE: u32 = 512;
const T0_MS: i64 = 1_767_225_600_000;

/// One file of a plan: its commit and the pages it changes (any order; duplicates allowed in
/// the spec, the encoder gets them sorted and unique).
#[derive(Debug, Clone)]
struct Step {
    commit: u32,
    pages: Vec<u32>,
}

/// The content of page `pgno` as file `txid` writes it.
fn page(txid: u64, pgno: u32) -> Vec<u8> {
    let mut x = (u64::from(pgno) << 32) ^ txid ^ 0x9E37_79B9_7F4A_7C15;
    let mut out = vec![0u8; PAGE_SIZE as usize];
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    // Half zeros, so LZ4 has something to do.
    out[PAGE_SIZE as usize / 2..].fill(0);
    out
}

fn write_ltx(replica: &Path, level: u8, txid: u64, commit: u32, pages: &[u32]) {
    let dir = replica.join(format!("ltx/{level}"));
    fs::create_dir_all(&dir).unwrap();
    let (min, max) = if level == 9 { (1, txid) } else { (txid, txid) };
    let name = FileName::new(Txid(min), Txid(max));
    let header = Header::new(PAGE_SIZE, commit, Txid(min), Txid(max), T0_MS + txid as i64);
    let file = fs::File::create(dir.join(name.to_string())).unwrap();
    let mut enc = Encoder::new(BufWriter::new(file), header).unwrap();
    for &pgno in pages {
        enc.encode_page(pgno, &page(txid, pgno)).unwrap();
    }
    let (mut w, _) = enc.finish(Checksum::ZERO).unwrap();
    w.flush().unwrap();
}

/// Writes the snapshot (all `snapshot` pages) and one L0 file per step.
fn write_replica(replica: &Path, snapshot: u32, steps: &[Step]) {
    let all: Vec<u32> = (1..=snapshot).collect();
    write_ltx(replica, 9, 1, snapshot, &all);
    for (i, step) in steps.iter().enumerate() {
        let mut pages: Vec<u32> = step
            .pages
            .iter()
            .copied()
            .filter(|&p| p <= step.commit)
            .collect();
        pages.sort_unstable();
        pages.dedup();
        write_ltx(replica, 0, i as u64 + 2, step.commit, &pages);
    }
}

/// The model: every file applied in order. `Err(page)` is the first page in no file.
fn model(snapshot: u32, steps: &[Step]) -> Result<Vec<u8>, u32> {
    let mut db: BTreeMap<u32, Vec<u8>> = (1..=snapshot).map(|p| (p, page(1, p))).collect();
    let mut commit = snapshot;
    for (i, step) in steps.iter().enumerate() {
        commit = step.commit;
        db.retain(|&p, _| p <= commit);
        for &p in step.pages.iter().filter(|&&p| p <= commit) {
            db.insert(p, page(i as u64 + 2, p));
        }
    }
    let mut out = Vec::new();
    for p in 1..=commit {
        out.extend_from_slice(db.get(&p).ok_or(p)?);
    }
    Ok(out)
}

async fn restore_replica(replica: &Path, out: &Path) -> Result<(), RestoreError> {
    let client = ReplicaClient::new(
        &ReplicaSpec::file(replica.display().to_string()),
        &ReplicaEnv::empty(),
    )
    .unwrap();
    match restore(&client, &RestoreOptions::new(out), &Progress::none()).await? {
        RestoreOutcome::Restored(_) => Ok(()),
        other => panic!("unexpected outcome {other:?}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Restores the plan and checks it against the model; returns the restore's error, if any.
fn check_plan(snapshot: u32, steps: &[Step]) -> Option<RestoreError> {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    write_replica(&replica, snapshot, steps);
    let out = dir.path().join("out/restored.db");
    let result = runtime().block_on(restore_replica(&replica, &out));
    match (model(snapshot, steps), result) {
        (Ok(expected), Ok(())) => {
            let got = fs::read(&out).unwrap();
            assert_eq!(got.len(), expected.len(), "size, plan {steps:?}");
            assert!(got == expected, "bytes differ, plan {steps:?}");
            None
        }
        (Err(missing), Err(e)) => {
            let last = FileName::new(Txid(steps.len() as u64 + 1), Txid(steps.len() as u64 + 1));
            let text = e.to_string();
            let level = if steps.is_empty() { 9 } else { 0 };
            assert!(
                text.contains(&format!("level {level} file {last}")),
                "error names the last file: {text}"
            );
            assert!(
                text.contains(&format!("page {missing} of")),
                "error names page {missing}: {text}"
            );
            let left: Vec<_> = fs::read_dir(out.parent().unwrap()).unwrap().collect();
            assert!(left.is_empty(), "left behind: {left:?}");
            Some(e)
        }
        (expected, got) => panic!(
            "plan {steps:?}: the model says {:?}, the restore {got:?}",
            expected.map(|b| b.len())
        ),
    }
}

fn step(commit: u32, pages: impl IntoIterator<Item = u32>) -> Step {
    Step {
        commit,
        pages: pages.into_iter().collect(),
    }
}

#[test]
fn an_overlay_after_a_shrink_is_applied() {
    // 20 pages; shrink to 10 (changing page 3); grow to 15 with pages 11..=15; change page 3 again.
    let steps = [
        step(10, [3]),
        step(15, 11..=15),
        step(15, [3, 12]),
        step(15, [1]),
    ];
    assert!(check_plan(20, &steps).is_none());
}

#[test]
fn growth_beyond_the_snapshot_is_appended() {
    let steps = [step(14, [2, 11, 12, 13, 14]), step(18, [15, 16, 17, 18, 1])];
    assert!(check_plan(10, &steps).is_none());
    // A file's pages above its own commit are dropped; a later file supplies them.
    let steps = [step(12, [11, 12, 13]), step(13, [13])];
    assert!(check_plan(10, &steps).is_none());
}

#[test]
fn a_page_dropped_by_a_shrink_and_not_supplied_again_is_an_error_naming_the_file() {
    // Shrink to 10, then grow to 12 supplying only page 11: page 12 is in no file.
    let steps = [step(10, [1]), step(12, [11])];
    let err = check_plan(20, &steps).expect("an error");
    assert!(matches!(err, RestoreError::Inconsistent { .. }), "{err}");
    // The snapshot's own page above a shrink does not come back either.
    let steps = [step(5, []), step(20, 6..=19)];
    let err = check_plan(20, &steps).expect("an error");
    assert!(err.to_string().contains("page 20 of 20"), "{err}");
}

#[test]
fn a_shrink_to_zero_then_a_regrowth_is_restored() {
    let steps = [step(8, [1, 2]), step(3, []), step(6, [4, 5, 6])];
    assert!(check_plan(8, &steps).is_none());
}

fn arb_steps() -> impl Strategy<Value = (u32, Vec<Step>)> {
    (1u32..40).prop_flat_map(|snapshot| {
        let step = (1u32..48).prop_flat_map(|commit| {
            // Pages mostly within the commit, some above it (dropped by the file's commit).
            proptest::collection::vec(1u32..52, 0..12).prop_map(move |pages| Step { commit, pages })
        });
        (Just(snapshot), proptest::collection::vec(step, 0..8))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_plans_restore_as_applying_every_file_in_order((snapshot, steps) in arb_steps()) {
        check_plan(snapshot, &steps);
    }
}
