//! Files ltx-tui writes are accepted by the real Litestream 0.5.17: a `file://` replica made of
//! our own LTX files (an L0 snapshot, L0 increments through growth and a VACUUM shrink, an L1
//! file from our compactor, an L9 snapshot) is listed by `litestream ltx` and restored by
//! `litestream restore` at every TXID to exactly the source database at that TXID.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Cursor;
use std::path::Path;

use ltx_tui::ltx::{Checksum, CompactOptions, Decoder, Encoder, FileName, Header, Txid, compact};
use support::litestream::{file_url, ltx_list_json, restore_ok_with};
use support::peers;
use support::replica_layout::write_file_replica;

const PAGE_SIZE: usize = 4096;
const BASE_MS: i64 = 1_795_000_000_000;

fn pages_of(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .unwrap()
        .chunks(PAGE_SIZE)
        .map(<[u8]>::to_vec)
        .collect()
}

/// One LTX file: all pages for a snapshot, else the pages that differ from `prev` or lie
/// beyond its end.
fn encode_step(prev: Option<&[Vec<u8>]>, now: &[Vec<u8>], min: u64, max: u64, ts: i64) -> Vec<u8> {
    let header = Header::new(PAGE_SIZE as u32, now.len() as u32, Txid(min), Txid(max), ts);
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for (i, page) in now.iter().enumerate() {
        let changed = prev.is_none_or(|p| p.get(i) != Some(page));
        if changed {
            enc.encode_page(i as u32 + 1, page).unwrap();
        }
    }
    enc.finish(Checksum::ZERO).unwrap().0
}

fn run_workload_step(conn: &rusqlite::Connection, step: usize) {
    let sql = match step {
        1 => "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, n INTEGER);
              WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300)
              INSERT INTO notes(body, n) SELECT printf('note %d %s', x, hex(randomblob(40))), x FROM c;",
        2 => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000)
              INSERT INTO notes(body, n) SELECT printf('grow %d %s', x, hex(randomblob(60))), x FROM c;
              CREATE INDEX notes_n ON notes(n);",
        3 => "UPDATE notes SET body = body || ' edited' WHERE id % 7 = 0;",
        4 => "DELETE FROM notes WHERE id > 150; VACUUM;",
        _ => "INSERT INTO notes(body, n) VALUES ('after vacuum', -1), ('last', -2);",
    };
    conn.execute_batch(sql).unwrap();
}

#[test]
fn litestream_lists_and_restores_a_replica_written_by_ltx_tui() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("source.db");
    let conn = rusqlite::Connection::open(&db_path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size={PAGE_SIZE}; PRAGMA journal_mode=DELETE;"
    ))
    .unwrap();

    // Five steps; after each, the database file is the whole truth (rollback journal mode).
    let mut states: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut files: Vec<(u8, String, Vec<u8>, i64)> = Vec::new();
    for step in 1..=5usize {
        run_workload_step(&conn, step);
        let now = pages_of(&db_path);
        let ts = BASE_MS + step as i64 * 1000;
        let bytes = encode_step(
            states.last().map(Vec::as_slice),
            &now,
            step as u64,
            step as u64,
            ts,
        );
        files.push((
            0,
            FileName::new(Txid(step as u64), Txid(step as u64)).to_string(),
            bytes,
            ts,
        ));
        states.push(now);
    }
    assert!(
        states[3].len() < states[2].len(),
        "VACUUM must shrink the database"
    );

    // L1: our compaction of L0 1..=3. L9: a snapshot of the final state.
    let inputs = files[..3]
        .iter()
        .map(|(_, _, b, _)| Decoder::new(Cursor::new(b.clone())).unwrap())
        .collect();
    let (l1, l1_header, _) = compact(inputs, Vec::new(), CompactOptions::default()).unwrap();
    assert!(l1_header.is_snapshot());
    files.push((
        1,
        FileName::new(Txid(1), Txid(3)).to_string(),
        l1,
        l1_header.timestamp,
    ));
    let l9 = encode_step(None, &states[4], 1, 5, BASE_MS + 6000);
    files.push((
        9,
        FileName::new(Txid(1), Txid(5)).to_string(),
        l9,
        BASE_MS + 6000,
    ));

    let replica = dir.path().join("replica");
    write_file_replica(&replica, &files);
    let url = file_url(&replica);

    // `litestream ltx` lists exactly our files with our sizes.
    let mut listed: Vec<(u8, u64, u64, u64)> = ltx_list_json(&url)
        .into_iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    listed.sort();
    let mut expected: Vec<(u8, u64, u64, u64)> = files
        .iter()
        .map(|(level, name, bytes, _)| {
            let n: FileName = name.parse().unwrap();
            (*level, n.min_txid.0, n.max_txid.0, bytes.len() as u64)
        })
        .collect();
    expected.sort();
    assert_eq!(listed, expected);

    // `litestream restore` at every TXID and at the latest gives the source, byte for byte.
    let litestream = peers::litestream();
    for txid in (1..=5u64).map(Some).chain([None]) {
        let out = dir.path().join(format!("restored-{txid:?}.db"));
        restore_ok_with(&litestream, &url, &out, txid);
        let want = &states[txid.unwrap_or(5) as usize - 1];
        let got = pages_of(&out);
        assert_eq!(got.len(), want.len(), "page count at txid {txid:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                g == w,
                "page {} differs after restoring txid {txid:?}",
                i + 1
            );
        }
        let restored = rusqlite::Connection::open(&out).unwrap();
        let check: String = restored
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "integrity_check at txid {txid:?}");
    }
}
