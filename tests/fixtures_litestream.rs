//! The test harness against the real Litestream: builds replicas with Litestream 0.5.17
//! (page sizes 512, 4096, 65536; a growing-then-shrinking database) and 0.5.15 (legacy
//! LZ4-frame pages), and pins down the facts later tests rely on: the `file://` layout, file
//! names per level, header fields, mtimes, the `ltx -json` listing, and that `litestream
//! restore` reproduces the source database (latest and at every TXID).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::fixtures::{self, BuiltReplica, Workload};
use support::litestream::{
    LtxListEntry, ReplicaFiles, ReplicateConfig, ltx_file_name, ltx_list_json_with,
    parse_ltx_file_name, restore_cmd_with, restore_ok_with,
};
use support::ltx_raw::{self, LZ4_FRAME_MAGIC};
use support::peers::{self, LEGACY_FRAME_LITESTREAM_VERSION, LITESTREAM_VERSION};
use support::replica_layout::{mtime_ms, write_file_replica};
use support::sqlite_db::{
    TestDb, assert_same_dump, canonical_dump_of, integrity_check, page_size_of, read_pages,
};
use support::{LitestreamReplicate, litestream_cmd};

/// The page-frame format a Litestream version writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageFormat {
    /// Litestream >= 0.5.16: flags 0x0001, u32 size, raw LZ4 block.
    V3Block,
    /// Litestream <= 0.5.15: flags 0, one LZ4 frame per page.
    LegacyFrame,
}

#[test]
fn installed_litestream_reports_its_version_and_lives_under_target() {
    let bin = support::litestream();
    assert!(
        bin.ends_with("peers/litestream-0.5.17/venv/bin/litestream"),
        "{}",
        bin.display()
    );
    assert!(bin.starts_with(peers::target_dir()));
    let out = litestream_cmd(["version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        LITESTREAM_VERSION
    );
    // A second call in the same process is answered from the cache, same path.
    assert_eq!(support::litestream(), bin);
}

#[test]
fn litestream_commands_remove_aws_ca_bundle() {
    let cmd = support::litestream::litestream_command(&support::litestream());
    assert!(
        cmd.get_envs()
            .any(|(k, v)| k == "AWS_CA_BUNDLE" && v.is_none()),
        "litestream_command must remove AWS_CA_BUNDLE"
    );
}

/// Checks everything the harness promises about a built replica.
fn check_replica(built: &BuiltReplica, format: PageFormat) {
    let files = &built.files;
    let ctx = || {
        format!(
            "replica {} (Litestream {}, page size {}, {:?}):\n{}--- log tail ---\n{}",
            built.replica_dir.display(),
            built.litestream_version,
            built.page_size,
            built.workload,
            files.summary(),
            built.log_tail()
        )
    };

    assert!(
        built.exit_status.success(),
        "exit after SIGTERM: {}\n{}",
        built.exit_status,
        ctx()
    );
    assert!(files.stray.is_empty(), "unexpected entries:\n{}", ctx());
    assert_eq!(
        files.levels.keys().copied().collect::<Vec<_>>(),
        vec![0, 1, 9],
        "levels present\n{}",
        ctx()
    );

    // L0: one file per step, TXIDs 1..=N, min == max (nothing deleted: l0-retention is 1 h).
    let last = built.max_txid();
    let l0: Vec<(u64, u64)> = files
        .level(0)
        .iter()
        .map(|f| (f.min_txid, f.max_txid))
        .collect();
    let expected_l0: Vec<(u64, u64)> = (1..=last).map(|t| (t, t)).collect();
    assert_eq!(l0, expected_l0, "L0 files\n{}", ctx());
    assert_eq!(
        built.steps.iter().map(|s| s.txid).collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>(),
        "one L0 file per step"
    );
    assert!(last > 1, "L0 files beyond TXID 1\n{}", ctx());

    // L1: contiguous from TXID 1 to the last TXID, in at least two files (the builder lets
    // compaction catch up midway); L9: at least two snapshots for the same reason.
    let l1 = files.level(1);
    assert!(l1.len() >= 2, "at least two L1 files\n{}", ctx());
    assert!(
        files.level(9).len() >= 2,
        "at least two L9 snapshots\n{}",
        ctx()
    );
    assert_eq!(
        l1[0].min_txid,
        1,
        "first L1 file starts at TXID 1\n{}",
        ctx()
    );
    for pair in l1.windows(2) {
        assert_eq!(
            pair[1].min_txid,
            pair[0].max_txid + 1,
            "L1 contiguous\n{}",
            ctx()
        );
    }
    assert_eq!(l1.last().unwrap().max_txid, last, "L1 caught up\n{}", ctx());

    // L9: snapshots, all starting at TXID 1, the newest at the last TXID.
    for f in files.level(9) {
        assert_eq!(f.min_txid, 1, "L9 snapshot names start at 1\n{}", ctx());
    }
    assert_eq!(files.max_txid(9), Some(last), "L9 caught up\n{}", ctx());

    // Every file: header matches the name and the database; mtime == header timestamp.
    for f in files.all() {
        let name = f.path.file_name().unwrap().to_str().unwrap();
        assert_eq!(parse_ltx_file_name(name), Some((f.min_txid, f.max_txid)));
        assert_eq!(name, ltx_file_name(f.min_txid, f.max_txid));
        let bytes = std::fs::read(&f.path).unwrap();
        let what = f.path.display().to_string();
        let h = ltx_raw::parse_header(&bytes, &what);
        assert_eq!(h.flags, 2, "{what}: flags (NoChecksum)");
        assert_eq!(h.page_size, built.page_size, "{what}: page size");
        assert_eq!(
            (h.min_txid, h.max_txid),
            (f.min_txid, f.max_txid),
            "{what}: TXIDs"
        );
        assert_eq!(h.pre_apply_checksum, 0, "{what}: pre-apply checksum");
        assert_eq!(h.node_id, 0, "{what}: node id");
        assert!(h.commit > 0, "{what}: commit");
        assert_eq!(
            mtime_ms(&f.path),
            h.timestamp_ms,
            "{what}: mtime is the header timestamp"
        );
        let first = ltx_raw::first_page_header(&bytes).expect("every file here has pages");
        match format {
            PageFormat::V3Block => {
                assert_eq!(first.flags, 1, "{what}: page flags");
                let pages = ltx_raw::v3_block_page_numbers(&bytes, &what);
                assert!(
                    pages.windows(2).all(|w| w[0] < w[1]),
                    "{what}: ascending pages"
                );
                if h.min_txid == 1 {
                    let all: Vec<u32> = (1..=h.commit).collect();
                    assert_eq!(pages, all, "{what}: a snapshot holds every page");
                }
            }
            PageFormat::LegacyFrame => {
                assert_eq!(first.flags, 0, "{what}: legacy page flags");
                assert_eq!(
                    bytes[ltx_raw::HEADER_LEN + 6..ltx_raw::HEADER_LEN + 10],
                    LZ4_FRAME_MAGIC,
                    "{what}: an LZ4 frame follows the page header directly"
                );
            }
        }
        if f.level == 0 {
            let step = &built.steps[usize::try_from(f.min_txid - 1).unwrap()];
            assert_eq!(
                h.commit, step.page_count,
                "{what}: commit after step {:?}",
                step.what
            );
        }
        if f.min_txid == 1 {
            assert_eq!(first.pgno, 1, "{what}: snapshot starts at page 1");
        }
    }
    // The last L0, the last L1 and the last snapshot describe the same database size.
    let commit_of =
        |level: u8| ltx_raw::read_header(&files.level(level).last().unwrap().path).commit;
    assert_eq!(commit_of(0), commit_of(1));
    assert_eq!(commit_of(0), commit_of(9));
    assert_eq!(commit_of(0), built.steps.last().unwrap().page_count);

    // `litestream ltx -level all -json` lists exactly these files.
    let listed = ltx_list_json_with(&built.litestream, &built.url());
    let expected: Vec<(u8, u64, u64, u64)> = files
        .all()
        .iter()
        .map(|f| {
            (
                f.level,
                f.min_txid,
                f.max_txid,
                std::fs::metadata(&f.path).unwrap().len(),
            )
        })
        .collect();
    let got: Vec<(u8, u64, u64, u64)> = listed
        .iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(got, expected, "ltx -json listing\n{}", ctx());

    // A latest restore reproduces the source, page for page.
    let out = built.scratch_path("restored-latest.db");
    built.restore_ok(&out, None);
    assert_eq!(integrity_check(&out), "ok");
    assert_eq!(page_size_of(&out), built.page_size);
    assert_same_dump(
        &canonical_dump_of(&out),
        &built.source_dump,
        "latest restore",
    );
    let restored_pages = read_pages(&out, built.page_size);
    let source_pages = built.db.pages();
    assert_eq!(
        restored_pages.len(),
        source_pages.len(),
        "page count of the restored file"
    );
    for (i, (r, s)) in restored_pages.iter().zip(&source_pages).enumerate() {
        assert!(
            r == s,
            "page {} of the restored file differs from the source",
            i + 1
        );
    }

    // A restore at every TXID reproduces the content after that step.
    for step in &built.steps {
        let out = built.scratch_path(&format!("restored-{:x}.db", step.txid));
        built.restore_ok(&out, Some(step.txid));
        assert_eq!(
            integrity_check(&out),
            "ok",
            "restore at TXID {:x}",
            step.txid
        );
        assert_same_dump(
            &canonical_dump_of(&out),
            &step.dump,
            &format!("restore at TXID {:x} ({})", step.txid, step.what),
        );
    }
}

fn report(built: &BuiltReplica) {
    // Shown with --no-capture; handy for the facts in the report.
    eprintln!(
        "fixture Litestream {} page size {} {:?}: built in {:.2?}",
        built.litestream_version, built.page_size, built.workload, built.build_time
    );
    for level in built.files.levels.keys() {
        eprintln!("  L{level}: {:?}", built.files.names(*level));
    }
    for step in &built.steps {
        eprintln!(
            "  txid {:x}: {} (page_count {})",
            step.txid, step.what, step.page_count
        );
    }
}

#[test]
fn steady_replica_with_512_byte_pages() {
    let built = fixtures::litestream_replica(512, Workload::Steady);
    report(&built);
    check_replica(&built, PageFormat::V3Block);
}

#[test]
fn steady_replica_with_4096_byte_pages() {
    let built = fixtures::litestream_replica(4096, Workload::Steady);
    report(&built);
    check_replica(&built, PageFormat::V3Block);
    check_write_file_replica_round_trip(&built);
}

#[test]
fn steady_replica_with_65536_byte_pages() {
    let built = fixtures::litestream_replica(65536, Workload::Steady);
    report(&built);
    check_replica(&built, PageFormat::V3Block);
}

#[test]
fn growing_then_shrinking_database() {
    let built = fixtures::litestream_replica(4096, Workload::GrowShrink);
    report(&built);
    check_replica(&built, PageFormat::V3Block);

    let commits: Vec<(u64, u32)> = built
        .files
        .level(0)
        .iter()
        .map(|f| (f.min_txid, ltx_raw::read_header(&f.path).commit))
        .collect();
    let vacuum = built
        .steps
        .iter()
        .find(|s| s.what == "shrink: VACUUM")
        .unwrap();
    let peak = commits.iter().map(|c| c.1).max().unwrap();
    let vacuum_commit = commits.iter().find(|c| c.0 == vacuum.txid).unwrap().1;
    assert!(
        vacuum_commit * 4 < peak,
        "VACUUM's L0 file should have a much smaller commit than the peak: {commits:?}"
    );
    // The compaction levels saw the shrink too: whatever their timing split (it depends on
    // where the 1 s and 2 s boundaries fall), the last L1 file and the last snapshot hold the
    // shrunk size, and no file of theirs is larger than the peak.
    for level in [1, 9] {
        let commits: Vec<u32> = built
            .files
            .level(level)
            .iter()
            .map(|f| ltx_raw::read_header(&f.path).commit)
            .collect();
        let last = *commits.last().unwrap();
        assert!(
            last * 4 < peak,
            "last L{level} file is the shrunk database: {last} vs peak {peak}"
        );
        assert!(
            commits.iter().all(|c| *c <= peak),
            "L{level} commits {commits:?} exceed the peak {peak}"
        );
    }
    // The commit never shrank before the DELETE + VACUUM, and did after.
    let grow: Vec<u32> = commits
        .iter()
        .take_while(|c| c.0 < vacuum.txid)
        .map(|c| c.1)
        .collect();
    assert!(
        grow.windows(2).all(|w| w[0] <= w[1]),
        "growth phase: {commits:?}"
    );
    // A restore at the peak gives the big database back.
    let peak_step = built.steps.iter().find(|s| s.page_count == peak).unwrap();
    let out = built.scratch_path("restored-peak.db");
    built.restore_ok(&out, Some(peak_step.txid));
    assert_eq!(read_pages(&out, 4096).len(), peak as usize);
}

#[test]
fn legacy_frame_replica_from_0_5_15() {
    let built = fixtures::legacy_frame_replica();
    report(&built);
    assert_eq!(built.litestream_version, LEGACY_FRAME_LITESTREAM_VERSION);
    let out = litestream_cmd_version(LEGACY_FRAME_LITESTREAM_VERSION);
    assert_eq!(out.trim(), LEGACY_FRAME_LITESTREAM_VERSION);
    check_replica(&built, PageFormat::LegacyFrame);

    // Litestream 0.5.17 still reads the legacy page format.
    let out = built.scratch_path("restored-by-0.5.17.db");
    restore_ok_with(&support::litestream(), &built.url(), &out, None);
    assert_eq!(integrity_check(&out), "ok");
    assert_same_dump(
        &canonical_dump_of(&out),
        &built.source_dump,
        "0.5.17 restore of a 0.5.15 replica",
    );
}

fn litestream_cmd_version(version: &str) -> String {
    let out = support::litestream_cmd_with(&peers::litestream_version(version), ["version"]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies a real replica through `write_file_replica` (bytes + header timestamp as mtime) and
/// checks Litestream sees the same replica: same listing, same timestamps, same restore.
fn check_write_file_replica_round_trip(built: &BuiltReplica) {
    let copy_dir = built.dir.path().join("replica-copy");
    let entries: Vec<(u8, String, Vec<u8>, i64)> = built
        .files
        .all()
        .iter()
        .map(|f| {
            let bytes = std::fs::read(&f.path).unwrap();
            let ts = ltx_raw::parse_header(&bytes, "copy").timestamp_ms;
            (f.level, ltx_file_name(f.min_txid, f.max_txid), bytes, ts)
        })
        .collect();
    let written = write_file_replica(&copy_dir, &entries);
    assert_eq!(written.len(), entries.len());
    assert_eq!(
        ReplicaFiles::read(&copy_dir).names(0),
        built.files.names(0),
        "same layout"
    );
    for (path, entry) in written.iter().zip(&entries) {
        assert_eq!(mtime_ms(path), entry.3);
    }
    let url = support::litestream::file_url(&copy_dir);
    let original: Vec<LtxListEntry> = ltx_list_json_with(&built.litestream, &built.url());
    let copied: Vec<LtxListEntry> = ltx_list_json_with(&built.litestream, &url);
    assert_eq!(
        copied, original,
        "litestream lists the copy like the original"
    );

    let out = built.scratch_path("restored-from-copy.db");
    let output = restore_cmd_with(&built.litestream, &url, &out, None);
    support::litestream::assert_success(&output, "restore from the write_file_replica copy");
    assert_same_dump(
        &canonical_dump_of(&out),
        &built.source_dump,
        "restore from copy",
    );
}

#[test]
fn replicate_harness_waits_stops_and_lists() {
    // A minimal direct use of the harness pieces (no fixture builder).
    let dir = fixtures::fixture_dir();
    let db_path = dir.path().join("app.db");
    let replica = dir.path().join("replica");
    let mut db = TestDb::create(&db_path, 1024);
    db.create_table("t");
    db.insert_rows("t", 3);
    let config = ReplicateConfig {
        levels: vec![],
        ..ReplicateConfig::default()
    };
    let yaml = config.to_yaml(&db_path, &replica);
    assert!(yaml.contains("sync-interval: 100ms"), "{yaml}");
    let mut ls = LitestreamReplicate::start(dir.path(), &db_path, &replica, &config);
    ls.wait_for(|f| f.max_txid(0) == Some(1), Duration::from_secs(20));
    // The running process really has no AWS_CA_BUNDLE (this machine sets it).
    let environ = std::fs::read(format!("/proc/{}/environ", ls.pid().unwrap())).unwrap();
    assert!(
        !environ
            .split(|b| *b == 0)
            .any(|var| var.starts_with(b"AWS_CA_BUNDLE=")),
        "AWS_CA_BUNDLE leaked into litestream replicate"
    );
    db.insert_rows("t", 2);
    let files = ls.wait_for_txid(0, 2, Duration::from_secs(20));
    assert_eq!(files.names(0)[1], "0000000000000002-0000000000000002.ltx");
    assert_eq!(ls.replica_files(0).len(), 2);
    assert!(ls.log_tail(5).contains("level=INFO"), "{}", ls.log_tail(5));
    let status = ls.stop();
    assert!(status.success(), "{status}");
    assert_eq!(ls.stop(), status, "stop is idempotent");
    // No levels configured: no L1 directory; snapshots still go to L9.
    let levels: BTreeSet<u8> = ReplicaFiles::read(&replica)
        .levels
        .keys()
        .copied()
        .collect();
    assert!(!levels.contains(&1), "{levels:?}");
}
