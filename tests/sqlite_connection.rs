//! The engine's connection against real SQLite: Litestream's initialisation, the read lock
//! that pins the WAL, checkpoints, PERSIST_WAL, and the write barrier. Other connections
//! play the application; SQLite's own answers (checkpoint rows, SQLITE_BUSY, WAL headers)
//! are what the tests check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ltx_tui::sqlite::{
    CheckpointMode, EngineConnection, SqliteError, WalFile, WalHeader, WalSegment,
};
use rusqlite::{Connection, ErrorCode};

const BUSY: Duration = Duration::from_millis(200);

/// An application connection: WAL mode (once converted), autocheckpoint off.
fn app(path: &Path, busy_ms: u64) -> Connection {
    let c = Connection::open(path).unwrap();
    c.busy_timeout(Duration::from_millis(busy_ms)).unwrap();
    c.execute_batch("PRAGMA wal_autocheckpoint = 0").unwrap();
    c
}

/// A new WAL-mode database with table `t` and one row.
fn wal_db(dir: &Path) -> (PathBuf, Connection) {
    let path = dir.join("app.db");
    let c = app(&path, 0);
    c.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB);
         INSERT INTO t (body) VALUES (randomblob(100));",
    )
    .unwrap();
    (path, c)
}

fn write(c: &Connection, rows: usize) {
    c.execute_batch("BEGIN").unwrap();
    for _ in 0..rows {
        c.execute("INSERT INTO t (body) VALUES (randomblob(500))", [])
            .unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
}

/// `PRAGMA wal_checkpoint(MODE)` on any connection: (busy, log, checkpointed).
fn checkpoint(c: &Connection, mode: &str) -> (i64, i64, i64) {
    c.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .unwrap()
}

fn wal_header(db: &Path) -> WalHeader {
    WalFile::open(wal_path(db)).unwrap().read_header().unwrap()
}

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
}

#[test]
fn open_converts_a_rollback_journal_database_and_creates_both_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA page_size = 8192; PRAGMA journal_mode = DELETE;
             CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB);
             INSERT INTO t (body) VALUES (randomblob(20000));",
        )
        .unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }
    let engine = EngineConnection::open(&path, BUSY).unwrap();
    assert_eq!(engine.page_size(), 8192);
    assert_eq!(engine.db_file().page_size().unwrap(), 8192);
    assert_eq!(engine.wal_path(), wal_path(&path));
    assert_eq!(engine.busy_timeout(), BUSY);

    let other = Connection::open(&path).unwrap();
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "WAL mode is persistent in the file");
    let schema = |name: &str| -> String {
        other
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        schema("_litestream_seq"),
        "CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)"
    );
    assert_eq!(
        schema("_litestream_lock"),
        "CREATE TABLE _litestream_lock (id INTEGER)"
    );
    // Opening again changes nothing.
    drop(engine);
    let again = EngineConnection::open(&path, BUSY).unwrap();
    let tables: i64 = other
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '\\_litestream%' ESCAPE '\\'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 2);
    again.close().unwrap();
}

#[test]
fn open_never_creates_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.db");
    let e = EngineConnection::open(&path, BUSY).unwrap_err();
    assert!(matches!(e, SqliteError::DatabaseMissing { .. }), "{e}");
    assert!(e.to_string().contains("later.db"), "{e}");
    assert!(!path.exists());
}

#[test]
fn engine_commits_never_autocheckpoint() {
    // A WAL of more than 1000 frames: the next commit on a connection with SQLite's default
    // autocheckpoint (1000 pages) would copy it into the database file; the engine's must not.
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    c.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO t (body) SELECT randomblob(4000) FROM n;",
    )
    .unwrap();
    let frames = (std::fs::metadata(wal_path(&path)).unwrap().len() - 32) / (24 + 4096);
    assert!(frames > 1000, "{frames}");
    let db_len = || std::fs::metadata(&path).unwrap().len();
    let before = db_len();
    engine.bump_seq().unwrap();
    assert_eq!(db_len(), before, "the engine's commit did not checkpoint");

    // Control: the same commit on a default connection does checkpoint.
    let plain = Connection::open(&path).unwrap();
    plain
        .execute("INSERT INTO t (body) VALUES (randomblob(10))", [])
        .unwrap();
    assert!(db_len() > before, "a default connection autocheckpoints");
}

#[test]
fn read_lock_blocks_restart_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    write(&c, 5);
    engine.acquire_read_lock().unwrap();
    engine.acquire_read_lock().unwrap(); // idempotent
    assert!(engine.holds_read_lock());
    write(&c, 5);
    let salts = wal_header(&path).salts();

    // Another connection's RESTART (and TRUNCATE) cannot complete: busy = 1. It still
    // backfills the frames the engine's snapshot already covers.
    let other = app(&path, 0);
    let (busy, log, done) = checkpoint(&other, "RESTART");
    assert_eq!(busy, 1);
    assert!(
        done < log,
        "frames after the engine's snapshot stay in the WAL: {done}/{log}"
    );
    let (busy, _, _) = checkpoint(&other, "TRUNCATE");
    assert_eq!(busy, 1);
    // And the WAL keeps growing under the same salts instead of restarting.
    let len = std::fs::metadata(wal_path(&path)).unwrap().len();
    write(&c, 5);
    assert_eq!(wal_header(&path).salts(), salts);
    assert!(std::fs::metadata(wal_path(&path)).unwrap().len() > len);

    engine.release_read_lock().unwrap();
    engine.release_read_lock().unwrap(); // idempotent
    assert!(!engine.holds_read_lock());
    let (busy, log, done) = checkpoint(&other, "RESTART");
    assert_eq!((busy, done), (0, log));
    write(&c, 1);
    let restarted = wal_header(&path);
    assert_eq!(restarted.salt1, salts.0.wrapping_add(1));
    assert_ne!(restarted.salt2, salts.1);
}

#[test]
fn a_read_lock_taken_on_a_fully_backfilled_wal_allows_one_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    write(&c, 5);
    let (busy, log, done) = checkpoint(&c, "PASSIVE");
    assert_eq!((busy, done), (0, log), "no reader: everything backfilled");
    let salts = wal_header(&path).salts();

    // SQLite now serves the engine's read from the database file (read mark 0) ...
    engine.acquire_read_lock().unwrap();
    write(&c, 1);
    // ... so the next writer restarts the WAL: it only overwrites frames already backfilled.
    let after = wal_header(&path).salts();
    assert_eq!(after.0, salts.0.wrapping_add(1));
    // From then on the lock pins the WAL: nothing more is backfilled, no further restart.
    write(&c, 3);
    let other = app(&path, 0);
    let (busy, log, done) = checkpoint(&other, "PASSIVE");
    assert_eq!(
        (busy, done),
        (0, 0),
        "mark 0 blocks every backfill ({log} frames)"
    );
    let (busy, _, _) = checkpoint(&other, "RESTART");
    assert_eq!(busy, 1);
    write(&c, 1);
    assert_eq!(wal_header(&path).salts(), after);
    engine.release_read_lock().unwrap();
    let (busy, log, done) = checkpoint(&other, "RESTART");
    assert_eq!((busy, done), (0, log));
}

#[test]
fn checkpoints_run_only_without_the_read_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    write(&c, 3);
    engine.acquire_read_lock().unwrap();
    let e = engine.checkpoint(CheckpointMode::Passive).unwrap_err();
    assert!(
        matches!(
            e,
            SqliteError::InvalidState {
                state: "the read lock is held",
                ..
            }
        ),
        "{e}"
    );
    engine.release_read_lock().unwrap();

    let r = engine.checkpoint(CheckpointMode::Passive).unwrap();
    assert!(!r.busy && r.log_frames > 0 && r.is_complete(), "{r:?}");
    // An application reader in an open transaction makes TRUNCATE report busy after the
    // engine's busy timeout, without an error.
    c.execute_batch("BEGIN; SELECT COUNT(*) FROM t;").unwrap();
    write(&app(&path, 0), 1);
    let r = engine.checkpoint(CheckpointMode::Truncate).unwrap();
    assert!(r.busy, "{r:?}");
    c.execute_batch("COMMIT").unwrap();
    let r = engine.checkpoint(CheckpointMode::Truncate).unwrap();
    assert!(r.is_complete(), "{r:?}");
    assert_eq!(std::fs::metadata(wal_path(&path)).unwrap().len(), 0);
    for mode in [CheckpointMode::Full, CheckpointMode::Restart] {
        let r = engine.checkpoint(mode).unwrap();
        assert!(!r.busy, "{mode}: {r:?}");
    }
}

#[test]
fn persist_wal_keeps_the_wal_after_every_connection_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let engine = EngineConnection::open(&path, BUSY).unwrap();
    write(&c, 3);
    drop(c); // not the last connection: SQLite leaves the WAL alone
    assert!(wal_path(&path).exists());
    engine.close().unwrap(); // the last one, with PERSIST_WAL
    let len = std::fs::metadata(wal_path(&path)).unwrap().len();
    assert!(len >= 32, "the WAL survives with its frames ({len} bytes)");
    WalFile::open(wal_path(&path))
        .unwrap()
        .read_header()
        .unwrap();

    // Control: without the engine, the last connection to close deletes the WAL.
    let dir2 = tempfile::tempdir().unwrap();
    let (path2, c2) = wal_db(dir2.path());
    write(&c2, 3);
    assert!(wal_path(&path2).exists());
    drop(c2);
    assert!(!wal_path(&path2).exists());
}

#[test]
fn barrier_blocks_writers_and_leaves_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    engine.acquire_read_lock().unwrap();
    engine.begin_barrier().unwrap();
    engine.begin_barrier().unwrap(); // idempotent
    assert!(engine.holds_barrier());

    c.busy_timeout(Duration::from_millis(20)).unwrap();
    let e = c
        .execute("INSERT INTO t (body) VALUES (randomblob(10))", [])
        .unwrap_err();
    assert!(is_busy(&e), "{e}");
    // Readers are not blocked.
    let rows: i64 = c
        .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    // Writes of the engine itself are refused while the barrier is up.
    let e = engine.bump_seq().unwrap_err();
    assert!(matches!(e, SqliteError::InvalidState { .. }), "{e}");

    engine.end_barrier().unwrap();
    engine.end_barrier().unwrap(); // idempotent
    assert!(!engine.holds_barrier());
    c.execute("INSERT INTO t (body) VALUES (randomblob(10))", [])
        .unwrap();
    let locks: i64 = c
        .query_row("SELECT COUNT(*) FROM _litestream_lock", [], |r| r.get(0))
        .unwrap();
    assert_eq!(locks, 0);

    // Dropping the engine with the barrier up releases it too.
    engine.begin_barrier().unwrap();
    drop(engine);
    c.execute("INSERT INTO t (body) VALUES (randomblob(10))", [])
        .unwrap();
}

#[test]
fn barrier_waits_for_a_writer_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, Duration::from_millis(20)).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = engine.begin_barrier().unwrap_err();
    assert!(e.is_busy() && e.is_retryable(), "{e}");
    assert!(!engine.holds_barrier());
    c.execute_batch("COMMIT").unwrap();
    engine.begin_barrier().unwrap();
    engine.end_barrier().unwrap();
}

#[test]
fn litestream_checkpoint_procedure_restarts_the_wal_without_losing_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    engine.acquire_read_lock().unwrap();
    write(&c, 20);
    let wal = WalFile::open(engine.wal_path()).unwrap();
    // sync, barrier, sync again: the second read finds nothing new because nobody can commit.
    let synced = WalSegment::read(&wal, 32, None, 0).unwrap();
    engine.begin_barrier().unwrap();
    let again = WalSegment::read(&wal, synced.end_offset, Some(synced.salts), 0).unwrap();
    assert!(again.is_empty());

    // Other modes would wait for our own barrier: refused.
    let e = engine.checkpoint(CheckpointMode::Restart).unwrap_err();
    assert!(matches!(e, SqliteError::InvalidState { .. }), "{e}");

    engine.release_read_lock().unwrap();
    let r = engine.checkpoint(CheckpointMode::Passive).unwrap();
    assert!(r.is_complete(), "{r:?}");
    assert_eq!(r.log_frames as u64, synced.committed_frames());
    engine.acquire_read_lock().unwrap();
    engine.end_barrier().unwrap();
    let old = wal_header(&path);
    engine.bump_seq().unwrap();
    let new = wal_header(&path);
    assert_eq!(
        new.salt1,
        old.salt1.wrapping_add(1),
        "the bump restarted the WAL"
    );
    assert_ne!(new.salt2, old.salt2);
    let fresh = WalSegment::read(&wal, 32, None, 0).unwrap();
    assert_eq!(fresh.transactions, 1);
    assert_eq!(fresh.salts, new.salts());
    // The application's next commit lands in the restarted WAL.
    write(&c, 1);
    let next = WalSegment::read(&wal, fresh.end_offset, Some(fresh.salts), 0).unwrap();
    assert_eq!(next.transactions, 1);
}

#[test]
fn bump_seq_commits_with_and_without_the_read_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    let seq = || -> i64 {
        c.query_row("SELECT seq FROM _litestream_seq WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    engine.bump_seq().unwrap();
    assert_eq!(seq(), 1);
    engine.acquire_read_lock().unwrap();
    engine.bump_seq().unwrap();
    engine.bump_seq().unwrap();
    assert_eq!(
        seq(),
        3,
        "committed on the second connection, visible to others"
    );
    assert!(engine.holds_read_lock());
    let rows: i64 = c
        .query_row("SELECT COUNT(*) FROM _litestream_seq", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn ensure_wal_exists_after_truncate() {
    let dir = tempfile::tempdir().unwrap();
    let (path, c) = wal_db(dir.path());
    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    write(&c, 2);
    assert!(!engine.ensure_wal_exists().unwrap());
    let r = engine.checkpoint(CheckpointMode::Truncate).unwrap();
    assert!(r.is_complete(), "{r:?}");
    assert_eq!(std::fs::metadata(engine.wal_path()).unwrap().len(), 0);
    assert!(engine.ensure_wal_exists().unwrap());
    let wal = WalFile::open(engine.wal_path()).unwrap();
    let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
    assert_eq!(seg.transactions, 1);
    assert!(!engine.ensure_wal_exists().unwrap());
}

#[test]
fn open_initialises_an_empty_database_file() {
    // What `sqlite3_open` leaves before the application writes anything: a zero-byte file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Connection::open(&path).unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);

    let mut engine = EngineConnection::open(&path, BUSY).unwrap();
    assert_eq!(engine.page_size(), 4096, "SQLite's default page size");
    // The conversion to WAL mode wrote page 1 to the database file; the tables went to the WAL.
    assert_eq!(engine.db_file().page_size().unwrap(), 4096);
    assert!(!engine.ensure_wal_exists().unwrap());
    let wal = WalFile::open(engine.wal_path()).unwrap();
    let seg = WalSegment::read(&wal, 32, None, 0).unwrap();
    assert_eq!(seg.transactions, 2, "one commit per CREATE TABLE");
    assert_eq!(seg.commit, Some(3), "page 1 plus one root page per table");
    engine.acquire_read_lock().unwrap();
    engine.close().unwrap();
}
