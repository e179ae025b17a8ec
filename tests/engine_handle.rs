//! The engine as its faces hold it: an [`EngineHandle`] over a running engine started from a
//! parsed configuration (in-process, real SQLite, `file://` replica in a temp dir). Commands
//! answer with what they did and the `watch` snapshot and the events say the same thing; every
//! wait is on the watch channel or the event channel, with a deadline, never a sleep.
//!
//! `sync_now` while paused is an explicit operator request: it syncs and uploads once and the
//! database stays paused (only the automatic syncs stop).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::{
    Engine, EngineError, EngineEvent, EngineHandle, EngineSnapshot, ReplicationState,
};
use ltx_tui::ltx::{FileName, Txid};
use ltx_tui::storage::ReplicaEnv;
use tokio::sync::{broadcast, watch};

use support::engine::{SteadyWriter, WAIT, assert_contiguous_from_one, status_of, wait_caught_up};
use support::fixtures::fixture_dir;
use support::litestream::{ReplicaFiles, file_url, parse_ltx_file_name, restore_ok_with};
use support::peers;
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

/// A database with a table and a few rows, replicated to `<dir>/replica` by an engine started
/// from a configuration text (`extra` is added at the top level).
struct Setup {
    dir: tempfile::TempDir,
    db: TestDb,
    replica: PathBuf,
    engine: EngineHandle,
    rx: watch::Receiver<EngineSnapshot>,
}

impl Setup {
    async fn start(extra: &str) -> Setup {
        Setup::start_polling(extra, "100ms").await
    }

    /// [`Setup::start`] with the database's `monitor-interval` (the poll) set to `monitor`.
    async fn start_polling(extra: &str, monitor: &str) -> Setup {
        let dir = fixture_dir();
        let mut db = TestDb::create_in(dir.path(), 4096);
        db.create_table("orders");
        db.insert_rows("orders", 30);
        let replica = dir.path().join("replica");
        let text = format!(
            "{extra}dbs:\n  - path: {}\n    monitor-interval: {monitor}\n    replica:\n      url: {}\n",
            db.path.display(),
            file_url(&replica)
        );
        let config = parse_str(
            &text,
            &dir.path().join("ltx-tui.yml"),
            &LoadOptions::new(dir.path()),
        )
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let engine = Engine::start(&config, &ReplicaEnv::empty()).unwrap();
        let mut rx = engine.watch();
        wait_caught_up(&mut rx, &db.path, "the first snapshot").await;
        Setup {
            dir,
            db,
            replica,
            engine,
            rx,
        }
    }

    fn replica_max(&self) -> Option<u64> {
        ReplicaFiles::read(&self.replica).max_txid(0)
    }

    fn replica_l0(&self) -> Vec<u64> {
        ReplicaFiles::read(&self.replica)
            .level(0)
            .iter()
            .map(|f| f.min_txid)
            .collect()
    }

    /// The local L0 TXIDs in the meta directory (Litestream's default place).
    fn local_l0(&self) -> Vec<u64> {
        let l0 = self.dir.path().join(".app.db-litestream/ltx/0");
        let mut txids: Vec<u64> = std::fs::read_dir(&l0)
            .unwrap_or_else(|e| panic!("list {}: {e}", l0.display()))
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(parse_ltx_file_name))
            .map(|(min, _)| min)
            .collect();
        txids.sort_unstable();
        txids
    }

    /// The real `litestream restore` of the replica equals the source now.
    fn assert_restores_to_source(&self, what: &str) {
        let out = self.dir.path().join(format!(
            "restored-{}.db",
            what.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        ));
        tokio::task::block_in_place(|| {
            restore_ok_with(&peers::litestream(), &file_url(&self.replica), &out, None)
        });
        assert_eq!(integrity_check(&out), "ok", "{what}");
        assert_same_dump(&canonical_dump_of(&out), &self.db.canonical_dump(), what);
    }
}

/// A named predicate over events.
type EventCheck<'a> = (&'a str, &'a dyn Fn(&EngineEvent) -> bool);

/// Receives events until `want` has matched one of each predicate, in any order; panics after
/// [`WAIT`] with what arrived.
async fn expect_events(rx: &mut broadcast::Receiver<EngineEvent>, want: &[EventCheck<'_>]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = vec![false; want.len()];
    let mut arrived = Vec::new();
    while seen.iter().any(|s| !s) {
        let event = match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(event)) => event,
            Ok(Err(e)) => panic!("event channel: {e}; arrived: {arrived:#?}"),
            Err(_) => {
                let missing: Vec<&str> = want
                    .iter()
                    .zip(&seen)
                    .filter(|(_, s)| !**s)
                    .map(|((name, _), _)| *name)
                    .collect();
                panic!("timed out waiting for events {missing:?}; arrived: {arrived:#?}")
            }
        };
        for (i, (_, matches)) in want.iter().enumerate() {
            if matches(&event) {
                seen[i] = true;
            }
        }
        arrived.push(event);
    }
}

/// Asserts that within `window` the engine publishes no new local or replica TXID for `db`.
/// A bounded negative check: it proves nothing was synced while the engine had several polls
/// and file notifications to act on.
async fn assert_no_new_txid(
    rx: &mut watch::Receiver<EngineSnapshot>,
    db: &Path,
    window: Duration,
    what: &str,
) {
    let before = status_of(&rx.borrow_and_update(), db);
    let changed = tokio::time::timeout(window, async {
        loop {
            if rx.changed().await.is_err() {
                return None;
            }
            let now = status_of(&rx.borrow_and_update(), db);
            if now.local_txid != before.local_txid || now.replica_txid != before.replica_txid {
                return Some(now);
            }
        }
    })
    .await;
    if let Ok(Some(now)) = changed {
        panic!("{what}: a TXID moved: before {before:#?}\nafter {now:#?}");
    }
}

/// While commits keep coming the engine stops listening to file notifications (they would
/// only cost the writer) and syncs on its batch interval; once the WAL is quiet it listens
/// again. With the poll an hour away, a lone commit after a burst can only be noticed through
/// a notification, and it is replicated within the wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_burst_of_commits_a_lone_commit_is_noticed_without_a_poll() {
    let mut s = Setup::start_polling("", "1h").await;
    for _ in 0..200 {
        s.db.insert_rows("orders", 2);
    }
    for round in 0..3 {
        // Everything before the lone commit is in the replica: a newer TXID must hold it.
        let before = s.engine.sync_now(&s.db.path).await.unwrap();
        // The scenario, not a synchronisation: the WAL stays quiet for 20 batch intervals, so
        // the engine has stopped syncing on its interval and waits for a notification.
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.db.insert_rows("orders", 1);
        let now = support::engine::wait_for_status(
            &mut s.rx,
            &s.db.path,
            &format!("lone commit {round} replicated"),
            WAIT,
            |st| st.replica_txid > before && st.local_txid == st.replica_txid,
        )
        .await;
        assert_eq!(
            s.replica_max(),
            now.replica_txid.map(|t| t.0),
            "round {round}"
        );
    }
    s.assert_restores_to_source("after the lone commits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_returns_the_replica_txid_and_the_snapshot_and_events_agree() {
    let mut s = Setup::start("").await;
    let mut events = s.engine.subscribe();
    s.db.insert_rows("orders", 40);
    let txid = s
        .engine
        .sync_now(&s.db.path)
        .await
        .unwrap()
        .expect("a replica TXID");
    assert_eq!(s.replica_max(), Some(txid.0), "the replica holds it");

    let status = wait_caught_up(&mut s.rx, &s.db.path, "the snapshot to show the sync").await;
    assert_eq!(status.local_txid, Some(txid), "{status:#?}");
    assert_eq!(status.replica_txid, Some(txid), "{status:#?}");
    assert_eq!(status.lag.seconds, 0.0, "{status:#?}");
    assert_eq!(status.lag.pending_bytes, 0, "{status:#?}");
    assert_eq!(status.lag.pending_txids, 0, "{status:#?}");
    assert_eq!(status.state, ReplicationState::Replicating);
    assert!(status.db_size > 0 && status.wal_size > 0, "{status:#?}");
    assert_eq!(status.page_size, 4096);
    assert!(status.last_sync.is_some() && status.last_upload.is_some());
    assert_eq!(
        (status.name.as_str(), status.replica_type.as_str()),
        ("app.db", "file")
    );
    assert_eq!(status.replica_url, file_url(&s.replica));
    assert_eq!(status.consecutive_errors, 0);
    assert!(s.engine.snapshot().running);

    let name = FileName::new(txid, txid).to_string();
    let db = s.db.path.clone();
    expect_events(
        &mut events,
        &[
            ("Synced", &|e| {
                matches!(e, EngineEvent::Synced { db: d, txid: t, snapshot: false, bytes, .. }
                    if *d == db && *t == txid && *bytes > 0)
            }),
            ("Uploaded", &|e| {
                matches!(e, EngineEvent::Uploaded { db: d, level: 0, name: n, bytes, .. }
                    if *d == db && *n == name && *bytes > 0)
            }),
        ],
    )
    .await;

    s.engine.shutdown().await;
    s.assert_restores_to_source("after sync_now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_uploads_sync_now_syncs_once_and_resume_catches_up() {
    let mut s = Setup::start("").await;
    let before = s.replica_max().unwrap();
    let mut events = s.engine.subscribe();
    let replied = s.engine.pause(&s.db.path).await.unwrap();
    assert_eq!(
        replied,
        Some(Txid(before)),
        "pause answers the replica TXID"
    );
    let status = status_of(&s.engine.snapshot(), &s.db.path);
    assert_eq!(status.state, ReplicationState::Paused, "{status:#?}");
    let db = s.db.path.clone();
    expect_events(
        &mut events,
        &[("StateChanged paused", &|e| {
            matches!(e, EngineEvent::StateChanged { db: d, state } if *d == db && state == "paused")
        })],
    )
    .await;

    // Writes during the pause are neither synced nor uploaded.
    s.db.insert_rows("orders", 25);
    assert_no_new_txid(
        &mut s.rx,
        &s.db.path,
        Duration::from_millis(800),
        "while paused",
    )
    .await;
    assert_eq!(s.replica_max(), Some(before));

    // An explicit sync_now is an operator's request: one sync and upload, still paused.
    let once = s.engine.sync_now(&s.db.path).await.unwrap().unwrap();
    assert!(
        once.0 > before,
        "sync_now while paused synced: {once} > {before}"
    );
    assert_eq!(s.replica_max(), Some(once.0));
    let status = status_of(&s.engine.snapshot(), &s.db.path);
    assert_eq!(status.state, ReplicationState::Paused, "{status:#?}");
    assert_eq!(status.replica_txid, Some(once));
    s.db.update_rows("orders", 3);
    assert_no_new_txid(
        &mut s.rx,
        &s.db.path,
        Duration::from_millis(800),
        "still paused after sync_now",
    )
    .await;
    assert_eq!(s.replica_max(), Some(once.0));

    s.engine.resume(&s.db.path).await.unwrap();
    let status = wait_caught_up(&mut s.rx, &s.db.path, "catching up after resume").await;
    assert!(
        status.replica_txid.unwrap() > once,
        "the writes made while paused were uploaded: {status:#?}"
    );
    s.engine.shutdown().await;
    assert_contiguous_from_one(&s.replica_l0(), "after pause and resume");
    s.assert_restores_to_source("after resume");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_continues_after_the_replica_txid_without_a_gap() {
    let mut s = Setup::start("").await;
    s.db.insert_rows("orders", 20);
    let replica_txid = s.engine.sync_now(&s.db.path).await.unwrap().unwrap();
    assert!(s.local_l0().first() == Some(&1));

    assert_eq!(s.engine.reset(&s.db.path).await.unwrap(), None);
    // The reset wiped the local L0 files; the behind-replica check then put the replica's
    // newest file in their place, so the position continues after it. (Commands run in
    // order, so this sync_now runs after the reset's own step.)
    let after = s.engine.sync_now(&s.db.path).await.unwrap().unwrap();
    assert!(after >= replica_txid, "{after} >= {replica_txid}");
    let status = wait_caught_up(&mut s.rx, &s.db.path, "the engine after reset").await;
    assert_eq!(status.local_txid, Some(after), "{status:#?}");
    assert_eq!(
        s.local_l0().first(),
        Some(&replica_txid.0),
        "the local L0 files restart at the replica's newest one"
    );

    s.db.insert_rows("orders", 20);
    let next = s.engine.sync_now(&s.db.path).await.unwrap().unwrap();
    assert!(next > replica_txid, "{next} > {replica_txid}");
    s.engine.shutdown().await;
    assert_eq!(
        assert_contiguous_from_one(&s.replica_l0(), "after reset"),
        next.0
    );
    s.assert_restores_to_source("after reset");
}

/// The replica is wiped after local L0 retention removed the early L0 files: they cannot be
/// uploaded again, so the engine notices its snapshot is gone, uploads a new level-9 snapshot
/// at its position, continues with L0 after it, and the replica restores to the source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiped_replica_is_bridged_with_a_snapshot_when_local_files_are_gone() {
    let mut s = Setup::start(
        "levels:\n  - interval: 1s\nl0-retention: 1s\nl0-retention-check-interval: 1s\n",
    )
    .await;
    let mut events = s.engine.subscribe();
    let l0_retention_ran: &dyn Fn(&EngineEvent) -> bool =
        &|e| matches!(e, EngineEvent::RetentionApplied { level: 0, .. });
    let deadline = tokio::time::Instant::now() + WAIT;
    while s.local_l0().first() == Some(&1) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "local L0 retention never removed TXID 1: {:?}",
            s.local_l0()
        );
        s.db.insert_rows("orders", 5);
        s.engine.sync_now(&s.db.path).await.unwrap();
        expect_events(&mut events, &[("L0 retention", l0_retention_ran)]).await;
    }

    std::fs::remove_dir_all(&s.replica).unwrap();
    s.db.insert_rows("orders", 10);
    let local = s.engine.sync_now(&s.db.path).await.unwrap();
    assert!(local.is_some());
    let snapshot_taken: &dyn Fn(&EngineEvent) -> bool =
        &|e| matches!(e, EngineEvent::SnapshotTaken { .. });
    expect_events(&mut events, &[("a bridging snapshot", snapshot_taken)]).await;
    let status = wait_caught_up(&mut s.rx, &s.db.path, "the engine after the wipe").await;
    assert!(status.last_error.is_none(), "{status:#?}");

    s.db.insert_rows("orders", 10);
    s.engine.sync_now(&s.db.path).await.unwrap();
    s.engine.shutdown().await;
    let files = ReplicaFiles::read(&s.replica);
    assert!(
        !files.level(9).is_empty(),
        "a snapshot bridges the lost history"
    );
    s.assert_restores_to_source("after the wipe");
}

/// With `l0-rollup`, the small L0 files of a closed window are merged into one L0 file on the
/// replica and in the meta directory, the small ones are deleted, and the real
/// `litestream restore` gives the source's state at every file boundary left in L0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_l0_files_are_rolled_up_and_every_remaining_boundary_restores() {
    let mut s = Setup::start("l0-rollup: 200ms\n").await;
    let mut events = s.engine.subscribe();
    let mut dumps = std::collections::BTreeMap::new();
    for _ in 0..12 {
        s.db.insert_rows("orders", 3);
        let txid = s.engine.sync_now(&s.db.path).await.unwrap().unwrap();
        dumps.insert(txid.0, s.db.canonical_dump());
    }
    let rolled: &dyn Fn(&EngineEvent) -> bool = &|e| matches!(e, EngineEvent::Compacted { level: 0, min_txid, max_txid, .. } if min_txid < max_txid);
    expect_events(&mut events, &[("an L0 roll-up", rolled)]).await;

    let l0: Vec<(u64, u64)> = ReplicaFiles::read(&s.replica)
        .level(0)
        .iter()
        .map(|f| (f.min_txid, f.max_txid))
        .collect();
    let merged: Vec<(u64, u64)> = l0.iter().copied().filter(|(a, b)| a < b).collect();
    assert!(!merged.is_empty(), "{l0:?}");
    for (a, b) in &merged {
        assert!(
            !l0.iter().any(|(x, y)| x == y && a <= x && x <= b),
            "small files inside {a}-{b} were deleted from the replica: {l0:?}"
        );
        assert!(
            !s.local_l0().iter().any(|x| a < x && x <= b),
            "and from the meta directory: {:?}",
            s.local_l0()
        );
    }
    // The chain of L0 files still covers every TXID from 1.
    let mut next = 1;
    for (a, b) in &l0 {
        assert_eq!(*a, next, "L0 is contiguous: {l0:?}");
        next = b + 1;
    }
    let status = wait_caught_up(&mut s.rx, &s.db.path, "after the roll-up").await;
    assert!(status.last_error.is_none(), "{status:#?}");
    s.engine.shutdown().await;
    // Later windows may have been rolled up since the listing above: restore at the boundaries
    // the replica holds now that the engine has stopped.
    let l0: Vec<(u64, u64)> = ReplicaFiles::read(&s.replica)
        .level(0)
        .iter()
        .map(|f| (f.min_txid, f.max_txid))
        .collect();
    let mut next = 1;
    for (a, b) in &l0 {
        assert_eq!(*a, next, "L0 is contiguous after shutdown: {l0:?}");
        next = b + 1;
    }
    for (_, b) in &l0 {
        let Some(want) = dumps.get(b) else { continue };
        let out = s.dir.path().join(format!("at-{b}.db"));
        tokio::task::block_in_place(|| {
            restore_ok_with(&peers::litestream(), &file_url(&s.replica), &out, Some(*b))
        });
        assert_same_dump(
            &canonical_dump_of(&out),
            want,
            &format!("restore at TXID {b}"),
        );
    }
    s.assert_restores_to_source("after the roll-up");
}

/// Roll-ups and level-1 compactions interleave under a steady writer: a merged L0 file never
/// straddles level 1's newest TXID, so level 1 stays contiguous from TXID 1 and the replica
/// restores (found by the 10-minute bytes benchmark: a straddling file left level 1 a gap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_ups_and_level_1_compactions_keep_level_1_contiguous() {
    let mut s = Setup::start("levels:\n  - interval: 1s\nl0-rollup: 200ms\n").await;
    let mut events = s.engine.subscribe();
    let (mut rollups, mut l1) = (0, 0);
    let deadline = tokio::time::Instant::now() + WAIT;
    while rollups < 5 || l1 < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "saw {rollups} roll-ups and {l1} level-1 compactions"
        );
        s.db.insert_rows("orders", 2);
        s.engine.sync_now(&s.db.path).await.unwrap();
        while let Ok(event) = events.try_recv() {
            match event {
                EngineEvent::Compacted { level: 0, .. } => rollups += 1,
                EngineEvent::Compacted { level: 1, .. } => l1 += 1,
                _ => {}
            }
        }
    }
    s.engine.shutdown().await;
    let files = ReplicaFiles::read(&s.replica);
    let level1: Vec<u64> = files.level(1).iter().map(|f| f.min_txid).collect();
    let mut next = 1;
    for f in files.level(1) {
        assert_eq!(f.min_txid, next, "level 1 is contiguous: {level1:?}");
        next = f.max_txid + 1;
    }
    s.assert_restores_to_source("roll-ups between level-1 compactions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_for_an_unknown_database_are_refused_with_the_configured_ones() {
    let s = Setup::start("").await;
    let other = s.dir.path().join("other.db");
    let configured = s.db.path.display().to_string();
    let results = [
        s.engine.sync_now(&other).await,
        s.engine.snapshot_now(&other).await,
        s.engine.pause(&other).await,
        s.engine.resume(&other).await,
        s.engine.reset(&other).await,
    ];
    for result in results {
        match result {
            Err(EngineError::UnknownDatabase {
                path,
                configured: listed,
            }) => {
                assert_eq!(path, other);
                assert_eq!(listed, configured);
            }
            other => panic!("expected UnknownDatabase, got {other:?}"),
        }
    }
    let err = s.engine.sync_now(&other).await.unwrap_err().to_string();
    assert!(
        err.contains("other.db") && err.contains(&configured),
        "{err}"
    );
    // The configured database is untouched by all this.
    assert_eq!(
        status_of(&s.engine.snapshot(), &s.db.path).state,
        ReplicationState::Replicating
    );
    s.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_makes_a_final_sync_and_then_refuses_commands() {
    let mut s = Setup::start("").await;
    s.db.insert_rows("orders", 30);
    s.db.update_rows("orders", 2);
    // No wait: whatever was committed before shutdown must reach the replica.
    s.engine.shutdown().await;
    let status = wait_for_stopped(&mut s.rx, &s.db.path).await;
    assert_eq!(status.local_txid, status.replica_txid, "{status:#?}");
    assert_eq!(s.replica_max(), status.replica_txid.map(|t| t.0));
    assert!(matches!(
        s.engine.sync_now(&s.db.path).await,
        Err(EngineError::ShuttingDown)
    ));
    assert_contiguous_from_one(&s.replica_l0(), "after shutdown");
    s.assert_restores_to_source("after shutdown");
}

async fn wait_for_stopped(
    rx: &mut watch::Receiver<EngineSnapshot>,
    db: &Path,
) -> ltx_tui::engine::DatabaseStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        {
            let snapshot = rx.borrow_and_update();
            let status = status_of(&snapshot, db);
            if !snapshot.running && status.state == ReplicationState::Stopped {
                return status;
            }
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            // The engine is gone: the last value is final.
            Ok(Err(_)) => {
                let snapshot = rx.borrow();
                let status = status_of(&snapshot, db);
                assert!(!snapshot.running && status.state == ReplicationState::Stopped);
                return status;
            }
            Err(_) => panic!("the engine did not report stopped: {:#?}", rx.borrow()),
        }
    }
}

/// Compaction is scheduled work: a writer that commits every few milliseconds keeps the
/// engine's file-notification path busy, and compaction must still run on its interval
/// (it used to run only when the writer happened to pause).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_keeps_its_interval_under_a_steady_writer() {
    let s = Setup::start("levels:\n  - interval: 1s\n").await;
    let mut events = s.engine.subscribe();
    let writer = SteadyWriter::start(&s.db.path, "orders", 7);
    // Four level-1 compactions need about four seconds when each 1 s boundary is honoured;
    // the deadline leaves three times that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(12);
    let mut compactions = Vec::new();
    while compactions.len() < 4 {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::Compacted {
                level: 1,
                min_txid,
                max_txid,
                ..
            })) => compactions.push((min_txid, max_txid)),
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel: {e}"),
            Err(_) => panic!(
                "only {} level-1 compactions in 12 s under a steady writer ({} commits): {compactions:?}",
                compactions.len(),
                writer.commits()
            ),
        }
    }
    writer.stop();
    // Each compaction starts right after the previous one: L1 stays contiguous.
    for pair in compactions.windows(2) {
        assert_eq!(pair[1].0, pair[0].1.next(), "{compactions:?}");
    }
    s.engine.shutdown().await;
    s.assert_restores_to_source("after compactions under load");
}
