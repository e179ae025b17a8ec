//! The real `ltx-tui restore` process: Litestream's flags with one dash and with two, the
//! output policies (`-if-db-not-exists`, `-if-replica-exists`, `-force` and its sidecar
//! removal), a corrupt file in the plan, a restore killed midway, and the refusal to restore
//! over a configured database that a live replicator holds.
//!
//! Replicas here are made from a real SQLite database's pages with the LTX encoder (one L0
//! file per step, the first a snapshot), so each test builds its own in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid};

use support::litestream::file_url;
use support::ltx_tui::{Headless, file_replica_config, ltx_tui_bin};
use support::sqlite_db::{TestDb, assert_same_dump, canonical_dump_of, integrity_check};

const T0_MS: i64 = 1_767_225_600_000;

/// A replica of three TXIDs and the dump after each.
struct Replica {
    dir: tempfile::TempDir,
    replica: PathBuf,
    dumps: Vec<String>,
}

impl Replica {
    fn url(&self) -> String {
        file_url(&self.replica)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn l0(&self, txid: u64) -> PathBuf {
        self.replica
            .join("ltx/0")
            .join(FileName::new(Txid(txid), Txid(txid)).to_string())
    }
}

fn write_l0(replica: &Path, txid: u64, pages: &[Vec<u8>], prev: &[Vec<u8>]) {
    let dir = replica.join("ltx/0");
    fs::create_dir_all(&dir).unwrap();
    let ps = pages[0].len() as u32;
    let header = Header::new(
        ps,
        pages.len() as u32,
        Txid(txid),
        Txid(txid),
        T0_MS + txid as i64 * 1000,
    );
    let name = FileName::new(Txid(txid), Txid(txid)).to_string();
    let file = fs::File::create(dir.join(name)).unwrap();
    let mut enc = Encoder::new(BufWriter::new(file), header).unwrap();
    for (i, page) in pages.iter().enumerate() {
        if txid == 1 || prev.get(i) != Some(page) {
            enc.encode_page(i as u32 + 1, page).unwrap();
        }
    }
    let (mut w, _) = enc.finish(Checksum::ZERO).unwrap();
    w.flush().unwrap();
}

fn small_replica() -> Replica {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let mut db = TestDb::create(&dir.path().join("source.db"), 4096);
    db.create_table("items");
    let mut dumps = vec![String::new()];
    let mut prev: Vec<Vec<u8>> = Vec::new();
    for txid in 1..=3u64 {
        db.insert_rows_sized("items", 20, 3000);
        let pages = db.pages();
        write_l0(&replica, txid, &pages, &prev);
        dumps.push(db.canonical_dump());
        prev = pages;
    }
    Replica {
        dir,
        replica,
        dumps,
    }
}

fn ltx_tui(args: &[&str]) -> Output {
    Command::new(ltx_tui_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn single_and_double_dash_flags_restore_the_same_txid() {
    let r = small_replica();
    let (a, b) = (r.path("a.db"), r.path("b.db"));
    let url = r.url();
    let one = ltx_tui(&["restore", "-o", s(&a), "-txid", "0000000000000002", &url]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let two = ltx_tui(&[
        "restore",
        "-o",
        s(&b),
        "--txid=0000000000000002",
        "--parallelism",
        "2",
        &url,
    ]);
    assert_eq!(two.status.code(), Some(0), "{}", stderr(&two));
    assert_same_dump(&canonical_dump_of(&a), &r.dumps[2], "-txid");
    assert!(fs::read(&a).unwrap() == fs::read(&b).unwrap());
    // -json prints Litestream's summary.
    let c = r.path("c.db");
    let json = ltx_tui(&[
        "restore",
        "-json",
        "-integrity-check",
        "full",
        "-o",
        s(&c),
        &url,
    ]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["txid"], "0000000000000003");
    assert_eq!(v["integrity_check"], "full");
    assert_eq!(v["replica"], "file");
}

#[test]
fn usage_errors_exit_2() {
    let r = small_replica();
    let url = r.url();
    let out = r.path("x.db");
    for args in [
        vec!["restore", "-o", s(&out), "-txid", "12", &url],
        vec!["restore", "-o", s(&out), "-timestamp", "yesterday", &url],
        vec!["restore", &url],
        vec![
            "restore",
            "-o",
            s(&out),
            "-txid",
            "0000000000000001",
            "-timestamp",
            "2026-01-01T00:00:00Z",
            &url,
        ],
        vec!["restore", "-o", s(&out), "-integrity-check", "deep", &url],
    ] {
        let o = ltx_tui(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    assert!(!out.exists());
}

#[test]
fn if_db_not_exists_and_if_replica_exists_skip_with_exit_0() {
    let r = small_replica();
    let out = r.path("existing.db");
    fs::write(&out, b"keep me").unwrap();
    let o = ltx_tui(&["restore", "-if-db-not-exists", "-o", s(&out), &r.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(&out).unwrap(), b"keep me");
    // Without it the existing file is refused.
    let o = ltx_tui(&["restore", "-o", s(&out), &r.url()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("output path already exists"),
        "{}",
        stderr(&o)
    );

    let empty = file_url(&r.path("no-replica"));
    let out = r.path("fresh.db");
    let o = ltx_tui(&["restore", "-if-replica-exists", "-o", s(&out), &empty]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.exists());
    let o = ltx_tui(&["restore", "-o", s(&out), &empty]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no matching backup files available"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn force_overwrites_and_removes_sidecars() {
    let r = small_replica();
    let out = r.path("out.db");
    fs::write(&out, vec![1u8; 4096]).unwrap();
    let sidecars: Vec<PathBuf> = ["-wal", "-shm", "-journal"]
        .iter()
        .map(|x| PathBuf::from(format!("{}{x}", out.display())))
        .collect();
    for p in &sidecars {
        fs::write(p, b"stale").unwrap();
    }
    let o = ltx_tui(&["restore", "-o", s(&out), &r.url()]);
    assert_eq!(o.status.code(), Some(1));
    let o = ltx_tui(&["restore", "--force", "-o", s(&out), &r.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for p in &sidecars {
        assert!(!p.exists(), "{} survived -force", p.display());
    }
    assert_same_dump(&canonical_dump_of(&out), &r.dumps[3], "forced restore");

    // A sidecar alone (no database) is refused without -force too.
    let lone = r.path("lone.db");
    fs::write(format!("{}-wal", lone.display()), b"stale").unwrap();
    let o = ltx_tui(&["restore", "-o", s(&lone), &r.url()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("lone.db-wal"), "{}", stderr(&o));
    assert!(!lone.exists());
}

#[test]
fn a_corrupt_file_names_itself_and_leaves_nothing() {
    let r = small_replica();
    let victim = r.l0(2);
    let mut bytes = fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    fs::write(&victim, bytes).unwrap();
    let out = r.path("sub/dir/out.db");
    let o = ltx_tui(&["restore", "-o", s(&out), &r.url()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("level 0 file 0000000000000002-0000000000000002.ltx"),
        "{err}"
    );
    assert!(
        err.contains("mismatch") || err.contains("invalid") || err.contains("lz4"),
        "{err}"
    );
    let parent = out.parent().unwrap();
    let left: Vec<_> = fs::read_dir(parent).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // TXID 1 does not need the corrupt file.
    let o = ltx_tui(&[
        "restore",
        "-txid",
        "0000000000000001",
        "-o",
        s(&out),
        &r.url(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_dump(&canonical_dump_of(&out), &r.dumps[1], "TXID 1");
}

/// Writes a snapshot of `pages` pseudo-random 4 KiB pages (incompressible: the file is as big
/// as the database) as the replica's only file.
fn big_snapshot(replica: &Path, pages: u32) {
    let dir = replica.join("ltx/9");
    fs::create_dir_all(&dir).unwrap();
    let name = FileName::new(Txid(1), Txid(1)).to_string();
    let header = Header::new(4096, pages, Txid(1), Txid(1), T0_MS);
    let file = fs::File::create(dir.join(name)).unwrap();
    let mut enc = Encoder::new(BufWriter::with_capacity(1 << 20, file), header).unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut page = vec![0u8; 4096];
    for pgno in 1..=pages {
        for chunk in page.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        if pgno != ltx_tui::ltx::lock_pgno(4096) {
            enc.encode_page(pgno, &page).unwrap();
        }
    }
    let (mut w, _) = enc.finish(Checksum::ZERO).unwrap();
    w.flush().unwrap();
}

#[test]
fn a_restore_killed_midway_leaves_nothing_at_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    big_snapshot(&replica, 48 * 1024); // 192 MiB
    let out = dir.path().join("out.db");
    let tmp = dir.path().join("out.db.tmp");
    let mut child = Command::new(ltx_tui_bin())
        .args(["restore", "-o", s(&out), &file_url(&replica)])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (polling a condition) until the restore is writing its temp file.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fs::metadata(&tmp).map_or(true, |m| m.len() == 0) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the restore ended before its temp file was seen"
        );
        assert!(Instant::now() < deadline, "no temp file appeared");
        std::thread::yield_now();
    }
    assert!(child.try_wait().unwrap().is_none(), "restore already done");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(!out.exists(), "a killed restore left {}", out.display());

    // The next restore to the same path cleans up and succeeds.
    let o = ltx_tui(&["restore", "-o", s(&out), &file_url(&replica)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!tmp.exists());
    assert_eq!(fs::metadata(&out).unwrap().len(), 48 * 1024 * 4096);
}

#[test]
fn a_configured_database_held_by_a_replicator_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDb::create_in(dir.path(), 4096);
    db.create_table("items");
    db.insert_rows("items", 10);
    let before = db.canonical_dump();
    let replica = dir.path().join("replica");
    let config_text = file_replica_config(&db.path, &replica, "");
    let mut headless = Headless::start(dir.path(), &config_text);
    headless.wait_for(
        &replica,
        "the first L0 file",
        Duration::from_secs(30),
        |f| f.max_txid(0).is_some(),
    );
    let config = dir.path().join("ltx-tui.yml");
    // Config mode: the output defaults to the database itself.
    let o = ltx_tui(&["restore", "-config", s(&config), s(&db.path)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("listed in the configuration"),
        "{}",
        stderr(&o)
    );
    // -force is still refused while the replicator holds it.
    let o = ltx_tui(&["restore", "-config", s(&config), "-force", s(&db.path)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("another process has the database open"),
        "{}",
        stderr(&o)
    );
    // Restoring elsewhere from the configured replica is fine.
    let copy = dir.path().join("copy.db");
    let o = ltx_tui(&[
        "restore",
        "--config",
        s(&config),
        "-o",
        s(&copy),
        s(&db.path),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_dump(&canonical_dump_of(&copy), &before, "restored copy");
    assert_eq!(integrity_check(&copy), "ok");
    // With the replicator and the application gone, -force rolls the database back.
    assert!(headless.stop_with("TERM").success());
    db.insert_rows("items", 5);
    let db_path = db.path.clone();
    db.close();
    let o = ltx_tui(&["restore", "-config", s(&config), "-force", s(&db_path)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same_dump(&canonical_dump_of(&db_path), &before, "rolled back");
}
