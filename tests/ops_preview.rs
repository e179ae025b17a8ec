//! `ops::preview` at points of a workload replicated by the real engine (in-process, driven
//! one sync at a time): the tables, row counts and schema at each TXID, the diff between two
//! points, the cache (a second look restores nothing, the bound holds), and `ltx-tui preview`.
//! The live database is never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use ltx_tui::config::{LoadOptions, parse_str};
use ltx_tui::engine::{Engine, EngineHandle};
use ltx_tui::ops::{
    self, OpsContext, PreviewCache, PreviewParams, PreviewResult, TableChange, TableDiff,
};
use ltx_tui::storage::ReplicaEnv;

use support::engine::wait_caught_up;
use support::fixtures::fixture_dir;
use support::litestream::file_url;
use support::ltx_tui::ltx_tui_bin;
use support::sqlite_db::TestDb;

struct Workload {
    dir: tempfile::TempDir,
    db: TestDb,
    config_path: std::path::PathBuf,
    ctx: OpsContext,
    engine: EngineHandle,
}

impl Workload {
    async fn start() -> Workload {
        let dir = fixture_dir();
        let db = TestDb::create_in(dir.path(), 4096);
        db.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
             INSERT INTO users (name) SELECT 'user' || i FROM n;",
        );
        let text = format!(
            "dbs:\n  - path: {}\n    monitor-interval: 100ms\n    replica:\n      url: {}\n",
            db.path.display(),
            file_url(&dir.path().join("replica"))
        );
        let config_path = dir.path().join("ltx-tui.yml");
        std::fs::write(&config_path, &text).unwrap();
        let config = parse_str(&text, &config_path, &LoadOptions::new(dir.path())).unwrap();
        let engine = Engine::start(&config, &ReplicaEnv::empty()).unwrap();
        let mut rx = engine.watch();
        wait_caught_up(&mut rx, &db.path, "the first sync").await;
        engine.pause(&db.path).await.unwrap();
        let cache = PreviewCache::new(dir.path().join("cache"));
        let ctx = OpsContext::new(LoadOptions::new(dir.path()), ReplicaEnv::empty())
            .with_config(Arc::new(config))
            .with_engine(engine.clone())
            .with_preview_cache(cache);
        Workload {
            dir,
            db,
            config_path,
            ctx,
            engine,
        }
    }

    async fn sync(&self) -> String {
        let txid = self.engine.sync_now(&self.db.path).await.unwrap().unwrap();
        txid.to_string()
    }

    async fn preview(&self, txid: Option<&str>, compare: Option<&str>) -> PreviewResult {
        let params = PreviewParams {
            path: self.db.path.display().to_string(),
            txid: txid.map(str::to_owned),
            compare_txid: compare.map(str::to_owned),
            ..PreviewParams::default()
        };
        ops::preview(&self.ctx, &params).await.unwrap()
    }
}

fn rows(r: &PreviewResult) -> BTreeMap<String, (String, Option<u64>)> {
    r.tables
        .iter()
        .map(|t| (t.name.clone(), (t.kind.clone(), t.row_count)))
        .collect()
}

fn diff_of(r: &PreviewResult) -> BTreeMap<String, TableDiff> {
    r.diff
        .as_ref()
        .unwrap()
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.clone()))
        .collect()
}

fn table(rows: Option<u64>) -> (String, Option<u64>) {
    ("table".to_owned(), rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_at_two_points_reports_tables_rows_and_diff() {
    let w = Workload::start().await;
    // Point 1: the first sync (users, 10 rows).
    w.db.execute_batch("INSERT INTO users (name) VALUES ('late');");
    let t1 = w.sync().await;
    // Point 2: a new table with rows, an index, more users.
    w.db.execute_batch(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total REAL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
         INSERT INTO orders (user_id, total) SELECT i % 7, i * 1.5 FROM n;
         CREATE INDEX orders_user ON orders (user_id);
         INSERT INTO users (name) VALUES ('a'), ('b'), ('c'), ('d');",
    );
    let t2 = w.sync().await;
    // Point 3: a migration (a new column) and deleted rows.
    w.db.execute_batch(
        "ALTER TABLE users ADD COLUMN email TEXT; DELETE FROM orders WHERE id <= 5;",
    );
    let t3 = w.sync().await;
    let live_before = w.db.canonical_dump();

    let p1 = w.preview(Some(&t1), None).await;
    assert_eq!(p1.txid, t1);
    assert!(!p1.cached);
    assert_eq!(
        rows(&p1),
        BTreeMap::from([("users".to_owned(), table(Some(11)))]),
        "bookkeeping tables are left out"
    );
    assert!(p1.tables[0].sql.as_deref().unwrap().contains("name TEXT"));

    let p2 = w.preview(Some(&t2), Some(&t1)).await;
    assert_eq!(p2.txid, t2);
    assert_eq!(
        rows(&p2),
        BTreeMap::from([
            ("orders".to_owned(), table(Some(25))),
            ("orders_user".to_owned(), ("index".to_owned(), None)),
            ("users".to_owned(), table(Some(15))),
        ])
    );
    let diff = p2.diff.as_ref().unwrap();
    assert_eq!(
        (diff.from_txid.as_str(), diff.to_txid.as_str()),
        (t1.as_str(), t2.as_str())
    );
    let d = diff_of(&p2);
    assert_eq!(d["orders"].change, TableChange::Added);
    assert_eq!(d["orders"].rows_after, Some(25));
    assert_eq!(d["orders_user"].change, TableChange::Added);
    assert_eq!(d["users"].change, TableChange::Changed);
    assert_eq!(
        (d["users"].rows_before, d["users"].rows_after),
        (Some(11), Some(15))
    );
    assert!(!d["users"].schema_changed);
    assert_eq!(d.len(), 3);

    // The latest against point 2 (given the other way round: the diff still runs forward).
    let p3 = w.preview(None, Some(&t2)).await;
    assert_eq!(p3.txid, t3);
    let d = diff_of(&p3);
    assert_eq!(p3.diff.as_ref().unwrap().from_txid, t2);
    assert!(d["users"].schema_changed);
    assert_eq!(d["users"].change, TableChange::Changed);
    assert_eq!(d["users"].rows_after, Some(15));
    assert_eq!(
        (d["orders"].rows_before, d["orders"].rows_after),
        (Some(25), Some(20))
    );
    assert_eq!(d["orders_user"].change, TableChange::Unchanged);
    // Point 2 came from the cache this time.
    let again = w.preview(Some(&t2), None).await;
    assert!(again.cached);
    assert_eq!(again.tables, p2.tables);

    // A time after the last sync is the latest point.
    let later = PreviewParams {
        path: w.db.path.display().to_string(),
        timestamp: Some((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()),
        ..PreviewParams::default()
    };
    let at_time = ops::preview(&w.ctx, &later).await.unwrap();
    assert_eq!(at_time.txid, t3);
    assert!(at_time.cached);

    // The live database was not touched.
    assert_eq!(w.db.canonical_dump(), live_before);

    // A bounded cache keeps only the newest point's database.
    let small = w.ctx.clone().with_preview_cache(
        PreviewCache::new(w.dir.path().join("small-cache")).with_bounds(u64::MAX, 1),
    );
    for txid in [&t1, &t2] {
        let params = PreviewParams {
            path: w.db.path.display().to_string(),
            txid: Some(txid.clone()),
            ..PreviewParams::default()
        };
        ops::preview(&small, &params).await.unwrap();
    }
    let dbs: Vec<_> = std::fs::read_dir(w.dir.path().join("small-cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".db"))
        .collect();
    assert_eq!(dbs.len(), 1, "{dbs:?}");
    assert!(dbs[0].ends_with(&format!("-{t2}.db")), "{dbs:?}");

    // The command line: the same diff as JSON, and as tables.
    let cache_home = w.dir.path().join("xdg-cache");
    let run = |args: &[&str]| {
        let out = Command::new(ltx_tui_bin())
            .env("XDG_CACHE_HOME", &cache_home)
            .arg("--config")
            .arg(&w.config_path)
            .arg("preview")
            .args(args)
            .arg(&w.db.path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: PreviewResult =
        serde_json::from_str(&run(&["--txid", &t2, "--diff-txid", &t1, "--json"])).unwrap();
    assert_eq!(json.diff, p2.diff);
    assert_eq!(json.tables, p2.tables);
    let text = run(&["--txid", &t2, "--diff-txid", &t1]);
    assert!(text.contains("orders"), "{text}");
    assert!(text.contains("added"), "{text}");
    assert!(
        cache_home.join("ltx-tui").exists(),
        "the CLI caches under XDG_CACHE_HOME"
    );
}
