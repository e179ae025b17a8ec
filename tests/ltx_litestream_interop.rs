//! Files written by the real Litestream decode and verify with our codec, and our compaction
//! merge of Litestream's L0 files equals Litestream's own L1 files, page for page.
//!
//! Replicas are built at test time by Litestream 0.5.17 (page sizes 512, 4096 and 65536; a
//! database that grows and then shrinks with VACUUM) and by 0.5.15 (legacy LZ4-frame pages).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ltx_tui::ltx::{
    CompactOptions, DecodedFile, Decoder, FileName, PageIndexEntry, PageVariant, SeekRangeReader,
    compact, decode_file, read_page, read_page_index,
};
use support::fixtures::{BuiltReplica, Workload, legacy_frame_replica, litestream_replica};
use support::sqlite_db::{assert_same_dump, canonical_dump_of, integrity_check};

fn decode_path(path: &Path) -> DecodedFile {
    decode_file(BufReader::new(File::open(path).unwrap()))
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
}

fn pages_by_pgno(file: &DecodedFile) -> BTreeMap<u32, Vec<u8>> {
    file.pages
        .iter()
        .map(|(f, d)| (f.pgno, d.clone()))
        .collect()
}

/// Every file decodes and verifies, carries Litestream's header conventions, and its page
/// index matches its frames; every page is also reachable by random access. The newest L9
/// snapshot materialises to the database as it was at its TXID.
fn check_every_file(replica: &BuiltReplica, variant: PageVariant) {
    let files = replica.all_files();
    assert!(!files.is_empty(), "the fixture has no files");
    for path in &files {
        let decoded = decode_path(path);
        let h = decoded.summary.header;
        let name: FileName = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        assert_eq!(
            (h.min_txid, h.max_txid),
            (name.min_txid, name.max_txid),
            "{}",
            path.display()
        );
        assert_eq!(h.page_size, replica.page_size, "{}", path.display());
        assert!(
            h.no_checksum(),
            "Litestream writes NoChecksum: {}",
            path.display()
        );
        for (frame, _) in &decoded.pages {
            assert_eq!(
                frame.variant,
                variant,
                "{} pgno {}",
                path.display(),
                frame.pgno
            );
        }
        if h.is_snapshot() {
            let expected: Vec<u32> = (1..=h.commit).filter(|p| *p != h.lock_pgno()).collect();
            let got: Vec<u32> = decoded.pages.iter().map(|(f, _)| f.pgno).collect();
            assert_eq!(got, expected, "snapshot pages of {}", path.display());
        }
        let mut ra = SeekRangeReader(File::open(path).unwrap());
        let view = read_page_index(&mut ra).unwrap();
        let frames: Vec<PageIndexEntry> = decoded
            .pages
            .iter()
            .map(|(f, _)| PageIndexEntry {
                pgno: f.pgno,
                offset: f.offset,
                size: f.size,
            })
            .collect();
        assert_eq!(view.entries, frames, "page index of {}", path.display());
        for (frame, data) in &decoded.pages {
            assert_eq!(
                read_page(&mut ra, &view, frame.pgno).unwrap().as_ref(),
                Some(data)
            );
        }
    }

    let newest_snapshot = replica
        .replica_files(9)
        .into_iter()
        .max()
        .expect("an L9 snapshot");
    let name: FileName = newest_snapshot
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let out = replica.scratch_path("from-l9.db");
    let dec = Decoder::new(BufReader::new(File::open(&newest_snapshot).unwrap())).unwrap();
    dec.decode_database_to(File::create(&out).unwrap()).unwrap();
    assert_eq!(integrity_check(&out), "ok");
    let step = replica
        .steps
        .iter()
        .find(|s| s.txid == name.max_txid.0)
        .expect("a step at that TXID");
    assert_same_dump(
        &canonical_dump_of(&out),
        &step.dump,
        "database materialised from L9",
    );
}

/// For every L1 file whose L0 inputs are all present, our merge of those inputs equals it:
/// same header fields, same pages.
fn check_merge_equals_l1(replica: &BuiltReplica) -> usize {
    let l0: BTreeMap<u64, PathBuf> = replica
        .replica_files(0)
        .into_iter()
        .map(|p| {
            let n: FileName = p.file_name().unwrap().to_str().unwrap().parse().unwrap();
            (n.min_txid.0, p)
        })
        .collect();
    let mut compared = 0;
    for l1_path in replica.replica_files(1) {
        let name: FileName = l1_path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let inputs: Option<Vec<&PathBuf>> = (name.min_txid.0..=name.max_txid.0)
            .map(|t| l0.get(&t))
            .collect();
        let Some(inputs) = inputs else { continue };
        let decoders = inputs
            .iter()
            .map(|p| Decoder::new(BufReader::new(File::open(p).unwrap())).unwrap())
            .collect();
        let (ours, header, _) = compact(decoders, Vec::new(), CompactOptions::default()).unwrap();
        let ours = decode_file(ours.as_slice()).unwrap();
        let theirs = decode_path(&l1_path);
        let t = theirs.summary.header;
        assert_eq!(header, ours.summary.header);
        assert_eq!(
            (
                header.flags,
                header.page_size,
                header.commit,
                header.min_txid,
                header.max_txid,
                header.timestamp
            ),
            (
                t.flags,
                t.page_size,
                t.commit,
                t.min_txid,
                t.max_txid,
                t.timestamp
            ),
            "header of our merge vs {}",
            l1_path.display()
        );
        assert_eq!(
            pages_by_pgno(&ours),
            pages_by_pgno(&theirs),
            "pages of our merge vs {}",
            l1_path.display()
        );
        compared += 1;
    }
    compared
}

fn check_fixture(page_size: u32, workload: Workload) {
    let replica = litestream_replica(page_size, workload);
    check_every_file(&replica, PageVariant::Block);
    let compared = check_merge_equals_l1(&replica);
    assert!(
        compared > 0,
        "no L1 file had all its L0 inputs: {}",
        replica.files.summary()
    );
}

#[test]
fn litestream_files_with_512_byte_pages_decode_and_merge_identically() {
    check_fixture(512, Workload::Steady);
}

#[test]
fn litestream_files_with_4096_byte_pages_decode_and_merge_identically() {
    check_fixture(4096, Workload::Steady);
}

#[test]
fn litestream_files_with_65536_byte_pages_decode_and_merge_identically() {
    check_fixture(65536, Workload::Steady);
}

#[test]
fn litestream_files_of_a_database_that_grows_then_shrinks_decode_and_merge_identically() {
    let replica = litestream_replica(4096, Workload::GrowShrink);
    check_every_file(&replica, PageVariant::Block);
    assert!(
        check_merge_equals_l1(&replica) > 0,
        "{}",
        replica.files.summary()
    );
    // The shrink is visible: some L0 file has a smaller commit than an earlier one.
    let commits: Vec<u32> = replica
        .replica_files(0)
        .iter()
        .map(|p| decode_path(p).summary.header.commit)
        .collect();
    assert!(
        commits.windows(2).any(|w| w[1] < w[0]),
        "commits {commits:?} never shrink"
    );
}

#[test]
fn legacy_lz4_frame_files_from_litestream_0_5_15_decode_and_merge_identically() {
    let replica = legacy_frame_replica();
    check_every_file(&replica, PageVariant::LegacyFrame);
    assert!(
        check_merge_equals_l1(&replica) > 0,
        "{}",
        replica.files.summary()
    );
}
