//! The sync path on a real SQLite database: L0 files written from the WAL restore to the
//! source at every TXID, through growth, shrink, uncommitted transactions, our own checkpoints,
//! and the recovery rows of Litestream's table (ref §2.6) caused by another process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ltx_tui::engine::{DbSync, SyncReport, SyncSettings};
use ltx_tui::ltx::{CompactOptions, Decoder, FileName, compact};
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

struct Harness {
    dir: tempfile::TempDir,
    db: TestDb,
    sync: DbSync,
    /// The source's canonical dump at each TXID.
    dumps: BTreeMap<u64, String>,
}

impl Harness {
    fn new(page_size: u32, settings: SyncSettings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut db = TestDb::create_in(dir.path(), page_size);
        db.create_table("items");
        db.insert_rows("items", 50);
        let sync = DbSync::new(db.path.clone(), None, settings).unwrap();
        Harness {
            dir,
            db,
            sync,
            dumps: BTreeMap::new(),
        }
    }

    /// Syncs and records the source's state under every TXID written.
    fn sync(&mut self) -> SyncReport {
        let report = self.sync.sync().unwrap();
        let dump = self.db.canonical_dump();
        if let Some(last) = report.files.last() {
            self.dumps.insert(last.txid.0, dump);
        }
        report
    }

    fn reopen(&mut self) {
        self.sync.close().unwrap();
        let mut sync = DbSync::new(self.db.path.clone(), None, SyncSettings::default()).unwrap();
        assert!(sync.open().unwrap());
        self.sync = sync;
    }

    /// Restores the database at `txid` from the local L0 files (merged by our compactor,
    /// materialised from the resulting snapshot) and returns its dump.
    fn restore(&self, txid: u64) -> String {
        let l0 = self.sync.meta().l0_dir();
        let inputs = (1..=txid)
            .map(|t| {
                let name = FileName::new(ltx_tui::ltx::Txid(t), ltx_tui::ltx::Txid(t)).to_string();
                Decoder::new(BufReader::new(File::open(l0.join(name)).unwrap())).unwrap()
            })
            .collect();
        let (merged, header, _) = compact(inputs, Vec::new(), CompactOptions::default()).unwrap();
        assert!(header.is_snapshot());
        let out = self.dir.path().join(format!("restored-{txid}.db"));
        let _ = std::fs::remove_file(&out);
        Decoder::new(merged.as_slice())
            .unwrap()
            .decode_database_to(File::create(&out).unwrap())
            .unwrap();
        assert_eq!(integrity_check(&out), "ok", "integrity at txid {txid}");
        canonical_dump_of(&out)
    }

    fn assert_every_txid_restores(&self) {
        for (txid, dump) in &self.dumps {
            assert_same_dump(
                &self.restore(*txid),
                dump,
                &format!("restore at txid {txid}"),
            );
        }
    }
}

fn snapshot_reasons(report: &SyncReport) -> Vec<&'static str> {
    report.files.iter().filter_map(|f| f.snapshot).collect()
}

#[test]
fn first_sync_is_a_snapshot_and_increments_restore_to_every_txid() {
    for page_size in [512, 4096, 65536] {
        let mut h = Harness::new(
            page_size,
            SyncSettings {
                checkpoint_interval: None,
                ..SyncSettings::default()
            },
        );
        let first = h.sync();
        assert_eq!(first.files.len(), 1);
        assert_eq!(first.files[0].txid.0, 1);
        assert_eq!(first.files[0].snapshot, Some("first sync"));

        h.db.insert_rows("items", 200); // growth
        assert!(snapshot_reasons(&h.sync()).is_empty());
        h.db.update_rows("items", 3);
        h.sync();
        h.db.delete_most_rows("items", 10);
        h.db.vacuum(); // shrink
        let after_vacuum = h.sync();
        assert!(
            after_vacuum.files.iter().all(|f| f.snapshot.is_none()),
            "{after_vacuum:?}"
        );
        h.db.insert_rows("items", 5);
        h.sync();

        assert!(
            h.sync().files.is_empty(),
            "a sync with nothing new writes no file"
        );
        assert!(h.dumps.len() >= 5);
        h.assert_every_txid_restores();
    }
}

#[test]
fn an_uncommitted_transaction_is_left_for_the_next_sync() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    let committed = h.db.canonical_dump();
    // A second connection with a tiny page cache spills an open transaction's frames into the WAL.
    let wal_path = h.db.path.with_extension("db-wal");
    let wal_at_start = std::fs::metadata(&wal_path).unwrap().len();
    let writer = rusqlite::Connection::open(&h.db.path).unwrap();
    writer
        .execute_batch("PRAGMA cache_size = 2; BEGIN;")
        .unwrap();
    for i in 0..400 {
        writer
            .execute("INSERT INTO items(name, qty, note, payload) VALUES (?1, ?2, 'open', randomblob(300))", rusqlite::params![format!("open {i}"), i])
            .unwrap_or_else(|e| panic!("insert into the test table: {e}"));
    }
    let wal_before = std::fs::metadata(&wal_path).unwrap().len();
    assert!(
        wal_before > wal_at_start,
        "the open transaction spilled frames: {wal_at_start} -> {wal_before}"
    );
    let report = h.sync.sync().unwrap();
    // SQLite rewrites spilled frames in place and fixes their checksums only at commit, so the
    // open transaction's frames may not even verify yet; either way none may be captured.
    assert!(
        report.files.is_empty(),
        "nothing new was committed: {report:?}"
    );
    if let Some(f) = report.files.last() {
        h.dumps.insert(f.txid.0, committed);
    }
    writer.execute_batch("COMMIT").unwrap();
    h.sync();
    h.assert_every_txid_restores();
}

/// PASSIVE checkpoints at 20 WAL pages and no time-based ones: restarts come often.
fn small_wal_settings() -> SyncSettings {
    SyncSettings {
        min_checkpoint_page_count: 20,
        checkpoint_interval: None,
        ..SyncSettings::default()
    }
}

#[test]
fn a_passive_checkpoint_restarts_the_wal_and_replication_continues_incrementally() {
    let mut h = Harness::new(4096, small_wal_settings());
    h.sync();
    let mut restarts = 0;
    for _ in 0..6 {
        h.db.insert_rows("items", 300);
        let report = h.sync();
        restarts += report.checkpoints.iter().filter(|c| c.restarted).count();
        assert!(
            snapshot_reasons(&report).is_empty(),
            "no snapshot after our own checkpoint: {report:?}"
        );
        assert!(
            report.wal_size < 4 * 1024 * 1024,
            "the WAL stays small: {}",
            report.wal_size
        );
    }
    assert!(restarts > 0, "our PASSIVE checkpoints restarted the WAL");
    h.assert_every_txid_restores();
}

/// The WAL generation (salts) each L0 file of `report` was read from, in order.
fn generations(h: &Harness, report: &SyncReport) -> Vec<(u32, u32)> {
    report
        .files
        .iter()
        .map(|f| {
            let path = h.sync.meta().l0_path(f.txid);
            let header = *Decoder::new(BufReader::new(File::open(&path).unwrap()))
                .unwrap()
                .header();
            (header.wal_salt1, header.wal_salt2)
        })
        .collect()
}

/// How a [`busy_writer_run`] went.
struct BusyRun {
    restarts: usize,
    /// Restarts that came from a restart window (no write barrier).
    window_restarts: usize,
    /// Checkpoints that took the write barrier.
    barrier_checkpoints: usize,
    /// Checkpoints that opened a restart window.
    window_checkpoints: usize,
    /// The reasons of the snapshots the engine took, in order.
    snapshots: Vec<&'static str>,
    /// Restart windows opened after the first snapshot.
    windows_after_snapshot: usize,
}

impl BusyRun {
    /// What restart windows may cost: a window lets the WAL restart without the barrier, and
    /// when the engine cannot prove afterwards that it read the old generation to its end (it
    /// was descheduled for a whole WAL generation or more, as on a loaded CI runner) it takes
    /// one snapshot and uses the barrier from then on. Never more than that.
    fn assert_at_most_one_window_snapshot(&self) {
        const WINDOW_PROOF_FAILED: [&str; 5] = [
            "WAL restarted before its last frames were read",
            "WAL restarted more than once",
            "WAL overwritten by another process",
            "previous WAL frame changed",
            // The application cut the WAL after a restart the window let happen.
            "WAL truncated by another process",
        ];
        assert!(self.snapshots.len() <= 1, "{:?}", self.snapshots);
        if let Some(reason) = self.snapshots.first() {
            assert!(WINDOW_PROOF_FAILED.contains(reason), "{reason}");
            assert_eq!(self.windows_after_snapshot, 0, "windows off after it");
        }
    }
}

/// A writer commits all the time on its own connection (SQLite's autocheckpoint at
/// `app_autocheckpoint` pages, 0: off) while the engine syncs, until the writer has committed
/// 3000 times and the WAL restarted 10 times, and with `until_window` until a restart window
/// restarted it or a snapshot turned windows off (bounded: 20,000 syncs, 200,000 commits).
/// Every sync writes at most one L0 file per WAL generation (the reads of a checkpointing sync
/// continue one another); the L0 TXIDs have no gap and the end restores to the source. The
/// snapshots taken are returned for the caller to judge.
fn busy_writer_run(settings: SyncSettings, app_autocheckpoint: u32, until_window: bool) -> BusyRun {
    busy_writer_run_with(settings, app_autocheckpoint, until_window, None)
}

/// [`busy_writer_run`], the writer also setting `journal_size_limit` when given.
fn busy_writer_run_with(
    settings: SyncSettings,
    app_autocheckpoint: u32,
    until_window: bool,
    journal_size_limit: Option<i64>,
) -> BusyRun {
    let mut h = Harness::new(4096, settings);
    h.sync();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let stop = std::sync::Arc::clone(&stop);
        let done = std::sync::Arc::clone(&done);
        let path = h.db.path.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .unwrap();
            conn.pragma_update(None, "wal_autocheckpoint", app_autocheckpoint)
                .unwrap();
            if let Some(limit) = journal_size_limit {
                conn.pragma_update(None, "journal_size_limit", limit)
                    .unwrap();
            }
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 200_000 {
                conn.execute(
                    "INSERT INTO items(name, qty, payload) VALUES (?1, ?2, randomblob(64))",
                    rusqlite::params![format!("busy-{n}"), n as i64],
                )
                .unwrap();
                n += 1;
                done.store(n, std::sync::atomic::Ordering::Relaxed);
            }
            n
        })
    };
    let mut run = BusyRun {
        restarts: 0,
        window_restarts: 0,
        barrier_checkpoints: 0,
        window_checkpoints: 0,
        snapshots: Vec::new(),
        windows_after_snapshot: 0,
    };
    for _ in 0..20_000 {
        let window_seen = run.window_restarts > 0 || !run.snapshots.is_empty();
        if run.restarts >= 10
            && done.load(std::sync::atomic::Ordering::Relaxed) >= 3000
            && (window_seen || !until_window)
        {
            break;
        }
        let report = h.sync.sync().unwrap();
        let generations = generations(&h, &report);
        let mut distinct = generations.clone();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            generations.len(),
            "one file per WAL generation: {generations:?}\n{report:?}"
        );
        for c in &report.checkpoints {
            run.restarts += usize::from(c.restarted);
            run.window_restarts += usize::from(c.restarted && c.window);
            run.barrier_checkpoints += usize::from(!c.window);
            run.window_checkpoints += usize::from(c.window);
            run.windows_after_snapshot += usize::from(c.window && !run.snapshots.is_empty());
        }
        run.snapshots.extend(snapshot_reasons(&report));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let commits = writer.join().unwrap();
    assert!(
        commits >= 3000 && run.restarts >= 10,
        "commits {commits}, restarts {}",
        run.restarts
    );
    h.sync();
    let last = h.sync.local_txid().unwrap().0;
    let txids: Vec<u64> = std::fs::read_dir(h.sync.meta().l0_dir())
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".ltx")
                .map(str::to_owned)
        })
        .map(|n| u64::from_str_radix(&n[..16], 16).unwrap())
        .collect::<std::collections::BTreeSet<u64>>()
        .into_iter()
        .collect();
    assert_eq!(
        txids,
        (1..=last).collect::<Vec<_>>(),
        "no gap in the L0 TXIDs"
    );
    assert_same_dump(
        &h.restore(last),
        &h.db.canonical_dump(),
        "restore at the end",
    );
    run
}

fn busy_settings(restart_window: bool) -> SyncSettings {
    SyncSettings {
        // Restart windows open on WALs of 256 frames or more.
        min_checkpoint_page_count: 300,
        checkpoint_interval: None,
        restart_window,
        ..SyncSettings::default()
    }
}

/// Litestream's procedure: every PASSIVE checkpoint under the write barrier.
#[test]
fn a_busy_writer_under_barrier_checkpoints_replicates_without_a_snapshot() {
    let run = busy_writer_run(busy_settings(false), 1000, false);
    assert_eq!(run.snapshots, Vec::<&str>::new());
    assert_eq!(run.window_restarts, 0);
    assert!(run.barrier_checkpoints >= 10);
}

/// The application's own autocheckpoint restarts the WAL inside the engine's restart
/// windows: the old generation's last frames are read after the fact, with proof, and no
/// write barrier is needed. (How many restarts windows catch depends on timing; the write
/// overhead benchmark measures what they are worth.)
#[test]
fn a_busy_writer_that_checkpoints_on_its_own_restarts_the_wal_in_windows() {
    let run = busy_writer_run(busy_settings(true), 300, true);
    run.assert_at_most_one_window_snapshot();
    if run.snapshots.is_empty() {
        assert!(run.window_restarts >= 1, "a window restarted the WAL");
    }
}

/// An application that cuts its WAL after every restart (`journal_size_limit`, here 64 KiB,
/// far below the headroom windows reserve): the first cut turns windows off, and whatever a
/// window let happen before it is read with proof or snapshotted; never lost.
#[test]
fn a_busy_writer_with_a_journal_size_limit_turns_windows_off_and_loses_nothing() {
    let run = busy_writer_run_with(busy_settings(true), 300, false, Some(64 * 1024));
    run.assert_at_most_one_window_snapshot();
    // Windows were tried, and stopped: without the cut turning them off, nearly every one
    // of the 10 or more checkpoints would open one (6 allows two streaks of missed windows).
    assert!(
        (1..=6).contains(&run.window_checkpoints),
        "windows {} of {} checkpoints",
        run.window_checkpoints,
        run.window_checkpoints + run.barrier_checkpoints
    );
}

/// An application that never checkpoints (`wal_autocheckpoint=0`): windows see no restart,
/// and after a few the checkpoints take the barrier, so the WAL still restarts.
#[test]
fn a_busy_writer_that_never_checkpoints_falls_back_to_the_barrier() {
    let run = busy_writer_run(busy_settings(true), 0, false);
    run.assert_at_most_one_window_snapshot();
    assert!(run.barrier_checkpoints >= 1, "the barrier took over");
}

#[test]
fn a_passive_checkpoint_that_restarts_the_wal_makes_truncate_unnecessary() {
    let settings = SyncSettings {
        min_checkpoint_page_count: 0,
        truncate_page_n: 30,
        checkpoint_interval: None,
        ..SyncSettings::default()
    };
    let mut h = Harness::new(4096, settings);
    h.sync();
    h.db.insert_rows("items", 600);
    let report = h.sync();
    let modes: Vec<&str> = report.checkpoints.iter().map(|c| c.mode.as_str()).collect();
    assert_eq!(modes, vec!["PASSIVE"], "{report:?}");
    assert!(report.checkpoints[0].restarted);
    assert!(snapshot_reasons(&report).is_empty());
    h.assert_every_txid_restores();
}

#[test]
fn a_truncate_checkpoint_is_followed_by_a_boundary_snapshot() {
    let mut h = Harness::new(
        4096,
        SyncSettings {
            checkpoint_interval: None,
            ..SyncSettings::default()
        },
    );
    h.sync();
    h.db.insert_rows("items", 300);
    let report = h
        .sync
        .checkpoint_now(ltx_tui::sqlite::CheckpointMode::Truncate)
        .unwrap();
    if let Some(f) = report.files.last() {
        h.dumps.insert(f.txid.0, h.db.canonical_dump());
    }
    assert!(
        report
            .checkpoints
            .iter()
            .any(|c| c.mode.as_str() == "TRUNCATE" && c.restarted),
        "{report:?}"
    );
    assert_eq!(
        snapshot_reasons(&report),
        vec!["checkpoint boundary"],
        "{report:?}"
    );
    h.db.insert_rows("items", 10);
    assert!(snapshot_reasons(&h.sync()).is_empty());
    h.assert_every_txid_restores();
}

#[test]
fn reopening_with_an_untouched_wal_continues_incrementally() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    h.db.insert_rows("items", 20);
    h.sync();
    h.reopen();
    h.db.insert_rows("items", 20);
    let report = h.sync();
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].snapshot, None, "{report:?}");
    h.assert_every_txid_restores();
}

/// Closes the engine's connection so nothing pins the WAL, lets `outside` act on the
/// database, reopens and syncs; returns the snapshot reasons of that sync.
fn interfere(h: &mut Harness, outside: impl FnOnce(&TestDb)) -> Vec<&'static str> {
    h.sync.close().unwrap();
    outside(&h.db);
    h.reopen();
    let report = h.sync();
    h.assert_every_txid_restores();
    snapshot_reasons(&report).to_vec()
}

fn checkpoint(db: &TestDb, mode: &str) {
    let (busy, _, _): (i64, i64, i64) = db
        .conn()
        .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0, "checkpoint {mode} was busy");
}

#[test]
fn a_wal_truncated_by_another_process_forces_a_snapshot() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    h.db.insert_rows("items", 50);
    h.sync();
    let reasons = interfere(&mut h, |db| {
        checkpoint(db, "TRUNCATE");
        db.execute_batch("INSERT INTO items(name, qty) VALUES ('after truncate', 1)");
    });
    assert_eq!(reasons, vec!["WAL truncated by another process"]);
}

#[test]
fn a_wal_restarted_while_unpinned_forces_a_snapshot() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    h.db.insert_rows("items", 300);
    h.sync();
    let reasons = interfere(&mut h, |db| {
        checkpoint(db, "RESTART");
        db.execute_batch("INSERT INTO items(name, qty) VALUES ('after restart', 1)");
    });
    assert_eq!(reasons, vec!["WAL restarted while it was not pinned"]);
}

#[test]
fn a_wal_overwritten_by_another_process_forces_a_snapshot() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    h.db.insert_rows("items", 3);
    h.sync();
    let reasons = interfere(&mut h, |db| {
        checkpoint(db, "RESTART");
        for _ in 0..20 {
            db.execute_batch(
                "INSERT INTO items(name, qty, payload) VALUES ('overwrite', 1, randomblob(3000))",
            );
        }
    });
    assert_eq!(reasons, vec!["WAL overwritten by another process"]);
}

/// The application's database is replaced by a restore of an earlier point while the engine
/// keeps its connection (and read lock) on the old file: the next sync notices the new inode,
/// reopens, and snapshots the new file under the next TXID; every TXID still restores.
#[test]
fn a_database_replaced_by_a_restore_is_detected_and_snapshotted() {
    let mut h = Harness::new(4096, SyncSettings::default());
    h.sync();
    h.db.insert_rows("items", 40);
    h.sync();
    h.db.insert_rows("items", 200);
    h.db.execute_batch("CREATE TABLE later(x); INSERT INTO later VALUES (1);");
    let before = h.sync();
    assert_eq!(before.files.last().unwrap().txid.0, 3);

    // Restore TXID 2 beside the database, then move it into place as an operator would:
    // the application stops, the old -wal and -shm go, the restored file is renamed in.
    let restored_dump = h.restore(2);
    let restored = h.dir.path().join("restored-2.db");
    let path = h.db.path.clone();
    let scratch = TestDb::create(&h.dir.path().join("scratch.db"), 4096);
    std::mem::replace(&mut h.db, scratch).close();
    for sidecar in ["-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(sidecar);
        let _ = std::fs::remove_file(p);
    }
    std::fs::rename(&restored, &path).unwrap();
    h.db = TestDb::open(&path);
    assert_same_dump(
        &h.db.canonical_dump(),
        &restored_dump,
        "the restored file in place",
    );
    h.db.execute_batch("INSERT INTO items(name, qty) VALUES ('after the restore', 7)");

    let report = h.sync();
    assert_eq!(
        report.files.first().and_then(|f| f.snapshot),
        Some("database file replaced"),
        "{report:?}"
    );
    assert_eq!(report.files.first().unwrap().txid.0, 4, "TXIDs continue");
    // The replaced file is followed incrementally from here on.
    h.db.insert_rows("items", 30);
    let next = h.sync();
    assert_eq!(next.files.len(), 1, "{next:?}");
    assert_eq!(next.files[0].snapshot, None, "{next:?}");
    h.assert_every_txid_restores();
    assert!(
        h.dumps[&3].contains("CREATE TABLE later"),
        "{}",
        h.dumps[&3]
    );
    assert!(
        !h.restore(5).contains("CREATE TABLE later"),
        "TXID 5 holds the restored point's schema, not the replaced file's"
    );
}

#[test]
fn a_missing_database_is_reported_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let mut sync = DbSync::new(path.clone(), None, SyncSettings::default()).unwrap();
    assert!(!sync.open().unwrap());
    let err = sync.sync().unwrap_err();
    assert!(err.to_string().contains("absent.db"), "{err}");
    assert!(!Path::new(&path).exists());
}
