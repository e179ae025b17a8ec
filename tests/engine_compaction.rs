//! Compaction, the level schedule and retention of the engine, against real parts: a real
//! SQLite database (rusqlite) whose page images after every sync are the ground truth, LTX
//! files encoded from those pages, `ReplicaClient`s over the `memory` backend and the `file`
//! backend in a temp dir, the real meta directory, and the real Litestream 0.5.17 binary for
//! the final restores.
//!
//! Time is passed explicitly (`now`), so nothing sleeps: on the `file` backend a file's
//! CreatedAt is its mtime, which the client sets to the LTX header timestamp, so the tests
//! choose every CreatedAt through the header timestamps they encode.
//!
//! Restorability is checked with a test-only copy of Litestream's restore planner
//! (`ref/ltx-litestream.md` §3.2): for a target TXID it picks the files a restore would use,
//! and the merge of those files must equal the source database's pages at that TXID.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ltx_tui::engine::{
    CompactionSkip, ContiguityKind, EngineError, LevelSchedule, MetaDir, compact_level,
    compaction_skip, enforce_l0_retention, enforce_snapshot_retention, is_too_early, newest_file,
    verify_level_contiguity,
};
use ltx_tui::ltx::{
    Checksum, CompactOptions, Decoder, Encoder, FileName, Header, Txid, compact, decode_file,
};
use ltx_tui::storage::{LtxFileInfo, ReplicaClient, ReplicaEnv, ReplicaSpec, datetime_from_ms};
use support::litestream::{assert_success, file_url, restore_cmd_with};
use support::sqlite_db::{Rng, TestDb};

const PAGE_SIZE: u32 = 1024;
const TABLE: &str = "items";
/// 2026-01-01T00:00:00Z in milliseconds: aligned to every interval used here.
const T0_MS: i64 = 1_767_225_600_000;

fn t0() -> DateTime<Utc> {
    datetime_from_ms(T0_MS).unwrap()
}

fn at_secs(s: i64) -> DateTime<Utc> {
    datetime_from_ms(T0_MS + s * 1000).unwrap()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn name(min: u64, max: u64) -> FileName {
    FileName::new(Txid(min), Txid(max))
}

// ---------------------------------------------------------------------------------------------
// The source database: one SQLite database, its page images after every sync, its L0 files.
// ---------------------------------------------------------------------------------------------

/// A real SQLite database changed one step (one Litestream "sync", one TXID) at a time.
struct Source {
    db: TestDb,
    rng: Rng,
    /// `images[t]`: the database pages after TXID `t` (`images[0]` is empty).
    images: Vec<Vec<Vec<u8>>>,
}

impl Source {
    fn new(dir: &Path) -> Self {
        let db = TestDb::create_in(dir, PAGE_SIZE);
        db.create_table(TABLE);
        Source {
            db,
            rng: Rng::new(7),
            images: vec![Vec::new()],
        }
    }

    fn txid(&self) -> u64 {
        (self.images.len() - 1) as u64
    }

    fn image(&self, t: u64) -> Vec<u8> {
        self.images[t as usize].concat()
    }

    /// Runs one step of a mixed workload (inserts, updates, deletes, and now and then a
    /// shrink by VACUUM) and returns the L0 file of the new TXID, timestamped `ts`.
    fn step(&mut self, ts: DateTime<Utc>) -> (Txid, Bytes) {
        let t = self.txid() + 1;
        match (t % 11, self.rng.range(0, 4)) {
            (1, _) => self.db.insert_rows(TABLE, 25),
            (0, _) => {
                self.db.delete_most_rows(TABLE, 5);
                self.db.vacuum();
            }
            (_, 0) => self.db.update_rows(TABLE, 3),
            (_, 1) => self.db.delete_rows(TABLE, 7),
            (_, 2) => self.db.insert_rows_sized(TABLE, 3, 3000),
            _ => self.db.insert_rows(TABLE, 6),
        }
        let image = self.db.pages();
        let prev = self.images.last().unwrap();
        let header = Header::new(
            PAGE_SIZE,
            image.len() as u32,
            Txid(t),
            Txid(t),
            ts.timestamp_millis(),
        );
        let mut enc = Encoder::new(Vec::new(), header).unwrap();
        for (i, page) in image.iter().enumerate() {
            if t == 1 || prev.get(i) != Some(page) {
                enc.encode_page(i as u32 + 1, page).unwrap();
            }
        }
        let (bytes, _) = enc.finish(Checksum::ZERO).unwrap();
        self.images.push(image);
        (Txid(t), Bytes::from(bytes))
    }

    /// A full snapshot (`1-<t>`) of the current database, as Litestream's level 9 holds.
    fn snapshot(&self, ts: DateTime<Utc>) -> (FileName, Bytes) {
        let t = self.txid();
        let image = &self.images[t as usize];
        let header = Header::new(
            PAGE_SIZE,
            image.len() as u32,
            Txid(1),
            Txid(t),
            ts.timestamp_millis(),
        );
        let mut enc = Encoder::new(Vec::new(), header).unwrap();
        for (i, page) in image.iter().enumerate() {
            enc.encode_page(i as u32 + 1, page).unwrap();
        }
        let (bytes, _) = enc.finish(Checksum::ZERO).unwrap();
        (name(1, t), Bytes::from(bytes))
    }
}

/// Uploads an L0 file (and keeps a local copy in `meta` when given), as a sync does.
async fn sync_l0(
    client: &ReplicaClient,
    meta: Option<&MetaDir>,
    txid: Txid,
    bytes: &Bytes,
    ts: DateTime<Utc>,
) {
    if let Some(meta) = meta {
        meta.write_l0(txid, |w| {
            use std::io::Write;
            w.write_all(bytes)
                .map_err(|e| EngineError::io("test write", Path::new("l0"), e))
        })
        .unwrap();
    }
    client
        .write_ltx(
            0,
            name(txid.0, txid.0),
            bytes.clone(),
            ts.timestamp_millis(),
        )
        .await
        .unwrap();
}

fn memory_client() -> ReplicaClient {
    ReplicaClient::new(&ReplicaSpec::memory("dbs/app"), &ReplicaEnv::empty()).unwrap()
}

fn file_client(dir: &Path) -> ReplicaClient {
    ReplicaClient::new(
        &ReplicaSpec::file(dir.to_str().unwrap()),
        &ReplicaEnv::empty(),
    )
    .unwrap()
}

async fn level(client: &ReplicaClient, level: u8) -> Vec<FileName> {
    client
        .list_ltx_files(level, Txid::ZERO)
        .await
        .unwrap()
        .iter()
        .map(LtxFileInfo::name)
        .collect()
}

async fn read_header(client: &ReplicaClient, level: u8, name: FileName) -> Header {
    let bytes = client.read_ltx(level, name).await.unwrap();
    *Decoder::new(Cursor::new(bytes)).unwrap().header()
}

/// The bytes `ltx::compact` makes of `inputs` with Litestream's options.
fn merged(inputs: &[Bytes]) -> Vec<u8> {
    let decoders = inputs
        .iter()
        .map(|b| Decoder::new(Cursor::new(b.clone())).unwrap())
        .collect();
    compact(decoders, Vec::new(), CompactOptions::default())
        .unwrap()
        .0
}

// ---------------------------------------------------------------------------------------------
// A test-only copy of Litestream's restore planner (§3.2) and a materialiser.
// ---------------------------------------------------------------------------------------------

/// "Better" candidate: larger MaxTXID, then smaller MinTXID, then higher level, then older.
fn better(curr: &LtxFileInfo, next: &LtxFileInfo) -> bool {
    if next.max_txid != curr.max_txid {
        return next.max_txid > curr.max_txid;
    }
    if next.min_txid != curr.min_txid {
        return next.min_txid < curr.min_txid;
    }
    if next.level != curr.level {
        return next.level > curr.level;
    }
    next.created_at < curr.created_at
}

struct LevelCursor {
    files: Vec<LtxFileInfo>,
    pos: usize,
    candidate: Option<LtxFileInfo>,
}

impl LevelCursor {
    fn refresh(&mut self, current: u64, txid: u64) {
        if self
            .candidate
            .as_ref()
            .is_some_and(|c| c.max_txid.0 <= current)
        {
            self.candidate = None;
        }
        while let Some(info) = self.files.get(self.pos) {
            if info.min_txid.0 > current + 1 {
                return;
            }
            self.pos += 1;
            if info.max_txid.0 <= current || (txid != 0 && info.max_txid.0 > txid) {
                continue;
            }
            if self.candidate.as_ref().is_none_or(|c| better(c, info)) {
                self.candidate = Some(info.clone());
            }
        }
    }
}

/// The files Litestream's `CalcRestorePlan(txid)` picks (`txid` 0 = latest), or `None` when it
/// fails (no files, target not reachable, non-contiguous latest restore).
fn restore_plan(all: &[LtxFileInfo], txid: u64) -> Option<Vec<LtxFileInfo>> {
    let mut plan: Vec<LtxFileInfo> = Vec::new();
    if let Some(snapshot) = all
        .iter()
        .rev()
        .find(|f| f.level == 9 && (txid == 0 || f.max_txid.0 <= txid))
    {
        plan.push(snapshot.clone());
    }
    let mut current = plan.last().map_or(0, |f| f.max_txid.0);
    if txid != 0 && current >= txid {
        return Some(plan);
    }
    let mut cursors: Vec<LevelCursor> = (0..=8u8)
        .rev()
        .map(|l| LevelCursor {
            files: all.iter().filter(|f| f.level == l).cloned().collect(),
            pos: 0,
            candidate: None,
        })
        .collect();
    loop {
        let mut next: Option<usize> = None;
        for i in 0..cursors.len() {
            cursors[i].refresh(current, txid);
            let Some(cand) = &cursors[i].candidate else {
                continue;
            };
            if next.is_none_or(|n| better(cursors[n].candidate.as_ref().unwrap(), cand)) {
                next = Some(i);
            }
        }
        let Some(n) = next else { break };
        let chosen = cursors[n].candidate.take().unwrap();
        current = chosen.max_txid.0;
        plan.push(chosen);
        if txid != 0 && current >= txid {
            break;
        }
    }
    if !plan.is_empty() && txid == 0 {
        for c in &cursors {
            if c.files
                .get(c.pos)
                .is_some_and(|f| f.min_txid.0 > current + 1)
            {
                return None;
            }
        }
    }
    if plan.is_empty() || (txid != 0 && current < txid) {
        return None;
    }
    Some(plan)
}

/// The database a restore along `plan` produces.
async fn materialise(client: &ReplicaClient, plan: &[LtxFileInfo]) -> Vec<u8> {
    let mut inputs = Vec::new();
    for f in plan {
        inputs.push(client.read_ltx(f.level, f.name()).await.unwrap());
    }
    let merged = merged(&inputs);
    let (db, _) = Decoder::new(Cursor::new(merged))
        .unwrap()
        .decode_database_to(Vec::new())
        .unwrap();
    db
}

/// The TXIDs of 1..=max that the replica can restore (by the planner), after checking that
/// each one restores to exactly the source's pages.
async fn restorable_txids(client: &ReplicaClient, src: &Source) -> BTreeSet<u64> {
    let all = client.list_all().await.unwrap();
    let mut ok = BTreeSet::new();
    for t in 1..=src.txid() {
        let Some(plan) = restore_plan(&all, t) else {
            continue;
        };
        assert_eq!(plan.last().unwrap().max_txid.0, t, "plan for {t}: {plan:?}");
        let db = materialise(client, &plan).await;
        assert!(
            db == src.image(t),
            "restore to TXID {t} along {:?} differs from the source",
            plan.iter()
                .map(|f| format!("L{} {}", f.level, f.name()))
                .collect::<Vec<_>>()
        );
        ok.insert(t);
    }
    let latest = restore_plan(&all, 0).expect("a latest restore must be possible");
    assert_eq!(
        materialise(client, &latest).await,
        src.image(src.txid()),
        "latest restore"
    );
    ok
}

// ---------------------------------------------------------------------------------------------
// A simulated replicating database: syncs, level schedules and retention on a fake clock.
// ---------------------------------------------------------------------------------------------

struct SimLevel {
    level: u8,
    schedule: LevelSchedule,
    next: DateTime<Utc>,
}

struct Sim {
    client: ReplicaClient,
    meta: Option<MetaDir>,
    src: Source,
    levels: Vec<SimLevel>,
    /// L0 retention and its check interval (None: L0 retention off).
    l0_retention: Option<(Duration, Duration)>,
    next_l0_check: DateTime<Utc>,
    /// Snapshot interval and retention (None: no snapshots).
    snapshots: Option<(Duration, Duration)>,
    snapshot_schedule: LevelSchedule,
    next_snapshot: DateTime<Utc>,
    rng: Rng,
    next_sync: DateTime<Utc>,
    /// The fake clock, in seconds from T0.
    clock: i64,
    compactions: Vec<LtxFileInfo>,
    deleted: usize,
}

impl Sim {
    fn new(client: ReplicaClient, meta: Option<MetaDir>, src: Source, intervals: &[u64]) -> Self {
        let levels = intervals
            .iter()
            .enumerate()
            .map(|(i, s)| SimLevel {
                level: i as u8 + 1,
                schedule: LevelSchedule::new(secs(*s)),
                next: t0(),
            })
            .collect();
        Sim {
            client,
            meta,
            src,
            levels,
            l0_retention: None,
            next_l0_check: t0(),
            snapshots: None,
            snapshot_schedule: LevelSchedule::new(secs(1)),
            next_snapshot: t0(),
            rng: Rng::new(99),
            next_sync: t0(),
            clock: 0,
            compactions: Vec::new(),
            deleted: 0,
        }
    }

    /// Runs the fake clock one second at a time until `txids` syncs happened.
    async fn run_until(&mut self, txids: u64) {
        while self.src.txid() < txids {
            self.tick(at_secs(self.clock)).await;
            self.clock += 1;
        }
    }

    async fn tick(&mut self, now: DateTime<Utc>) {
        if now >= self.next_sync {
            let (txid, bytes) = self.src.step(now);
            sync_l0(&self.client, self.meta.as_ref(), txid, &bytes, now).await;
            self.next_sync = now + chrono::TimeDelta::seconds(self.rng.range(3, 11) as i64);
        }
        for i in 0..self.levels.len() {
            if now < self.levels[i].next {
                continue;
            }
            let (lvl, interval) = (self.levels[i].level, self.levels[i].schedule.interval());
            let out = compact_level(&self.client, self.meta.as_ref(), lvl, interval, now)
                .await
                .unwrap();
            if let Some(info) = out {
                assert!(
                    verify_level_contiguity(&self.client, lvl)
                        .await
                        .unwrap()
                        .is_empty(),
                    "level {lvl} not contiguous after compaction"
                );
                if lvl == 1
                    && let Some((retention, _)) = self.l0_retention
                {
                    let r = enforce_l0_retention(
                        &self.client,
                        self.meta.as_ref(),
                        retention,
                        now,
                        true,
                    )
                    .await
                    .unwrap();
                    self.deleted += r.deletion.files.len();
                }
                self.compactions.push(info);
            }
            self.levels[i].next = self.levels[i].schedule.next_run(now);
        }
        if let Some((retention, check)) = self.l0_retention
            && now >= self.next_l0_check
        {
            let r = enforce_l0_retention(&self.client, self.meta.as_ref(), retention, now, true)
                .await
                .unwrap();
            self.deleted += r.deletion.files.len();
            self.next_l0_check = now + chrono::TimeDelta::from_std(check).unwrap();
        }
        if let Some((interval, retention)) = self.snapshots
            && now >= self.next_snapshot
        {
            self.snapshot_tick(now, interval, retention).await;
            self.next_snapshot = self.snapshot_schedule.next_run(now);
        }
    }

    /// Level 9 as Litestream runs it: skip when too early or already at the position, else
    /// upload a snapshot; then enforce snapshot retention.
    async fn snapshot_tick(&mut self, now: DateTime<Utc>, interval: Duration, retention: Duration) {
        let l9 = self.client.list_ltx_files(9, Txid::ZERO).await.unwrap();
        let newest = newest_file(&l9);
        let too_early = is_too_early(newest.map(|f| f.created_at), interval, now);
        if !too_early && newest.is_none_or(|f| f.max_txid.0 < self.src.txid()) {
            let (n, bytes) = self.src.snapshot(now);
            self.client
                .write_ltx(9, n, bytes, now.timestamp_millis())
                .await
                .unwrap();
        }
        let levels: Vec<u8> = self.levels.iter().map(|l| l.level).collect();
        let r = enforce_snapshot_retention(&self.client, retention, &levels, now, true)
            .await
            .unwrap();
        self.deleted += r.deletions.iter().map(|d| d.files.len()).sum::<usize>();
    }
}

// ---------------------------------------------------------------------------------------------
// Compaction
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn first_level_one_file_is_a_snapshot_of_every_l0_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Source::new(dir.path());
    let client = memory_client();
    let mut l0 = Vec::new();
    for i in 1..=6 {
        let ts = at_secs(i);
        let (txid, bytes) = src.step(ts);
        sync_l0(&client, None, txid, &bytes, ts).await;
        l0.push(bytes);
    }
    let now = Utc::now();
    let info = compact_level(&client, None, 1, secs(30), now)
        .await
        .unwrap()
        .expect("compacted");
    assert_eq!((info.level, info.name()), (1, name(1, 6)));
    assert_eq!(info.created_at, at_secs(6), "timestamp of the newest input");
    assert_eq!(level(&client, 1).await, [name(1, 6)]);

    let bytes = client.read_ltx(1, name(1, 6)).await.unwrap();
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(&bytes[..], &merged(&l0)[..], "exactly the merge of L0 1..6");
    let decoded = decode_file(Cursor::new(bytes.clone())).unwrap();
    let h = decoded.summary.header;
    assert!(h.is_snapshot() && h.no_checksum());
    assert_eq!((h.min_txid, h.max_txid), (Txid(1), Txid(6)));
    assert_eq!(h.timestamp, at_secs(6).timestamp_millis());
    assert_eq!(h.commit as usize, src.images[6].len());
    assert_eq!(
        (h.wal_offset, h.wal_size, h.wal_salt1, h.wal_salt2),
        (0, 0, 0, 0)
    );
    // The file alone restores TXID 6.
    let (db, _) = Decoder::new(Cursor::new(bytes))
        .unwrap()
        .decode_database_to(Vec::new())
        .unwrap();
    assert!(db == src.image(6));
}

#[tokio::test]
async fn compaction_merges_exactly_the_files_after_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Source::new(dir.path());
    let client = file_client(&dir.path().join("replica"));
    let mut l0 = vec![Bytes::new()];
    for i in 1..=12 {
        let ts = at_secs(i);
        let (txid, bytes) = src.step(ts);
        sync_l0(&client, None, txid, &bytes, ts).await;
        l0.push(bytes);
        if i == 4 {
            let out = compact_level(&client, None, 1, secs(30), at_secs(5))
                .await
                .unwrap();
            assert_eq!(out.map(|f| f.name()), Some(name(1, 4)));
        }
    }
    // Next interval: L0 5..12, and only those, become 5-12.
    let info = compact_level(&client, None, 1, secs(30), at_secs(30))
        .await
        .unwrap()
        .expect("compacted");
    assert_eq!(info.name(), name(5, 12));
    assert_eq!(level(&client, 1).await, [name(1, 4), name(5, 12)]);
    let bytes = client.read_ltx(1, name(5, 12)).await.unwrap();
    assert_eq!(&bytes[..], &merged(&l0[5..=12])[..]);
    let h = read_header(&client, 1, name(5, 12)).await;
    assert_eq!(h.timestamp, at_secs(12).timestamp_millis());
    assert!(!h.is_snapshot());
    // CreatedAt of a file replica is the header timestamp (the file's mtime).
    let listed = client.list_ltx_files(1, Txid::ZERO).await.unwrap();
    assert_eq!(listed[1].created_at, at_secs(12));
    assert_eq!(info, listed[1]);

    // Level 2 from level 1: the two level-1 files become 1-12, a snapshot.
    let l2 = compact_level(&client, None, 2, secs(300), at_secs(300))
        .await
        .unwrap()
        .expect("compacted");
    assert_eq!(l2.name(), name(1, 12));
    let l1_files = [
        client.read_ltx(1, name(1, 4)).await.unwrap(),
        client.read_ltx(1, name(5, 12)).await.unwrap(),
    ];
    assert_eq!(
        &client.read_ltx(2, name(1, 12)).await.unwrap()[..],
        &merged(&l1_files)[..]
    );
    assert!(
        verify_level_contiguity(&client, 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(restorable_txids(&client, &src).await.len(), 12);
}

#[tokio::test]
async fn compaction_is_skipped_when_too_early_and_when_nothing_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Source::new(dir.path());
    let client = file_client(&dir.path().join("replica"));
    let s30 = secs(30);
    // Empty source: nothing to do.
    assert_eq!(
        compact_level(&client, None, 1, s30, at_secs(1))
            .await
            .unwrap(),
        None
    );
    for i in 1..=3 {
        let (txid, bytes) = src.step(at_secs(i));
        sync_l0(&client, None, txid, &bytes, at_secs(i)).await;
    }
    let first = compact_level(&client, None, 1, s30, at_secs(5))
        .await
        .unwrap();
    assert_eq!(first.map(|f| f.name()), Some(name(1, 3)));

    // Nothing new, in a later interval: Litestream's pre-check (source max 3 > destination
    // newest min 1) passes, but no source file starts after the destination's max.
    assert_eq!(
        compact_level(&client, None, 1, s30, at_secs(40))
            .await
            .unwrap(),
        None
    );
    let l1 = client.list_ltx_files(1, Txid::ZERO).await.unwrap();
    let l0 = client.list_ltx_files(0, Txid::ZERO).await.unwrap();
    assert_eq!(
        compaction_skip(newest_file(&l1), newest_file(&l0), s30, at_secs(40)),
        None
    );
    assert_eq!(level(&client, 1).await, [name(1, 3)]);

    // New L0 file, but level 1's newest file (created at 3 s) is after the last boundary (0 s).
    let (txid, bytes) = src.step(at_secs(4));
    sync_l0(&client, None, txid, &bytes, at_secs(4)).await;
    for now in [4, 10, 29] {
        assert_eq!(
            compact_level(&client, None, 1, s30, at_secs(now))
                .await
                .unwrap(),
            None,
            "too early at {now} s"
        );
    }
    let l0 = client.list_ltx_files(0, Txid::ZERO).await.unwrap();
    assert_eq!(
        compaction_skip(newest_file(&l1), newest_file(&l0), s30, at_secs(10)),
        Some(CompactionSkip::TooEarly {
            newest_created_at: at_secs(3),
            boundary: t0()
        })
    );
    assert_eq!(level(&client, 1).await, [name(1, 3)]);
    // The next boundary (30 s) opens the window.
    let second = compact_level(&client, None, 1, s30, at_secs(30))
        .await
        .unwrap();
    assert_eq!(second.map(|f| f.name()), Some(name(4, 4)));

    // Source max (4) ≤ destination newest MinTXID (4-4): the pre-check itself says nothing new.
    let l1 = client.list_ltx_files(1, Txid::ZERO).await.unwrap();
    let l0 = client.list_ltx_files(0, Txid::ZERO).await.unwrap();
    assert_eq!(
        compaction_skip(newest_file(&l1), newest_file(&l0), s30, at_secs(60)),
        Some(CompactionSkip::NothingNew {
            src_max_txid: Txid(4),
            dst_min_txid: Txid(4)
        })
    );
    assert_eq!(
        compact_level(&client, None, 1, s30, at_secs(60))
            .await
            .unwrap(),
        None
    );

    // The same at level 2 once it holds 1-4.
    let l2 = compact_level(&client, None, 2, secs(60), at_secs(60))
        .await
        .unwrap();
    assert_eq!(l2.map(|f| f.name()), Some(name(1, 4)));
    assert_eq!(
        compact_level(&client, None, 2, secs(60), at_secs(120))
            .await
            .unwrap(),
        None
    );
    assert_eq!(level(&client, 2).await, [name(1, 4)]);

    // Levels outside 1..=8 are refused.
    for bad in [0, 9] {
        let err = compact_level(&client, None, bad, s30, at_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::Config(_)), "{err}");
    }
}

#[tokio::test]
async fn level_one_reads_local_l0_files_and_falls_back_to_the_replica() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Source::new(dir.path());
    let client = memory_client();
    let meta = MetaDir::open(dir.path().join(".app.db-litestream")).unwrap();
    // Memory CreatedAt is the real upload time: a `now` one second ahead, with a one-second
    // interval, is always past the boundary after the previous upload.
    let interval = secs(1);
    let later = || Utc::now() + chrono::TimeDelta::seconds(1);
    let garbage = Bytes::from_static(b"this is not an LTX file");
    let mut l0 = vec![Bytes::new()];
    for i in 1..=4 {
        let (txid, bytes) = src.step(at_secs(i));
        sync_l0(&client, Some(&meta), txid, &bytes, at_secs(i)).await;
        l0.push(bytes);
    }
    // The replica's copy of TXID 2 is damaged; the local copy is used.
    client
        .write_ltx(0, name(2, 2), garbage.clone(), T0_MS)
        .await
        .unwrap();
    let out = compact_level(&client, Some(&meta), 1, interval, later())
        .await
        .unwrap();
    assert_eq!(out.map(|f| f.name()), Some(name(1, 4)));
    assert_eq!(
        &client.read_ltx(1, name(1, 4)).await.unwrap()[..],
        &merged(&l0[1..=4])[..]
    );

    // TXID 5 only on the replica (local copy gone), TXID 6 damaged on the replica.
    for i in 5..=6 {
        let (txid, bytes) = src.step(at_secs(i));
        sync_l0(&client, Some(&meta), txid, &bytes, at_secs(i)).await;
        l0.push(bytes);
    }
    meta.delete_l0(&[name(5, 5)]).unwrap();
    client
        .write_ltx(0, name(6, 6), garbage.clone(), T0_MS)
        .await
        .unwrap();
    let out = compact_level(&client, Some(&meta), 1, interval, later())
        .await
        .unwrap();
    assert_eq!(out.map(|f| f.name()), Some(name(5, 6)));
    assert_eq!(
        &client.read_ltx(1, name(5, 6)).await.unwrap()[..],
        &merged(&l0[5..=6])[..]
    );

    // A local L0 file that is not on the replica yet is not compacted.
    let (txid, bytes) = src.step(at_secs(7));
    meta.write_l0(txid, |w| {
        use std::io::Write;
        w.write_all(&bytes)
            .map_err(|e| EngineError::io("test write", Path::new("l0"), e))
    })
    .unwrap();
    assert_eq!(
        compact_level(&client, Some(&meta), 1, interval, later())
            .await
            .unwrap(),
        None
    );

    // Uploaded damaged and no local copy: the replica's bytes are read, and refused.
    client
        .write_ltx(0, name(7, 7), garbage.clone(), T0_MS)
        .await
        .unwrap();
    meta.delete_l0(&[name(7, 7)]).unwrap();
    let err = compact_level(&client, Some(&meta), 1, interval, later())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, EngineError::Ltx { .. }), "{text}");
    assert!(
        text.contains("0000000000000007-0000000000000007.ltx"),
        "{text}"
    );
    assert_eq!(level(&client, 1).await, [name(1, 4), name(5, 6)]);

    // Without a meta directory level 1 reads the replica only: the damaged TXID 2 fails a
    // fresh level-1 compaction from scratch.
    let other = memory_client();
    for (t, bytes) in [(1, l0[1].clone()), (2, garbage.clone())] {
        other.write_ltx(0, name(t, t), bytes, T0_MS).await.unwrap();
    }
    assert!(
        compact_level(&other, None, 1, interval, later())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn rounds_at_levels_one_two_three_keep_every_txid_restorable() {
    let dir = tempfile::tempdir().unwrap();
    let src = Source::new(dir.path());
    let client = file_client(&dir.path().join("replica"));
    let meta = MetaDir::open(dir.path().join(".app.db-litestream")).unwrap();
    let mut sim = Sim::new(client, Some(meta), src, &[20, 60, 180]);
    sim.run_until(40).await;
    // Mid-way: everything restorable, and restores agree with the source.
    let mid = restorable_txids(&sim.client, &sim.src).await;
    assert_eq!(mid, (1..=40).collect::<BTreeSet<_>>());
    sim.run_until(90).await;

    for l in 1..=3 {
        let files = level(&sim.client, l).await;
        assert!(
            files.len() >= 2,
            "level {l} should have had several rounds: {files:?}"
        );
        assert_eq!(
            files[0].min_txid,
            Txid(1),
            "level {l} starts with a snapshot"
        );
        assert!(
            verify_level_contiguity(&sim.client, l)
                .await
                .unwrap()
                .is_empty()
        );
        // Every compacted file keeps the newest input's timestamp (its CreatedAt).
        for f in sim.client.list_ltx_files(l, Txid::ZERO).await.unwrap() {
            let h = read_header(&sim.client, l, f.name()).await;
            assert_eq!(h.timestamp, f.created_at.timestamp_millis());
        }
    }
    // Every level-n file is exactly the merge of level n-1 files.
    let all = sim.client.list_all().await.unwrap();
    for f in all.iter().filter(|f| (1..=3).contains(&f.level)) {
        let inputs: Vec<&LtxFileInfo> = all
            .iter()
            .filter(|s| {
                s.level == f.level - 1 && s.min_txid >= f.min_txid && s.max_txid <= f.max_txid
            })
            .collect();
        assert_eq!(inputs.first().unwrap().min_txid, f.min_txid);
        assert_eq!(inputs.last().unwrap().max_txid, f.max_txid);
    }
    assert_eq!(
        restorable_txids(&sim.client, &sim.src).await,
        (1..=90).collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn verify_level_contiguity_reports_gaps_and_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Source::new(dir.path());
    let client = memory_client();
    let (_, bytes) = src.step(t0());
    for (min, max) in [(1, 5), (6, 8), (10, 12), (12, 14)] {
        client
            .write_ltx(3, name(min, max), bytes.clone(), T0_MS)
            .await
            .unwrap();
    }
    let v = verify_level_contiguity(&client, 3).await.unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0].kind, v[0].prev, v[0].next),
        (ContiguityKind::Gap, name(6, 8), name(10, 12))
    );
    assert_eq!(
        (v[1].kind, v[1].prev, v[1].next),
        (ContiguityKind::Overlap, name(10, 12), name(12, 14))
    );
    assert!(
        verify_level_contiguity(&client, 4)
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------------

/// A replica as if L0 retention had run: L0 16..20, L1 1-5 … 16-20, L2 1-10, 11-20, L3 1-10,
/// and snapshots 1-5, 1-10, 1-15, 1-20 created at the given offsets (seconds from T0).
async fn retention_replica(dir: &Path, snapshot_created: [i64; 4]) -> (ReplicaClient, Source) {
    let mut src = Source::new(dir);
    let client = file_client(&dir.join("replica"));
    let mut l0 = vec![Bytes::new()];
    for t in 1..=20 {
        let ts = at_secs(t * 60);
        let (txid, bytes) = src.step(ts);
        if t >= 16 {
            sync_l0(&client, None, txid, &bytes, ts).await;
        }
        l0.push(bytes);
        if t % 5 == 0 {
            let i = (t / 5 - 1) as usize;
            let (n, snap) = src.snapshot(at_secs(snapshot_created[i]));
            client
                .write_ltx(9, n, snap, at_secs(snapshot_created[i]).timestamp_millis())
                .await
                .unwrap();
        }
    }
    let write_merge = |level: u8, min: u64, max: u64| {
        let bytes = Bytes::from(merged(&l0[min as usize..=max as usize]));
        let client = &client;
        async move {
            let ts = at_secs(max as i64 * 60).timestamp_millis();
            client
                .write_ltx(level, name(min, max), bytes, ts)
                .await
                .unwrap();
        }
    };
    for (min, max) in [(1, 5), (6, 10), (11, 15), (16, 20)] {
        write_merge(1, min, max).await;
    }
    for (min, max) in [(1, 10), (11, 20)] {
        write_merge(2, min, max).await;
    }
    write_merge(3, 1, 10).await;
    (client, src)
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn snapshot_retention_deletes_old_snapshots_and_files_below_the_floor() {
    let dir = tempfile::tempdir().unwrap();
    let now_s = 3 * DAY;
    let created = [0, DAY, now_s - 3600, now_s - 600];
    let (client, src) = retention_replica(dir.path(), created).await;
    let before = restorable_txids(&client, &src).await;

    let report =
        enforce_snapshot_retention(&client, secs(86_400), &[1, 2, 3], at_secs(now_s), true)
            .await
            .unwrap();
    // Snapshots 1-5 (3 days old) and 1-10 (2 days old) go; floor = 10.
    assert_eq!(report.floor, Txid(10));
    assert_eq!(report.counts(), [(9, 2), (1, 1)]);
    assert!(report.deletions.iter().all(|d| d.remote && !d.local));
    assert_eq!(level(&client, 9).await, [name(1, 15), name(1, 20)]);
    // MaxTXID < 10: only L1 1-5. L2 1-10 and L3 1-10 (max 10) stay; L3's only file stays.
    assert_eq!(
        level(&client, 1).await,
        [name(6, 10), name(11, 15), name(16, 20)]
    );
    assert_eq!(level(&client, 2).await, [name(1, 10), name(11, 20)]);
    assert_eq!(level(&client, 3).await, [name(1, 10)]);
    assert_eq!(level(&client, 0).await.len(), 5, "L0 is not touched");

    // Every TXID from the oldest kept snapshot on is as restorable as before.
    let after = restorable_txids(&client, &src).await;
    assert!(after.is_subset(&before));
    let kept: BTreeSet<u64> = before.iter().copied().filter(|t| *t >= 15).collect();
    assert_eq!(after.range(15..).copied().collect::<BTreeSet<_>>(), kept);
    assert_eq!(after.first(), Some(&10), "L2/L3 1-10 still restore TXID 10");
}

#[tokio::test]
async fn snapshot_retention_keeps_the_newest_snapshot_and_each_levels_newest_file() {
    let dir = tempfile::tempdir().unwrap();
    let (client, src) = retention_replica(dir.path(), [0, 60, 120, 180]).await;
    let report = enforce_snapshot_retention(
        &client,
        secs(3600),
        &[0, 1, 2, 3, 9],
        at_secs(10 * DAY),
        true,
    )
    .await
    .unwrap();
    // All snapshots are old: the newest stays, floor = 15.
    assert_eq!(report.floor, Txid(15));
    assert_eq!(level(&client, 9).await, [name(1, 20)]);
    assert_eq!(level(&client, 1).await, [name(11, 15), name(16, 20)]);
    assert_eq!(level(&client, 2).await, [name(11, 20)]);
    // L3's only file (max 10 < 15) is its newest, so it stays.
    assert_eq!(level(&client, 3).await, [name(1, 10)]);
    assert_eq!(
        level(&client, 0).await.len(),
        5,
        "level 0 in `levels` is ignored"
    );
    assert_eq!(report.counts(), [(9, 3), (1, 2), (2, 1)]);
    // The latest state and every TXID from 15 on still restore.
    let after = restorable_txids(&client, &src).await;
    assert!((15..=20).all(|t| after.contains(&t)), "{after:?}");
}

#[tokio::test]
async fn snapshot_retention_disabled_deletes_nothing_but_reports_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let now_s = 3 * DAY;
    let (client, _src) = retention_replica(dir.path(), [0, DAY, now_s - 3600, now_s - 600]).await;
    let before = client.list_all().await.unwrap();
    let report =
        enforce_snapshot_retention(&client, secs(86_400), &[1, 2, 3], at_secs(now_s), false)
            .await
            .unwrap();
    assert_eq!(report.floor, Txid(10));
    assert_eq!(report.counts(), [(9, 2), (1, 1)]);
    assert!(report.deletions.iter().all(|d| !d.remote));
    assert_eq!(client.list_all().await.unwrap(), before);
    // Nothing old: nothing selected, floor 0.
    let report = enforce_snapshot_retention(
        &client,
        secs(100 * 86_400),
        &[1, 2, 3],
        at_secs(now_s),
        true,
    )
    .await
    .unwrap();
    assert_eq!(report.floor, Txid::ZERO);
    assert!(report.deletions.is_empty());
    assert_eq!(client.list_all().await.unwrap(), before);
}

/// L0 1..10 created at t × 60 s (remote and local), and level 1 covering 1..=`l1_max`.
async fn l0_replica(dir: &Path, l1_max: Option<u64>) -> (ReplicaClient, MetaDir, Vec<Bytes>) {
    std::fs::create_dir_all(dir).unwrap();
    let mut src = Source::new(dir);
    let client = file_client(&dir.join("replica"));
    let meta = MetaDir::open(dir.join(".app.db-litestream")).unwrap();
    let mut l0 = vec![Bytes::new()];
    for t in 1..=10 {
        let ts = at_secs(t * 60);
        let (txid, bytes) = src.step(ts);
        sync_l0(&client, Some(&meta), txid, &bytes, ts).await;
        l0.push(bytes);
    }
    if let Some(max) = l1_max {
        let bytes = Bytes::from(merged(&l0[1..=max as usize]));
        client
            .write_ltx(
                1,
                name(1, max),
                bytes,
                at_secs(max as i64 * 60).timestamp_millis(),
            )
            .await
            .unwrap();
    }
    (client, meta, l0)
}

fn txids(names: &[FileName]) -> Vec<u64> {
    names.iter().map(|n| n.max_txid.0).collect()
}

#[tokio::test]
async fn l0_retention_deletes_covered_old_files_up_to_the_first_recent_one() {
    let dir = tempfile::tempdir().unwrap();
    let (client, meta, l0) = l0_replica(dir.path(), Some(6)).await;
    let five_min = secs(300);
    // Threshold 4.5 min: files 1..4 are old enough; 5 is too recent, so the walk stops there.
    let r = enforce_l0_retention(&client, Some(&meta), five_min, at_secs(570), true)
        .await
        .unwrap();
    assert_eq!(r.max_l1_txid, Txid(6));
    assert_eq!(txids(&r.deletion.files), [1, 2, 3, 4]);
    assert!(r.deletion.remote && r.deletion.local);
    assert_eq!((r.not_compacted, r.too_recent), (0, 6));
    assert_eq!(txids(&level(&client, 0).await), [5, 6, 7, 8, 9, 10]);
    assert_eq!(txids(&meta.list_l0().unwrap()), [5, 6, 7, 8, 9, 10]);

    // An hour later everything is old: only what level 1 covers (≤ 6) goes.
    let r = enforce_l0_retention(&client, Some(&meta), five_min, at_secs(3600), true)
        .await
        .unwrap();
    assert_eq!(txids(&r.deletion.files), [5, 6]);
    assert_eq!((r.not_compacted, r.too_recent), (4, 0));
    assert_eq!(txids(&level(&client, 0).await), [7, 8, 9, 10]);

    // Level 1 reaches 10: everything is covered, but the newest L0 file stays.
    let bytes = Bytes::from(merged(&l0[7..=10]));
    client
        .write_ltx(1, name(7, 10), bytes, at_secs(600).timestamp_millis())
        .await
        .unwrap();
    let r = enforce_l0_retention(&client, Some(&meta), five_min, at_secs(3600), true)
        .await
        .unwrap();
    assert_eq!(r.max_l1_txid, Txid(10));
    assert_eq!(txids(&r.deletion.files), [7, 8, 9]);
    assert_eq!(txids(&level(&client, 0).await), [10]);
    assert_eq!(txids(&meta.list_l0().unwrap()), [10]);
    // Idempotent: nothing more to delete.
    let r = enforce_l0_retention(&client, Some(&meta), five_min, at_secs(7200), true)
        .await
        .unwrap();
    assert!(r.deletion.files.is_empty());
}

#[tokio::test]
async fn l0_retention_needs_level_one_and_a_retention_and_honours_retention_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let (client, meta, _) = l0_replica(&dir.path().join("a"), None).await;
    // No level-1 file: nothing is covered, nothing goes.
    let r = enforce_l0_retention(&client, Some(&meta), secs(300), at_secs(DAY), true)
        .await
        .unwrap();
    assert_eq!(r.max_l1_txid, Txid::ZERO);
    assert!(r.deletion.files.is_empty());
    assert_eq!(level(&client, 0).await.len(), 10);

    let (client, meta, _) = l0_replica(&dir.path().join("b"), Some(8)).await;
    // Zero retention disables L0 retention.
    let r = enforce_l0_retention(&client, Some(&meta), Duration::ZERO, at_secs(DAY), true)
        .await
        .unwrap();
    assert!(r.deletion.files.is_empty());
    assert_eq!(level(&client, 0).await.len(), 10);
    // retention.enabled = false: local copies go, the replica keeps everything.
    let r = enforce_l0_retention(&client, Some(&meta), secs(300), at_secs(DAY), false)
        .await
        .unwrap();
    assert_eq!(txids(&r.deletion.files), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(!r.deletion.remote && r.deletion.local);
    assert_eq!(level(&client, 0).await.len(), 10);
    assert_eq!(txids(&meta.list_l0().unwrap()), [9, 10]);
    // Without a meta directory only the replica is cleaned.
    let r = enforce_l0_retention(&client, None, secs(300), at_secs(DAY), true)
        .await
        .unwrap();
    assert!(r.deletion.remote && !r.deletion.local);
    assert_eq!(txids(&level(&client, 0).await), [9, 10]);
}

// ---------------------------------------------------------------------------------------------
// Everything together, checked by the real Litestream.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn compaction_and_retention_leave_a_replica_litestream_restores() {
    let dir = tempfile::tempdir().unwrap();
    let replica_dir = dir.path().join("replica");
    let src = Source::new(dir.path());
    let client = file_client(&replica_dir);
    let meta = MetaDir::open(dir.path().join(".app.db-litestream")).unwrap();
    let mut sim = Sim::new(client, Some(meta), src, &[30, 120]);
    // L0 kept 1 min (checked every 15 s), snapshots every 2 min kept 200 s.
    sim.l0_retention = Some((secs(60), secs(15)));
    sim.snapshots = Some((secs(120), secs(200)));
    sim.snapshot_schedule = LevelSchedule::new(secs(120));
    sim.run_until(100).await;
    let last = sim.src.txid();

    let all = sim.client.list_all().await.unwrap();
    assert!(sim.deleted > 0, "retention deleted nothing");
    assert!(all.iter().filter(|f| f.level == 9).count() >= 1);
    assert!(all.iter().filter(|f| f.level == 0).count() < last as usize / 2);
    assert!(sim.compactions.iter().any(|f| f.level == 2));

    let ours = restorable_txids(&sim.client, &sim.src).await;
    assert!(ours.contains(&last));
    assert!(
        ours.len() < last as usize,
        "old TXIDs were expected to expire"
    );
    // Every remaining L0 TXID and every TXID that ends a kept file from the oldest kept
    // snapshot on is restorable.
    let oldest_snapshot = all.iter().find(|f| f.level == 9).unwrap().max_txid.0;
    for f in all.iter().filter(|f| f.max_txid.0 >= oldest_snapshot) {
        assert!(
            ours.contains(&f.max_txid.0),
            "L{} {} not restorable",
            f.level,
            f.name()
        );
    }

    // The real Litestream lists the same files and restores exactly the same TXIDs.
    let bin = support::litestream();
    let url = file_url(&replica_dir);
    let listed: BTreeSet<(u8, u64, u64)> = support::litestream::ltx_list_json(&url)
        .iter()
        .map(|e| (e.level, e.min_txid, e.max_txid))
        .collect();
    let mine: BTreeSet<(u8, u64, u64)> = all
        .iter()
        .map(|f| (f.level, f.min_txid.0, f.max_txid.0))
        .collect();
    assert_eq!(listed, mine);

    let out = dir.path().join("latest.db");
    let o = restore_cmd_with(&bin, &url, &out, None);
    assert_success(&o, "litestream restore (latest)");
    assert!(
        std::fs::read(&out).unwrap() == sim.src.image(last),
        "latest restore differs"
    );
    assert_eq!(support::sqlite_db::integrity_check(&out), "ok");

    for t in 1..=last {
        let out = dir.path().join(format!("restore-{t}.db"));
        let o = restore_cmd_with(&bin, &url, &out, Some(t));
        assert_eq!(
            o.status.success(),
            ours.contains(&t),
            "TXID {t}: litestream {} but the planner says {}\n{}",
            if o.status.success() {
                "restored"
            } else {
                "failed"
            },
            ours.contains(&t),
            String::from_utf8_lossy(&o.stderr)
        );
        if o.status.success() {
            assert!(
                std::fs::read(&out).unwrap() == sim.src.image(t),
                "litestream restore of TXID {t} differs from the source"
            );
        }
    }
}
