//! Crash safety: `kill -9` of the headless engine at random moments while an application
//! writes, 50 cycles. After every restart replication continues, the latest restore (by the
//! real `litestream restore`) equals the source at the replica's TXID with `integrity_check`
//! ok, and at the end no TXID is missing. (`cargo bench --bench crash_soak` runs it longer.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::fixtures::fixture_dir;
use support::litestream::{ReplicaFiles, file_url, restore_ok_with};
use support::ltx_tui::{Headless, file_replica_config};
use support::peers;
use support::sqlite_db::{Rng, TestDb, assert_same_dump, canonical_dump_of, integrity_check};

const WAIT: Duration = Duration::from_secs(30);

fn local_max_txid(db: &TestDb) -> u64 {
    let dir = db.path.with_file_name(format!(
        ".{}-litestream/ltx/0",
        db.path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(support::litestream::parse_ltx_file_name)
                })
                .map(|(_, max)| max)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

#[test]
fn kill_9_at_random_moments_loses_nothing() {
    let cycles: usize = std::env::var("LTX_TUI_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("ledger");
    db.insert_rows("ledger", 20);
    let replica = dir.path().join("replica");
    let config = file_replica_config(&db.path, &replica, "");
    let url = file_url(&replica);
    let litestream = peers::litestream();
    let mut rng = Rng::new(0xC4A5_4000);
    let mut last_seen = 0u64;

    for cycle in 0..cycles {
        // Everything before this point was written while no engine ran (or before it was
        // killed), so the restarted engine must write a TXID above both positions, and its
        // first sync holds every commit so far.
        let before = local_max_txid(&db).max(ReplicaFiles::read(&replica).max_txid(0).unwrap_or(0));
        let mut engine = Headless::start(dir.path(), &config);
        let files = engine.wait_for(
            &replica,
            &format!("cycle {cycle}: catching up after restart"),
            WAIT,
            |f| {
                let replica_max = f.max_txid(0).unwrap_or(0);
                replica_max > before && replica_max == local_max_txid(&db)
            },
        );
        last_seen = files.max_txid(0).unwrap();
        if cycle % 5 == 0 || cycle + 1 == cycles {
            let out = dir.path().join(format!("restore-{cycle}.db"));
            restore_ok_with(&litestream, &url, &out, None);
            assert_eq!(integrity_check(&out), "ok", "cycle {cycle}");
            assert_same_dump(
                &canonical_dump_of(&out),
                &db.canonical_dump(),
                &format!("cycle {cycle}: latest restore"),
            );
            std::fs::remove_file(&out).unwrap();
        }

        // An application writes while the engine is killed at a random moment.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = Arc::clone(&stop);
            let path = db.path.clone();
            let seed = rng.next_u64();
            std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(&path).unwrap();
                conn.busy_timeout(Duration::from_secs(10)).unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) && n < 400 {
                    conn.execute(
                        "INSERT INTO ledger(name, qty, payload) VALUES (?1, ?2, randomblob(?3))",
                        rusqlite::params![
                            format!("c{seed:x}-{n}"),
                            n as i64,
                            (seed % 900 + n) as i64
                        ],
                    )
                    .unwrap();
                    n += 1;
                }
            })
        };
        // A random moment, not a synchronisation point: the kill may land anywhere in a sync.
        std::thread::sleep(Duration::from_millis(rng.range(1, 60)));
        engine.kill9();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        // Write while nothing replicates, so the restart has something new to catch up on.
        db.insert_rows("ledger", rng.range(1, 4) as usize);
    }

    let before = local_max_txid(&db).max(last_seen);
    let mut engine = Headless::start(dir.path(), &config);
    engine.wait_for(&replica, "the final catch-up", WAIT, |f| {
        f.max_txid(0).unwrap_or(0) > before
    });
    engine.wait_for(&replica, "the final catch-up", WAIT, |f| {
        f.max_txid(0).unwrap_or(0) > last_seen
    });
    assert!(engine.stop_with("TERM").success());
    let l0: Vec<u64> = ReplicaFiles::read(&replica)
        .level(0)
        .iter()
        .map(|f| f.min_txid)
        .collect();
    let expected: Vec<u64> = (1..=*l0.last().unwrap()).collect();
    assert_eq!(l0, expected, "no TXID is missing from the replica");
    let out = dir.path().join("restore-final.db");
    restore_ok_with(&litestream, &url, &out, None);
    assert_eq!(integrity_check(&out), "ok");
    assert_same_dump(
        &canonical_dump_of(&out),
        &db.canonical_dump(),
        "final restore",
    );
}
