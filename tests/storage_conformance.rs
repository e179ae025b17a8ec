//! One suite of replica-client behaviours, run against every backend: memory, file (a temp
//! dir), s3 (a real moto server on 127.0.0.1) and abs (a real Azurite on 127.0.0.1). Each
//! behaviour is a plain async function taking a [`Harness`]; the `conformance!` macro turns
//! every (backend, behaviour) pair into its own test, e.g.
//! `s3::missing_file_is_the_typed_not_found`.
//!
//! gs does not run the suite: the only GCS emulator installable here (gcp-storage-emulator
//! 2026.7.19, a real GCS JSON API) lacks the XML API requests `object_store`'s GCS client sends
//! (listing `GET /{bucket}?list-type=2`, `HEAD` and `DELETE` of an object answer 501, and `PUT`
//! and `GET` answers carry no `ETag`, which `object_store` requires). The gs tests below check
//! what can be checked on it: the requests reach the emulator (from `endpoint` or
//! `STORAGE_EMULATOR_HOST`), and every failure names the bucket and the endpoint. Litestream's
//! gs layout and metadata are checked against our gs client in `storage_litestream_layout.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures::TryStreamExt;
use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid, decode_file};
use ltx_tui::storage::{
    FaultControl, FaultPlan, FaultyStore, LtxFileInfo, OperationKind, ReplicaClient, ReplicaEnv,
    ReplicaSpec, StorageError, datetime_from_ms,
};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use support::azurite::AzuriteServer;
use support::gcs_emulator::GcsEmulator;
use support::moto::MotoServer;

const PAGE_SIZE: u32 = 512;
/// 2026-01-02T03:04:05.678Z: far from "now", so a CreatedAt equal to it came from the header.
const BASE_MS: i64 = 1_767_323_045_678;

/// A client over one backend, and whatever keeps that backend alive.
struct Harness {
    client: ReplicaClient,
    spec: ReplicaSpec,
    env: ReplicaEnv,
    _dir: Option<tempfile::TempDir>,
    _moto: Option<MotoServer>,
    _azurite: Option<AzuriteServer>,
}

async fn memory() -> Harness {
    let spec = ReplicaSpec::memory("dbs/app");
    Harness {
        client: ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap(),
        spec,
        env: ReplicaEnv::empty(),
        _dir: None,
        _moto: None,
        _azurite: None,
    }
}

async fn file() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let spec = ReplicaSpec::file(replica.to_str().unwrap());
    Harness {
        client: ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap(),
        spec,
        env: ReplicaEnv::empty(),
        _dir: Some(dir),
        _moto: None,
        _azurite: None,
    }
}

async fn s3() -> Harness {
    let moto = tokio::task::spawn_blocking(|| {
        let mut moto = MotoServer::start();
        moto.create_bucket("ltx-conformance");
        moto
    })
    .await
    .unwrap();
    let spec = moto.s3_spec("ltx-conformance", "dbs/app");
    Harness {
        client: ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap(),
        spec,
        env: ReplicaEnv::empty(),
        _dir: None,
        _moto: Some(moto),
        _azurite: None,
    }
}

async fn abs() -> Harness {
    let azurite = tokio::task::spawn_blocking(|| {
        let azurite = AzuriteServer::start();
        azurite.create_container("ltx-conformance");
        azurite
    })
    .await
    .unwrap();
    let spec = azurite.abs_spec("ltx-conformance", "dbs/app");
    Harness {
        client: ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap(),
        spec,
        env: ReplicaEnv::empty(),
        _dir: None,
        _moto: None,
        _azurite: Some(azurite),
    }
}

fn name(min: u64, max: u64) -> FileName {
    FileName::new(Txid(min), Txid(max))
}

/// A valid LTX file covering `min..=max` with `pages` pages (all of them: a snapshot when
/// `min` is 1), stamped `timestamp_ms`.
fn ltx_bytes(min: u64, max: u64, pages: u32, timestamp_ms: i64) -> Bytes {
    let header = Header::new(PAGE_SIZE, pages, Txid(min), Txid(max), timestamp_ms);
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for pgno in 1..=pages {
        let page: Vec<u8> = (0..PAGE_SIZE)
            .map(|i| (i as u64 * 31 + u64::from(pgno) * 7 + min) as u8)
            .collect();
        enc.encode_page(pgno, &page).unwrap();
    }
    Bytes::from(enc.finish(Checksum::ZERO).unwrap().0)
}

async fn write(h: &Harness, level: u8, min: u64, max: u64, ts: i64) -> (LtxFileInfo, Bytes) {
    let bytes = ltx_bytes(min, max, 3, ts);
    let info = h
        .client
        .write_ltx(level, name(min, max), bytes.clone(), ts)
        .await
        .unwrap();
    (info, bytes)
}

fn ranges(files: &[LtxFileInfo]) -> Vec<(u8, u64, u64)> {
    files
        .iter()
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0))
        .collect()
}

async fn lists_a_level_from_a_seek_txid_sorted_by_range(h: &Harness) {
    for (min, max) in [(5, 5), (1, 1), (3, 4), (2, 2), (6, 9)] {
        write(h, 0, min, max, BASE_MS + min as i64).await;
    }
    write(h, 1, 1, 4, BASE_MS).await;
    let all = h.client.list_ltx_files(0, Txid(0)).await.unwrap();
    assert_eq!(
        ranges(&all),
        [(0, 1, 1), (0, 2, 2), (0, 3, 4), (0, 5, 5), (0, 6, 9)]
    );
    let from_3 = h.client.list_ltx_files(0, Txid(3)).await.unwrap();
    assert_eq!(ranges(&from_3), [(0, 3, 4), (0, 5, 5), (0, 6, 9)]);
    let from_4 = h.client.list_ltx_files(0, Txid(4)).await.unwrap();
    assert_eq!(
        ranges(&from_4),
        [(0, 5, 5), (0, 6, 9)],
        "a file whose min TXID is below the seek is skipped even if it reaches past it"
    );
    assert!(
        h.client
            .list_ltx_files(0, Txid(10))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn skips_names_that_are_not_ltx_files(h: &Harness) {
    let (good, _) = write(h, 0, 1, 1, BASE_MS).await;
    let store = h.client.object_store();
    let layout = h.client.layout();
    let level_dir = layout.level_dir(0);
    let strays = [
        level_dir.clone().join("README"),
        level_dir
            .clone()
            .join("0000000000000002-0000000000000002.ltx.tmp"),
        level_dir
            .clone()
            .join("000000000000000A-000000000000000B.ltx"),
        level_dir.clone().join("0000000000000003-0000000000000003"),
        level_dir
            .clone()
            .join("sub")
            .join("0000000000000004-0000000000000004.ltx"),
        layout
            .levels_parent()
            .join("not-a-level")
            .join("0000000000000005-0000000000000005.ltx"),
    ];
    for key in &strays {
        store
            .put(key, PutPayload::from_static(b"stray"))
            .await
            .unwrap();
    }
    let listed = h.client.list_ltx_files(0, Txid(0)).await.unwrap();
    assert_eq!(ranges(&listed), [(0, 1, 1)]);
    assert_eq!(listed[0].size, good.size);
    assert_eq!(ranges(&h.client.list_all().await.unwrap()), [(0, 1, 1)]);
}

async fn reads_a_whole_file_and_as_a_stream(h: &Harness) {
    let (_, bytes) = write(h, 2, 1, 7, BASE_MS).await;
    let read = h.client.read_ltx(2, name(1, 7)).await.unwrap();
    assert_eq!(read, bytes);
    let decoded = decode_file(&read[..]).unwrap();
    assert_eq!(decoded.summary.header.max_txid, Txid(7));

    let opened = h.client.open_ltx(2, name(1, 7)).await.unwrap();
    assert_eq!(opened.size, bytes.len() as u64);
    let chunks: Vec<Bytes> = opened.stream.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), bytes.to_vec());
    assert_eq!(
        h.client.ltx_size(2, name(1, 7)).await.unwrap(),
        bytes.len() as u64
    );
}

async fn reads_a_byte_range_and_pages_through_the_page_index(h: &Harness) {
    let (_, bytes) = write(h, 0, 1, 1, BASE_MS).await;
    let head = h.client.read_range(0, name(1, 1), 0..4).await.unwrap();
    assert_eq!(&head[..], b"LTX1");
    let middle = h.client.read_range(0, name(1, 1), 100..130).await.unwrap();
    assert_eq!(&middle[..], &bytes[100..130]);
    let past_end = bytes.len() as u64;
    let short = h
        .client
        .read_range(0, name(1, 1), past_end - 2..past_end + 10)
        .await;
    assert!(
        matches!(short, Err(StorageError::ShortRead { got: 2, .. })),
        "a range past the end is a short read: {short:?}"
    );

    let view = h.client.read_page_index(0, name(1, 1)).await.unwrap();
    assert_eq!(view.header.commit, 3);
    assert_eq!(view.entries.len(), 3);
    let decoded = decode_file(&bytes[..]).unwrap();
    for (pgno, data) in decoded.page_data() {
        let page = h
            .client
            .read_page(0, name(1, 1), &view, pgno)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page, data);
    }
    assert_eq!(
        h.client.read_page(0, name(1, 1), &view, 99).await.unwrap(),
        None
    );
}

async fn write_reports_size_and_created_at_from_the_header_timestamp(h: &Harness) {
    let before = Utc::now();
    let (written, bytes) = write(h, 0, 1, 1, BASE_MS).await;
    let after = Utc::now();
    let header_time = datetime_from_ms(BASE_MS).unwrap();
    assert_eq!(written.size, bytes.len() as u64);
    assert_eq!(written.created_at, header_time);

    let listed = h.client.list_ltx_files(0, Txid(0)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, bytes.len() as u64);
    if h.client.replica_type() == "file" {
        assert_eq!(
            listed[0].created_at, header_time,
            "file: CreatedAt is the mtime"
        );
    } else {
        let slack = ChronoDuration::seconds(2);
        let modified: DateTime<Utc> = listed[0].created_at;
        assert!(
            modified >= before - slack && modified <= after + slack,
            "object stores list LastModified: {modified} not within {before}..{after}"
        );
    }
    let with_metadata = h
        .client
        .list_ltx_files_using_metadata(0, Txid(0))
        .await
        .unwrap();
    assert_eq!(with_metadata.len(), 1);
    assert_eq!(with_metadata[0].created_at, header_time);
    assert_eq!(with_metadata[0].size, bytes.len() as u64);
}

async fn overwrite_replaces_bytes_and_size(h: &Harness) {
    write(h, 0, 1, 1, BASE_MS).await;
    let bigger = ltx_bytes(1, 1, 9, BASE_MS + 5_000);
    h.client
        .write_ltx(0, name(1, 1), bigger.clone(), BASE_MS + 5_000)
        .await
        .unwrap();
    assert_eq!(h.client.read_ltx(0, name(1, 1)).await.unwrap(), bigger);
    let listed = h
        .client
        .list_ltx_files_using_metadata(0, Txid(0))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, bigger.len() as u64);
    assert_eq!(
        listed[0].created_at,
        datetime_from_ms(BASE_MS + 5_000).unwrap()
    );
}

async fn delete_removes_only_the_named_files(h: &Harness) {
    for txid in 1..=4 {
        write(h, 0, txid, txid, BASE_MS).await;
    }
    write(h, 1, 1, 2, BASE_MS).await;
    h.client
        .delete_ltx_files(0, &[name(1, 1), name(3, 3), name(42, 42)])
        .await
        .unwrap();
    let left = h.client.list_all().await.unwrap();
    assert_eq!(ranges(&left), [(0, 2, 2), (0, 4, 4), (1, 1, 2)]);
    h.client.delete_ltx_files(0, &[]).await.unwrap();
}

async fn delete_all_empties_every_level(h: &Harness) {
    for level in [0, 1, 9] {
        write(h, level, 1, 1, BASE_MS).await;
    }
    assert_eq!(h.client.list_levels().await.unwrap(), [0, 1, 9]);
    h.client.delete_all().await.unwrap();
    assert!(h.client.list_all().await.unwrap().is_empty());
    for level in [0, 1, 9] {
        assert!(
            h.client
                .list_ltx_files(level, Txid(0))
                .await
                .unwrap()
                .is_empty()
        );
    }
    h.client.delete_all().await.unwrap();
    write(h, 0, 2, 2, BASE_MS).await;
    assert_eq!(ranges(&h.client.list_all().await.unwrap()), [(0, 2, 2)]);
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StorageError>, level: u8, what: &str) {
    match result {
        Err(StorageError::NotFound {
            level: l, name: n, ..
        }) => {
            assert_eq!((l, n), (level, name(7, 8)), "{what}");
        }
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

async fn missing_file_is_the_typed_not_found(h: &Harness) {
    write(h, 3, 1, 1, BASE_MS).await;
    let c = &h.client;
    assert_not_found(c.read_ltx(3, name(7, 8)).await, 3, "read_ltx");
    assert_not_found(
        c.open_ltx(3, name(7, 8)).await.map(|s| s.size),
        3,
        "open_ltx",
    );
    assert_not_found(c.read_range(3, name(7, 8), 0..4).await, 3, "read_range");
    assert_not_found(c.ltx_size(3, name(7, 8)).await, 3, "ltx_size");
    assert_not_found(c.read_page_index(3, name(7, 8)).await, 3, "read_page_index");
    let err = c.read_ltx(3, name(7, 8)).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(err.hint().is_some());
    let text = err.to_string();
    assert!(
        text.contains("level 3") && text.contains("0000000000000007"),
        "{text}"
    );
}

async fn an_empty_or_absent_level_lists_empty(h: &Harness) {
    assert!(h.client.list_all().await.unwrap().is_empty());
    assert!(h.client.list_levels().await.unwrap().is_empty());
    assert!(
        h.client
            .list_ltx_files(0, Txid(0))
            .await
            .unwrap()
            .is_empty()
    );
    write(h, 0, 1, 1, BASE_MS).await;
    assert!(
        h.client
            .list_ltx_files(5, Txid(0))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        h.client
            .list_ltx_files_using_metadata(5, Txid(0))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn list_all_and_list_levels_cover_every_level(h: &Harness) {
    write(h, 9, 1, 10, BASE_MS).await;
    write(h, 0, 10, 10, BASE_MS).await;
    write(h, 0, 9, 9, BASE_MS).await;
    write(h, 1, 1, 8, BASE_MS).await;
    write(h, 1, 9, 10, BASE_MS).await;
    let all = h.client.list_all().await.unwrap();
    assert_eq!(
        ranges(&all),
        [(0, 9, 9), (0, 10, 10), (1, 1, 8), (1, 9, 10), (9, 1, 10)]
    );
    assert_eq!(h.client.list_levels().await.unwrap(), [0, 1, 9]);
}

async fn operations_are_counted_in_the_metrics(h: &Harness) {
    let (info, _) = write(h, 0, 1, 1, BASE_MS).await;
    h.client.list_ltx_files(0, Txid(0)).await.unwrap();
    h.client.read_ltx(0, name(1, 1)).await.unwrap();
    h.client.read_ltx(0, name(2, 2)).await.unwrap_err();
    h.client.delete_ltx_files(0, &[name(1, 1)]).await.unwrap();
    let snap = h.client.metrics().snapshot();
    assert_eq!(snap.replica_type, h.client.replica_type());
    let put = snap.get(OperationKind::Put);
    assert_eq!((put.total, put.bytes), (1, info.size));
    let get = snap.get(OperationKind::Get);
    assert_eq!((get.total, get.bytes), (1, info.size));
    assert_eq!(get.errors.get("NotFound"), Some(&1));
    assert_eq!(snap.get(OperationKind::List).total, 1);
    assert_eq!(snap.get(OperationKind::Delete).total, 1);
    assert_eq!(get.duration.count, 2);
}

async fn injected_faults_surface_as_backend_errors_and_are_counted(h: &Harness) {
    let control = FaultControl::new(11);
    let faulty = ReplicaClient::with_layer(&h.spec, &h.env, |inner| {
        Arc::new(FaultyStore::new(inner, control.clone()))
    })
    .unwrap();
    control.fail_next(OperationKind::Put, 1);
    let bytes = ltx_bytes(1, 1, 3, BASE_MS);
    let err = faulty
        .write_ltx(0, name(1, 1), bytes.clone(), BASE_MS)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Backend { .. }), "{err:?}");
    faulty
        .write_ltx(0, name(1, 1), bytes, BASE_MS)
        .await
        .unwrap();
    control.set_plan(OperationKind::List, FaultPlan::errors(1.0));
    assert!(faulty.list_all().await.is_err());
    control.clear();
    assert_eq!(ranges(&faulty.list_all().await.unwrap()), [(0, 1, 1)]);
    let snap = faulty.metrics().snapshot();
    assert_eq!(
        snap.get(OperationKind::Put).errors.get("InjectedFault"),
        Some(&1)
    );
    assert_eq!(snap.get(OperationKind::Put).total, 1);
    assert_eq!(
        snap.get(OperationKind::List).errors.get("InjectedFault"),
        Some(&1)
    );
    assert_eq!(control.injected_errors(OperationKind::Put), 1);
}

macro_rules! suite {
    ($backend:ident: $($behaviour:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let harness = super::$backend().await;
                    super::$behaviour(&harness).await;
                }
            )*
        }
    };
}

macro_rules! conformance {
    ($($backend:ident),* $(,)?) => {
        $(
            suite!($backend:
                lists_a_level_from_a_seek_txid_sorted_by_range,
                skips_names_that_are_not_ltx_files,
                reads_a_whole_file_and_as_a_stream,
                reads_a_byte_range_and_pages_through_the_page_index,
                write_reports_size_and_created_at_from_the_header_timestamp,
                overwrite_replaces_bytes_and_size,
                delete_removes_only_the_named_files,
                delete_all_empties_every_level,
                missing_file_is_the_typed_not_found,
                an_empty_or_absent_level_lists_empty,
                list_all_and_list_levels_cover_every_level,
                operations_are_counted_in_the_metrics,
                injected_faults_surface_as_backend_errors_and_are_counted,
            );
        )*
    };
}

conformance!(memory, file, s3, abs);

#[test]
fn file_replicas_keep_files_in_ltx_level_dirs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let h = file().await;
        write(&h, 9, 1, 2, BASE_MS).await;
        let path = h
            .client
            .local_dir()
            .unwrap()
            .join("ltx/9/0000000000000001-0000000000000002.ltx");
        assert!(path.is_file(), "{}", path.display());
        let key: Path = h.client.ltx_key(9, name(1, 2));
        assert!(
            key.as_ref()
                .ends_with("ltx/9/0000000000000001-0000000000000002.ltx")
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_reports_an_unreachable_endpoint_and_recovers_after_a_restart() {
    let mut h = s3().await;
    write(&h, 0, 1, 1, BASE_MS).await;
    let moto = h._moto.as_mut().unwrap();
    let port = moto.port;
    moto.stop();
    assert!(!moto.is_running());

    let err = h.client.list_all().await.unwrap_err();
    assert!(matches!(err, StorageError::Backend { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("endpoint"), "{err}");
    assert!(!err.is_not_found());

    let moto = h._moto.as_mut().unwrap();
    tokio::task::block_in_place(|| moto.restart());
    assert_eq!(moto.port, port, "restart keeps the port");
    // moto keeps state in memory: the bucket is back, its objects are not.
    assert!(h.client.list_all().await.unwrap().is_empty());
    write(&h, 0, 2, 2, BASE_MS).await;
    assert_eq!(ranges(&h.client.list_all().await.unwrap()), [(0, 2, 2)]);
}

/// A bucket name of letters and digits only: `object_store` percent-encodes every other
/// character of the bucket (`-` becomes `%2D`), which the emulator's routes do not decode.
const GS_BUCKET: &str = "ltxconformance";

async fn start_gcs() -> GcsEmulator {
    tokio::task::spawn_blocking(|| {
        let mut gcs = GcsEmulator::start();
        gcs.create_bucket(GS_BUCKET);
        gcs.create_bucket("ltx-conformance");
        gcs
    })
    .await
    .unwrap()
}

/// Whether the emulator logged `request` (method and path prefix) answered with `status`.
fn served(requests: &[String], request: &str, status: &str) -> bool {
    requests
        .iter()
        .any(|l| l.starts_with(&format!("\"{request}")) && l.contains(&format!("\" {status}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gs_requests_reach_the_emulator_and_failures_name_bucket_and_endpoint() {
    let gcs = start_gcs().await;
    let spec = gcs.gs_spec(GS_BUCKET, "dbs/app");
    let client = ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap();
    let location = format!("gs://{GS_BUCKET}/dbs/app at {}", gcs.endpoint);
    assert_eq!(client.location(), location);

    let bytes = ltx_bytes(1, 1, 3, BASE_MS);
    let write = client
        .write_ltx(0, name(1, 1), bytes.clone(), BASE_MS)
        .await
        .unwrap_err();
    let list = client.list_all().await.unwrap_err();
    let read = client.read_ltx(0, name(1, 1)).await.unwrap_err();
    let head = client.ltx_size(0, name(1, 1)).await.unwrap_err();
    let delete = client.delete_ltx_files(0, &[name(1, 1)]).await.unwrap_err();
    for (what, err) in [
        ("write", &write),
        ("list", &list),
        ("read", &read),
        ("head", &head),
        ("delete", &delete),
    ] {
        eprintln!("{what}: {err}");
        assert!(
            matches!(err, StorageError::Backend { .. }),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains(&location), "{what}: {err}");
        assert!(err.hint().is_some(), "{what}");
    }
    // What the emulator lacks, request by request.
    for (what, err, missing) in [
        ("write", &write, "ETag Header missing"),
        ("read", &read, "Last-Modified Header missing"),
        ("list", &list, "501 Not Implemented"),
        ("head", &head, "501 Not Implemented"),
        ("delete", &delete, "501 Not Implemented"),
    ] {
        assert!(err.to_string().contains(missing), "{what}: {err}");
    }
    let requests = gcs.request_lines();
    let key =
        format!("{GS_BUCKET}/dbs%2Fapp%2Fltx%2F0%2F0000000000000001%2D0000000000000001%2Eltx");
    for (request, status) in [
        (format!("PUT /{key}"), "200"),
        (format!("GET /{GS_BUCKET}?list-type=2"), "501"),
        (format!("GET /{key}"), "200"),
        (format!("HEAD /{key}"), "501"),
        (format!("DELETE /{key}"), "501"),
    ] {
        assert!(
            served(&requests, &request, status),
            "no {request} answered {status} in {requests:#?}"
        );
    }
    // The PUT stored the bytes but not the metadata (the XML PUT ignores x-goog-meta-*).
    let stored = gcs.json_api().list(GS_BUCKET, "dbs/app/").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].size, bytes.len() as u64);
    assert!(stored[0].metadata.is_empty(), "{stored:?}");

    // A bucket name with a dash is sent as `%2D` and no XML route matches it.
    let dashed = ReplicaClient::new(
        &gcs.gs_spec("ltx-conformance", "dbs/app"),
        &ReplicaEnv::empty(),
    )
    .unwrap();
    let err = dashed
        .write_ltx(0, name(1, 1), bytes, BASE_MS)
        .await
        .unwrap_err();
    eprintln!("dashed bucket: {err}");
    assert!(err.to_string().contains("501 Not Implemented"), "{err}");
    assert!(
        served(&gcs.request_lines(), "PUT /ltx%2Dconformance/", "501"),
        "{:#?}",
        gcs.request_lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gs_takes_the_endpoint_from_storage_emulator_host_and_names_it_when_unreachable() {
    let mut gcs = start_gcs().await;
    let spec = ReplicaSpec {
        endpoint: None,
        ..gcs.gs_spec(GS_BUCKET, "dbs/app")
    };
    let host = gcs.endpoint.trim_start_matches("http://").to_owned();
    let env = ReplicaEnv::from_pairs([("STORAGE_EMULATOR_HOST", host.as_str())]);
    let client = ReplicaClient::new(&spec, &env).unwrap();
    let location = format!("gs://{GS_BUCKET}/dbs/app at {}", gcs.endpoint);
    assert_eq!(client.location(), location);
    client.list_all().await.unwrap_err();
    let requests = gcs.request_lines();
    assert!(
        served(&requests, &format!("GET /{GS_BUCKET}?list-type=2"), "501"),
        "the listing did not reach the emulator: {requests:#?}"
    );

    gcs.stop();
    let err = client.list_all().await.unwrap_err();
    eprintln!("{err}");
    assert!(matches!(err, StorageError::Backend { .. }), "{err:?}");
    assert!(err.to_string().contains(&location), "{err}");
    assert!(err.hint().unwrap().contains("endpoint"), "{err}");
}
