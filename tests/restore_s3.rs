//! A restore from S3 (a real moto server on 127.0.0.1): files uploaded in Litestream's S3
//! layout are restored by the `ltx-tui restore` process (remote files are spooled beside the
//! output and the spool is removed), with progress events from the library API, and the
//! result is byte-identical to `litestream restore` of the same replica and TXID.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid};
use ltx_tui::restore::{
    Progress, RestoreOptions, RestoreOutcome, RestoreProgress, RestoreTarget, restore,
};
use ltx_tui::storage::{ReplicaClient, ReplicaEnv};

use support::litestream_remote::restore_s3_ok;
use support::ltx_tui::ltx_tui_bin;
use support::moto::MotoServer;
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of};

const BUCKET: &str = "restore-bucket";
const PATH: &str = "dbs/app";
const T0_MS: i64 = 1_767_225_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_replica_restores_with_the_binary_and_the_library_like_litestream() {
    let mut moto = tokio::task::block_in_place(MotoServer::start);
    tokio::task::block_in_place(|| moto.create_bucket(BUCKET));
    let client = ReplicaClient::new(&moto.s3_spec(BUCKET, PATH), &ReplicaEnv::empty()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create(&dir.path().join("source.db"), 4096);
    db.create_table("items");
    let mut dumps = vec![String::new()];
    let mut prev: Vec<Vec<u8>> = Vec::new();
    for txid in 1..=12u64 {
        db.insert_rows_sized("items", 10, 5000);
        let pages = db.pages();
        let ts = T0_MS + txid as i64 * 1000;
        let header = Header::new(4096, pages.len() as u32, Txid(txid), Txid(txid), ts);
        let mut enc = Encoder::new(Vec::new(), header).unwrap();
        for (i, page) in pages.iter().enumerate() {
            if txid == 1 || prev.get(i) != Some(page) {
                enc.encode_page(i as u32 + 1, page).unwrap();
            }
        }
        let (bytes, _) = enc.finish(Checksum::ZERO).unwrap();
        let name = FileName::new(Txid(txid), Txid(txid));
        client
            .write_ltx(0, name, Bytes::from(bytes), ts)
            .await
            .unwrap();
        dumps.push(db.canonical_dump());
        prev = pages;
    }

    // The binary, from the URL, at TXID 9 and latest.
    let url = moto.s3_url(BUCKET, PATH);
    for (txid, name) in [(Some(9u64), "ours-9.db"), (None, "ours-latest.db")] {
        let out = dir.path().join(name);
        let mut cmd = Command::new(ltx_tui_bin());
        cmd.args(["restore", "-parallelism", "3", "-o", out.to_str().unwrap()]);
        if let Some(t) = txid {
            cmd.args(["-txid", &format!("{t:016x}")]);
        }
        let o = cmd
            .arg(&url)
            .envs(moto.litestream_env())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&o.stderr),
            moto.log_tail()
        );
        let expected = txid.unwrap_or(12) as usize;
        assert_same_dump(&canonical_dump_of(&out), &dumps[expected], name);
        assert!(!dir.path().join(format!("{name}.tmp-ltx")).exists());
        let theirs = dir.path().join(format!("litestream-{name}"));
        tokio::task::block_in_place(|| restore_s3_ok(&moto, &url, &theirs, txid));
        assert!(
            std::fs::read(&out).unwrap() == std::fs::read(&theirs).unwrap(),
            "{name}: ltx-tui and litestream restored different bytes"
        );
    }

    // The library with a progress channel: every file is reported fetched, pages written.
    let events = Arc::new(Mutex::new(Vec::new()));
    let progress = {
        let events = Arc::clone(&events);
        Progress::new(move |e| events.lock().unwrap().push(e))
    };
    let mut opts = RestoreOptions::new(dir.path().join("lib.db"));
    opts.target = RestoreTarget::Txid(Txid(5));
    opts.parallelism = 2;
    let RestoreOutcome::Restored(report) = restore(&client, &opts, &progress).await.unwrap() else {
        panic!("not restored")
    };
    assert_eq!(report.txid, Txid(5));
    assert_same_dump(&canonical_dump_of(&report.output), &dumps[5], "library");
    let events = events.lock().unwrap().clone();
    let fetched = events
        .iter()
        .filter(|e| matches!(e, RestoreProgress::FileFetched { .. }))
        .count();
    assert_eq!(fetched, 5, "{events:#?}");
    assert!(matches!(
        events.first(),
        Some(RestoreProgress::Planned { files: 5, .. })
    ));
    assert!(matches!(events.last(), Some(RestoreProgress::Done { .. })));
}
