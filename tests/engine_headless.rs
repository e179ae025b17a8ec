//! The real `ltx-tui --headless` process against the real Litestream 0.5.17, both directions:
//! a replica written by ltx-tui is restored by `litestream restore` at every TXID, and a
//! replica started by Litestream is continued by ltx-tui with no TXID gap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::fixtures::fixture_dir;
use support::litestream::{LitestreamReplicate, ReplicateConfig, file_url, restore_ok_with};
use support::ltx_tui::{Headless, file_replica_config};
use support::peers;
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn litestream_restores_every_txid_of_a_replica_written_by_ltx_tui() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("orders");
    db.insert_rows("orders", 40);
    let replica = dir.path().join("replica");
    let mut engine = Headless::start(dir.path(), &file_replica_config(&db.path, &replica, ""));

    let mut dumps: BTreeMap<u64, String> = BTreeMap::new();
    let mut seen = engine
        .wait_for(&replica, "the first snapshot", WAIT, |f| {
            f.max_txid(0).is_some()
        })
        .max_txid(0)
        .unwrap();
    dumps.insert(seen, db.canonical_dump());
    for step in 0..8 {
        match step % 4 {
            0 => db.insert_rows("orders", 100),
            1 => db.update_rows("orders", 4),
            2 => db.delete_rows("orders", 5),
            _ => db.vacuum(),
        }
        seen = engine
            .wait_for(
                &replica,
                &format!("a TXID after {seen} (step {step})"),
                WAIT,
                |f| f.max_txid(0).unwrap_or(0) > seen,
            )
            .max_txid(0)
            .unwrap();
        dumps.insert(seen, db.canonical_dump());
    }
    let status = engine.stop_with("TERM");
    assert!(
        status.success(),
        "exit status {status}\n{}",
        engine.log_tail(30)
    );

    let litestream = peers::litestream();
    let url = file_url(&replica);
    for (txid, dump) in &dumps {
        let out = dir.path().join(format!("restore-{txid}.db"));
        restore_ok_with(&litestream, &url, &out, Some(*txid));
        assert_eq!(integrity_check(&out), "ok");
        assert_same_dump(
            &canonical_dump_of(&out),
            dump,
            &format!("litestream restore -txid {txid}"),
        );
    }
    let latest = dir.path().join("restore-latest.db");
    restore_ok_with(&litestream, &url, &latest, None);
    assert_same_dump(
        &canonical_dump_of(&latest),
        &db.canonical_dump(),
        "latest restore",
    );
}

#[test]
fn ltx_tui_continues_a_replica_started_by_litestream_without_a_gap() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("events");
    db.insert_rows("events", 30);
    let replica = dir.path().join("replica");

    let mut litestream = LitestreamReplicate::start(
        dir.path(),
        &db.path,
        &replica,
        &ReplicateConfig::default().without_litestream_checkpoints(),
    );
    litestream.wait_for_txid(0, 1, WAIT);
    db.insert_rows("events", 50);
    litestream.wait_for_txid(0, 2, WAIT);
    let status = litestream.stop();
    assert!(status.success());
    let handed_over = support::litestream::ReplicaFiles::read(&replica)
        .max_txid(0)
        .unwrap();

    db.insert_rows("events", 50);
    let mut engine = Headless::start(dir.path(), &file_replica_config(&db.path, &replica, ""));
    let files = engine.wait_for(&replica, "ltx-tui's first TXID", WAIT, |f| {
        f.max_txid(0).unwrap_or(0) > handed_over
    });
    db.update_rows("events", 3);
    let after = files.max_txid(0).unwrap();
    engine.wait_for(&replica, "a second ltx-tui TXID", WAIT, |f| {
        f.max_txid(0).unwrap_or(0) > after
    });
    assert!(engine.stop_with("INT").success());

    let l0: Vec<u64> = support::litestream::ReplicaFiles::read(&replica)
        .level(0)
        .iter()
        .map(|f| f.min_txid)
        .collect();
    let expected: Vec<u64> = (1..=*l0.last().unwrap()).collect();
    assert_eq!(l0, expected, "L0 TXIDs continue with no gap");

    let out = dir.path().join("restored.db");
    restore_ok_with(&peers::litestream(), &file_url(&replica), &out, None);
    assert_eq!(integrity_check(&out), "ok");
    assert_same_dump(
        &canonical_dump_of(&out),
        &db.canonical_dump(),
        "litestream restore after ltx-tui took over",
    );
}

#[test]
fn sighup_and_sigint_also_stop_cleanly_after_a_final_sync() {
    for signal in ["HUP", "INT"] {
        let dir = fixture_dir();
        let mut db = TestDb::create_in(dir.path(), 4096);
        db.create_table("t");
        db.insert_rows("t", 10);
        let replica = dir.path().join("replica");
        // Whatever was committed before the signal is in the replica once the process exits.
        let mut engine = Headless::start(dir.path(), &file_replica_config(&db.path, &replica, ""));
        engine.wait_for(&replica, "the first snapshot", WAIT, |f| {
            f.max_txid(0).is_some()
        });
        db.insert_rows("t", 5);
        let status = engine.stop_with(signal);
        assert!(
            status.success(),
            "SIG{signal}: {status}\n{}",
            engine.log_tail(20)
        );
        let out = dir.path().join("restored.db");
        restore_ok_with(&peers::litestream(), &file_url(&replica), &out, None);
        assert_same_dump(
            &canonical_dump_of(&out),
            &db.canonical_dump(),
            &format!("after SIG{signal}"),
        );
    }
}

#[test]
fn compaction_snapshots_and_l0_retention_run_and_litestream_still_restores() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("metrics");
    db.insert_rows("metrics", 20);
    let replica = dir.path().join("replica");
    let config = format!(
        "levels:\n  - interval: 1s\n  - interval: 2s\nsnapshot:\n  interval: 2s\n  retention: 1h\nl0-retention: 1s\nl0-retention-check-interval: 1s\n{}",
        file_replica_config(&db.path, &replica, "")
    );
    let mut engine = Headless::start(dir.path(), &config);
    let mut seen = engine
        .wait_for(&replica, "the first snapshot", WAIT, |f| {
            f.max_txid(0).is_some()
        })
        .max_txid(0)
        .unwrap();
    for step in 0..6 {
        db.insert_rows("metrics", 30);
        seen = engine
            .wait_for(
                &replica,
                &format!("TXID after {seen} (step {step})"),
                WAIT,
                |f| f.max_txid(0).unwrap_or(0) > seen,
            )
            .max_txid(0)
            .unwrap();
    }
    // L1 catches up with L0, L2 and an L9 snapshot exist, and L0 retention removed L0 files
    // that L1 covers (the newest L0 file always stays).
    let files = engine.wait_for(&replica, "compaction and retention", WAIT, |f| {
        f.max_txid(1) == Some(seen)
            && f.max_txid(2).is_some()
            && f.max_txid(9).is_some()
            && f.level(0).first().is_some_and(|first| first.min_txid > 1)
    });
    assert!(!files.level(0).is_empty(), "the newest L0 file is kept");
    assert!(engine.stop_with("TERM").success());

    let out = dir.path().join("restored.db");
    restore_ok_with(&peers::litestream(), &file_url(&replica), &out, None);
    assert_eq!(integrity_check(&out), "ok");
    assert_same_dump(
        &canonical_dump_of(&out),
        &db.canonical_dump(),
        "latest restore after compaction",
    );
}
