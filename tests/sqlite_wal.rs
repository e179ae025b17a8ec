//! The WAL reader against real SQLite: a writer connection (WAL mode, autocheckpoint off)
//! commits transactions, and `WalSegment` must see exactly the committed frames, commit sizes
//! and salts that SQLite itself recognises. Where a WAL is altered (byte order rewritten,
//! frames corrupted or cut), SQLite's own recovery on a copy is the referee: it must recover
//! exactly the transactions the reader accepted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ltx_tui::sqlite::{
    DbFile, FrameHeader, SqliteError, WAL_MAGIC_BE, WalByteOrder, WalFile, WalHeader, WalNotReady,
    WalSegment, WalStop, frame_size,
};
use rusqlite::Connection;

/// A writer like an application's: WAL mode, autocheckpoint off, so the WAL only grows.
struct Writer {
    conn: Connection,
    path: PathBuf,
    wal: PathBuf,
}

impl Writer {
    fn create(dir: &Path, page_size: u32) -> Writer {
        let path = dir.join("app.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA page_size = {page_size};
             PRAGMA journal_mode = WAL;
             PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB);"
        ))
        .unwrap();
        let ps: u32 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ps, page_size);
        let wal = dir.join("app.db-wal");
        Writer { conn, path, wal }
    }

    /// One transaction inserting `rows` rows of `size` random bytes.
    fn tx(&self, rows: usize, size: usize) {
        self.conn.execute_batch("BEGIN").unwrap();
        for _ in 0..rows {
            self.conn
                .execute(
                    "INSERT INTO t (body) VALUES (randomblob(?1))",
                    [size as i64],
                )
                .unwrap();
        }
        self.conn.execute_batch("COMMIT").unwrap();
    }

    fn page_count(&self) -> u32 {
        self.conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap()
    }

    fn rows(&self) -> i64 {
        count_rows(&self.conn)
    }

    /// `PRAGMA wal_checkpoint(MODE)` on the writer: (busy, log, checkpointed).
    fn checkpoint(&self, mode: &str) -> (i64, i64, i64) {
        self.conn
            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
    }

    fn read(&self, start: u64, salts: Option<(u32, u32)>, max: u64) -> WalSegment {
        let wal = WalFile::open(&self.wal).unwrap();
        WalSegment::read(&wal, start, salts, max).unwrap()
    }
}

fn count_rows(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .unwrap()
}

/// Every complete frame in a WAL, parsed without any validation: (offset, header).
fn raw_frames(bytes: &[u8], page_size: u32) -> Vec<(u64, FrameHeader)> {
    let fs = frame_size(page_size) as usize;
    let mut out = Vec::new();
    let mut off = 32;
    while off + fs <= bytes.len() {
        let h: [u8; 24] = bytes[off..off + 24].try_into().unwrap();
        out.push((off as u64, FrameHeader::decode(&h)));
        off += fs;
    }
    out
}

/// Litestream's page map computed naively from raw frames up to `end`.
fn naive_page_map(frames: &[(u64, FrameHeader)], end: u64) -> (BTreeMap<u32, u64>, Option<u32>) {
    let mut map = BTreeMap::new();
    let mut tx = Vec::new();
    let mut commit = None;
    for &(off, h) in frames.iter().take_while(|(off, _)| *off < end) {
        tx.push((h.pgno, off));
        if h.commit != 0 {
            map.extend(tx.drain(..));
            commit = Some(h.commit);
        }
    }
    if let Some(c) = commit {
        map.retain(|&p, _| p <= c);
    }
    (map, commit)
}

/// Opens a copy of the database plus `wal_bytes` as its WAL (no -shm: SQLite recovers the
/// WAL from scratch) and returns SQLite's row count and page count.
fn sqlite_recovers(src_db: &Path, wal_bytes: &[u8], dir: &Path) -> (i64, u32) {
    let db = dir.join("copy.db");
    std::fs::copy(src_db, &db).unwrap();
    std::fs::write(dir.join("copy.db-wal"), wal_bytes).unwrap();
    let conn = Connection::open(&db).unwrap();
    let rows = count_rows(&conn);
    let pages = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    (rows, pages)
}

#[test]
fn committed_frames_match_sqlite_for_each_page_size() {
    for page_size in [512u32, 4096, 65536] {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::create(dir.path(), page_size);
        for (rows, size) in [(1, 10), (5, 300), (3, 5000), (1, 70000), (20, 100)] {
            w.tx(rows, size);
        }
        let seg = w.read(32, None, 0);
        let bytes = std::fs::read(&w.wal).unwrap();
        let header = WalHeader::decode(&bytes, &w.wal).unwrap();
        let fs = frame_size(page_size);

        assert_eq!(seg.page_size, page_size);
        assert_eq!(seg.header, header);
        assert_eq!(seg.salts, header.salts());
        assert_eq!(seg.stop, WalStop::EndOfFile, "page size {page_size}");
        assert_eq!(seg.end_offset, bytes.len() as u64);
        assert_eq!(seg.valid_end, seg.end_offset);
        assert_eq!(seg.commit, Some(w.page_count()));
        assert!(!seg.limited);

        // Independent view of the same bytes: every frame has the header's salts, and the page
        // map computed naively agrees.
        let frames = raw_frames(&bytes, page_size);
        assert!(frames.iter().all(|(_, h)| h.salts() == header.salts()));
        let commits = frames.iter().filter(|(_, h)| h.commit != 0).count() as u64;
        // Table creation plus five transactions.
        assert_eq!(seg.transactions, commits);
        assert!(commits >= 6, "{commits}");
        let (naive, naive_commit) = naive_page_map(&frames, seg.end_offset);
        assert_eq!(seg.pages, naive);
        assert_eq!(seg.commit, naive_commit);

        // SQLite's view: its checkpoint counts the same frames, and afterwards the database
        // file holds exactly the page images the segment points at.
        let (busy, log, done) = w.checkpoint("PASSIVE");
        assert_eq!((busy, log, done), (0, seg.committed_frames() as i64, log));
        assert_eq!(seg.committed_frames(), (seg.end_offset - 32) / fs);
        let wal = WalFile::open(&w.wal).unwrap();
        let db = DbFile::open(&w.path).unwrap();
        assert_eq!(db.page_size().unwrap(), page_size);
        assert_eq!(Some(db.page_count(page_size).unwrap()), seg.commit);
        let mut from_wal = vec![0u8; page_size as usize];
        let mut from_db = vec![0u8; page_size as usize];
        for &pgno in seg.pages.keys() {
            assert!(seg.read_page(&wal, pgno, &mut from_wal).unwrap());
            db.read_page(pgno, page_size, &mut from_db).unwrap();
            assert!(
                from_wal == from_db,
                "page {pgno} differs (page size {page_size})"
            );
        }
    }
}

#[test]
fn resuming_continues_the_checksum_chain() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), 4096);
    w.tx(3, 1000);
    let first = w.read(32, None, 0);
    w.tx(2, 9000);
    w.tx(1, 10);
    let next = w.read(first.end_offset, Some(first.salts), 0);
    assert_eq!(next.start_offset, first.end_offset);
    assert_eq!(next.salts, first.salts);
    assert_eq!(next.transactions, 2);
    assert_eq!(next.commit, Some(w.page_count()));
    assert_eq!(next.stop, WalStop::EndOfFile);
    assert_eq!(next.end_offset, std::fs::metadata(&w.wal).unwrap().len());
    // The resumed map is the full map restricted to frames after the resume point.
    let full = w.read(32, None, 0);
    let resumed: BTreeMap<u32, u64> = full
        .pages
        .iter()
        .filter(|&(_, &off)| off >= first.end_offset)
        .map(|(&p, &o)| (p, o))
        .collect();
    assert_eq!(next.pages, resumed);
    // Nothing new: an empty segment that starts and ends at the resume point.
    let idle = w.read(next.end_offset, Some(next.salts), 0);
    assert!(idle.is_empty());
    assert_eq!(
        (idle.start_offset, idle.end_offset),
        (next.end_offset, next.end_offset)
    );
    assert_eq!(idle.size(), 0);
}

#[test]
fn frames_of_an_open_transaction_are_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), 4096);
    w.tx(2, 100);
    let before = w.read(32, None, 0);
    let committed_len = std::fs::metadata(&w.wal).unwrap().len();

    // A tiny page cache makes SQLite spill dirty pages of the open transaction into the WAL.
    w.conn
        .execute_batch("PRAGMA cache_size = 10; BEGIN")
        .unwrap();
    for _ in 0..300 {
        w.conn
            .execute("INSERT INTO t (body) VALUES (randomblob(3000))", [])
            .unwrap();
    }
    let spilled_len = std::fs::metadata(&w.wal).unwrap().len();
    assert!(
        spilled_len > committed_len,
        "SQLite spilled frames of the open transaction into the WAL ({committed_len} -> {spilled_len})"
    );

    let during = w.read(32, None, 0);
    assert_eq!(during.commit, before.commit);
    assert_eq!(during.pages, before.pages);
    assert_eq!(during.end_offset, before.end_offset);
    assert!(during.uncommitted_frames() > 0);
    assert_eq!(
        during.valid_end, spilled_len,
        "the spilled frames do verify"
    );
    let resumed = w.read(before.end_offset, Some(before.salts), 0);
    assert!(resumed.is_empty());
    assert_eq!(resumed.end_offset, before.end_offset);
    // The spilled frames are not commit frames.
    let bytes = std::fs::read(&w.wal).unwrap();
    let frames = raw_frames(&bytes, 4096);
    assert!(
        frames
            .iter()
            .filter(|(off, _)| *off >= before.end_offset)
            .all(|(_, h)| h.commit == 0)
    );

    w.conn.execute_batch("COMMIT").unwrap();
    let after = w.read(before.end_offset, Some(before.salts), 0);
    assert_eq!(after.commit, Some(w.page_count()));
    assert_eq!(after.transactions, 1);
    assert_eq!(after.end_offset, std::fs::metadata(&w.wal).unwrap().len());
    assert_eq!(after.uncommitted_frames(), 0);
}

#[test]
fn restart_and_truncate_change_salts_and_break_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), 4096);
    for _ in 0..5 {
        w.tx(4, 2000);
    }
    let old = w.read(32, None, 0);
    let old_len = std::fs::metadata(&w.wal).unwrap().len();

    let (busy, log, done) = w.checkpoint("RESTART");
    assert_eq!(busy, 0);
    assert_eq!(log, done);
    // The checkpoint itself does not touch the WAL file; the next writer restarts it.
    assert_eq!(w.read(32, None, 0).header, old.header);
    w.tx(1, 10);
    let new = w.read(32, None, 0);
    assert_eq!(new.header.salt1, old.header.salt1.wrapping_add(1));
    assert_ne!(new.header.salt2, old.header.salt2);
    assert_eq!(new.header.checkpoint_seq, old.header.checkpoint_seq + 1);
    assert_eq!(new.salts, new.header.salts());
    assert_eq!(new.transactions, 1);
    // The old frames behind the new ones carry the old salts: reading stops there.
    assert_eq!(new.stop, WalStop::SaltMismatch);
    assert_eq!(
        std::fs::metadata(&w.wal).unwrap().len(),
        old_len,
        "RESTART keeps the file size"
    );

    // Resuming at the old end: the previous frame is still an old-salt frame, so the resume
    // itself is accepted, finds nothing, and the new header salts reveal the restart.
    let stale = w.read(old.end_offset, Some(old.salts), 0);
    assert!(stale.is_empty());
    assert_ne!(stale.header.salts(), old.salts);

    // Once new frames reach past the old end, the resume is refused.
    while std::fs::metadata(&w.wal).unwrap().len() <= old_len {
        w.tx(4, 2000);
    }
    let wal = WalFile::open(&w.wal).unwrap();
    let e = WalSegment::read(&wal, old.end_offset, Some(old.salts), 0).unwrap_err();
    match e {
        SqliteError::PrevFrameMismatch {
            expected, found, ..
        } => {
            assert_eq!(expected, old.salts);
            assert_eq!(found, Some(new.salts));
        }
        other => panic!("expected PrevFrameMismatch, got {other}"),
    }
    // Reading from 32 with the old salts names the restart too.
    let e = WalSegment::read(&wal, 32, Some(old.salts), 0).unwrap_err();
    assert!(matches!(e, SqliteError::HeaderSaltMismatch { .. }), "{e}");

    // TRUNCATE empties the file: not ready until a writer writes a new header.
    let before_truncate = w.read(32, None, 0);
    let (busy, _, _) = w.checkpoint("TRUNCATE");
    assert_eq!(busy, 0);
    assert_eq!(std::fs::metadata(&w.wal).unwrap().len(), 0);
    let e = WalSegment::read(&wal, 32, None, 0).unwrap_err();
    assert!(
        matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::Short { len: 0 },
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_retryable());
    w.tx(1, 10);
    let fresh = w.read(32, None, 0);
    assert_eq!(
        fresh.header.salt1,
        before_truncate.header.salt1.wrapping_add(1)
    );
    assert_ne!(fresh.header.salt2, before_truncate.header.salt2);
    assert_eq!(fresh.stop, WalStop::EndOfFile);
    // The old end lies beyond the truncated file: the previous frame is missing.
    let e = WalSegment::read(
        &wal,
        before_truncate.end_offset,
        Some(before_truncate.salts),
        0,
    )
    .unwrap_err();
    assert!(
        matches!(e, SqliteError::PrevFrameMismatch { found: None, .. }),
        "{e}"
    );
}

#[test]
fn page_reads_detect_an_overwritten_wal() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), 4096);
    w.tx(3, 3000);
    let seg = w.read(32, None, 0);
    // The page whose latest copy sits in the earliest frame.
    let (pgno, off) = seg
        .pages
        .iter()
        .map(|(&p, &o)| (p, o))
        .min_by_key(|&(_, o)| o)
        .unwrap();
    w.checkpoint("RESTART");
    // The restarted WAL is written over the old frames, past `off`.
    w.tx(3, 3000);
    w.tx(3, 3000);
    let wal = WalFile::open(&w.wal).unwrap();
    let mut buf = vec![0u8; 4096];
    let e = seg.read_page(&wal, pgno, &mut buf).unwrap_err();
    let index = (off - 32) / frame_size(4096);
    assert!(
        matches!(e, SqliteError::FrameChanged { field: "salt1", offset, frame_index, .. } if offset == off && frame_index == index),
        "{e}"
    );
}

#[test]
fn vacuum_shrinks_the_commit_and_drops_pages_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), 4096);
    w.tx(300, 2000);
    let big = w.page_count();
    w.conn.execute_batch("DELETE FROM t WHERE id > 10").unwrap();
    w.conn.execute_batch("VACUUM").unwrap();
    let small = w.page_count();
    assert!(small < big / 4, "{small} vs {big}");

    let seg = w.read(32, None, 0);
    assert_eq!(seg.commit, Some(small));
    assert!(seg.pages.keys().all(|&p| p <= small));
    let bytes = std::fs::read(&w.wal).unwrap();
    let frames = raw_frames(&bytes, 4096);
    assert!(
        frames.iter().any(|(_, h)| h.pgno > small),
        "earlier transactions wrote pages above the final size"
    );
    assert!(frames.iter().any(|(_, h)| h.commit == big));
    // Applying the map on top of the pre-WAL database gives SQLite's post-checkpoint file.
    let (busy, _, _) = w.checkpoint("PASSIVE");
    assert_eq!(busy, 0);
    let db = DbFile::open(&w.path).unwrap();
    assert_eq!(db.page_count(4096).unwrap(), small);
    let wal = WalFile::open(&w.wal).unwrap();
    let (mut a, mut b) = (vec![0u8; 4096], vec![0u8; 4096]);
    for pgno in 1..=small {
        if seg.read_page(&wal, pgno, &mut a).unwrap() {
            db.read_page(pgno, 4096, &mut b).unwrap();
            assert!(a == b, "page {pgno}");
        }
    }
    let e = db.read_page(small + 1, 4096, &mut b).unwrap_err();
    assert!(matches!(e, SqliteError::PageOutOfRange { .. }), "{e}");
}

/// Rewrites a little-endian WAL as the big-endian variant: magic 0x377f0683 and every
/// checksum recomputed with big-endian words.
fn to_big_endian(bytes: &[u8], page_size: u32) -> Vec<u8> {
    let h = WalHeader::decode(bytes, Path::new("le")).unwrap();
    assert_eq!(h.byte_order, WalByteOrder::Little);
    let be = WalHeader::new(
        WalByteOrder::Big,
        page_size,
        h.checkpoint_seq,
        h.salt1,
        h.salt2,
    );
    let mut out = be.encode().to_vec();
    let mut seed = be.checksum();
    let ps = page_size as usize;
    for (off, fh) in raw_frames(bytes, page_size) {
        let page = &bytes[off as usize + 24..off as usize + 24 + ps];
        let sealed = FrameHeader::sealed(
            WalByteOrder::Big,
            seed,
            fh.pgno,
            fh.commit,
            fh.salts(),
            page,
        );
        seed = sealed.checksum();
        out.extend_from_slice(&sealed.encode());
        out.extend_from_slice(page);
    }
    out
}

#[test]
fn big_endian_wal_parses_and_sqlite_agrees() {
    for page_size in [512u32, 65536] {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::create(dir.path(), page_size);
        for i in 0..4 {
            w.tx(3 + i, 700);
        }
        let le = std::fs::read(&w.wal).unwrap();
        let be = to_big_endian(&le, page_size);
        assert_eq!(
            u32::from_be_bytes(be[..4].try_into().unwrap()),
            WAL_MAGIC_BE
        );
        assert_ne!(be, le);

        let copy_dir = tempfile::tempdir().unwrap();
        let be_path = copy_dir.path().join("be.db-wal");
        std::fs::write(&be_path, &be).unwrap();
        let seg_be = WalSegment::read(&WalFile::open(&be_path).unwrap(), 32, None, 0).unwrap();
        let seg_le = w.read(32, None, 0);
        assert_eq!(seg_be.header.byte_order, WalByteOrder::Big);
        assert_eq!(seg_be.pages, seg_le.pages);
        assert_eq!(seg_be.commit, seg_le.commit);
        assert_eq!(seg_be.end_offset, le.len() as u64);
        assert_eq!(seg_be.stop, WalStop::EndOfFile);

        // SQLite recovers the big-endian WAL completely (all rows live only in the WAL).
        let (rows, pages) = sqlite_recovers(&w.path, &be, copy_dir.path());
        assert_eq!(rows, w.rows());
        assert_eq!(Some(pages), seg_be.commit);
    }
}

/// Frame offsets of commit frames in a WAL.
fn commit_offsets(bytes: &[u8], page_size: u32) -> Vec<u64> {
    raw_frames(bytes, page_size)
        .into_iter()
        .filter(|(_, h)| h.commit != 0)
        .map(|(off, _)| off)
        .collect()
}

/// A change made to a copy of good WAL bytes.
type Mutation = Box<dyn Fn(&mut Vec<u8>)>;

#[test]
fn corrupt_frames_stop_reading_where_sqlite_stops() {
    let page_size = 1024u32;
    let fs = frame_size(page_size);
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), page_size);
    let mut rows_after = Vec::new();
    for _ in 0..4 {
        w.tx(6, 900);
        rows_after.push(w.rows());
    }
    let good = std::fs::read(&w.wal).unwrap();
    let commits = commit_offsets(&good, page_size);
    // commits[0] is the CREATE TABLE; commits[1..] are the four transactions.
    assert_eq!(commits.len(), 5);
    let tx3_start = commits[2] + fs;
    let tx3_mid = tx3_start + fs;
    assert!(tx3_mid < commits[3], "transaction 3 spans several frames");

    // (name, mutation, expected stop) — each breaks transaction 3 at its second frame.
    let cases: Vec<(&str, Mutation, WalStop)> = vec![
        (
            "flipped page byte",
            Box::new(move |b: &mut Vec<u8>| b[(tx3_mid + 24 + 100) as usize] ^= 0x40),
            WalStop::ChecksumMismatch,
        ),
        (
            "flipped commit field",
            Box::new(move |b: &mut Vec<u8>| b[(tx3_mid + 7) as usize] ^= 1),
            WalStop::ChecksumMismatch,
        ),
        (
            "stored checksum changed",
            Box::new(move |b: &mut Vec<u8>| b[(tx3_mid + 23) as usize] ^= 1),
            WalStop::ChecksumMismatch,
        ),
        (
            "foreign salt",
            Box::new(move |b: &mut Vec<u8>| b[(tx3_mid + 8) as usize] ^= 1),
            WalStop::SaltMismatch,
        ),
        (
            "cut inside the frame",
            Box::new(move |b: &mut Vec<u8>| b.truncate((tx3_mid + 500) as usize)),
            WalStop::ShortFrame,
        ),
    ];
    for (name, mutate, stop) in cases {
        let mut bad = good.clone();
        mutate(&mut bad);
        let copy = tempfile::tempdir().unwrap();
        let wal_path = copy.path().join("bad.db-wal");
        std::fs::write(&wal_path, &bad).unwrap();
        let seg = WalSegment::read(&WalFile::open(&wal_path).unwrap(), 32, None, 0).unwrap();
        assert_eq!(seg.stop, stop, "{name}");
        assert_eq!(
            seg.end_offset, tx3_start,
            "{name}: ends after transaction 2"
        );
        assert_eq!(
            seg.valid_end, tx3_mid,
            "{name}: the first frame of tx 3 verified"
        );
        assert_eq!(seg.uncommitted_frames(), 1, "{name}");
        assert_eq!(seg.transactions, 3, "{name}");
        // SQLite's recovery on the same bytes keeps exactly the same transactions.
        let (rows, pages) = sqlite_recovers(&w.path, &bad, copy.path());
        assert_eq!(
            rows, rows_after[1],
            "{name}: SQLite recovers through transaction 2"
        );
        assert_eq!(Some(pages), seg.commit, "{name}");
    }

    // Corrupting the commit frame of the last transaction drops only that transaction.
    let mut bad = good.clone();
    bad[(commits[4] + 24) as usize] ^= 0xff;
    let copy = tempfile::tempdir().unwrap();
    let wal_path = copy.path().join("bad.db-wal");
    std::fs::write(&wal_path, &bad).unwrap();
    let seg = WalSegment::read(&WalFile::open(&wal_path).unwrap(), 32, None, 0).unwrap();
    assert_eq!(seg.end_offset, commits[3] + fs);
    let (rows, _) = sqlite_recovers(&w.path, &bad, copy.path());
    assert_eq!(rows, rows_after[2]);
}

#[test]
fn max_bytes_stops_after_a_commit_and_chunks_add_up() {
    let page_size = 512u32;
    let fs = frame_size(page_size);
    let dir = tempfile::tempdir().unwrap();
    let w = Writer::create(dir.path(), page_size);
    for i in 0..10 {
        w.tx(1 + i % 3, 400 * (1 + i % 4));
    }
    let full = w.read(32, None, 0);
    let commit_ends: Vec<u64> = commit_offsets(&std::fs::read(&w.wal).unwrap(), page_size)
        .into_iter()
        .map(|o| o + fs)
        .collect();

    let max = 3 * fs;
    let mut merged = BTreeMap::new();
    let (mut offset, mut salts, mut last_commit) = (32, None, None);
    let mut chunks = 0;
    loop {
        let seg = w.read(offset, salts, max);
        if seg.is_empty() {
            assert!(!seg.limited);
            break;
        }
        chunks += 1;
        assert!(
            commit_ends.contains(&seg.end_offset),
            "chunks end at commits"
        );
        if seg.limited {
            assert_eq!(seg.stop, WalStop::MaxBytes);
            assert!(seg.size() >= max);
            // It stopped at the first commit that reached the limit.
            let earlier = commit_ends
                .iter()
                .filter(|&&e| e > offset && e < seg.end_offset)
                .all(|&e| e - offset < max);
            assert!(earlier);
        }
        merged.extend(seg.pages.iter().map(|(&p, &o)| (p, o)));
        (offset, salts, last_commit) = (seg.end_offset, Some(seg.salts), seg.commit);
    }
    assert!(chunks >= 3, "{chunks}");
    assert_eq!(offset, full.end_offset);
    assert_eq!(last_commit, full.commit);
    assert_eq!(merged, full.pages);
}

#[test]
fn header_problems_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db-wal");
    let e = WalFile::open(&missing).unwrap_err();
    assert!(
        matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::Missing,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_retryable());

    let w = Writer::create(dir.path(), 4096);
    w.tx(1, 10);
    let good = std::fs::read(&w.wal).unwrap();
    let check = |bytes: &[u8]| {
        let p = dir.path().join("probe.db-wal");
        std::fs::write(&p, bytes).unwrap();
        WalSegment::read(&WalFile::open(&p).unwrap(), 32, None, 0).unwrap_err()
    };
    let e = check(&good[..20]);
    assert!(
        matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::Short { len: 20 },
                ..
            }
        ),
        "{e}"
    );
    let mut b = good.clone();
    b[20] ^= 1; // salt2 without a matching header checksum
    let e = check(&b);
    assert!(
        matches!(
            e,
            SqliteError::WalNotReady {
                reason: WalNotReady::HeaderChecksum { .. },
                ..
            }
        ),
        "{e}"
    );
    let mut b = good.clone();
    b[..4].copy_from_slice(&0x377f_0681u32.to_be_bytes());
    let e = check(&b);
    assert!(
        matches!(
            e,
            SqliteError::WalHeader {
                field: "magic",
                value: 0x377f_0681,
                ..
            }
        ),
        "{e}"
    );
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("0x377f0681"), "{e}");
}
