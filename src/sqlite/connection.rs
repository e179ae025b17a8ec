//! The engine's own connection to a replicated database: Litestream's initialisation
//! (`db.go init`), the long-held read lock, `_litestream_seq` bumps, checkpoints, and the
//! write barrier around PASSIVE checkpoints.
//!
//! # How the read lock pins the WAL
//!
//! [`EngineConnection::acquire_read_lock`] opens a read transaction (`BEGIN` plus a `SELECT`)
//! and keeps it open. In WAL mode a reader holds one of SQLite's shared-memory read marks:
//! "I read the WAL up to frame N". While it does, (a) no checkpoint by anyone backfills frames
//! past N into the database file, and (b) no writer restarts the WAL (overwriting it from
//! frame 0 with new salts), because a restart needs every read mark free. So frames the engine
//! has not copied yet cannot disappear: other processes' checkpoints (the application's
//! autocheckpoint included) can only backfill, and the WAL only grows.
//!
//! One subtlety (checked by `tests/sqlite_connection.rs`): if the WAL is fully backfilled when
//! the lock is taken, SQLite reads the database file instead and uses read mark 0. That mark
//! blocks every backfill, but the *next* writer may still restart the WAL once, since every
//! frame it overwrites is already in the database file. The engine sees new salts and
//! continues at offset 32 (the verification rules of Litestream §2.6).
//!
//! The price is the measured write-overhead trap (`litestream-measured.md` #2): while the lock
//! is held the WAL cannot restart and grows without bound, and every commit gets slower. The
//! cure is to sync promptly and checkpoint often, releasing the lock only for that moment.
//!
//! # Why the barrier
//!
//! A checkpoint needs the read lock released (SQLite refuses to checkpoint inside a
//! transaction). In the gap, a writer could commit frames the engine has not read, a
//! checkpoint could backfill them, and the next writer could restart the WAL over them: those
//! changes would be in the database file but in no LTX file. So, as Litestream does, the
//! engine first syncs, then [`EngineConnection::begin_barrier`] takes the database's single
//! write lock on a second connection (`BEGIN IMMEDIATE` plus `INSERT INTO _litestream_lock`,
//! never committed), syncs again (now nothing can commit), releases the read lock, runs a
//! PASSIVE checkpoint, re-acquires the read lock, and [`EngineConnection::end_barrier`] rolls
//! the insert back. A second connection is required: the engine's connection is inside its
//! read transaction and could not upgrade it to a write transaction once the WAL has moved on
//! (`SQLITE_BUSY_SNAPSHOT`), and its checkpoint must run outside any transaction. PASSIVE does
//! not need the write lock; FULL, RESTART and TRUNCATE do, so they are refused under the
//! barrier (they would only wait for our own lock and report busy).
//!
//! After the checkpoint, [`EngineConnection::bump_seq`] writes one row: if the checkpoint
//! backfilled every frame, that write restarts the WAL with new salts (salt-1 + 1, a fresh
//! salt-2), so the WAL stays small.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, FileControl, OpenFlags};

use super::Result;
use super::checkpoint::{CheckpointMode, CheckpointResult};
use super::db_file::DbFile;
use super::error::SqliteError;
use super::wal_header::WAL_HEADER_SIZE;

/// Creates Litestream's sequence table, bumped to force WAL restarts after checkpoints.
pub const CREATE_SEQ_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);";
/// Creates Litestream's lock table, used only by never-committed barrier inserts (always empty).
pub const CREATE_LOCK_TABLE: &str = "CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER);";
/// The statement that starts and pins the read lock.
pub const READ_LOCK_QUERY: &str = "SELECT COUNT(1) FROM _litestream_seq";
/// Litestream's "bump seq" write.
pub const BUMP_SEQ: &str = "INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET seq = seq + 1";
/// The barrier's write, rolled back by [`EngineConnection::end_barrier`].
pub const BARRIER_INSERT: &str = "INSERT INTO _litestream_lock (id) VALUES (1)";

/// The engine's connection to one database, initialised as Litestream's `db.go init` does.
///
/// Not `Sync`: one task owns it. Dropping it rolls back the barrier and the read lock.
#[derive(Debug)]
pub struct EngineConnection {
    // Fields drop in declaration order: both SQLite connections close before the database
    // file handle, whose close releases the process's POSIX locks on the file.
    /// Second connection, opened on first use, for the barrier and for writes made while
    /// the read lock is held.
    aux: Option<Connection>,
    barrier: bool,
    /// A third connection, for [`EngineConnection::hold_pin`].
    pin: Option<Connection>,
    pinned: bool,
    conn: Connection,
    read_lock: bool,
    db_file: DbFile,
    path: PathBuf,
    wal_path: PathBuf,
    page_size: u32,
    busy_timeout: Duration,
}

impl EngineConnection {
    /// Opens an existing database and initialises it exactly as Litestream does: busy timeout,
    /// `PRAGMA wal_autocheckpoint = 0` (this connection only), `SQLITE_FCNTL_PERSIST_WAL = 1`,
    /// the long-lived read-only file handle, `PRAGMA journal_mode = wal` (must answer `wal`),
    /// both `_litestream_*` tables, and the page size. Never creates the database.
    pub fn open(db_path: impl AsRef<Path>, busy_timeout: Duration) -> Result<EngineConnection> {
        let path = db_path.as_ref().to_path_buf();
        match std::fs::metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SqliteError::DatabaseMissing { path });
            }
            Err(e) => return Err(SqliteError::io("inspecting database", &path, e)),
        }
        let conn = open_connection(&path, busy_timeout)?;
        let db_file = DbFile::open(&path)?;

        let mode: String = conn
            .query_row("PRAGMA journal_mode = wal", [], |r| r.get(0))
            .map_err(sq("PRAGMA journal_mode = wal", &path))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SqliteError::JournalMode { path, found: mode });
        }
        conn.execute_batch(CREATE_SEQ_TABLE)
            .map_err(sq("creating _litestream_seq", &path))?;
        conn.execute_batch(CREATE_LOCK_TABLE)
            .map_err(sq("creating _litestream_lock", &path))?;
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(sq("PRAGMA page_size", &path))?;
        let page_size = u32::try_from(page_size)
            .ok()
            .filter(|p| p.is_power_of_two() && (512..=65536).contains(p))
            .ok_or_else(|| SqliteError::Pragma {
                path: path.clone(),
                pragma: "page_size",
                expected: "a power of two from 512 to 65536",
                found: page_size.to_string(),
            })?;
        let mut wal_path = OsString::from(path.as_os_str());
        wal_path.push("-wal");
        Ok(EngineConnection {
            aux: None,
            barrier: false,
            pin: None,
            pinned: false,
            conn,
            read_lock: false,
            db_file,
            path,
            wal_path: PathBuf::from(wal_path),
            page_size,
            busy_timeout,
        })
    }

    /// The database's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The WAL's path (`<database>-wal`).
    pub fn wal_path(&self) -> &Path {
        &self.wal_path
    }

    /// The page size read at open (`PRAGMA page_size`; later changes are not tracked, as in Litestream).
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The busy timeout both connections use.
    pub fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    /// The long-lived read-only handle on the database file (for page reads).
    pub fn db_file(&self) -> &DbFile {
        &self.db_file
    }

    /// Starts the long-held read transaction (`BEGIN` + `SELECT COUNT(1) FROM _litestream_seq`);
    /// does nothing if it is already held.
    pub fn acquire_read_lock(&mut self) -> Result<()> {
        if self.read_lock {
            return Ok(());
        }
        let path = &self.path;
        if !self.conn.is_autocommit() {
            // A previous failure left a transaction open; start from a clean state.
            self.conn
                .execute_batch("ROLLBACK")
                .map_err(|e| SqliteError::sqlite("ROLLBACK before acquiring read lock", path, e))?;
        }
        self.conn
            .execute_batch("BEGIN")
            .map_err(|e| SqliteError::sqlite("BEGIN (read lock)", path, e))?;
        match self
            .conn
            .query_row(READ_LOCK_QUERY, [], |r| r.get::<_, i64>(0))
        {
            Ok(_) => {
                self.read_lock = true;
                Ok(())
            }
            Err(e) => {
                // The SELECT error is the one worth reporting; a failed ROLLBACK here is
                // retried by the next acquire (see the autocommit check above).
                let _ignored = self.conn.execute_batch("ROLLBACK");
                Err(SqliteError::sqlite("SELECT (read lock)", path, e))
            }
        }
    }

    /// Ends the long-held read transaction; does nothing if it is not held.
    pub fn release_read_lock(&mut self) -> Result<()> {
        if !self.read_lock {
            return Ok(());
        }
        let result = self.conn.execute_batch("ROLLBACK");
        self.read_lock = !self.conn.is_autocommit();
        result.map_err(|e| SqliteError::sqlite("ROLLBACK (read lock)", &self.path, e))
    }

    /// True while the long-held read transaction is open.
    pub fn holds_read_lock(&self) -> bool {
        self.read_lock
    }

    /// Increments `_litestream_seq` in its own committed transaction (on the second connection
    /// while the read lock is held). Refused while the barrier is held.
    pub fn bump_seq(&mut self) -> Result<()> {
        if self.barrier {
            return Err(self.state_error(
                "bump _litestream_seq",
                "the checkpoint barrier is held",
                "end the barrier first; the write would wait for it",
            ));
        }
        let path = self.path.clone();
        let conn = if self.read_lock {
            self.aux()?
        } else {
            &self.conn
        };
        conn.execute(BUMP_SEQ, [])
            .map(|_| ())
            .map_err(|e| SqliteError::sqlite("bumping _litestream_seq", &path, e))
    }

    /// Bumps `_litestream_seq` if the WAL is missing or shorter than its 32-byte header, so a
    /// WAL with a valid header exists afterwards; returns whether it wrote.
    pub fn ensure_wal_exists(&mut self) -> Result<bool> {
        match std::fs::metadata(&self.wal_path) {
            Ok(m) if m.len() >= WAL_HEADER_SIZE => return Ok(false),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SqliteError::io("inspecting WAL", &self.wal_path, e)),
        }
        self.bump_seq()?;
        Ok(true)
    }

    /// Runs `PRAGMA wal_checkpoint(MODE)` on the engine's connection. The read lock must be
    /// released first; under the barrier only PASSIVE is allowed.
    pub fn checkpoint(&mut self, mode: CheckpointMode) -> Result<CheckpointResult> {
        if self.read_lock {
            return Err(self.state_error(
                "checkpoint",
                "the read lock is held",
                "release_read_lock() first; SQLite cannot checkpoint inside a transaction",
            ));
        }
        if self.barrier && mode != CheckpointMode::Passive {
            return Err(self.state_error(
                "run a FULL, RESTART or TRUNCATE checkpoint",
                "the checkpoint barrier is held",
                "these modes wait for the write lock the barrier holds; use PASSIVE or end the barrier",
            ));
        }
        self.conn
            .query_row(mode.pragma(), [], |r| {
                Ok(CheckpointResult {
                    busy: r.get::<_, i64>(0)? != 0,
                    log_frames: r.get(1)?,
                    checkpointed_frames: r.get(2)?,
                })
            })
            .map_err(|e| SqliteError::sqlite(mode.pragma(), &self.path, e))
    }

    /// Takes the database's write lock on the second connection (`BEGIN IMMEDIATE` plus
    /// `INSERT INTO _litestream_lock`, never committed), waiting up to the busy timeout for
    /// other writers; does nothing if already held. No one else can commit until
    /// [`EngineConnection::end_barrier`].
    pub fn begin_barrier(&mut self) -> Result<()> {
        if self.barrier {
            return Ok(());
        }
        let path = self.path.clone();
        let aux = self.aux()?;
        if !aux.is_autocommit() {
            aux.execute_batch("ROLLBACK")
                .map_err(|e| SqliteError::sqlite("ROLLBACK before barrier", &path, e))?;
        }
        aux.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| SqliteError::sqlite("BEGIN IMMEDIATE (barrier)", &path, e))?;
        if let Err(e) = aux.execute(BARRIER_INSERT, []) {
            let _ignored = aux.execute_batch("ROLLBACK");
            return Err(SqliteError::sqlite(
                "INSERT INTO _litestream_lock",
                &path,
                e,
            ));
        }
        self.barrier = true;
        Ok(())
    }

    /// Rolls the barrier back (leaving `_litestream_lock` empty); does nothing if not held.
    pub fn end_barrier(&mut self) -> Result<()> {
        if !self.barrier {
            return Ok(());
        }
        let (open, result) = roll_back(self.aux.as_ref(), "ROLLBACK (barrier)", &self.path);
        self.barrier = open;
        result
    }

    /// True while the barrier's write transaction is open.
    pub fn holds_barrier(&self) -> bool {
        self.barrier
    }

    /// Pins the WAL on a third connection too: a read transaction there, at the WAL's current
    /// end. With it held, the main connection may release its read lock and run a PASSIVE
    /// checkpoint that backfills up to this newer mark while writers go on committing, and no
    /// writer can restart the WAL until [`EngineConnection::release_pin`] (a restart needs every
    /// read mark free), whatever that checkpoint backfilled.
    pub fn hold_pin(&mut self) -> Result<()> {
        if self.pinned {
            return Ok(());
        }
        let path = self.path.clone();
        let pin = match self.pin.take() {
            Some(pin) => pin,
            None => open_connection(&path, self.busy_timeout)?,
        };
        let pin = self.pin.insert(pin);
        if !pin.is_autocommit() {
            pin.execute_batch("ROLLBACK")
                .map_err(|e| SqliteError::sqlite("ROLLBACK before pin", &path, e))?;
        }
        pin.execute_batch("BEGIN")
            .map_err(|e| SqliteError::sqlite("BEGIN (pin)", &path, e))?;
        if let Err(e) = pin.query_row(READ_LOCK_QUERY, [], |r| r.get::<_, i64>(0)) {
            let _ignored = pin.execute_batch("ROLLBACK");
            return Err(SqliteError::sqlite("SELECT (pin)", &path, e));
        }
        self.pinned = true;
        Ok(())
    }

    /// Releases the pin [`EngineConnection::hold_pin`] took.
    pub fn release_pin(&mut self) -> Result<()> {
        if !self.pinned {
            return Ok(());
        }
        let (open, result) = roll_back(self.pin.as_ref(), "ROLLBACK (pin)", &self.path);
        self.pinned = open;
        result
    }

    /// True while [`EngineConnection::hold_pin`]'s read transaction is open.
    pub fn holds_pin(&self) -> bool {
        self.pinned
    }

    /// Ends the barrier and the read lock and closes both connections, reporting any error
    /// (dropping does the same silently). The engine's connection closes last, so with
    /// `PERSIST_WAL` the WAL file is kept even if no other connection is open.
    pub fn close(mut self) -> Result<()> {
        self.end_barrier()?;
        self.release_pin()?;
        self.release_read_lock()?;
        if let Some(aux) = self.aux.take() {
            aux.close().map_err(|(_, e)| {
                SqliteError::sqlite("closing barrier connection", &self.path, e)
            })?;
        }
        if let Some(pin) = self.pin.take() {
            pin.close()
                .map_err(|(_, e)| SqliteError::sqlite("closing pin connection", &self.path, e))?;
        }
        let EngineConnection {
            conn,
            db_file,
            path,
            ..
        } = self;
        conn.close()
            .map_err(|(_, e)| SqliteError::sqlite("closing connection", &path, e))?;
        drop(db_file);
        Ok(())
    }

    /// The second connection, opened with the same settings on first use.
    fn aux(&mut self) -> Result<&Connection> {
        let aux = match self.aux.take() {
            Some(aux) => aux,
            None => {
                let mut aux = open_connection(&self.path, self.busy_timeout)?;
                // SQLite's own busy handler sleeps 1–100 ms between attempts, and a writer in a
                // tight loop is never seen without its lock in that rhythm: the barrier would
                // starve and checkpoints never run. Retry at once instead, yielding the core,
                // for about the busy timeout.
                aux.busy_handler(Some(spin_while_busy))
                    .map_err(sq("installing the barrier's busy handler", &self.path))?;
                aux
            }
        };
        Ok(self.aux.insert(aux))
    }

    fn state_error(
        &self,
        operation: &'static str,
        state: &'static str,
        hint: &'static str,
    ) -> SqliteError {
        SqliteError::InvalidState {
            path: self.path.clone(),
            operation,
            state,
            hint,
        }
    }
}

/// Rolls back the transaction open on `conn` (if there is a connection); returns whether a
/// transaction is still open afterwards, and the rollback's outcome.
fn roll_back(
    conn: Option<&Connection>,
    operation: &'static str,
    path: &Path,
) -> (bool, Result<()>) {
    let Some(conn) = conn else {
        return (false, Ok(()));
    };
    let result = conn.execute_batch("ROLLBACK");
    (
        !conn.is_autocommit(),
        result.map_err(|e| SqliteError::sqlite(operation, path, e)),
    )
}

/// Attempts before the barrier connection gives up on a busy lock: each attempt is one
/// lock syscall plus a yield, so this is on the order of the 1 s default busy timeout.
const BUSY_SPIN_ATTEMPTS: i32 = 200_000;

/// Busy handler of the barrier connection: retry immediately (yielding) until the bound.
fn spin_while_busy(attempts: i32) -> bool {
    if attempts >= BUSY_SPIN_ATTEMPTS {
        return false;
    }
    std::thread::yield_now();
    true
}

/// Maps a rusqlite error to [`SqliteError::Sqlite`] for `operation` on `path`.
fn sq<'a>(operation: &'static str, path: &'a Path) -> impl Fn(rusqlite::Error) -> SqliteError + 'a {
    move |e| SqliteError::sqlite(operation, path, e)
}

/// Opens a read-write connection (never creating the file) with the busy timeout,
/// autocheckpoint disabled and `SQLITE_FCNTL_PERSIST_WAL` set (checked by reading it back).
fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sq("opening database", path))?;
    conn.busy_timeout(busy_timeout)
        .map_err(sq("setting busy_timeout", path))?;
    let autocheckpoint: i64 = conn
        .query_row("PRAGMA wal_autocheckpoint = 0", [], |r| r.get(0))
        .map_err(sq("PRAGMA wal_autocheckpoint = 0", path))?;
    if autocheckpoint != 0 {
        return Err(SqliteError::Pragma {
            path: path.to_path_buf(),
            pragma: "wal_autocheckpoint",
            expected: "0",
            found: autocheckpoint.to_string(),
        });
    }
    set_persist_wal(&conn, path)?;
    Ok(conn)
}

/// Sets `SQLITE_FCNTL_PERSIST_WAL = 1` on the main database (rusqlite's safe `file_control`
/// wrapper), then reads it back: a WAL the engine is still reading must survive the last
/// connection closing.
fn set_persist_wal(conn: &Connection, path: &Path) -> Result<()> {
    let mut on: i32 = 1;
    conn.file_control(Some("main"), FileControl::PersistWal(&mut on))
        .map_err(sq("setting SQLITE_FCNTL_PERSIST_WAL", path))?;
    let mut query: i32 = -1;
    conn.file_control(Some("main"), FileControl::PersistWal(&mut query))
        .map_err(sq("reading SQLITE_FCNTL_PERSIST_WAL", path))?;
    if query != 1 {
        return Err(SqliteError::PersistWal {
            path: path.to_path_buf(),
            found: query,
        });
    }
    Ok(())
}
