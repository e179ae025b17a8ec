//! A database larger than 1 GiB has a lock page (the page holding SQLite's PENDING_BYTE) that
//! LTX never stores: our L0 files skip it in snapshots and increments, restores write it as
//! zeros, and both our merge and the real `litestream restore` rebuild the database exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs::File;
use std::io::{BufReader, Read};

use ltx_tui::engine::{DbSync, SyncSettings};
use ltx_tui::ltx::{CompactOptions, Decoder, FileName, Txid, compact, decode_file, lock_pgno};
use support::litestream::{file_url, restore_ok_with};
use support::peers;
use support::replica_layout::write_file_replica;
use support::sqlite_db::TestDb;

const PAGE_SIZE: u32 = 65536;

/// Compares two files page by page without holding either in memory.
fn assert_same_pages(a: &std::path::Path, b: &std::path::Path) {
    let (mut fa, mut fb) = (
        BufReader::new(File::open(a).unwrap()),
        BufReader::new(File::open(b).unwrap()),
    );
    let (mut pa, mut pb) = (vec![0u8; PAGE_SIZE as usize], vec![0u8; PAGE_SIZE as usize]);
    let mut pgno = 0u32;
    loop {
        pgno += 1;
        let na = fa.read(&mut pa).unwrap();
        let nb = fb.read(&mut pb).unwrap();
        if na == 0 && nb == 0 {
            break;
        }
        if na < pa.len() {
            fa.read_exact(&mut pa[na..]).unwrap();
        }
        if nb < pb.len() {
            fb.read_exact(&mut pb[nb..]).unwrap();
        }
        assert!(
            pa == pb,
            "page {pgno} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn a_database_past_one_gib_replicates_and_restores_around_the_lock_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create_in(dir.path(), PAGE_SIZE);
    db.execute_batch("CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB);");
    // 1100 rows of 1 MiB: the database passes 1 GiB, so the lock page exists.
    db.execute_batch(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1100)
         INSERT INTO big(b) SELECT zeroblob(1048576) FROM c;",
    );
    let lock = lock_pgno(PAGE_SIZE);
    let settings = SyncSettings {
        checkpoint_interval: None,
        min_checkpoint_page_count: 0,
        truncate_page_n: 0,
        ..SyncSettings::default()
    };
    let mut sync = DbSync::new(db.path.clone(), None, settings).unwrap();
    let first = sync.sync().unwrap();
    assert_eq!(first.files.len(), 1);
    assert!(
        first.files[0].commit > lock,
        "commit {} must pass the lock page {lock}",
        first.files[0].commit
    );

    // Change rows on both sides of the lock page, then grow and shrink.
    db.execute_batch("UPDATE big SET b = randomblob(300) WHERE id IN (1, 1050); DELETE FROM big WHERE id > 1080;");
    let second = sync.sync().unwrap();
    assert_eq!(second.files.len(), 1);
    assert_eq!(second.files[0].snapshot, None);

    let l0 = sync.meta().l0_dir();
    let paths: Vec<_> = (1..=2u64)
        .map(|t| l0.join(FileName::new(Txid(t), Txid(t)).to_string()))
        .collect();
    for path in &paths {
        let decoded = decode_file(BufReader::new(File::open(path).unwrap())).unwrap();
        assert!(
            decoded.pages.iter().all(|(f, _)| f.pgno != lock),
            "{} stores the lock page",
            path.display()
        );
    }

    // Our merge, materialised: identical to the source file, lock page zeros.
    sync.close().unwrap();
    db.checkpoint_truncate();
    let inputs = paths
        .iter()
        .map(|p| Decoder::new(BufReader::new(File::open(p).unwrap())).unwrap())
        .collect();
    let merged_path = dir.path().join("merged.ltx");
    let (out, header, _) = compact(
        inputs,
        std::io::BufWriter::new(File::create(&merged_path).unwrap()),
        CompactOptions::default(),
    )
    .unwrap();
    drop(out);
    assert!(header.is_snapshot() && header.commit > lock);
    let ours = dir.path().join("ours.db");
    Decoder::new(BufReader::new(File::open(&merged_path).unwrap()))
        .unwrap()
        .decode_database_to(std::io::BufWriter::new(File::create(&ours).unwrap()))
        .unwrap();
    assert_same_pages(&ours, &db.path);

    // The real Litestream restores the same replica to the same bytes.
    let replica = dir.path().join("replica");
    let files: Vec<(u8, String, Vec<u8>, i64)> = paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let ts = decode_file(bytes.as_slice())
                .unwrap()
                .summary
                .header
                .timestamp;
            (
                0,
                p.file_name().unwrap().to_string_lossy().into_owned(),
                bytes,
                ts,
            )
        })
        .collect();
    write_file_replica(&replica, &files);
    let restored = dir.path().join("litestream.db");
    restore_ok_with(&peers::litestream(), &file_url(&replica), &restored, None);
    assert_same_pages(&restored, &db.path);
}
