//! `ops::restore` over a replica written by the real engine (in-process): the dry run's plan,
//! bytes and estimate; progress while it runs; the guards (existing output, the engine's own
//! database even with `force`, `if_db_not_exists`, `if_replica_exists`); and the MCP scope
//! (`restore-dirs`), including `..` and symlink escapes through the whole operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::{Engine, EngineHandle};
use ltx_tui::ops::{
    self, IntegrityCheck, OpsContext, OpsError, Progress, RestoreParams, RestoreProgress,
    RestoreScope,
};
use ltx_tui::storage::ReplicaEnv;

use support::engine::wait_caught_up;
use support::fixtures::fixture_dir;
use support::litestream::file_url;
use support::sqlite_db::{TestDb, canonical_dump_of};

struct Setup {
    dir: tempfile::TempDir,
    db: TestDb,
    replica_url: String,
    ctx: OpsContext,
    _engine: EngineHandle,
}

async fn setup() -> Setup {
    let dir = fixture_dir();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows_sized("items", 200, 2000);
    let replica_url = file_url(&dir.path().join("replica"));
    let text = format!(
        "dbs:\n  - path: {}\n    monitor-interval: 50ms\n    replica:\n      url: {replica_url}\n",
        db.path.display(),
    );
    let config = parse_str(
        &text,
        &dir.path().join("ltx-tui.yml"),
        &LoadOptions::new(dir.path()),
    )
    .unwrap();
    let engine = Engine::start(&config, &ReplicaEnv::empty()).unwrap();
    let mut rx = engine.watch();
    wait_caught_up(&mut rx, &db.path, "the first sync").await;
    let ctx = OpsContext::new(LoadOptions::new(dir.path()), ReplicaEnv::empty())
        .with_config(Arc::new(config))
        .with_engine(engine.clone());
    Setup {
        dir,
        db,
        replica_url,
        ctx,
        _engine: engine,
    }
}

fn params(path: &str, o: Option<&PathBuf>) -> RestoreParams {
    RestoreParams {
        path: path.to_owned(),
        o: o.map(|p| p.display().to_string()),
        ..RestoreParams::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_plans_and_restore_reports_progress() {
    let s = setup().await;
    let out = s.dir.path().join("out/restored.db");
    let db_path = s.db.path.display().to_string();

    let mut dry = params(&db_path, Some(&out));
    dry.dry_run = true;
    let plan = ops::restore(&s.ctx, dry, RestoreScope::Cli, Progress::none())
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert!(!plan.plan.is_empty());
    assert!(plan.total_bytes > 0);
    assert_eq!(
        plan.total_bytes,
        plan.plan.iter().map(|f| f.size).sum::<u64>()
    );
    assert!(plan.estimated_ms.is_some());
    assert_eq!(plan.replica_type, "file");
    assert_eq!(plan.txid, plan.plan.last().unwrap().max_txid);
    assert!(!out.exists(), "a dry run writes nothing");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut p = params(&s.replica_url, Some(&out));
    p.integrity_check = Some(IntegrityCheck::Full);
    let done = ops::restore(&s.ctx, p, RestoreScope::Cli, Progress::channel(tx))
        .await
        .unwrap();
    assert!(!done.dry_run && done.skipped.is_none());
    // Fixed-width hex: text order is TXID order (the engine may have synced since).
    assert!(done.txid >= plan.txid, "{} < {}", done.txid, plan.txid);
    assert_eq!(done.integrity_check, IntegrityCheck::Full);
    assert!(done.page_count.is_some_and(|n| n > 1));
    assert_eq!(canonical_dump_of(&out), s.db.canonical_dump());
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    assert!(matches!(
        events.first(),
        Some(RestoreProgress::Planned { .. })
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RestoreProgress::FileFetched { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RestoreProgress::Checking { .. }))
    );
    assert!(matches!(events.last(), Some(RestoreProgress::Done { .. })));

    // The output exists now: refused without force, skipped with if_db_not_exists.
    let err = ops::restore(
        &s.ctx,
        params(&s.replica_url, Some(&out)),
        RestoreScope::Cli,
        Progress::none(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(err.exit_code(), 1);
    let mut skip = params(&s.replica_url, Some(&out));
    skip.if_db_not_exists = true;
    let skipped = ops::restore(&s.ctx, skip, RestoreScope::Cli, Progress::none())
        .await
        .unwrap();
    assert!(skipped.skipped.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_over_the_engines_database_and_no_backup_policies() {
    let s = setup().await;
    let db_path = s.db.path.display().to_string();
    let before = s.db.canonical_dump();
    // The database's own path, even with force.
    let mut p = params(&db_path, None);
    p.force = true;
    let err = ops::restore(&s.ctx, p, RestoreScope::Cli, Progress::none())
        .await
        .unwrap_err();
    assert!(matches!(err, OpsError::ReplicatedDatabase { .. }), "{err}");
    assert_eq!(s.db.canonical_dump(), before);

    // A URL with nothing in it: an error, or a skip with if_replica_exists.
    let empty = file_url(&s.dir.path().join("empty-replica"));
    let out = s.dir.path().join("never.db");
    let err = ops::restore(
        &s.ctx,
        params(&empty, Some(&out)),
        RestoreScope::Cli,
        Progress::none(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no matching backup"), "{err}");
    let mut p = params(&empty, Some(&out));
    p.if_replica_exists = true;
    let r = ops::restore(&s.ctx, p, RestoreScope::Cli, Progress::none())
        .await
        .unwrap();
    assert!(r.skipped.is_some());
    assert!(!out.exists());

    // Usage errors: both txid and timestamp, parallelism 0, a URL without `o`.
    let mut p = params(&empty, Some(&out));
    p.txid = Some("0000000000000001".into());
    p.timestamp = Some("2026-01-01T00:00:00Z".into());
    let err = ops::restore(&s.ctx, p, RestoreScope::Cli, Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let mut p = params(&empty, Some(&out));
    p.parallelism = Some(0);
    let err = ops::restore(&s.ctx, p, RestoreScope::Cli, Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let err = ops::restore(
        &s.ctx,
        params(&empty, None),
        RestoreScope::Cli,
        Progress::none(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_scope_writes_only_under_restore_dirs() {
    let s = setup().await;
    let root = std::fs::canonicalize(s.dir.path()).unwrap();
    let allowed = root.join("restores");
    let outside = root.join("elsewhere");
    std::fs::create_dir_all(&allowed).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, allowed.join("escape")).unwrap();
    let dirs = vec![allowed.clone()];
    let scope = RestoreScope::Restricted(&dirs);

    for escape in [
        allowed.join("../elsewhere/a.db"),
        allowed.join("escape/a.db"),
        allowed.join("new/../../elsewhere/a.db"),
        outside.join("a.db"),
    ] {
        let err = ops::restore(
            &s.ctx,
            params(&s.replica_url, Some(&escape)),
            scope,
            Progress::none(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, OpsError::OutsideRestoreDirs { .. }),
            "{}: {err}",
            escape.display()
        );
    }
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);

    // The configured database's own path (no `o`) is outside too.
    let err = ops::restore(
        &s.ctx,
        params(&s.db.path.display().to_string(), None),
        scope,
        Progress::none(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OpsError::OutsideRestoreDirs { .. }), "{err}");

    // Inside, through a `..` that stays inside: written at the resolved path.
    let inside = allowed.join("sub/../ok.db");
    let r = ops::restore(
        &s.ctx,
        params(&s.replica_url, Some(&inside)),
        scope,
        Progress::none(),
    )
    .await
    .unwrap();
    assert_eq!(PathBuf::from(&r.db_path), allowed.join("ok.db"));
    assert_eq!(
        canonical_dump_of(&allowed.join("ok.db")),
        s.db.canonical_dump()
    );

    // No restore-dirs: nothing is allowed.
    let err = ops::restore(
        &s.ctx,
        params(&s.replica_url, Some(&allowed.join("x.db"))),
        RestoreScope::Restricted(&[]),
        Progress::none(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("restore-dirs"), "{err}");
}
