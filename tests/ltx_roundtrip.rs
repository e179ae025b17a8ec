//! Property tests: encode → decode round trips over random page sets, page sizes and TXID
//! ranges; compaction against a straightforward model; random access through the index.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Cursor;

use ltx_tui::ltx::{
    Checksum, CompactOptions, Decoder, Encoder, Header, SeekRangeReader, Txid, compact,
    decode_file, lock_pgno, read_page, read_page_index,
};
use proptest::prelude::*;

/// Page contents shaped like SQLite pages: a header-ish prefix, repetitive cells, zero tail.
fn page_bytes(page_size: u32, pgno: u32, seed: u64) -> Vec<u8> {
    let mut page = vec![0u8; page_size as usize];
    let mut x = seed ^ (u64::from(pgno) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    let fill = (x % page_size as u64) as usize;
    for (i, b) in page.iter_mut().enumerate().take(fill) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *b = if i % 16 < 8 {
            (x >> 56) as u8
        } else {
            b'a' + (i % 26) as u8
        };
    }
    page
}

fn encode(header: Header, pages: &BTreeMap<u32, Vec<u8>>) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for (pgno, data) in pages {
        enc.encode_page(*pgno, data).unwrap();
    }
    enc.finish(Checksum::ZERO).unwrap().0
}

fn page_size_strategy() -> impl Strategy<Value = u32> {
    (9u32..=16).prop_map(|shift| 1u32 << shift)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn incremental_files_round_trip(
        page_size in page_size_strategy(),
        pgnos in proptest::collection::btree_set(1u32..400, 0..40),
        min in 2u64..u64::MAX / 2,
        span in 0u64..1000,
        seed in any::<u64>(),
        timestamp in 0i64..4_102_444_800_000,
    ) {
        let commit = pgnos.iter().max().copied().unwrap_or(1).max(1) + (seed % 5) as u32;
        let pages: BTreeMap<u32, Vec<u8>> =
            pgnos.iter().map(|&p| (p, page_bytes(page_size, p, seed))).collect();
        let header = Header::new(page_size, commit, Txid(min), Txid(min + span), timestamp);
        let bytes = encode(header, &pages);
        let decoded = decode_file(Cursor::new(&bytes)).unwrap();
        prop_assert_eq!(decoded.summary.header, header);
        prop_assert_eq!(decoded.pages.len(), pages.len());
        for ((frame, data), (pgno, expected)) in decoded.pages.iter().zip(&pages) {
            prop_assert_eq!(frame.pgno, *pgno);
            prop_assert_eq!(data, expected);
        }
        prop_assert_eq!(decoded.summary.file_size, bytes.len() as u64);
        prop_assert_eq!(decoded.summary.index_entries, pages.len() as u64);

        // Random access finds every page and nothing else.
        let mut ra = SeekRangeReader(Cursor::new(&bytes));
        let view = read_page_index(&mut ra).unwrap();
        prop_assert_eq!(view.entries.len(), pages.len());
        for (pgno, expected) in &pages {
            let page = read_page(&mut ra, &view, *pgno).unwrap();
            prop_assert_eq!(page.as_ref(), Some(expected));
        }
        prop_assert_eq!(read_page(&mut ra, &view, commit + 1).unwrap(), None);
    }

    #[test]
    fn snapshots_round_trip_and_materialise(
        page_size in page_size_strategy(),
        commit in 1u32..64,
        max in 1u64..10_000,
        seed in any::<u64>(),
    ) {
        let pages: BTreeMap<u32, Vec<u8>> =
            (1..=commit).map(|p| (p, page_bytes(page_size, p, seed))).collect();
        let header = Header::new(page_size, commit, Txid(1), Txid(max), 1);
        let bytes = encode(header, &pages);
        let (db, summary) = Decoder::new(Cursor::new(&bytes)).unwrap().decode_database_to(Vec::new()).unwrap();
        prop_assert_eq!(summary.page_count, u64::from(commit));
        let expected: Vec<u8> = pages.values().flatten().copied().collect();
        prop_assert_eq!(db, expected);
    }

    #[test]
    fn compaction_equals_latest_page_wins_model(
        page_size in prop_oneof![Just(512u32), Just(4096u32)],
        files in proptest::collection::vec(
            (proptest::collection::btree_set(1u32..60, 0..12), 1u32..70, 1u64..4),
            1..6,
        ),
        seed in any::<u64>(),
    ) {
        let mut inputs = Vec::new();
        let mut model: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
        let mut next_txid = 2u64;
        let mut commit = 1;
        for (i, (pgnos, file_commit, span)) in files.iter().enumerate() {
            commit = (*file_commit).max(pgnos.iter().max().copied().unwrap_or(1));
            let pages: BTreeMap<u32, Vec<u8>> = pgnos
                .iter()
                .map(|&p| (p, page_bytes(page_size, p, seed ^ i as u64)))
                .collect();
            for (p, d) in &pages {
                model.insert(*p, d.clone());
            }
            let header = Header::new(page_size, commit, Txid(next_txid), Txid(next_txid + span - 1), 1000 + i as i64);
            next_txid += span;
            inputs.push(encode(header, &pages));
        }
        model.retain(|p, _| *p <= commit);
        let decoders = inputs.iter().map(|b| Decoder::new(Cursor::new(b.as_slice())).unwrap()).collect();
        let (out, header, _) = compact(decoders, Vec::new(), CompactOptions::default()).unwrap();
        prop_assert_eq!(header.min_txid, Txid(2));
        prop_assert_eq!(header.max_txid, Txid(next_txid - 1));
        prop_assert_eq!(header.commit, commit);
        prop_assert_eq!(header.timestamp, 1000 + files.len() as i64 - 1);
        let decoded = decode_file(Cursor::new(&out)).unwrap();
        let got: BTreeMap<u32, Vec<u8>> = decoded.pages.into_iter().map(|(f, d)| (f.pgno, d)).collect();
        prop_assert_eq!(got, model);
    }
}

/// Checks a materialised database as it streams by, without holding 1 GiB in memory.
struct LockPageCheck {
    page_size: usize,
    lock: u32,
    written: usize,
    lock_page_zero: bool,
    other_pages_seven: bool,
}

impl std::io::Write for LockPageCheck {
    // `decode_database_to` writes one whole page per call; compare pages with memcmp.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        assert_eq!(buf.len(), self.page_size, "one page per write");
        let pgno = (self.written / self.page_size) as u32 + 1;
        let fill = if pgno == self.lock { 0 } else { 7 };
        let ok = buf == vec![fill; self.page_size].as_slice();
        if pgno == self.lock {
            self.lock_page_zero &= ok;
        } else {
            self.other_pages_seven &= ok;
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn snapshot_skips_the_lock_page_and_materialises_it_as_zeros() {
    let page_size = 65536;
    let lock = lock_pgno(page_size);
    let commit = lock + 2;
    let header = Header::new(page_size, commit, Txid(1), Txid(1), 0);
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    let data = vec![7u8; page_size as usize];
    assert!(
        enc.encode_page(lock, &data).is_err(),
        "the lock page must be refused"
    );
    for pgno in (1..=commit).filter(|p| *p != lock) {
        enc.encode_page(pgno, &data).unwrap();
    }
    let bytes = enc.finish(Checksum::ZERO).unwrap().0;
    let sink = LockPageCheck {
        page_size: page_size as usize,
        lock,
        written: 0,
        lock_page_zero: true,
        other_pages_seven: true,
    };
    let (sink, summary) = Decoder::new(Cursor::new(&bytes))
        .unwrap()
        .decode_database_to(sink)
        .unwrap();
    assert_eq!(summary.page_count, u64::from(commit) - 1);
    assert_eq!(sink.written, commit as usize * page_size as usize);
    assert!(sink.lock_page_zero && sink.other_pages_seven);
}

#[test]
fn compaction_of_a_snapshot_and_increments_is_a_snapshot_and_drops_pages_above_commit() {
    let ps = 512;
    let snap: BTreeMap<u32, Vec<u8>> = (1..=5).map(|p| (p, vec![p as u8; ps as usize])).collect();
    let a = encode(Header::new(ps, 5, Txid(1), Txid(1), 1), &snap);
    let grow: BTreeMap<u32, Vec<u8>> = [(2, vec![20; 512]), (6, vec![60; 512])].into();
    let b = encode(Header::new(ps, 6, Txid(2), Txid(2), 2), &grow);
    let shrink: BTreeMap<u32, Vec<u8>> = [(1, vec![10; 512])].into();
    let c = encode(Header::new(ps, 3, Txid(3), Txid(3), 3), &shrink);
    let decs = [&a, &b, &c]
        .iter()
        .map(|x| Decoder::new(Cursor::new(x.as_slice())).unwrap())
        .collect();
    let (out, header, _) = compact(decs, Vec::new(), CompactOptions::default()).unwrap();
    assert!(header.is_snapshot());
    assert_eq!((header.commit, header.timestamp), (3, 3));
    let (db, _) = Decoder::new(Cursor::new(&out))
        .unwrap()
        .decode_database_to(Vec::new())
        .unwrap();
    let pages: Vec<u8> = db.chunks(512).map(|p| p[0]).collect();
    assert_eq!(pages, vec![10, 20, 3]);
}
