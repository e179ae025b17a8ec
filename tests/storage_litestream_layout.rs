//! The storage room against the real Litestream 0.5.17, on a real S3 API (moto) and on
//! `file://`:
//!
//! - (a) a replica Litestream writes to S3 is listed by our client exactly as the raw bucket
//!   holds it (keys `<path>/<level %04x>/<min>-<max>.ltx`, checked without our layout code),
//!   with the levels, TXIDs and sizes `litestream ltx` reports, and every file reads and
//!   decodes; a `file://` replica Litestream writes lists the same way, CreatedAt = mtime =
//!   the LTX header timestamp;
//! - (b) files we write to S3 and to `file://` are listed by `litestream ltx` with our sizes,
//!   and `litestream restore` rebuilds the source database byte for byte;
//! - (c) the S3 object metadata we write equals Litestream's (`litestream-timestamp` in
//!   RFC3339Nano, Content-Type), read back through `object_store`;
//! - and on Azure Blob (Azurite): Litestream's keys are `<path>/ltx/<level>/<min>-<max>.ltx`,
//!   our client lists them, and our `litestreamtimestamp` metadata equals Litestream's;
//! - and on GCS (gcp-storage-emulator, reached by Litestream through `STORAGE_EMULATOR_HOST`):
//!   Litestream's keys are `<path>/ltx/<level>/<min>-<max>.ltx` with `litestream-timestamp`
//!   metadata and Content-Type equal to what our gs client writes, our gs client lists, times
//!   and restores them, and Litestream lists (with our timestamps) and restores what our gs
//!   client writes. The emulator serves the GCS JSON API but not the XML API `object_store`'s
//!   GCS client sends, so on this side the objects travel through a raw JSON API client
//!   ([`support::gcs_json_api`]) into and out of an in-memory store under a gs-kind client:
//!   everything of ours but the HTTP transport is checked against the real binary (the
//!   transport's failure on this emulator is pinned in `storage_conformance.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path as FsPath;
use std::time::{Duration, Instant};

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid, decode_file};
use ltx_tui::restore::{Progress, RestoreOptions, RestoreOutcome, restore};
use ltx_tui::storage::{
    ABS_TIMESTAMP_METADATA_KEY, KeyLayout, LTX_CONTENT_TYPE, LtxFileInfo, ReplicaClient,
    ReplicaEnv, ReplicaKind, ReplicaSpec, TIMESTAMP_METADATA_KEY, datetime_from_ms,
    format_rfc3339_nano, timestamp_metadata_key,
};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
};
use support::azurite::AzuriteServer;
use support::fixtures::{Workload, litestream_replica};
use support::gcs_emulator::GcsEmulator;
use support::gcs_json_api::{GcsJsonApi, GcsObject};
use support::litestream::{ReplicateConfig, file_url, ltx_list_json, restore_ok_with};
use support::litestream_remote::{
    RemoteReplicate, abs_replica_block, gs_replica_block, ltx_list_json_gs, ltx_list_json_s3,
    restore_gs_ok, restore_s3_ok, s3_replica_block,
};
use support::moto::MotoServer;
use support::peers;
use support::replica_layout::mtime_ms;
use support::sqlite_db::TestDb;

const BUCKET: &str = "ltx-layout";
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// (level, min, max, size): what both tools must agree on.
type Row = (u8, u64, u64, u64);

/// One file to write: (level, name, bytes, header timestamp ms).
type FileToWrite = (u8, FileName, Bytes, i64);

/// A database's pages, one `Vec<u8>` per page.
type Pages = Vec<Vec<u8>>;

fn rows(files: &[LtxFileInfo]) -> BTreeSet<Row> {
    files
        .iter()
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0, f.size))
        .collect()
}

fn max_at(files: &[LtxFileInfo], level: u8) -> Option<u64> {
    files
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.max_txid.0)
        .max()
}

async fn start_moto() -> MotoServer {
    tokio::task::spawn_blocking(|| {
        let mut moto = MotoServer::start();
        moto.create_bucket(BUCKET);
        eprintln!("moto started in {:?}", moto.startup_time);
        moto
    })
    .await
    .unwrap()
}

/// Polls the replica through `client` until `condition` holds; panics at the deadline or if
/// Litestream exits.
async fn wait_for(
    client: &ReplicaClient,
    ls: &mut RemoteReplicate,
    what: &str,
    condition: impl Fn(&[LtxFileInfo]) -> bool,
) -> Vec<LtxFileInfo> {
    let deadline = Instant::now() + WAIT;
    loop {
        ls.assert_running();
        let files = client.list_all().await.unwrap();
        if condition(&files) {
            return files;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; replica: {:?}\n--- litestream log ---\n{}",
            rows(&files),
            ls.log_tail()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Parses a raw key as Litestream 0.5.17 writes it on S3: `<path>/<level %04x>/<name>`.
fn parse_s3_key(path: &str, key: &str) -> Option<(u8, FileName)> {
    let rest = key.strip_prefix(path)?.strip_prefix('/')?;
    let (level, name) = rest.split_once('/')?;
    let hex = level.len() == 4
        && level
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex {
        return None;
    }
    Some((u8::from_str_radix(level, 16).ok()?, name.parse().ok()?))
}

async fn head_attributes(store: &dyn ObjectStore, key: &str) -> Attributes {
    store
        .get_opts(&key.into(), GetOptions::new().with_head(true))
        .await
        .unwrap()
        .attributes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_s3_replica_is_listed_and_read_by_our_client() {
    let moto = start_moto().await;
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows("items", 20);
    let config = ReplicateConfig::default().without_litestream_checkpoints();
    let replica = s3_replica_block(&moto, BUCKET, "dbs/app");
    let mut ls = RemoteReplicate::start(dir.path(), &db.path, &replica, &config);
    let client =
        ReplicaClient::new(&moto.s3_spec(BUCKET, "dbs/app"), &ReplicaEnv::empty()).unwrap();

    let files = wait_for(&client, &mut ls, "the first L0 file", |f| {
        max_at(f, 0).is_some()
    })
    .await;
    let mut txid = max_at(&files, 0).unwrap();
    for step in 0..3 {
        db.insert_rows("items", 10 + step);
        let prev = txid;
        let files = wait_for(&client, &mut ls, "the step's L0 file", |f| {
            max_at(f, 0).is_some_and(|m| m > prev)
        })
        .await;
        txid = max_at(&files, 0).unwrap();
    }
    wait_for(&client, &mut ls, "L1 and L9 to catch up", |f| {
        max_at(f, 1) == Some(txid) && max_at(f, 9) == Some(txid)
    })
    .await;
    ls.stop();

    // The raw bucket, read without our layout code.
    let raw = moto.raw_store(BUCKET);
    let objects: Vec<_> = raw.list(None).try_collect().await.unwrap();
    let mut raw_rows = BTreeSet::new();
    for object in &objects {
        let key = object.location.as_ref();
        eprintln!("litestream wrote s3 key {key} ({} bytes)", object.size);
        let (level, name) =
            parse_s3_key("dbs/app", key).unwrap_or_else(|| panic!("unexpected key layout: {key}"));
        raw_rows.insert((level, name.min_txid.0, name.max_txid.0, object.size));
    }
    let levels: BTreeSet<u8> = raw_rows.iter().map(|r| r.0).collect();
    assert_eq!(levels, BTreeSet::from([0, 1, 9]));

    let ours = client.list_all().await.unwrap();
    assert_eq!(rows(&ours), raw_rows, "our listing vs the raw bucket");
    let theirs: BTreeSet<Row> = ltx_list_json_s3(&moto, &moto.s3_url(BUCKET, "dbs/app"))
        .into_iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(rows(&ours), theirs, "our listing vs `litestream ltx`");
    let l0 = client.list_ltx_files(0, Txid(0)).await.unwrap();
    assert!(l0.windows(2).all(|w| w[0].min_txid < w[1].min_txid));
    assert_eq!(l0.last().unwrap().max_txid, Txid(txid));

    let with_metadata = {
        let mut all = ours.clone();
        client.created_at_from_metadata(&mut all).await.unwrap();
        all
    };
    for (file, timed) in ours.iter().zip(&with_metadata) {
        let bytes = client.read_ltx(file.level, file.name()).await.unwrap();
        assert_eq!(bytes.len() as u64, file.size);
        let decoded = decode_file(&bytes[..])
            .unwrap_or_else(|e| panic!("L{} {}: {e}", file.level, file.name()));
        let header = decoded.summary.header;
        assert_eq!(
            (header.min_txid, header.max_txid),
            (file.min_txid, file.max_txid)
        );
        let view = client
            .read_page_index(file.level, file.name())
            .await
            .unwrap();
        assert_eq!(view.entries.len(), decoded.pages.len());
        assert_eq!(
            timed.created_at,
            datetime_from_ms(header.timestamp).unwrap(),
            "CreatedAt from metadata is the header timestamp"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_s3_metadata_equals_litestreams() {
    let moto = start_moto().await;
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows("items", 5);
    let config = ReplicateConfig::default().without_litestream_checkpoints();
    let replica = s3_replica_block(&moto, BUCKET, "theirs");
    let mut ls = RemoteReplicate::start(dir.path(), &db.path, &replica, &config);
    let theirs = ReplicaClient::new(&moto.s3_spec(BUCKET, "theirs"), &ReplicaEnv::empty()).unwrap();
    let files = wait_for(&theirs, &mut ls, "the first L0 file", |f| {
        max_at(f, 0).is_some()
    })
    .await;
    ls.stop();
    let first = files.iter().find(|f| f.level == 0).unwrap().clone();
    let bytes = theirs.read_ltx(0, first.name()).await.unwrap();
    let header = decode_file(&bytes[..]).unwrap().summary.header;

    // The same bytes, written by us under another path.
    let ours = ReplicaClient::new(&moto.s3_spec(BUCKET, "ours"), &ReplicaEnv::empty()).unwrap();
    ours.write_ltx(0, first.name(), bytes.clone(), header.timestamp)
        .await
        .unwrap();

    let raw = moto.raw_store(BUCKET);
    let their_key = format!("theirs/0000/{}", first.name());
    let our_key = format!("ours/0000/{}", first.name());
    let their_attrs = head_attributes(raw.as_ref(), &their_key).await;
    let our_attrs = head_attributes(raw.as_ref(), &our_key).await;
    eprintln!("litestream's metadata on {their_key}: {their_attrs:?}");
    eprintln!("our metadata on {our_key}: {our_attrs:?}");

    let meta_keys = |a: &Attributes| -> BTreeSet<String> {
        a.iter()
            .filter_map(|(k, _)| match k {
                Attribute::Metadata(name) => Some(name.to_string()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(meta_keys(&our_attrs), meta_keys(&their_attrs));
    assert!(meta_keys(&their_attrs).contains(TIMESTAMP_METADATA_KEY));
    let timestamp_key = Attribute::Metadata(TIMESTAMP_METADATA_KEY.into());
    let their_value = their_attrs.get(&timestamp_key).unwrap().to_string();
    let our_value = our_attrs.get(&timestamp_key).unwrap().to_string();
    assert_eq!(our_value, their_value);
    assert_eq!(
        their_value,
        format_rfc3339_nano(datetime_from_ms(header.timestamp).unwrap()),
        "Litestream stores the header timestamp in RFC3339Nano"
    );
    assert_eq!(
        our_attrs.get(&Attribute::ContentType),
        their_attrs.get(&Attribute::ContentType)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_file_replica_is_listed_with_mtime_as_created_at() {
    let built = tokio::task::spawn_blocking(|| litestream_replica(4096, Workload::Steady))
        .await
        .unwrap();
    let spec = ReplicaSpec::from_url(&built.url()).unwrap();
    let client = ReplicaClient::new(&spec, &ReplicaEnv::empty()).unwrap();
    let ours = client.list_all().await.unwrap();
    let on_disk: BTreeSet<Row> = built
        .files
        .all()
        .iter()
        .map(|f| {
            let size = std::fs::metadata(&f.path).unwrap().len();
            (f.level, f.min_txid, f.max_txid, size)
        })
        .collect();
    assert_eq!(rows(&ours), on_disk);
    for file in &ours {
        let path = built
            .replica_dir
            .join("ltx")
            .join(file.level.to_string())
            .join(file.name().to_string());
        let bytes = client.read_ltx(file.level, file.name()).await.unwrap();
        let header = decode_file(&bytes[..]).unwrap().summary.header;
        assert_eq!(file.created_at.timestamp_millis(), mtime_ms(&path));
        assert_eq!(file.created_at.timestamp_millis(), header.timestamp);
    }
}

/// Parses a raw key as Litestream 0.5.17 writes it on file, gs and abs:
/// `<path>/ltx/<level decimal>/<name>`.
fn parse_ltx_dir_key(path: &str, key: &str) -> Option<(u8, FileName)> {
    let rest = key.strip_prefix(path)?.strip_prefix("/ltx/")?;
    let (level, name) = rest.split_once('/')?;
    let decimal = !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit());
    if !decimal {
        return None;
    }
    Some((level.parse().ok()?, name.parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_abs_replica_layout_and_metadata_match_ours() {
    const CONTAINER: &str = "ltx-layout";
    let azurite = tokio::task::spawn_blocking(|| {
        let azurite = AzuriteServer::start();
        azurite.create_container(CONTAINER);
        eprintln!("azurite started in {:?}", azurite.startup_time);
        azurite
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows("items", 20);
    let config = ReplicateConfig::default().without_litestream_checkpoints();
    let replica = abs_replica_block(&azurite, CONTAINER, "dbs/app");
    let mut ls = RemoteReplicate::start(dir.path(), &db.path, &replica, &config);
    let theirs = ReplicaClient::new(
        &azurite.abs_spec(CONTAINER, "dbs/app"),
        &ReplicaEnv::empty(),
    )
    .unwrap();
    let files = wait_for(&theirs, &mut ls, "the first L0 file", |f| {
        max_at(f, 0).is_some()
    })
    .await;
    let first_txid = max_at(&files, 0).unwrap();
    db.insert_rows("items", 10);
    let files = wait_for(&theirs, &mut ls, "the second L0 file", |f| {
        max_at(f, 0).is_some_and(|m| m > first_txid)
    })
    .await;
    let txid = max_at(&files, 0).unwrap();
    wait_for(&theirs, &mut ls, "L1 and L9 to catch up", |f| {
        max_at(f, 1) == Some(txid) && max_at(f, 9) == Some(txid)
    })
    .await;
    ls.stop();

    let raw = azurite.raw_store(CONTAINER);
    let objects: Vec<_> = raw.list(None).try_collect().await.unwrap();
    let mut raw_rows = BTreeSet::new();
    for object in &objects {
        let key = object.location.as_ref();
        eprintln!("litestream wrote abs key {key} ({} bytes)", object.size);
        let (level, name) = parse_ltx_dir_key("dbs/app", key)
            .unwrap_or_else(|| panic!("unexpected key layout: {key}"));
        raw_rows.insert((level, name.min_txid.0, name.max_txid.0, object.size));
    }
    let listed = theirs.list_all().await.unwrap();
    assert_eq!(rows(&listed), raw_rows);
    let levels: BTreeSet<u8> = raw_rows.iter().map(|r| r.0).collect();
    assert_eq!(levels, BTreeSet::from([0, 1, 9]));

    // Metadata: Litestream's object vs the same bytes written by us.
    let first = listed.iter().find(|f| f.level == 0).unwrap().clone();
    let bytes = theirs.read_ltx(0, first.name()).await.unwrap();
    let header = decode_file(&bytes[..]).unwrap().summary.header;
    let ours =
        ReplicaClient::new(&azurite.abs_spec(CONTAINER, "ours"), &ReplicaEnv::empty()).unwrap();
    ours.write_ltx(0, first.name(), bytes, header.timestamp)
        .await
        .unwrap();
    let their_attrs =
        head_attributes(raw.as_ref(), &format!("dbs/app/ltx/0/{}", first.name())).await;
    let our_attrs = head_attributes(raw.as_ref(), &format!("ours/ltx/0/{}", first.name())).await;
    eprintln!("litestream's abs metadata: {their_attrs:?}");
    eprintln!("our abs metadata: {our_attrs:?}");
    let key = Attribute::Metadata(ABS_TIMESTAMP_METADATA_KEY.into());
    assert_eq!(our_attrs.get(&key), their_attrs.get(&key));
    assert_eq!(
        their_attrs.get(&key).map(|v| v.to_string()),
        Some(format_rfc3339_nano(
            datetime_from_ms(header.timestamp).unwrap()
        ))
    );
    assert_eq!(
        our_attrs.get(&Attribute::ContentType),
        their_attrs.get(&Attribute::ContentType)
    );

    let mut timed = listed.clone();
    theirs.created_at_from_metadata(&mut timed).await.unwrap();
    for file in &timed {
        let bytes = theirs.read_ltx(file.level, file.name()).await.unwrap();
        let header = decode_file(&bytes[..]).unwrap().summary.header;
        assert_eq!(file.created_at, datetime_from_ms(header.timestamp).unwrap());
    }
}

const PAGE_SIZE: usize = 4096;

fn pages_of(path: &FsPath) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .unwrap()
        .chunks(PAGE_SIZE)
        .map(<[u8]>::to_vec)
        .collect()
}

/// All pages for a snapshot (`min` 1), else the pages that differ from `prev` or lie past it.
fn encode(prev: Option<&[Vec<u8>]>, now: &[Vec<u8>], min: u64, max: u64, ts: i64) -> Bytes {
    let header = Header::new(PAGE_SIZE as u32, now.len() as u32, Txid(min), Txid(max), ts);
    let mut enc = Encoder::new(Vec::new(), header).unwrap();
    for (i, page) in now.iter().enumerate() {
        if prev.is_none_or(|p| p.get(i) != Some(page)) {
            enc.encode_page(i as u32 + 1, page).unwrap();
        }
    }
    Bytes::from(enc.finish(Checksum::ZERO).unwrap().0)
}

/// A rollback-journal database after three transactions, and the LTX files of a replica of
/// it: L0 1 (snapshot), 2, 3; L1 1-3 and L9 1-3 (snapshots). Returns the page states per TXID
/// and the files as (level, name, bytes, timestamp).
fn our_replica(dir: &FsPath) -> (Vec<Pages>, Vec<FileToWrite>) {
    let db_path = dir.join("source.db");
    let conn = rusqlite::Connection::open(&db_path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size={PAGE_SIZE}; PRAGMA journal_mode=DELETE;"
    ))
    .unwrap();
    let steps = [
        "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 400)
         INSERT INTO notes(body) SELECT printf('note %d %s', x, hex(randomblob(30))) FROM c;",
        "UPDATE notes SET body = body || ' edited' WHERE id % 5 = 0;",
        "DELETE FROM notes WHERE id > 300; INSERT INTO notes(body) VALUES ('last');",
    ];
    let base_ms = 1_790_000_000_123;
    let mut states: Vec<Pages> = Vec::new();
    let mut files = Vec::new();
    for (i, sql) in steps.iter().enumerate() {
        conn.execute_batch(sql).unwrap();
        let now = pages_of(&db_path);
        let txid = i as u64 + 1;
        let ts = base_ms + txid as i64 * 1000;
        let bytes = encode(states.last().map(Vec::as_slice), &now, txid, txid, ts);
        files.push((0, FileName::new(Txid(txid), Txid(txid)), bytes, ts));
        states.push(now);
    }
    let last = states.last().unwrap().clone();
    for level in [1u8, 9] {
        let ts = base_ms + 10_000 + i64::from(level);
        files.push((
            level,
            FileName::new(Txid(1), Txid(3)),
            encode(None, &last, 1, 3, ts),
            ts,
        ));
    }
    (states, files)
}

#[track_caller]
fn assert_restored(out: &FsPath, want: &[Vec<u8>], what: &str) {
    let got = pages_of(out);
    assert_eq!(got.len(), want.len(), "{what}: page count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g == w, "{what}: page {} differs", i + 1);
    }
}

async fn write_all(client: &ReplicaClient, files: &[FileToWrite]) -> BTreeSet<Row> {
    let mut expected = BTreeSet::new();
    for (level, name, bytes, ts) in files {
        let info = client
            .write_ltx(*level, *name, bytes.clone(), *ts)
            .await
            .unwrap();
        expected.insert((*level, name.min_txid.0, name.max_txid.0, info.size));
    }
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_lists_and_restores_what_we_write_to_s3() {
    let moto = start_moto().await;
    let dir = tempfile::tempdir().unwrap();
    let (states, files) = our_replica(dir.path());
    let client =
        ReplicaClient::new(&moto.s3_spec(BUCKET, "ours/app"), &ReplicaEnv::empty()).unwrap();
    let expected = write_all(&client, &files).await;

    let raw = moto.raw_store(BUCKET);
    let keys: BTreeSet<String> = raw
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert!(
        keys.contains("ours/app/0000/0000000000000001-0000000000000001.ltx"),
        "{keys:?}"
    );
    assert!(
        keys.contains("ours/app/0009/0000000000000001-0000000000000003.ltx"),
        "{keys:?}"
    );

    let url = moto.s3_url(BUCKET, "ours/app");
    let listed: BTreeSet<Row> = ltx_list_json_s3(&moto, &url)
        .into_iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(listed, expected);
    let latest = dir.path().join("restored-latest.db");
    restore_s3_ok(&moto, &url, &latest, None);
    assert_restored(&latest, &states[2], "s3 latest");
    let at_2 = dir.path().join("restored-2.db");
    restore_s3_ok(&moto, &url, &at_2, Some(2));
    assert_restored(&at_2, &states[1], "s3 txid 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_lists_and_restores_what_we_write_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let (states, files) = our_replica(dir.path());
    let replica = dir.path().join("replica");
    let url = file_url(&replica);
    let client =
        ReplicaClient::new(&ReplicaSpec::from_url(&url).unwrap(), &ReplicaEnv::empty()).unwrap();
    let expected = write_all(&client, &files).await;
    for (level, name, _, ts) in &files {
        let path = replica
            .join("ltx")
            .join(level.to_string())
            .join(name.to_string());
        assert_eq!(
            mtime_ms(&path),
            *ts,
            "{}: mtime is the header timestamp",
            path.display()
        );
    }

    let listed: BTreeSet<Row> = ltx_list_json(&url)
        .into_iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(listed, expected);
    let litestream = peers::litestream();
    let latest = dir.path().join("restored-latest.db");
    restore_ok_with(&litestream, &url, &latest, None);
    assert_restored(&latest, &states[2], "file latest");
    let at_2 = dir.path().join("restored-2.db");
    restore_ok_with(&litestream, &url, &at_2, Some(2));
    assert_restored(&at_2, &states[1], "file txid 2");
}

async fn start_gcs() -> GcsEmulator {
    tokio::task::spawn_blocking(|| {
        let mut gcs = GcsEmulator::start();
        gcs.create_bucket(BUCKET);
        eprintln!("GCS emulator started in {:?}", gcs.startup_time);
        gcs
    })
    .await
    .unwrap()
}

/// The raw GCS objects as rows, each key parsed as Litestream writes it on gs
/// (`<path>/ltx/<level decimal>/<name>`); any other key fails the test.
fn gs_rows(path: &str, objects: &[GcsObject]) -> BTreeSet<Row> {
    objects
        .iter()
        .map(|o| {
            let (level, name) = parse_ltx_dir_key(path, &o.name)
                .unwrap_or_else(|| panic!("unexpected gs key layout: {}", o.name));
            (level, name.min_txid.0, name.max_txid.0, o.size)
        })
        .collect()
}

fn row_max(rows: &BTreeSet<Row>, level: u8) -> Option<u64> {
    rows.iter().filter(|r| r.0 == level).map(|r| r.2).max()
}

/// Polls the raw bucket listing under `path` until `condition` holds; panics at the deadline
/// or if Litestream exits.
async fn wait_for_gs(
    api: &GcsJsonApi,
    path: &str,
    ls: &mut RemoteReplicate,
    what: &str,
    condition: impl Fn(&BTreeSet<Row>) -> bool,
) -> BTreeSet<Row> {
    let deadline = Instant::now() + WAIT;
    loop {
        ls.assert_running();
        let rows = gs_rows(path, &api.list(BUCKET, &format!("{path}/")).await);
        if condition(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; bucket: {rows:?}\n--- litestream log ---\n{}",
            ls.log_tail()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The Content-Type and custom metadata of a stored object, as attributes.
fn gcs_attributes(object: &GcsObject) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(content_type) = &object.content_type {
        attributes.insert(Attribute::ContentType, content_type.clone().into());
    }
    for (key, value) in &object.metadata {
        attributes.insert(
            Attribute::Metadata(key.clone().into()),
            value.clone().into(),
        );
    }
    attributes
}

/// Custom metadata and Content-Type of attributes, in the JSON API's terms.
fn metadata_and_content_type(
    attributes: &Attributes,
) -> (BTreeMap<String, String>, Option<String>) {
    let mut metadata = BTreeMap::new();
    let mut content_type = None;
    for (key, value) in attributes {
        match key {
            Attribute::Metadata(name) => {
                metadata.insert(name.to_string(), value.to_string());
            }
            Attribute::ContentType => content_type = Some(value.to_string()),
            _ => {}
        }
    }
    (metadata, content_type)
}

/// Copies `objects` (bytes, Content-Type and metadata) out of the bucket into a fresh
/// in-memory store under the same keys.
async fn copy_out_of_gcs(api: &GcsJsonApi, objects: &[GcsObject]) -> Arc<InMemory> {
    let memory = Arc::new(InMemory::new());
    for object in objects {
        let bytes = api.download(BUCKET, &object.name).await;
        assert_eq!(bytes.len() as u64, object.size, "{}", object.name);
        let options = PutOptions {
            attributes: gcs_attributes(object),
            ..PutOptions::default()
        };
        memory
            .put_opts(
                &ObjectPath::from(object.name.as_str()),
                PutPayload::from(bytes),
                options,
            )
            .await
            .unwrap();
    }
    memory
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_gs_replica_layout_and_metadata_match_ours_and_restore_with_ours() {
    let gcs = start_gcs().await;
    let api = gcs.json_api();
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows("items", 20);
    let config = ReplicateConfig::default().without_litestream_checkpoints();
    let replica = gs_replica_block(BUCKET, "dbs/app");
    let mut ls = RemoteReplicate::start_with_env(
        dir.path(),
        &db.path,
        &replica,
        &config,
        &gcs.litestream_env(),
    );
    let seen = wait_for_gs(&api, "dbs/app", &mut ls, "the first L0 file", |r| {
        row_max(r, 0).is_some()
    })
    .await;
    let first_txid = row_max(&seen, 0).unwrap();
    db.insert_rows("items", 10);
    let seen = wait_for_gs(&api, "dbs/app", &mut ls, "the second L0 file", |r| {
        row_max(r, 0).is_some_and(|m| m > first_txid)
    })
    .await;
    let txid = row_max(&seen, 0).unwrap();
    wait_for_gs(&api, "dbs/app", &mut ls, "L1 and L9 to catch up", |r| {
        row_max(r, 1) == Some(txid) && row_max(r, 9) == Some(txid)
    })
    .await;
    ls.stop();

    // The raw bucket, read through the JSON API without our layout code.
    let objects = api.list(BUCKET, "dbs/app/").await;
    for object in &objects {
        eprintln!(
            "litestream wrote gs key {} ({} bytes, {:?}, metadata {:?})",
            object.name, object.size, object.content_type, object.metadata
        );
    }
    let raw_rows = gs_rows("dbs/app", &objects);
    let levels: BTreeSet<u8> = raw_rows.iter().map(|r| r.0).collect();
    assert_eq!(levels, BTreeSet::from([0, 1, 9]));
    let url = gcs.gs_url(BUCKET, "dbs/app");
    let theirs: BTreeSet<Row> = ltx_list_json_gs(&gcs, &url)
        .into_iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(theirs, raw_rows, "`litestream ltx` vs the raw bucket");

    // Our gs layout names exactly these keys, and our gs metadata is exactly theirs.
    let layout = KeyLayout::for_kind(ReplicaKind::Gs, ObjectPath::from("dbs/app"));
    let metadata_key = timestamp_metadata_key(ReplicaKind::Gs).unwrap();
    assert_eq!(metadata_key, TIMESTAMP_METADATA_KEY);
    let ours =
        ReplicaClient::from_store(ReplicaKind::Gs, "ours", Arc::new(InMemory::new())).unwrap();
    for object in &objects {
        let key = ObjectPath::from(object.name.as_str());
        let (level, name) = layout.parse_key(&key).unwrap();
        assert_eq!(layout.ltx_key(level, name), key);
        let bytes = api.download(BUCKET, &object.name).await;
        let header = decode_file(&bytes[..])
            .unwrap_or_else(|e| panic!("{}: {e}", object.name))
            .summary
            .header;
        assert_eq!(
            (header.min_txid, header.max_txid),
            (name.min_txid, name.max_txid)
        );
        assert_eq!(
            object.metadata,
            BTreeMap::from([(
                metadata_key.to_owned(),
                format_rfc3339_nano(datetime_from_ms(header.timestamp).unwrap())
            )]),
            "{}: Litestream stores the header timestamp in RFC3339Nano",
            object.name
        );
        assert_eq!(object.content_type.as_deref(), Some(LTX_CONTENT_TYPE));

        ours.write_ltx(level, name, bytes, header.timestamp)
            .await
            .unwrap();
        let our_key = ours.ltx_key(level, name);
        let written = ours
            .object_store()
            .get_opts(&our_key, GetOptions::new().with_head(true))
            .await
            .unwrap()
            .attributes;
        assert_eq!(
            metadata_and_content_type(&written),
            (object.metadata.clone(), object.content_type.clone()),
            "{our_key}: our gs metadata vs Litestream's"
        );
    }

    // Our gs client over a copy of the bucket: the same listing, CreatedAt from the
    // metadata, and a restore byte-identical to `litestream restore`.
    let copy = copy_out_of_gcs(&api, &objects).await;
    let client = ReplicaClient::from_store(ReplicaKind::Gs, "dbs/app", copy).unwrap();
    let listed = client.list_all().await.unwrap();
    assert_eq!(rows(&listed), raw_rows, "our gs listing vs the raw bucket");
    let mut timed = listed.clone();
    client.created_at_from_metadata(&mut timed).await.unwrap();
    for file in &timed {
        let bytes = client.read_ltx(file.level, file.name()).await.unwrap();
        let header = decode_file(&bytes[..]).unwrap().summary.header;
        assert_eq!(file.created_at, datetime_from_ms(header.timestamp).unwrap());
    }
    let ours_out = dir.path().join("restored-by-ltx-tui.db");
    let outcome = restore(&client, &RestoreOptions::new(&ours_out), &Progress::none())
        .await
        .unwrap();
    assert!(
        matches!(outcome, RestoreOutcome::Restored(_)),
        "{outcome:?}"
    );
    let theirs_out = dir.path().join("restored-by-litestream.db");
    tokio::task::block_in_place(|| restore_gs_ok(&gcs, &url, &theirs_out, None));
    assert!(
        std::fs::read(&ours_out).unwrap() == std::fs::read(&theirs_out).unwrap(),
        "ltx-tui's restore of Litestream's gs replica differs from Litestream's own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litestream_lists_and_restores_what_our_gs_client_writes() {
    let gcs = start_gcs().await;
    let api = gcs.json_api();
    let dir = tempfile::tempdir().unwrap();
    let (states, files) = our_replica(dir.path());
    let memory = Arc::new(InMemory::new());
    let client = ReplicaClient::from_store(ReplicaKind::Gs, "ours/app", memory.clone()).unwrap();
    let expected = write_all(&client, &files).await;

    // Every object our gs client wrote goes into the bucket as it is: key, bytes,
    // Content-Type and metadata.
    let written: Vec<_> = memory.list(None).try_collect().await.unwrap();
    for meta in &written {
        let got = memory.get(&meta.location).await.unwrap();
        let (metadata, content_type) = metadata_and_content_type(&got.attributes);
        let content_type = content_type.expect("our gs client sets a Content-Type");
        let bytes = got.bytes().await.unwrap();
        let stored = api
            .upload(
                BUCKET,
                meta.location.as_ref(),
                &bytes,
                &content_type,
                &metadata,
            )
            .await;
        assert_eq!(
            (stored.size, &stored.metadata),
            (bytes.len() as u64, &metadata)
        );
        assert_eq!(api.download(BUCKET, meta.location.as_ref()).await, bytes);
    }
    let keys: BTreeSet<String> = api
        .list(BUCKET, "ours/")
        .await
        .into_iter()
        .map(|o| o.name)
        .collect();
    for key in [
        "ours/app/ltx/0/0000000000000001-0000000000000001.ltx",
        "ours/app/ltx/9/0000000000000001-0000000000000003.ltx",
    ] {
        assert!(keys.contains(key), "{key} missing from {keys:?}");
    }

    let url = gcs.gs_url(BUCKET, "ours/app");
    let listed = ltx_list_json_gs(&gcs, &url);
    let listed_rows: BTreeSet<Row> = listed
        .iter()
        .map(|e| (e.level, e.min_txid, e.max_txid, e.size))
        .collect();
    assert_eq!(listed_rows, expected);
    for entry in &listed {
        let (_, _, _, ts) = files
            .iter()
            .find(|(level, name, _, _)| {
                (*level, name.min_txid.0, name.max_txid.0)
                    == (entry.level, entry.min_txid, entry.max_txid)
            })
            .unwrap();
        let whole_seconds = datetime_from_ms(*ts)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        assert_eq!(
            entry.timestamp, whole_seconds,
            "Litestream takes CreatedAt from our litestream-timestamp metadata"
        );
    }
    let latest = dir.path().join("restored-latest.db");
    tokio::task::block_in_place(|| restore_gs_ok(&gcs, &url, &latest, None));
    assert_restored(&latest, &states[2], "gs latest");
    let at_2 = dir.path().join("restored-2.db");
    tokio::task::block_in_place(|| restore_gs_ok(&gcs, &url, &at_2, Some(2)));
    assert_restored(&at_2, &states[1], "gs txid 2");
}
