//! The `ltx` timeline is windowed: on a `file://` replica of 100,000 L0 files, a window of a
//! few files reads only those few (counted by the replica client's operation metrics, not by
//! wall-clock), pages on with its cursor, finds a time bound by binary search, and crosses
//! levels. A second test checks on a smaller replica, for the `file` and the object-store
//! (in-memory) listing paths, that paging through any window gives exactly the files a full
//! listing filtered by hand gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid};
use ltx_tui::ops::{self, LtxParams, LtxResult, ReplicaTarget};
use ltx_tui::storage::{
    LtxFileInfo, OperationKind, ReplicaClient, ReplicaEnv, ReplicaSpec, format_rfc3339_nano,
    parse_rfc3339,
};

const FILES: u64 = 100_000;
/// L0 file `t` has mtime `BASE_SECS + t` seconds.
const BASE_SECS: u64 = 1_700_000_000;
/// These L0 files are valid LTX files (the others are empty), for page counts.
const VALID: std::ops::RangeInclusive<u64> = 50_000..=50_009;
/// Snapshots at level 9.
const SNAPSHOTS: [u64; 4] = [25_000, 50_000, 75_000, 100_000];

fn name(min: u64, max: u64) -> String {
    FileName::new(Txid(min), Txid(max)).to_string()
}

fn mtime(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A one-page LTX file for `min..=max` (3 pages when it is a snapshot).
fn ltx_bytes(min: u64, max: u64) -> Vec<u8> {
    let pages = if min == 1 { 3 } else { 1 };
    let header = Header::new(512, pages, Txid(min), Txid(max), 1_000);
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for pgno in 1..=pages {
        enc.encode_page(pgno, &[pgno as u8; 512]).unwrap();
    }
    enc.finish(Checksum::ZERO).unwrap().0
}

fn write_file(path: &Path, bytes: &[u8], secs: u64) {
    let f = File::create(path).unwrap();
    if !bytes.is_empty() {
        std::io::Write::write_all(&mut &f, bytes).unwrap();
    }
    f.set_modified(mtime(secs)).unwrap();
}

/// `<dir>/replica`: 100,000 single-TXID L0 files (empty except [`VALID`]) and four snapshots.
fn build_big_replica(dir: &Path) -> std::path::PathBuf {
    let replica = dir.join("replica");
    let l0 = replica.join("ltx/0");
    let l9 = replica.join("ltx/9");
    fs::create_dir_all(&l0).unwrap();
    fs::create_dir_all(&l9).unwrap();
    for t in 1..=FILES {
        let bytes = if VALID.contains(&t) {
            ltx_bytes(t, t)
        } else {
            Vec::new()
        };
        write_file(&l0.join(name(t, t)), &bytes, BASE_SECS + t);
    }
    for max in SNAPSHOTS {
        write_file(&l9.join(name(1, max)), &ltx_bytes(1, max), BASE_SECS + max);
    }
    // Not LTX files: ignored by every listing.
    fs::write(l0.join("notes.txt"), b"x").unwrap();
    replica
}

fn target(replica: &Path) -> ReplicaTarget {
    let spec = ReplicaSpec::file(replica.display().to_string());
    ReplicaTarget {
        client: ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap(),
        url: format!("file://{}", replica.display()),
        db_path: None,
    }
}

fn counts(target: &ReplicaTarget) -> (u64, u64) {
    let m = target.client.metrics().snapshot();
    (
        m.get(OperationKind::Get).total,
        m.get(OperationKind::List).total,
    )
}

fn txids(result: &LtxResult) -> Vec<(u8, u64, u64)> {
    result
        .files
        .iter()
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0))
        .collect()
}

fn hex(t: u64) -> String {
    Txid(t).to_string()
}

fn rfc3339(secs: u64) -> String {
    DateTime::<Utc>::from(mtime(secs)).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_of_a_100k_file_replica_reads_only_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let replica = build_big_replica(dir.path());

    // A TXID window of 10 files in the middle, with page counts.
    let t = target(&replica);
    let params = LtxParams {
        min_txid: Some(hex(50_000)),
        limit: Some(10),
        page_count: true,
        ..LtxParams::default()
    };
    let page = ops::ltx_on(&t, &params).await.unwrap();
    let want: Vec<(u8, u64, u64)> = VALID.map(|t| (0, t, t)).collect();
    assert_eq!(txids(&page), want);
    assert_eq!(
        page.next.as_deref(),
        Some("0/000000000000c359-000000000000c359")
    );
    for f in &page.files {
        assert_eq!((f.page_count, f.commit), (Some(1), Some(1)), "{f:?}");
        assert_eq!(
            f.created_at,
            DateTime::<Utc>::from(mtime(BASE_SECS + f.min_txid.0))
        );
    }
    let (gets, lists) = counts(&t);
    // One HEAD per file returned plus one to see that more follow; at most three ranged reads
    // per page count (header, trailer, index); no listing of 100,000 objects.
    assert_eq!(lists, 0, "the file backend reads names, not a listing");
    assert!(
        (11..=11 + 3 * 10).contains(&gets),
        "{gets} GET/HEAD requests for a 10-file window"
    );

    // The next page, from the cursor, without page counts: 11 HEADs exactly.
    let t = target(&replica);
    let next = ops::ltx_on(
        &t,
        &LtxParams {
            cursor: page.next.clone(),
            limit: Some(10),
            ..LtxParams::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        txids(&next),
        (50_010..50_020).map(|t| (0, t, t)).collect::<Vec<_>>()
    );
    assert_eq!(counts(&t), (11, 0));

    // A time window: the start is found by binary search (about log2(100,000) = 17 HEADs).
    let t = target(&replica);
    let since = ops::ltx_on(
        &t,
        &LtxParams {
            since: Some(rfc3339(BASE_SECS + 70_000)),
            until: Some(rfc3339(BASE_SECS + 70_002)),
            limit: Some(5),
            ..LtxParams::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        txids(&since),
        vec![
            (0, 70_000, 70_000),
            (0, 70_001, 70_001),
            (0, 70_002, 70_002)
        ]
    );
    assert_eq!(since.next, None);
    let (gets, _) = counts(&t);
    assert!(gets <= 18 + 4, "{gets} HEADs for a time window");

    // A bounded TXID range ends the window by itself.
    let t = target(&replica);
    let range = ops::ltx_on(
        &t,
        &LtxParams {
            min_txid: Some(hex(10)),
            max_txid: Some(hex(12)),
            ..LtxParams::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(txids(&range), vec![(0, 10, 10), (0, 11, 11), (0, 12, 12)]);
    assert_eq!(range.next, None);
    assert_eq!(counts(&t), (3, 0));

    // All levels: the end of level 0, then the snapshots, paged.
    let t = target(&replica);
    let all = ops::ltx_on(
        &t,
        &LtxParams {
            level: Some("all".into()),
            cursor: Some(format!("0/{}-{}", hex(99_998), hex(99_998))),
            limit: Some(4),
            ..LtxParams::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        txids(&all),
        vec![
            (0, 99_999, 99_999),
            (0, 100_000, 100_000),
            (9, 1, 25_000),
            (9, 1, 50_000)
        ]
    );
    let rest = ops::ltx_on(
        &t,
        &LtxParams {
            level: Some("all".into()),
            cursor: all.next.clone(),
            limit: Some(4),
            ..LtxParams::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(txids(&rest), vec![(9, 1, 75_000), (9, 1, 100_000)]);
    assert_eq!(rest.next, None);
}

/// Every file of `all` inside the window, by brute force.
fn expected(all: &[LtxFileInfo], params: &LtxParams) -> Vec<(u8, u64, u64)> {
    let from = params
        .min_txid
        .as_deref()
        .map(|t| t.parse::<Txid>().unwrap());
    let to = params
        .max_txid
        .as_deref()
        .map(|t| t.parse::<Txid>().unwrap());
    let since = params.since.as_deref().map(|t| parse_rfc3339(t).unwrap());
    let until = params.until.as_deref().map(|t| parse_rfc3339(t).unwrap());
    let level = params.level.as_deref().unwrap_or("0");
    all.iter()
        .filter(|f| level == "all" || f.level.to_string() == level)
        .filter(|f| from.is_none_or(|t| f.max_txid >= t))
        .filter(|f| to.is_none_or(|t| f.min_txid <= t))
        .filter(|f| since.is_none_or(|t| f.created_at >= t))
        .filter(|f| until.is_none_or(|t| f.created_at <= t))
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0))
        .collect()
}

/// Pages through the window `limit` files at a time.
async fn paged(target: &ReplicaTarget, params: &LtxParams, limit: usize) -> Vec<(u8, u64, u64)> {
    let mut got = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let page = ops::ltx_on(
            target,
            &LtxParams {
                cursor: cursor.clone(),
                limit: Some(limit),
                ..params.clone()
            },
        )
        .await
        .unwrap();
        assert!(page.files.len() <= limit);
        got.extend(txids(&page));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return got,
        }
    }
    panic!("paging did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_any_window_gives_the_filtered_full_listing_on_file_and_object_stores() {
    let dir = tempfile::tempdir().unwrap();
    let file = target(&dir.path().join("replica"));
    let memory = ReplicaTarget {
        client: ReplicaClient::new(&ReplicaSpec::memory("db"), &ReplicaEnv::empty()).unwrap(),
        url: "memory://db".into(),
        db_path: None,
    };
    // L0 1..=120, L1 in tens, L9 snapshots every 40; header timestamps grow with the TXID.
    let mut files: Vec<(u8, u64, u64)> = (1..=120).map(|t| (0, t, t)).collect();
    files.extend((0..12).map(|i| (1, i * 10 + 1, i * 10 + 10)));
    files.extend([40, 80, 120].map(|m| (9, 1, m)));
    let ms = |t: u64| ((BASE_SECS + t) * 1000) as i64;
    for (level, min, max) in &files {
        let name = FileName::new(Txid(*min), Txid(*max));
        let bytes = Bytes::from(ltx_bytes(*min, *max));
        for t in [&file, &memory] {
            t.client
                .write_ltx(*level, name, bytes.clone(), ms(*max))
                .await
                .unwrap();
        }
    }
    for t in [&file, &memory] {
        let all = t.client.list_all().await.unwrap();
        assert_eq!(all.len(), files.len(), "{}", t.url);
        // Time bounds from this replica's own CreatedAt (the in-memory store uses write times).
        let created = |txid: u64| {
            let f = all
                .iter()
                .find(|f| f.level == 0 && f.min_txid == Txid(txid))
                .unwrap();
            format_rfc3339_nano(f.created_at)
        };
        let windows = [
            LtxParams::default(),
            LtxParams {
                level: Some("all".into()),
                ..LtxParams::default()
            },
            LtxParams {
                level: Some("1".into()),
                min_txid: Some(hex(35)),
                max_txid: Some(hex(71)),
                ..LtxParams::default()
            },
            LtxParams {
                level: Some("all".into()),
                min_txid: Some(hex(50)),
                ..LtxParams::default()
            },
            LtxParams {
                level: Some("all".into()),
                since: Some(created(60)),
                until: Some(created(90)),
                ..LtxParams::default()
            },
            LtxParams {
                level: Some("9".into()),
                min_txid: Some(hex(100)),
                ..LtxParams::default()
            },
        ];
        for params in &windows {
            let want = expected(&all, params);
            assert!(!want.is_empty(), "window {params:?} selects nothing");
            for limit in [1, 7, 1000] {
                assert_eq!(
                    paged(t, params, limit).await,
                    want,
                    "{} window {params:?}, pages of {limit}",
                    t.url
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_window_parameters_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let ctx = ops::OpsContext::new(
        ltx_tui::config::LoadOptions::new(dir.path()),
        ReplicaEnv::empty(),
    );
    for (params, param) in [
        (
            LtxParams {
                level: Some("10".into()),
                ..LtxParams::default()
            },
            "level",
        ),
        (
            LtxParams {
                min_txid: Some("12".into()),
                ..LtxParams::default()
            },
            "min_txid",
        ),
        (
            LtxParams {
                since: Some("yesterday".into()),
                ..LtxParams::default()
            },
            "since",
        ),
        (
            LtxParams {
                cursor: Some("nope".into()),
                ..LtxParams::default()
            },
            "cursor",
        ),
    ] {
        let err = ops::ltx(
            &ctx,
            &LtxParams {
                path: url.clone(),
                ..params
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains(param), "{err}");
    }
}
