//! Interop on S3 (moto on 127.0.0.1, OS-assigned port) with the real Litestream 0.5.17, both
//! directions:
//! - ltx-tui replicates (in-process engine from a parsed `s3://…?endpoint=…` config) under a
//!   concurrent write workload; `litestream restore` at the latest TXID and at several
//!   earlier ones gives exactly the content the source had at each.
//! - Litestream replicates, stops, and `ltx-tui --headless` takes over the same database and
//!   replica: TXIDs continue with no gap, and both tools restore the result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::Engine;
use ltx_tui::ltx::{CompactOptions, Decoder, FileName, Txid, compact};
use ltx_tui::storage::{ReplicaClient, ReplicaEnv};

use support::engine::{
    SteadyWriter, WAIT, assert_contiguous_from_one, replica_l0_txids, wait_caught_up,
    wait_for_status,
};
use support::fixtures::fixture_dir;
use support::litestream::ReplicateConfig;
use support::litestream_remote::{RemoteReplicate, restore_s3_ok, s3_replica_block};
use support::ltx_tui::Headless;
use support::moto::{ACCESS_KEY_ID, MotoServer, SECRET_ACCESS_KEY};
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

const BUCKET: &str = "ltx-interop";
const PATH: &str = "dbs/app";

/// An ltx-tui configuration replicating `db` to `url` (a Litestream S3 URL with its endpoint
/// options), credentials in the replica block; `extra` goes at the top level. The tests read
/// the replica's L0 files one TXID each: the L0 roll-up (which merges them once two seconds
/// have passed) is off.
fn s3_config(db: &Path, url: &str, extra: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    format!(
        "{extra}l0-rollup: 0s\ndbs:\n  - path: {}\n    monitor-interval: 100ms\n    replica:\n      url: {}\n      access-key-id: {ACCESS_KEY_ID}\n      secret-access-key: {SECRET_ACCESS_KEY}\n",
        q(&db.display().to_string()),
        q(url)
    )
}

fn restore_with_litestream(moto: &MotoServer, url: &str, out: &Path, txid: Option<u64>) -> String {
    tokio::task::block_in_place(|| restore_s3_ok(moto, url, out, txid));
    assert_eq!(integrity_check(out), "ok", "{}", out.display());
    canonical_dump_of(out)
}

fn row_count(path: &Path) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    u64::try_from(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_restores_every_checkpointed_txid_of_an_s3_replica_written_by_ltx_tui() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("events");
    db.insert_rows("events", 40);
    let mut moto = tokio::task::block_in_place(MotoServer::start);
    tokio::task::block_in_place(|| moto.create_bucket(BUCKET));
    let url = moto.s3_url(BUCKET, PATH);
    let text = s3_config(&db.path, &url, "levels:\n  - interval: 1s\n");
    let config = parse_str(
        &text,
        &dir.path().join("ltx-tui.yml"),
        &LoadOptions::new(dir.path()),
    )
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let engine = Engine::start(&config, &ReplicaEnv::empty()).unwrap();
    let mut rx = engine.watch();
    wait_caught_up(&mut rx, &db.path, "the first snapshot on S3").await;

    // Known contents at known TXIDs: after each burst the writer stops and sync_now returns
    // the TXID that holds everything committed so far.
    let mut dumps: BTreeMap<u64, (String, u64)> = BTreeMap::new();
    let first = engine.sync_now(&db.path).await.unwrap().unwrap().0;
    dumps.insert(first, (db.canonical_dump(), db.row_count("events")));
    for burst in 0..4u64 {
        let writer = SteadyWriter::start(&db.path, "events", 0x5EED + burst);
        let at = *dumps.keys().last().unwrap() + 4;
        wait_for_status(
            &mut rx,
            &db.path,
            &format!("burst {burst}: TXID {at} under the writer"),
            WAIT,
            |s| s.replica_txid.is_some_and(|t| t.0 >= at),
        )
        .await;
        // The test's own transactions interleave with the writer's.
        match burst {
            0 => db.update_rows("events", 3),
            1 => db.delete_rows("events", 4),
            2 => db.vacuum(),
            _ => db.insert_rows("events", 30),
        }
        let at = at + 3;
        wait_for_status(
            &mut rx,
            &db.path,
            &format!("burst {burst}: TXID {at} after the test's transaction"),
            WAIT,
            |s| s.replica_txid.is_some_and(|t| t.0 >= at),
        )
        .await;
        writer.stop();
        let txid = engine.sync_now(&db.path).await.unwrap().unwrap().0;
        dumps.insert(txid, (db.canonical_dump(), db.row_count("events")));
    }
    engine.shutdown().await;
    let latest = *dumps.keys().last().unwrap();

    let client = ReplicaClient::new(&moto.s3_spec(BUCKET, PATH), &ReplicaEnv::empty()).unwrap();
    let txids = replica_l0_txids(&client).await;
    assert_eq!(assert_contiguous_from_one(&txids, "ltx-tui on S3"), latest);

    let out = dir.path().join("restore-latest.db");
    assert_same_dump(
        &restore_with_litestream(&moto, &url, &out, None),
        &dumps[&latest].0,
        "litestream restore (latest)",
    );
    for (txid, (dump, _)) in &dumps {
        let out = dir.path().join(format!("restore-{txid}.db"));
        assert_same_dump(
            &restore_with_litestream(&moto, &url, &out, Some(*txid)),
            dump,
            &format!("litestream restore -txid {txid}"),
        );
    }
    // TXIDs in the middle of a burst (content not recorded): sound, and between their
    // neighbours' row counts in the bursts where rows are only added (not burst 1's delete).
    let known: Vec<(u64, u64)> = dumps.iter().map(|(t, (_, rows))| (*t, *rows)).collect();
    for (burst, pair) in known.windows(2).enumerate().filter(|(b, _)| *b != 1) {
        let ((lo, lo_rows), (hi, hi_rows)) = (pair[0], pair[1]);
        let mid = lo + (hi - lo) / 2;
        assert!(lo < mid && mid < hi, "burst {burst}: {lo} < {mid} < {hi}");
        let out = dir.path().join(format!("restore-mid-{mid}.db"));
        restore_with_litestream(&moto, &url, &out, Some(mid));
        let rows = row_count(&out);
        assert!(
            (lo_rows..=hi_rows).contains(&rows),
            "burst {burst}: TXID {mid} has {rows} rows, not within {lo_rows}..={hi_rows}"
        );
    }
}

/// Restores `upto` from the replica's L0 files 1..=upto with ltx-tui's own rooms (storage,
/// then the LTX compactor, then the decoder) and returns the restored database's dump.
async fn restore_with_ltx_tui(client: &ReplicaClient, upto: u64, out: &Path) -> String {
    let mut inputs = Vec::new();
    for t in 1..=upto {
        let bytes = client
            .read_ltx(0, FileName::new(Txid(t), Txid(t)))
            .await
            .unwrap_or_else(|e| panic!("read L0 {t}: {e}"));
        inputs.push(Decoder::new(std::io::Cursor::new(bytes)).unwrap());
    }
    let (merged, header, _) = compact(inputs, Vec::new(), CompactOptions::default()).unwrap();
    assert!(header.is_snapshot(), "{header:?}");
    assert_eq!(header.max_txid, Txid(upto));
    Decoder::new(merged.as_slice())
        .unwrap()
        .decode_database_to(std::fs::File::create(out).unwrap())
        .unwrap();
    assert_eq!(integrity_check(out), "ok");
    canonical_dump_of(out)
}

/// Polls the S3 listing (an external process writes it; there is nothing to wait on) until
/// the newest L0 TXID satisfies `cond`; `alive` panics if that process died.
async fn wait_for_l0(
    client: &ReplicaClient,
    what: &str,
    mut alive: impl FnMut(),
    cond: impl Fn(u64) -> bool,
) -> u64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let max = replica_l0_txids(client).await.last().copied().unwrap_or(0);
        if cond(max) {
            return max;
        }
        alive();
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what} (newest L0 TXID {max})"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ltx_tui_continues_an_s3_replica_started_by_litestream_without_a_gap() {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("events");
    db.insert_rows("events", 30);
    let mut moto = tokio::task::block_in_place(MotoServer::start);
    tokio::task::block_in_place(|| moto.create_bucket(BUCKET));
    let url = moto.s3_url(BUCKET, PATH);
    let client = ReplicaClient::new(&moto.s3_spec(BUCKET, PATH), &ReplicaEnv::empty()).unwrap();

    let litestream_dir = dir.path().join("litestream");
    std::fs::create_dir(&litestream_dir).unwrap();
    let mut litestream = RemoteReplicate::start(
        &litestream_dir,
        &db.path,
        &s3_replica_block(&moto, BUCKET, PATH),
        &ReplicateConfig::default().without_litestream_checkpoints(),
    );
    let first = wait_for_l0(
        &client,
        "Litestream's first TXID",
        || litestream.assert_running(),
        |m| m >= 1,
    )
    .await;
    db.insert_rows("events", 50);
    wait_for_l0(
        &client,
        "Litestream's second TXID",
        || litestream.assert_running(),
        |m| m > first,
    )
    .await;
    db.update_rows("events", 5);
    let status = tokio::task::block_in_place(|| litestream.stop());
    assert!(status.success(), "{status}\n{}", litestream.log_tail());
    let handed_over = replica_l0_txids(&client).await.last().copied().unwrap();
    assert!(handed_over >= 2, "Litestream wrote {handed_over} TXIDs");

    // Written while nothing replicates: ltx-tui's first sync must pick it up.
    db.insert_rows("events", 40);
    let headless_dir = dir.path().join("ltx-tui");
    std::fs::create_dir(&headless_dir).unwrap();
    let mut ltx_tui = Headless::start(&headless_dir, &s3_config(&db.path, &url, ""));
    let took_over = wait_for_l0(&client, "ltx-tui's first TXID", || {}, |m| m > handed_over).await;
    db.delete_rows("events", 3);
    wait_for_l0(&client, "a second ltx-tui TXID", || {}, |m| m > took_over).await;
    let stopped = tokio::task::block_in_place(|| ltx_tui.stop_with("TERM"));
    assert!(stopped.success(), "{stopped}\n{}", ltx_tui.log_tail(40));

    let txids = replica_l0_txids(&client).await;
    let last = assert_contiguous_from_one(&txids, "Litestream then ltx-tui on S3");
    let source = db.canonical_dump();
    let out = dir.path().join("restored-by-litestream.db");
    assert_same_dump(
        &restore_with_litestream(&moto, &url, &out, None),
        &source,
        "litestream restore after ltx-tui took over",
    );
    let out = dir.path().join("restored-by-ltx-tui.db");
    assert_same_dump(
        &restore_with_ltx_tui(&client, last, &out).await,
        &source,
        "ltx-tui's restore of the same replica",
    );
    // Litestream also restores the hand-over point exactly as Litestream left it.
    let out = dir.path().join("restored-at-handover.db");
    let at_handover = restore_with_litestream(&moto, &url, &out, Some(handed_over));
    let ours = restore_with_ltx_tui(
        &client,
        handed_over,
        &dir.path().join("restored-at-handover-ltx-tui.db"),
    )
    .await;
    assert_same_dump(&ours, &at_handover, "both tools at the hand-over TXID");
}
