//! Replicas built at test time by the real Litestream, for interop tests.
//!
//! [`litestream_replica`] creates a WAL database with the chosen page size in a fresh temp
//! dir, starts `litestream replicate` (0.5.17) to a `file://` replica with short intervals
//! (sync/monitor 100 ms, L1 every 1 s, snapshot every 2 s, L0 kept 1 h), runs a workload
//! one transaction at a time, waits after each until it reached the replica (so each gets
//! its own L0 file), waits until L1 and the L9 snapshot have caught up with L0 (once midway
//! and again at the end, so levels 1 and 9 hold at least two files each), and stops
//! Litestream with SIGTERM. The result has files at levels 0, 1 and 9.
//!
//! Litestream's own checkpoints are pushed out of the build window
//! ([`ReplicateConfig::without_litestream_checkpoints`]), so Litestream never writes to the
//! database after start-up: L0 file `k + 1` is exactly workload step `k`, and the
//! [`BuiltReplica::steps`] record the content at each TXID (for `restore -txid` tests).
//!
//! Every build takes a few seconds and uses its own temp dir; only the install is shared.
//! Set `LTX_TUI_KEEP_FIXTURES=1` to keep the temp dirs for inspection.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::litestream::{
    LitestreamReplicate, ReplicaFiles, ReplicateConfig, file_url, log_tail, restore_cmd_with,
};
use super::peers::{self, LEGACY_FRAME_LITESTREAM_VERSION, LITESTREAM_VERSION};
use super::sqlite_db::TestDb;

/// How long any single wait on the replica may take while building a fixture.
pub const FIXTURE_WAIT: Duration = Duration::from_secs(20);

/// What the database goes through while Litestream replicates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Inserts, updates, a second table (then a wait until L1 and L9 caught up, so both
    /// levels get more than one file), deletes and a batch of larger blobs: six small
    /// transactions after the initial snapshot.
    Steady,
    /// Six batches of inserts (the database grows; then a wait until L1 and L9 caught up, so
    /// an L1 file and a snapshot hold the peak size), then `DELETE` of 9 rows in 10, `VACUUM`
    /// (the database shrinks: later L0, L1 and L9 files have a smaller commit than earlier
    /// ones), then an insert and an update.
    GrowShrink,
}

/// One transaction of the workload and what the database held after it.
#[derive(Clone, Debug)]
pub struct Step {
    /// The TXID of the L0 file holding it (1 is the initial snapshot of the database as
    /// created before Litestream started).
    pub txid: u64,
    pub what: &'static str,
    /// `PRAGMA page_count` after the step (equals that L0 file's header commit).
    pub page_count: u32,
    /// [`TestDb::canonical_dump`] after the step.
    pub dump: String,
}

/// A replica produced by the real Litestream, and the source database it came from.
pub struct BuiltReplica {
    /// The source database (Litestream has exited; [`TestDb::pages`] may be used).
    pub db: TestDb,
    pub db_path: PathBuf,
    /// The `file://` replica root: `<replica_dir>/ltx/<level>/<min>-<max>.ltx`.
    pub replica_dir: PathBuf,
    /// Litestream's config and log.
    pub config_path: PathBuf,
    pub log_path: PathBuf,
    pub page_size: u32,
    pub workload: Workload,
    /// The binary that built the replica, and its version.
    pub litestream: PathBuf,
    pub litestream_version: String,
    /// The source's canonical dump after the last step (what a latest restore must give).
    pub source_dump: String,
    /// The initial snapshot (TXID 1) and every workload step, in TXID order.
    pub steps: Vec<Step>,
    /// The replica listing after Litestream exited.
    pub files: ReplicaFiles,
    /// Litestream's exit status after SIGTERM.
    pub exit_status: ExitStatus,
    /// Wall time of the build (including a first-time install of the peer).
    pub build_time: Duration,
    /// The temp dir holding everything above; dropped last.
    pub dir: TempDir,
}

impl BuiltReplica {
    /// `file://<replica_dir>`.
    pub fn url(&self) -> String {
        file_url(&self.replica_dir)
    }

    /// Sorted paths of the LTX files at `level`.
    pub fn replica_files(&self, level: u8) -> Vec<PathBuf> {
        self.files.paths(level)
    }

    /// Every LTX file path, by level then name.
    pub fn all_files(&self) -> Vec<PathBuf> {
        self.files
            .all()
            .into_iter()
            .map(|f| f.path.clone())
            .collect()
    }

    /// The last TXID of the replica.
    pub fn max_txid(&self) -> u64 {
        self.steps.last().map_or(0, |s| s.txid)
    }

    /// A fresh path in the fixture's temp dir (not created).
    pub fn scratch_path(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        assert!(!path.exists(), "{} already exists", path.display());
        path
    }

    /// `litestream restore -o <out> [-txid T] <url>` with the binary that built the replica.
    pub fn restore_cmd(&self, out: &Path, txid: Option<u64>) -> Output {
        restore_cmd_with(&self.litestream, &self.url(), out, txid)
    }

    /// Restores with the binary that built the replica, panicking with its output (and the
    /// replicate log's tail) on failure.
    #[track_caller]
    pub fn restore_ok(&self, out: &Path, txid: Option<u64>) {
        let output = self.restore_cmd(out, txid);
        if !output.status.success() {
            panic!(
                "restore of {} (txid {txid:?}) with Litestream {} failed: {}\n{}\n--- replicate log tail ---\n{}",
                self.url(),
                self.litestream_version,
                output.status,
                String::from_utf8_lossy(&output.stderr),
                self.log_tail()
            );
        }
        assert!(out.is_file(), "restore did not create {}", out.display());
    }

    /// The last 40 lines of the replicate log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path, 40)
    }
}

/// A temp dir for a fixture, kept if `LTX_TUI_KEEP_FIXTURES` is set.
pub fn fixture_dir() -> TempDir {
    let keep = std::env::var_os("LTX_TUI_KEEP_FIXTURES").is_some();
    let dir = tempfile::Builder::new()
        .prefix("ltx-tui-fixture-")
        .disable_cleanup(keep)
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    if keep {
        eprintln!("keeping fixture dir {}", dir.path().display());
    }
    dir
}

/// A replica of a `page_size` database under `workload`, built by Litestream 0.5.17.
pub fn litestream_replica(page_size: u32, workload: Workload) -> BuiltReplica {
    litestream_replica_with(LITESTREAM_VERSION, page_size, workload)
}

/// A replica built by Litestream 0.5.15, whose page frames are the legacy format (flags 0,
/// one LZ4 frame per page, no size prefix): 4096-byte pages, [`Workload::Steady`].
pub fn legacy_frame_replica() -> BuiltReplica {
    litestream_replica_with(LEGACY_FRAME_LITESTREAM_VERSION, 4096, Workload::Steady)
}

type StepFn = fn(&mut TestDb);

/// The name of the pseudo-step that waits until L1 and L9 have caught up with L0.
const CATCH_UP: &str = "(wait for L1 and L9 to catch up)";

fn catch_up(_: &mut TestDb) {}

fn workload_steps(workload: Workload) -> Vec<(&'static str, StepFn)> {
    match workload {
        Workload::Steady => vec![
            ("insert 15 items", |db| db.insert_rows("items", 15)),
            ("update every 3rd item", |db| db.update_rows("items", 3)),
            ("create events, insert 10 events", |db| {
                // One transaction: Litestream must not sync between the statements.
                db.execute_batch("BEGIN");
                db.create_table("events");
                db.insert_rows("events", 10);
                db.execute_batch("COMMIT");
            }),
            (CATCH_UP, catch_up),
            ("delete every 4th item", |db| db.delete_rows("items", 4)),
            ("insert 25 items with blobs up to 32 KiB", |db| {
                db.insert_rows_sized("items", 25, 32 * 1024);
            }),
            ("update every 2nd event", |db| db.update_rows("events", 2)),
        ],
        Workload::GrowShrink => vec![
            ("grow: insert 60 items (1)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            ("grow: insert 60 items (2)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            ("grow: insert 60 items (3)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            ("grow: insert 60 items (4)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            ("grow: insert 60 items (5)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            ("grow: insert 60 items (6)", |db| {
                db.insert_rows_sized("items", 60, 16 * 1024);
            }),
            (CATCH_UP, catch_up),
            ("shrink: delete 9 items in 10", |db| {
                db.delete_most_rows("items", 10);
            }),
            ("shrink: VACUUM", |db| db.vacuum()),
            ("insert 5 items", |db| db.insert_rows("items", 5)),
            ("update every 2nd item", |db| db.update_rows("items", 2)),
        ],
    }
}

/// A replica built by Litestream `version` (installed on demand) for a `page_size` database
/// under `workload`. See the module docs.
pub fn litestream_replica_with(version: &str, page_size: u32, workload: Workload) -> BuiltReplica {
    let started = Instant::now();
    let bin = peers::litestream_version(version);
    let dir = fixture_dir();
    let db_path = dir.path().join("app.db");
    let replica_dir = dir.path().join("replica");

    let mut db = TestDb::create(&db_path, page_size);
    db.create_table("items");
    db.insert_rows("items", 20);

    let config = ReplicateConfig::default().without_litestream_checkpoints();
    let mut ls = LitestreamReplicate::start_with(&bin, dir.path(), &db_path, &replica_dir, &config);

    let first = ls.wait_until(
        "the initial L0 snapshot",
        |f| f.max_txid(0).is_some(),
        FIXTURE_WAIT,
    );
    let mut txid = first.max_txid(0).unwrap_or_default();
    let mut steps = vec![Step {
        txid,
        what: "initial: create items, insert 20 items",
        page_count: db.page_count(),
        dump: db.canonical_dump(),
    }];

    for (what, step) in workload_steps(workload) {
        if what == CATCH_UP {
            wait_for_catch_up(&mut ls, txid);
            continue;
        }
        step(&mut db);
        let prev = txid;
        let files = ls.wait_until(
            &format!("step {what:?} to reach L0 (after TXID {prev:x})"),
            |f| f.max_txid(0).is_some_and(|m| m > prev),
            FIXTURE_WAIT,
        );
        txid = files.max_txid(0).unwrap_or_default();
        assert_eq!(
            txid,
            prev + 1,
            "step {what:?} produced more than one L0 file (Litestream wrote on its own?)\n{}\n{}",
            files.summary(),
            ls.log_tail(40)
        );
        steps.push(Step {
            txid,
            what,
            page_count: db.page_count(),
            dump: db.canonical_dump(),
        });
    }

    wait_for_catch_up(&mut ls, txid);
    let exit_status = ls.stop();
    let files = ReplicaFiles::read(&replica_dir);
    let source_dump = db.canonical_dump();
    BuiltReplica {
        db,
        db_path,
        replica_dir,
        config_path: ls.config_path.clone(),
        log_path: ls.log_path.clone(),
        page_size,
        workload,
        litestream: bin,
        litestream_version: version.to_owned(),
        source_dump,
        steps,
        files,
        exit_status,
        build_time: started.elapsed(),
        dir,
    }
}

/// Waits until L1 and the L9 snapshot reach the newest L0 file, which is at least the last
/// step's TXID: after the workload Litestream may still write an L0 of its own (the
/// `_litestream_seq` write after a checkpoint), which changes no table.
fn wait_for_catch_up(ls: &mut LitestreamReplicate, txid: u64) {
    ls.wait_until(
        &format!("L1 and the L9 snapshot to reach the newest L0 TXID (at least {txid:x})"),
        |f| {
            let newest = f.max_txid(0);
            newest >= Some(txid) && f.max_txid(1) == newest && f.max_txid(9) == newest
        },
        FIXTURE_WAIT,
    );
}
