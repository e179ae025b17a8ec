//! Restore benchmark: `ltx-tui restore` beside `litestream restore` (the real 0.5.17 binary,
//! installed under `target/peers/` as the tests do) and beside `cp` of the database file.
//!
//! The replica is built with the LTX encoder: a database of `LTX_BENCH_RESTORE_MIB` MiB
//! (default 1024) of 4 KiB pages (half random, half zeros, so LZ4 halves them), one level-9
//! snapshot (TXID 1) and `LTX_BENCH_RESTORE_FILES` (default 1000) L0 files (TXIDs 2..), each
//! changing 16 pages; the expected database file is written beside it. Every restore's
//! output is compared byte for byte with it. Wall time and peak RSS (VmHWM, polled from
//! `/proc/PID/status` every 2 ms) are measured per tool. The same runs on S3 (a moto server on
//! 127.0.0.1) unless `LTX_BENCH_RESTORE_S3=0`; its size is `LTX_BENCH_RESTORE_S3_MIB`
//! (default: the same size).
//!
//! Page cache and fairness: every tool runs once unmeasured, then once measured
//! (`LTX_BENCH_RESTORE_WARMUP=0` skips the warm-up), so each measured run reads a warm replica
//! (cp: a warm source file) and writes a fresh output. ltx-tui and Litestream fsync their
//! output before they exit; plain `cp` does not, so `cp+fsync` (`cp` then `sync FILE`) is
//! measured too, as the baseline with the same durability.
//!
//! Targets (issue 4): ltx-tui ≤ 2 × cp, ≤ 0.5 × litestream, peak RSS ≤ 64 MiB. A table is
//! printed and a JSON document written under `target/bench-results/`.
//!
//! Smoke run: `LTX_BENCH_RESTORE_MIB=64 LTX_BENCH_RESTORE_FILES=100 cargo bench --bench restore`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ltx_tui::ltx::{Checksum, Encoder, FileName, Header, Txid, lock_pgno};
use ltx_tui::storage::{ReplicaClient, ReplicaEnv};
use serde_json::json;

const PAGE_SIZE: u32 = 4096;
const PAGES_PER_L0: u32 = 16;
const T0_MS: i64 = 1_767_225_600_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// The content of page `pgno` at `version`: the first half pseudo-random, the rest zeros.
fn page_content(pgno: u32, version: u64, page: &mut [u8]) {
    let mut x = (u64::from(pgno) << 32) ^ version ^ 0x9E37_79B9_7F4A_7C15;
    let half = page.len() / 2;
    for chunk in page[..half].chunks_mut(8) {
        chunk.copy_from_slice(&xorshift(&mut x).to_le_bytes());
    }
    page[half..].fill(0);
}

/// The L0 file `txid` changes these pages (sorted, no lock page).
fn changed_pages(txid: u64, pages: u32) -> Vec<u32> {
    let mut x = txid.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    let lock = lock_pgno(PAGE_SIZE);
    let mut v: Vec<u32> = (0..PAGES_PER_L0)
        .map(|_| (xorshift(&mut x) % u64::from(pages)) as u32 + 1)
        .filter(|&p| p != lock)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

struct Built {
    source: PathBuf,
    /// (level, name, bytes path, timestamp ms)
    files: Vec<(u8, FileName, PathBuf, i64)>,
    bytes: u64,
}

/// Writes the replica's files under `<dir>/replica/ltx/<level>/` and the expected database.
fn build(dir: &Path, mib: u64, l0_files: u64) -> Built {
    let pages = (mib * 1024 * 1024 / u64::from(PAGE_SIZE)) as u32;
    let lock = lock_pgno(PAGE_SIZE);
    fs::create_dir_all(dir).unwrap();
    let source = dir.join("source.db");
    let db = File::create(&source).unwrap();
    db.set_len(u64::from(pages) * u64::from(PAGE_SIZE)).unwrap();
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut page = vec![0u8; PAGE_SIZE as usize];

    let l9 = dir.join("replica/ltx/9");
    fs::create_dir_all(&l9).unwrap();
    let name = FileName::new(Txid(1), Txid(1));
    let path = l9.join(name.to_string());
    let header = Header::new(PAGE_SIZE, pages, Txid(1), Txid(1), T0_MS);
    let out = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    let mut enc = Encoder::new(out, header).unwrap();
    let mut db_out = BufWriter::with_capacity(1 << 20, &db);
    for pgno in 1..=pages {
        if pgno == lock {
            page.fill(0);
        } else {
            page_content(pgno, 0, &mut page);
            enc.encode_page(pgno, &page).unwrap();
        }
        db_out.write_all(&page).unwrap();
    }
    db_out.flush().unwrap();
    drop(db_out);
    let (mut w, _) = enc.finish(Checksum::ZERO).unwrap();
    w.flush().unwrap();
    total += fs::metadata(&path).unwrap().len();
    files.push((9, name, path, T0_MS));

    let l0 = dir.join("replica/ltx/0");
    fs::create_dir_all(&l0).unwrap();
    for txid in 2..2 + l0_files {
        let name = FileName::new(Txid(txid), Txid(txid));
        let path = l0.join(name.to_string());
        let ts = T0_MS + txid as i64;
        let header = Header::new(PAGE_SIZE, pages, Txid(txid), Txid(txid), ts);
        let mut enc = Encoder::new(BufWriter::new(File::create(&path).unwrap()), header).unwrap();
        for pgno in changed_pages(txid, pages) {
            page_content(pgno, txid, &mut page);
            enc.encode_page(pgno, &page).unwrap();
            db.write_all_at(&page, u64::from(pgno - 1) * u64::from(PAGE_SIZE))
                .unwrap();
        }
        let (mut w, _) = enc.finish(Checksum::ZERO).unwrap();
        w.flush().unwrap();
        total += fs::metadata(&path).unwrap().len();
        files.push((0, name, path, ts));
    }
    db.sync_all().unwrap();
    Built {
        source,
        files,
        bytes: total,
    }
}

struct Run {
    tool: String,
    backend: &'static str,
    secs: f64,
    peak_rss_mib: f64,
    identical: bool,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd` to completion, polling its peak RSS; returns (seconds, peak MiB).
fn measure(mut cmd: Command, what: &str) -> (f64, f64) {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let pid = child.id();
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("{what} failed ({status}): {err}");
    }
    (secs, peak as f64 / 1024.0)
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    Command::new("cmp")
        .args(["-s"])
        .arg(a)
        .arg(b)
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds a fresh command for one run of a tool.
type CommandFactory = Box<dyn Fn() -> Command>;

/// The restores on one replica URL: cp and cp + fsync (file only), ltx-tui, litestream.
/// With `warmup`, each tool first runs once unmeasured, so every measured run starts with the
/// replica (and, for cp, the source file) in the page cache, as it was just written or read.
fn run_all(
    backend: &'static str,
    url: &str,
    env: &[(&str, &str)],
    built: &Built,
    work: &Path,
    warmup: bool,
) -> Vec<Run> {
    let out = work.join(format!("out-{backend}.db"));
    let mut tools: Vec<(&str, CommandFactory)> = Vec::new();
    if backend == "file" {
        let (src, dst) = (built.source.clone(), out.clone());
        tools.push((
            "cp",
            Box::new(move || {
                let mut cp = Command::new("cp");
                cp.arg(&src).arg(&dst);
                cp
            }),
        ));
        let (src, dst) = (built.source.clone(), out.clone());
        tools.push((
            "cp+fsync",
            Box::new(move || {
                // coreutils `sync FILE` fsyncs that file: the durability a restore gives.
                let mut sh = Command::new("sh");
                sh.args(["-c", "cp \"$0\" \"$1\" && sync \"$1\""])
                    .arg(&src)
                    .arg(&dst);
                sh
            }),
        ));
    }
    for (tool, bin) in [
        ("ltx-tui", support::ltx_tui::ltx_tui_bin()),
        ("litestream", support::peers::litestream()),
    ] {
        let (url, dst) = (url.to_owned(), out.clone());
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        tools.push((
            tool,
            Box::new(move || {
                // Without AWS_CA_BUNDLE (Litestream refuses it with a custom endpoint), as the
                // tests; the URL last: Go's flag parsing stops at the first positional argument.
                let mut cmd = support::litestream::litestream_command(&bin);
                cmd.arg("restore")
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .arg("-o")
                    .arg(&dst)
                    .arg(&url);
                cmd
            }),
        ));
    }
    let mut runs = Vec::new();
    for (tool, command) in &tools {
        if warmup {
            let _ = fs::remove_file(&out);
            measure(command(), tool);
        }
        let _ = fs::remove_file(&out);
        let (secs, peak) = measure(command(), tool);
        let identical = same_bytes(&out, &built.source);
        let _ = fs::remove_file(&out);
        runs.push(Run {
            tool: (*tool).to_owned(),
            backend,
            secs,
            peak_rss_mib: peak,
            identical,
        });
    }
    runs
}

fn upload_s3(built: &Built, moto: &support::moto::MotoServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ReplicaClient::new(&moto.s3_spec("bench", "db"), &ReplicaEnv::empty()).unwrap();
    rt.block_on(async {
        for (level, name, path, ts) in &built.files {
            let bytes = Bytes::from(fs::read(path).unwrap());
            client.write_ltx(*level, *name, bytes, *ts).await.unwrap();
        }
    });
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("restore: bench");
        return;
    }
    let mib = env_u64("LTX_BENCH_RESTORE_MIB", 1024);
    let l0_files = env_u64("LTX_BENCH_RESTORE_FILES", 1000);
    let s3 = env_u64("LTX_BENCH_RESTORE_S3", 1) != 0;
    let s3_mib = env_u64("LTX_BENCH_RESTORE_S3_MIB", mib);
    let warmup = env_u64("LTX_BENCH_RESTORE_WARMUP", 1) != 0;
    let work = support::peers::target_dir()
        .join("tmp")
        .join("bench-restore");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    println!("restore bench: {mib} MiB database, 1 snapshot + {l0_files} L0 files");

    let t = Instant::now();
    let built = build(&work.join("file"), mib, l0_files);
    println!(
        "  built replica ({} MiB of LTX) in {:.1}s",
        built.bytes / (1024 * 1024),
        t.elapsed().as_secs_f64()
    );
    let mut runs = run_all(
        "file",
        &support::litestream::file_url(&work.join("file/replica")),
        &[],
        &built,
        &work,
        warmup,
    );

    if s3 {
        let s3_built = if s3_mib == mib {
            None
        } else {
            Some(build(&work.join("s3"), s3_mib, l0_files))
        };
        let b = s3_built.as_ref().unwrap_or(&built);
        let mut moto = support::moto::MotoServer::start();
        moto.create_bucket("bench");
        let t = Instant::now();
        upload_s3(b, &moto);
        println!("  uploaded to moto in {:.1}s", t.elapsed().as_secs_f64());
        let env = moto.litestream_env();
        runs.extend(run_all(
            "s3",
            &moto.s3_url("bench", "db"),
            &env,
            b,
            &work,
            warmup,
        ));
    }
    if std::env::var_os("LTX_BENCH_RESTORE_KEEP").is_some() {
        println!("  kept {}", work.display());
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    report(mib, s3_mib, l0_files, warmup, &runs);
}

fn report(mib: u64, s3_mib: u64, l0_files: u64, warmup: bool, runs: &[Run]) {
    println!(
        "\n  {:<8} {:<11} {:>9} {:>13} {:>10}",
        "backend", "tool", "seconds", "peak RSS MiB", "identical"
    );
    for r in runs {
        println!(
            "  {:<8} {:<11} {:>9.3} {:>13.1} {:>10}",
            r.backend, r.tool, r.secs, r.peak_rss_mib, r.identical
        );
    }
    let find =
        |backend: &str, tool: &str| runs.iter().find(|r| r.backend == backend && r.tool == tool);
    let mut checks = Vec::new();
    for backend in ["file", "s3"] {
        let Some(ours) = find(backend, "ltx-tui") else {
            continue;
        };
        if let Some(cp) = find(backend, "cp") {
            checks.push((format!("{backend}: ltx-tui / cp"), ours.secs / cp.secs, 2.0));
        }
        if let Some(cp) = find(backend, "cp+fsync") {
            checks.push((
                format!("{backend}: ltx-tui / (cp+fsync)"),
                ours.secs / cp.secs,
                2.0,
            ));
        }
        if let Some(ls) = find(backend, "litestream") {
            checks.push((
                format!("{backend}: ltx-tui / litestream"),
                ours.secs / ls.secs,
                0.5,
            ));
        }
        checks.push((
            format!("{backend}: ltx-tui peak RSS MiB"),
            ours.peak_rss_mib,
            64.0,
        ));
    }
    println!();
    for (name, value, target) in &checks {
        let pass = value <= target;
        println!(
            "  {name:<32} {value:>8.3}  target ≤ {target}  {}",
            if pass { "ok" } else { "MISSED" }
        );
    }
    let all_identical = runs.iter().all(|r| r.identical);
    println!("  every output identical to the source: {all_identical}");

    let dir = support::peers::target_dir().join("bench-results");
    fs::create_dir_all(&dir).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let doc = json!({
        "bench": "restore",
        "started_unix_s": now,
        "settings": {"warmup": warmup, "mib": mib, "s3_mib": s3_mib, "l0_files": l0_files, "page_size": PAGE_SIZE,
                     "pages_per_l0": PAGES_PER_L0},
        "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "software": {"litestream": support::peers::LITESTREAM_VERSION,
                     "ltx_tui": env!("CARGO_PKG_VERSION")},
        "runs": runs.iter().map(|r| json!({"backend": r.backend, "tool": r.tool,
            "seconds": r.secs, "peak_rss_mib": r.peak_rss_mib, "identical": r.identical}))
            .collect::<Vec<_>>(),
        "checks": checks.iter().map(|(n, v, t)| json!({"name": n, "value": v, "target": t,
            "pass": v <= t})).collect::<Vec<_>>(),
        "all_identical": all_identical,
    });
    let path = dir.join(format!("restore-{now}.json"));
    fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    println!("  wrote {}", path.display());
}
