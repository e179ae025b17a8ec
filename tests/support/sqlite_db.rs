//! A SQLite database for tests: chosen page size, WAL mode, realistic deterministic
//! workloads, and comparison helpers (canonical dump, integrity check, raw pages).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};

/// Deterministic pseudo-random numbers (SplitMix64), so workloads are reproducible.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`hi` exclusive, `hi > lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.next_u64().is_multiple_of(one_in)
    }
}

const WORDS: &[&str] = &[
    "replica", "snapshot", "ledger", "orbit", "maple", "quartz", "harbor", "signal", "lantern",
    "meadow", "cobalt", "falcon", "tundra", "vector", "willow", "zephyr", "amber", "basalt",
    "cinder", "delta", "ember", "fjord", "granite", "heron",
];

/// A SQLite database in WAL mode with one open connection, plus workload helpers.
///
/// The connection keeps SQLite's default auto-checkpoint; while Litestream runs it holds a
/// read lock, so such checkpoints can only backfill, never restart the WAL.
pub struct TestDb {
    pub path: PathBuf,
    pub page_size: u32,
    conn: Connection,
    rng: Rng,
}

impl TestDb {
    /// Creates a new database at `path` with `PRAGMA page_size = page_size` (set before
    /// `journal_mode = WAL`, which fixes it) and checks both took effect.
    pub fn create(path: &Path, page_size: u32) -> Self {
        assert!(!path.exists(), "{} already exists", path.display());
        let conn = Connection::open(path)
            .unwrap_or_else(|e| panic!("open sqlite db {}: {e}", path.display()));
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch(&format!("PRAGMA page_size = {page_size};"))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "journal_mode");
        let actual: u32 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(actual, page_size, "PRAGMA page_size did not take effect");
        TestDb {
            path: path.to_owned(),
            page_size,
            conn,
            rng: Rng::new(u64::from(page_size) ^ 0x5EED_1234),
        }
    }

    /// Opens an existing WAL database (for example one just restored) as the application.
    pub fn open(path: &Path) -> Self {
        let conn = open_db(path);
        let page_size: u32 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "journal_mode of {}", path.display());
        TestDb {
            path: path.to_owned(),
            page_size,
            conn,
            rng: Rng::new(u64::from(page_size) ^ 0x0FE4_0FE4),
        }
    }

    /// Creates `<dir>/app.db`.
    pub fn create_in(dir: &Path, page_size: u32) -> Self {
        Self::create(&dir.join("app.db"), page_size)
    }

    /// Reseeds the content generator (workloads are deterministic for a given seed).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn execute_batch(&self, sql: &str) {
        self.conn
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Creates a table with a realistic mix of columns, and an index on `name`, in one
    /// transaction (or inside the caller's).
    pub fn create_table(&self, table: &str) {
        self.execute_batch(&format!(
            "SAVEPOINT create_table;
             CREATE TABLE \"{table}\" (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 qty INTEGER,
                 price REAL,
                 note TEXT,
                 payload BLOB
             );
             CREATE INDEX \"{table}_name\" ON \"{table}\"(name);
             RELEASE create_table;"
        ));
    }

    /// Inserts `n` rows of varied content in one transaction (or inside the caller's). Blobs
    /// range from empty to `max_blob` bytes (a mix of compressible and incompressible bytes).
    pub fn insert_rows_sized(&mut self, table: &str, n: usize, max_blob: usize) {
        let tx = self.conn.savepoint().unwrap();
        {
            let mut stmt = tx
                .prepare(&format!(
                    "INSERT INTO \"{table}\" (name, qty, price, note, payload) VALUES (?1, ?2, ?3, ?4, ?5)"
                ))
                .unwrap();
            for _ in 0..n {
                let rng = &mut self.rng;
                let name = format!(
                    "{}-{}-{}",
                    WORDS[rng.range(0, WORDS.len() as u64) as usize],
                    WORDS[rng.range(0, WORDS.len() as u64) as usize],
                    rng.range(0, 100_000)
                );
                let qty: Option<i64> = match rng.range(0, 10) {
                    0 => None,
                    1 => Some(i64::MIN + rng.range(0, 10) as i64),
                    2 => Some(-(rng.range(0, 1000) as i64)),
                    _ => Some(rng.range(0, 1 << 40) as i64),
                };
                let price = rng.range(0, 10_000_000) as f64 / 100.0 + 0.001;
                let note: Option<String> = if rng.chance(5) {
                    None
                } else {
                    let words = rng.range(0, 200) as usize;
                    Some(
                        (0..words)
                            .map(|_| WORDS[rng.range(0, WORDS.len() as u64) as usize])
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                };
                let blob_len = match rng.range(0, 8) {
                    0 => 0,
                    1..=3 => rng.range(1, 64) as usize,
                    4..=6 => rng.range(64, 1024) as usize,
                    _ => rng.range(1024, max_blob.max(1025) as u64) as usize,
                }
                .min(max_blob);
                let compressible = rng.chance(2);
                let mut payload = Vec::with_capacity(blob_len);
                while payload.len() < blob_len {
                    let word = rng.next_u64().to_le_bytes();
                    if compressible {
                        payload.extend_from_slice(&[word[0] % 4; 8]);
                    } else {
                        payload.extend_from_slice(&word);
                    }
                }
                payload.truncate(blob_len);
                stmt.execute(params![name, qty, price, note, payload])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// Inserts `n` rows with blobs of up to 8 KiB.
    pub fn insert_rows(&mut self, table: &str, n: usize) {
        self.insert_rows_sized(table, n, 8 * 1024);
    }

    /// Updates every `one_in`-th row (by id) in one transaction: new qty, price, note and a
    /// resized payload.
    pub fn update_rows(&mut self, table: &str, one_in: u32) {
        let salt = self.rng.range(1, 1000) as i64;
        self.execute_batch(&format!(
            "UPDATE \"{table}\" SET
                 qty = coalesce(qty, 0) + {salt},
                 price = price * 1.5,
                 note = 'updated ' || {salt} || ' ' || coalesce(substr(note, 1, 40), ''),
                 payload = zeroblob(length(payload) / 2 + {salt})
             WHERE id % {one_in} = 0;"
        ));
    }

    /// Deletes every `one_in`-th row (by id) in one transaction.
    pub fn delete_rows(&self, table: &str, one_in: u32) {
        self.execute_batch(&format!("DELETE FROM \"{table}\" WHERE id % {one_in} = 0;"));
    }

    /// Deletes every row whose id is not a multiple of `keep_one_in` (one transaction).
    pub fn delete_most_rows(&self, table: &str, keep_one_in: u32) {
        self.execute_batch(&format!(
            "DELETE FROM \"{table}\" WHERE id % {keep_one_in} != 0;"
        ));
    }

    /// `VACUUM`: rewrites the database, shrinking it after deletes.
    pub fn vacuum(&self) {
        self.execute_batch("VACUUM;");
    }

    pub fn row_count(&self, table: &str) -> u64 {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get(0)
            })
            .unwrap();
        u64::try_from(n).unwrap()
    }

    /// `PRAGMA page_count`: the database size in pages as this connection sees it.
    pub fn page_count(&self) -> u32 {
        self.conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap()
    }

    /// See [`canonical_dump`].
    pub fn canonical_dump(&self) -> String {
        canonical_dump(&self.conn)
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`, asserting it completed: this only succeeds when
    /// nothing else holds the database (stop Litestream first). Afterwards the database file
    /// holds every committed page and the WAL is empty.
    pub fn checkpoint_truncate(&self) {
        let (busy, log, checkpointed): (i64, i64, i64) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(
            (busy, log, checkpointed),
            (0, 0, 0),
            "wal_checkpoint(TRUNCATE) of {} did not complete (busy, log, checkpointed): \
             is another process (Litestream?) still holding the database?",
            self.path.display()
        );
    }

    /// The raw database file as pages, after [`TestDb::checkpoint_truncate`] (so only call
    /// this when nothing else holds the database).
    pub fn pages(&self) -> Vec<Vec<u8>> {
        self.checkpoint_truncate();
        read_pages(&self.path, self.page_size)
    }

    /// Closes the connection (SQLite checkpoints and removes the WAL if it is the last one).
    pub fn close(self) {
        self.conn
            .close()
            .map_err(|(_, e)| e)
            .unwrap_or_else(|e| panic!("close {}: {e}", self.path.display()));
    }
}

/// Opens an existing database read-write (WAL databases need their `-shm`), with a busy
/// timeout.
pub fn open_db(path: &Path) -> Connection {
    assert!(path.is_file(), "{} does not exist", path.display());
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

/// [`canonical_dump`] of the database at `path`.
pub fn canonical_dump_of(path: &Path) -> String {
    canonical_dump(&open_db(path))
}

/// `PRAGMA integrity_check` of the database at `path`, rows joined by newlines (`"ok"` when
/// healthy).
pub fn integrity_check(path: &Path) -> String {
    let conn = open_db(path);
    let mut stmt = conn.prepare("PRAGMA integrity_check").unwrap();
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.join("\n")
}

/// `PRAGMA page_size` of the database at `path`.
pub fn page_size_of(path: &Path) -> u32 {
    open_db(path)
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap()
}

fn is_internal(name: &str) -> bool {
    name.starts_with("sqlite_") || name.starts_with("_litestream_")
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A deterministic text dump of every user object: the schema SQL of tables, indexes, views
/// and triggers (ordered by type and name), then every table's rows ordered by all columns.
/// SQLite internals (`sqlite_*`) and Litestream's bookkeeping tables (`_litestream_*`, which
/// Litestream creates in the user's database) are left out. Integers, reals (shortest
/// round-trip form), text (SQL-quoted) and blobs (`X'..'` hex) are rendered exactly, so two
/// dumps are equal if and only if the user-visible content is.
pub fn canonical_dump(conn: &Connection) -> String {
    let mut out = String::new();
    let mut stmt = conn
        .prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
             ORDER BY type, name",
        )
        .unwrap();
    let objects: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let objects: Vec<_> = objects
        .into_iter()
        .filter(|(_, name, tbl, _)| !is_internal(name) && !is_internal(tbl))
        .collect();
    for (kind, name, _, sql) in &objects {
        writeln!(out, "{kind} {name}: {sql}").unwrap();
    }
    for (kind, name, _, _) in &objects {
        if kind != "table" {
            continue;
        }
        let select = format!("SELECT * FROM {}", quote_ident(name));
        let columns = conn.prepare(&select).unwrap().column_count();
        let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        let mut stmt = conn
            .prepare(&format!("{select} ORDER BY {}", order.join(", ")))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut count = 0u64;
        let mut body = String::new();
        while let Some(row) = rows.next().unwrap() {
            count += 1;
            body.push('(');
            for i in 0..columns {
                if i > 0 {
                    body.push_str(", ");
                }
                match row.get_ref(i).unwrap() {
                    ValueRef::Null => body.push_str("NULL"),
                    ValueRef::Integer(v) => write!(body, "{v}").unwrap(),
                    ValueRef::Real(v) => write!(body, "{v:?}").unwrap(),
                    ValueRef::Text(t) => {
                        write!(body, "'{}'", String::from_utf8_lossy(t).replace('\'', "''"))
                            .unwrap()
                    }
                    ValueRef::Blob(b) => {
                        body.push_str("X'");
                        for byte in b {
                            write!(body, "{byte:02x}").unwrap();
                        }
                        body.push('\'');
                    }
                }
            }
            body.push_str(")\n");
        }
        writeln!(out, "-- {name}: {count} rows").unwrap();
        out.push_str(&body);
    }
    out
}

/// Asserts two canonical dumps are equal; on a mismatch reports the first differing line
/// (dumps hold large blobs, so a full diff would be unreadable).
#[track_caller]
pub fn assert_same_dump(actual: &str, expected: &str, what: &str) {
    if actual == expected {
        return;
    }
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
    let first = a.iter().zip(&e).position(|(x, y)| x != y);
    let clip = |s: &str| -> String { s.chars().take(300).collect() };
    match first {
        Some(i) => panic!(
            "{what}: dumps differ at line {} of {} (expected) / {} (actual)\n expected: {}\n   actual: {}",
            i + 1,
            e.len(),
            a.len(),
            clip(e[i]),
            clip(a[i])
        ),
        None => panic!(
            "{what}: dumps differ in length: {} expected lines, {} actual lines",
            e.len(),
            a.len()
        ),
    }
}

/// The raw database file at `path` split into `page_size` pages (the file must be a whole
/// number of pages). Only the main file is read: checkpoint first if the WAL matters.
pub fn read_pages(path: &Path, page_size: u32) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let page_size = page_size as usize;
    assert_eq!(
        bytes.len() % page_size,
        0,
        "{} is {} bytes, not a whole number of {page_size}-byte pages",
        path.display(),
        bytes.len()
    );
    bytes.chunks(page_size).map(<[u8]>::to_vec).collect()
}
