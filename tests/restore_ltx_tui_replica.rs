//! Restores of a multi-level replica written by ltx-tui's own engine (in-process, driven one
//! sync at a time): every TXID, timestamps at file boundaries, and the same databases as the
//! real `litestream restore` (0.5.17) for every TXID.
//!
//! The engine is paused after its first sync, so only the test's `sync_now` calls create
//! TXIDs; the source's canonical dump is recorded after each. Levels 1 and 2 are built with
//! the engine's own `compact_level` and level 9 with `snapshot_now`, so plans mix levels.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::{Engine, EngineHandle, compact_level};
use ltx_tui::ltx::Txid;
use ltx_tui::restore::{Progress, RestoreOptions, RestoreOutcome, RestoreTarget, restore};
use ltx_tui::storage::{LtxFileInfo, ReplicaClient, ReplicaEnv, ReplicaSpec};

use support::engine::wait_caught_up;
use support::fixtures::fixture_dir;
use support::litestream::{file_url, restore_ok_with};
use support::peers;
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

const TABLE: &str = "orders";

struct Source {
    dir: tempfile::TempDir,
    db: TestDb,
    replica: PathBuf,
    client: ReplicaClient,
    engine: EngineHandle,
    /// Canonical dump after each TXID the test created.
    dumps: BTreeMap<u64, String>,
}

impl Source {
    async fn start() -> Source {
        let dir = fixture_dir();
        let mut db = TestDb::create_in(dir.path(), 4096);
        db.create_table(TABLE);
        db.insert_rows(TABLE, 20);
        let replica = dir.path().join("replica");
        let text = format!(
            "dbs:\n  - path: {}\n    monitor-interval: 100ms\n    replica:\n      url: {}\n",
            db.path.display(),
            file_url(&replica)
        );
        let config = parse_str(
            &text,
            &dir.path().join("ltx-tui.yml"),
            &LoadOptions::new(dir.path()),
        )
        .unwrap();
        let engine = Engine::start(&config, &ReplicaEnv::empty()).unwrap();
        let mut rx = engine.watch();
        let status = wait_caught_up(&mut rx, &db.path, "the first sync").await;
        engine.pause(&db.path).await.unwrap();
        let client = ReplicaClient::new(
            &ReplicaSpec::file(replica.display().to_string()),
            &ReplicaEnv::empty(),
        )
        .unwrap();
        let mut dumps = BTreeMap::new();
        dumps.insert(status.replica_txid.unwrap().0, db.canonical_dump());
        Source {
            dir,
            db,
            replica,
            client,
            engine,
            dumps,
        }
    }

    /// Syncs once and records the source's dump at the new TXID.
    async fn sync(&mut self) -> u64 {
        let txid = self
            .engine
            .sync_now(&self.db.path)
            .await
            .unwrap()
            .unwrap()
            .0;
        self.dumps.insert(txid, self.db.canonical_dump());
        txid
    }

    async fn compact(&self, level: u8) -> LtxFileInfo {
        // A "now" past every boundary of a 1 s interval, so the "too early" rule never skips.
        let now = Utc::now() + chrono::Duration::seconds(5);
        compact_level(&self.client, None, level, Duration::from_secs(1), now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("compaction into level {level} was skipped"))
    }

    /// The dump at `txid`: the recorded one at or before it (TXIDs the test did not record
    /// only hold the engine's own bookkeeping rows, which dumps leave out).
    fn dump_at(&self, txid: u64) -> &str {
        self.dumps.range(..=txid).next_back().unwrap().1
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join("restored").join(name)
    }
}

async fn restore_to(client: &ReplicaClient, out: &Path, target: RestoreTarget) -> Txid {
    let mut opts = RestoreOptions::new(out);
    opts.target = target;
    match restore(client, &opts, &Progress::none()).await {
        Ok(RestoreOutcome::Restored(report)) => report.txid,
        other => panic!("restore to {target:?}: {other:?}"),
    }
}

/// A workload step: grow, update, delete, shrink (VACUUM), large blobs, a new table.
fn step(db: &mut TestDb, i: u64) {
    match i % 6 {
        0 => db.insert_rows_sized(TABLE, 8, 6000),
        1 => db.update_rows(TABLE, 3),
        2 => db.insert_rows(TABLE, 15),
        3 => db.delete_rows(TABLE, 4),
        4 => {
            db.delete_most_rows(TABLE, 3);
            db.vacuum();
        }
        _ => db.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS extra{i} (k INTEGER PRIMARY KEY, v TEXT);
             INSERT INTO extra{i}(v) VALUES ('a'), ('b');"
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_txid_and_timestamp_of_a_multi_level_ltx_tui_replica_restores_exactly() {
    let mut s = Source::start().await;
    let mut i = 0u64;
    let mut run = async |s: &mut Source, n: u64| {
        for _ in 0..n {
            step(&mut s.db, i);
            i += 1;
            s.sync().await;
        }
    };
    run(&mut s, 4).await;
    s.compact(1).await;
    run(&mut s, 4).await;
    s.compact(1).await;
    s.compact(2).await;
    run(&mut s, 2).await;
    let snap = s.engine.snapshot_now(&s.db.path).await.unwrap().unwrap();
    run(&mut s, 5).await;
    s.compact(1).await;
    run(&mut s, 3).await;
    s.engine.shutdown().await;

    let files = s.client.list_all().await.unwrap();
    let levels: Vec<u8> = s.client.list_levels().await.unwrap();
    assert_eq!(
        levels,
        vec![0, 1, 2, 9],
        "levels of the replica: {files:#?}"
    );
    let max = files.iter().map(|f| f.max_txid.0).max().unwrap();
    assert!(snap.0 > 1 && snap.0 < max);

    // Every TXID, with ltx-tui and with Litestream: same content, same bytes.
    let litestream = peers::litestream();
    for t in 1..=max {
        let ours = s.out(&format!("ours-{t}.db"));
        let got = restore_to(&s.client, &ours, RestoreTarget::Txid(Txid(t))).await;
        assert_eq!(got, Txid(t));
        assert_eq!(integrity_check(&ours), "ok", "TXID {t}");
        assert_same_dump(
            &canonical_dump_of(&ours),
            s.dump_at(t),
            &format!("TXID {t}"),
        );
        let theirs = s.out(&format!("litestream-{t}.db"));
        tokio::task::block_in_place(|| {
            restore_ok_with(&litestream, &file_url(&s.replica), &theirs, Some(t))
        });
        assert!(
            std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(),
            "TXID {t}: ltx-tui and litestream restored different bytes"
        );
    }
    let latest = s.out("latest.db");
    assert_eq!(
        restore_to(&s.client, &latest, RestoreTarget::Latest).await,
        Txid(max)
    );
    assert_same_dump(&canonical_dump_of(&latest), s.dump_at(max), "latest");

    // Timestamps just after each L0 file's creation time: the newest L0 file created before
    // the timestamp decides the state.
    let l0: Vec<&LtxFileInfo> = files.iter().filter(|f| f.level == 0).collect();
    for f in &l0 {
        let ts = f.created_at + chrono::Duration::milliseconds(1);
        let expected = l0
            .iter()
            .filter(|g| g.created_at < ts)
            .map(|g| g.max_txid.0)
            .max()
            .unwrap();
        let out = s.out(&format!("ts-{}.db", f.max_txid));
        let got = restore_to(&s.client, &out, RestoreTarget::Timestamp(ts)).await;
        assert_eq!(got, Txid(expected), "timestamp {ts}");
        assert_same_dump(
            &canonical_dump_of(&out),
            s.dump_at(expected),
            &format!("timestamp {ts}"),
        );
    }
}
