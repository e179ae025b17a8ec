//! `status` in-process, with a live engine (no mocks: a real database, a real `file://`
//! replica, the engine's own tasks; uploads failed on demand by the storage room's
//! `FaultyStore`): besides Litestream's fields it reports the engine's replica TXID, lag in
//! seconds, pending bytes and TXIDs, last sync, last upload and last error — zero lag when
//! caught up, growing lag while uploads fail, and back to zero once they succeed again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::Engine;
use ltx_tui::ops::{self, LocalStatus, OpsContext, StatusParams};
use ltx_tui::storage::{
    FaultControl, FaultPlan, FaultyStore, OperationKind, ReplicaClient, ReplicaEnv, ReplicaSpec,
};
use object_store::ObjectStore;

use support::TestDb;
use support::engine::{WAIT, test_params, wait_caught_up, wait_for_status};
use support::litestream::file_url;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_with_a_live_engine_reports_replica_txid_and_lag() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("orders");
    db.insert_rows("orders", 20);
    let replica = dir.path().join("replica");
    let url = file_url(&replica);
    let text = format!(
        "dbs:\n  - path: {}\n    replica:\n      url: {url}\n",
        db.path.display()
    );
    let config_path = dir.path().join("ltx-tui.yml");
    let config = parse_str(&text, &config_path, &LoadOptions::new(dir.path())).unwrap();

    let control = FaultControl::new(0x0005_7a7e);
    let layer = control.clone();
    let client = ReplicaClient::with_layer(
        &ReplicaSpec::file(replica.display().to_string()),
        &ReplicaEnv::empty(),
        move |store| Arc::new(FaultyStore::new(store, layer)) as Arc<dyn ObjectStore>,
    )
    .unwrap();
    let engine = Engine::start_with(vec![(test_params(&db.path, url), Arc::new(client))]);
    let mut rx = engine.watch();
    let ctx = OpsContext::new(LoadOptions::new(dir.path()), ReplicaEnv::empty())
        .with_config(Arc::new(config))
        .with_engine(engine.clone());
    let params = StatusParams::default();

    // Caught up: Litestream's fields plus zero lag.
    let live = wait_caught_up(&mut rx, &db.path, "the first snapshot").await;
    let result = ops::status(&ctx, &params).await.unwrap();
    let entry = &result.databases[0];
    assert_eq!(entry.status, LocalStatus::Ok);
    assert_eq!(entry.database, db.path.display().to_string());
    assert_eq!(entry.replica_type.as_deref(), Some("file"));
    let figures = entry.replication.as_ref().expect("engine figures");
    assert_eq!(figures.state, "replicating");
    assert_eq!(figures.replica_txid, live.replica_txid);
    assert_eq!(figures.local_txid, live.local_txid);
    assert!(entry.local_txid.is_some() && entry.local_txid <= figures.local_txid);
    assert_eq!((figures.pending_bytes, figures.pending_txids), (0, 0));
    assert_eq!(figures.lag_seconds, 0.0);
    assert!(figures.last_sync.is_some() && figures.last_upload.is_some());
    assert_eq!(figures.last_error, None);
    // The Litestream table keeps its four columns.
    assert!(result.table().starts_with("database  "));
    assert_eq!(
        result
            .table()
            .lines()
            .next()
            .unwrap()
            .split("  ")
            .filter(|c| !c.is_empty())
            .count(),
        4
    );

    // Uploads fail: the replica falls behind and the figures say by how much.
    control.set_plan(OperationKind::Put, FaultPlan::errors(1.0));
    db.insert_rows("orders", 20);
    wait_for_status(&mut rx, &db.path, "a sync the replica lacks", WAIT, |s| {
        s.local_txid > s.replica_txid && s.last_error.is_some() && s.lag.seconds > 0.0
    })
    .await;
    let behind = ops::status(&ctx, &params).await.unwrap();
    let figures = behind.databases[0].replication.as_ref().unwrap();
    assert!(figures.replica_txid < figures.local_txid, "{figures:?}");
    assert!(figures.pending_txids >= 1, "{figures:?}");
    assert!(figures.pending_bytes > 0, "{figures:?}");
    assert!(figures.lag_seconds > 0.0, "{figures:?}");
    assert!(figures.last_error.is_some(), "{figures:?}");
    assert!(figures.consecutive_errors >= 1, "{figures:?}");
    let json = serde_json::to_value(&behind).unwrap();
    for key in [
        "replica_txid",
        "lag_seconds",
        "pending_bytes",
        "pending_txids",
        "last_sync",
        "last_error",
    ] {
        assert!(
            json["databases"][0]["replication"].get(key).is_some(),
            "{key}: {json}"
        );
    }

    // Uploads work again: the lag goes back to zero.
    control.clear();
    wait_caught_up(&mut rx, &db.path, "catching up after the faults").await;
    let again = ops::status(&ctx, &params).await.unwrap();
    let figures = again.databases[0].replication.as_ref().unwrap();
    assert_eq!(figures.replica_txid, figures.local_txid);
    assert_eq!((figures.pending_txids, figures.lag_seconds), (0, 0.0));

    // `info` puts it together: version, databases, status and the replica by level.
    let info = ops::info(&ctx, &ops::InfoParams::default()).await.unwrap();
    assert_eq!(info.databases.len(), 1);
    assert_eq!(info.config_path, config_path.display().to_string());
    let summary = &info.summaries[0];
    assert_eq!(summary.replica_error, None);
    let l0 = summary
        .levels
        .iter()
        .find(|l| l.level == 0)
        .expect("level 0 summary");
    assert_eq!(Some(l0.max_txid), figures.replica_txid);
    assert!(l0.files >= 2 && l0.bytes > 0, "{l0:?}");

    // Without an engine, the same call reads only files and has no figures.
    let one_shot = OpsContext::new(LoadOptions::new(dir.path()), ReplicaEnv::empty())
        .with_config_path(Some(config_path.clone()));
    std::fs::write(&config_path, &text).unwrap();
    let files_only = ops::status(&one_shot, &params).await.unwrap();
    assert!(files_only.databases[0].replication.is_none());
    assert_eq!(files_only.databases[0].status, LocalStatus::Ok);

    engine.shutdown().await;
}
