//! Replication benchmarks: ltx-tui beside Litestream 0.5.17 in the same run, same defaults.
//!
//! `cargo bench --bench replication` runs four scenarios, each for every replicator (none /
//! ltx-tui / litestream), prints a table per scenario plus the ratios and the targets,
//! and writes everything to `target/bench-results/replication.json` (rewritten after every
//! scenario, so an interrupted run still leaves the finished ones).
//!
//! 1. **overhead**: a fresh WAL database (synchronous=NORMAL) per phase; a writer runs
//!    `BEGIN; INSERT one ~100-byte row; COMMIT` in a tight loop for `DURATION` s. Phases
//!    alternate `a` (no replicator), `b` (ltx-tui), `c` (litestream): `abcabc`. In b and c the
//!    replicator is started first and has written its first L0 file before the window opens;
//!    after the window it is stopped with SIGTERM (final sync), the replica is restored with
//!    `litestream restore` and its row count must equal the number of committed transactions.
//!    Each window starts after `sync` (the previous phase's dirty pages written back).
//!    Figures: tx/s per phase, the median per kind, ratios b/a and c/a; also the replicator's
//!    CPU during the window and the WAL size at the end.
//! 2. **lag**: 100 commits/s on a 10 ms schedule (one row per transaction carrying a unique
//!    marker `<M:%08d:M>`) for `DURATION` s, against `file://` and S3 (moto on 127.0.0.1).
//!    A poller thread lists the replica's level-0 objects every few ms and notes when each
//!    final-named `.ltx` first appears (the instant that listing *returned*: an upper bound, by
//!    at most one poll gap). A fetcher thread reads every new file, decodes it with
//!    `ltx_tui::ltx::decode_file` and scans its pages for markers. A transaction's lag is the
//!    appearance time of the first L0 file containing its marker minus its commit time (taken
//!    right after `COMMIT` returned). Runs: ltx-tui (defaults), litestream (defaults: monitor
//!    1 s, sync 1 s), and litestream at monitor/sync 100 ms as a fairness reference. On S3
//!    each listing starts after the 32nd-newest known name (`start-after`), so a listing
//!    stays short however many files L0 holds, and the fetcher's GETs wait until the writer
//!    is done (moto is one Python process; its load would otherwise count in the lag). The
//!    poll gap (max, mean) and mean listing time are reported beside every lag figure: they
//!    bound the measurement's resolution. Drain: after the writer, the run waits until every
//!    transaction is covered (giving up after 15 s without progress); uncovered transactions
//!    are a verification failure.
//! 3. **idle**: 1 and 10 databases (WAL, 1000 small rows each, own `file://` replica, default
//!    settings, one config). Start the replicator, wait for each database's first L0 file,
//!    wait 5 s, then CPU (utime+stime from `/proc/PID/stat`) over `IDLE_S` s, and VmRSS,
//!    VmHWM, Threads from `/proc/PID/status` at the end.
//! 4. **bytes**: a mixed workload (60 % insert, 25 % update, 15 % delete, one statement per
//!    transaction, 50 tx/s steady) for `WORKLOAD_S` s, default settings. Both replicators run
//!    at the same time, each on its own database fed the identical deterministic workload (same
//!    seed, same schedule, one writer thread each). Then both are stopped with SIGTERM, and the
//!    bytes under each replica directory are summed per level; each replica is restored with
//!    `litestream restore` and compared with its source (canonical dump, integrity check).
//!
//! The writer is a thread of this process (rusqlite with bundled SQLite), the same code for
//! every replicator. A thread rather than a process: during a window the main thread only
//! waits (overhead) or sleeps between polls (lag), so the writer effectively has its own core
//! as a separate process would; it shares the monotonic clock with the poller, so commit and
//! appearance instants compare directly; and no re-exec plumbing is needed. Replicators are
//! separate processes, started and stopped by PID; everything binds to 127.0.0.1.
//!
//! Knobs (environment; command-line words also select scenarios, like `LTX_BENCH_ONLY`):
//! - `LTX_BENCH_DURATION` (s): overhead phase length (default 15) and lag run length
//!   (default 30); `LTX_BENCH_OVERHEAD_S` / `LTX_BENCH_LAG_S` set them separately.
//! - `LTX_BENCH_IDLE_S` (default 60), `LTX_BENCH_IDLE_SETTLE_S` (default 5),
//!   `LTX_BENCH_IDLE_COUNTS` (default `1,10`).
//! - `LTX_BENCH_WORKLOAD_S` (default 600), `LTX_BENCH_WORKLOAD_TPS` (default 50).
//! - `LTX_BENCH_ONLY` = comma list of `overhead,lag,idle,bytes` (default: all).
//! - `LTX_BENCH_PHASES` (default `abcabc`), `LTX_BENCH_RATE` (lag commits/s, default 100),
//!   `LTX_BENCH_LAG_TARGETS` (default `file,s3`), `LTX_BENCH_POLL_MS` (file poll, default 2),
//!   `LTX_BENCH_S3_POLL_MS` (pause between S3 listings, default 5).
//! - `LTX_BENCH_DIR` (scratch parent, default the temp dir), `LTX_BENCH_KEEP=1` keeps it.
//!
//! Verification failures (a restore that differs, a replicator that exits non-zero after
//! SIGTERM, transactions that never reach L0, undecodable L0 files) are listed at the end and
//! make the bench exit 1; targets that are missed are reported (`MISSES`), not failures.
//!
//! Quick smoke run (about two minutes):
//! `LTX_BENCH_DURATION=3 LTX_BENCH_IDLE_S=5 LTX_BENCH_WORKLOAD_S=10 cargo bench --bench replication`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use support::litestream::{ReplicaFiles, file_url, parse_ltx_file_name, restore_ok_with};
use support::moto::{ACCESS_KEY_ID, MotoServer, REGION, SECRET_ACCESS_KEY};
use support::sqlite_db::{Rng, canonical_dump_of, integrity_check};

/// How long a replicator may take to write its first L0 file.
const FIRST_L0_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a replicator may take to exit after SIGTERM (a final sync of a large WAL).
const STOP_TIMEOUT: Duration = Duration::from_secs(180);
/// The bucket every S3 run uses (each run has its own path).
const BUCKET: &str = "ltx-bench";

// ---------------------------------------------------------------------------------------------
// Settings

struct Settings {
    overhead_s: f64,
    lag_s: f64,
    idle_s: f64,
    idle_settle_s: f64,
    idle_counts: Vec<usize>,
    workload_s: f64,
    workload_tps: f64,
    only: Vec<String>,
    phases: String,
    rate: f64,
    lag_targets: Vec<String>,
    poll_ms: f64,
    s3_poll_ms: f64,
    scratch: PathBuf,
    keep: bool,
}

const SCENARIOS: [&str; 4] = ["overhead", "lag", "idle", "bytes"];

fn env_f64(name: &str) -> Option<f64> {
    let v = std::env::var(name).ok()?;
    let parsed: f64 = v
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"));
    assert!(parsed >= 0.0, "{name}={v:?} must not be negative");
    Some(parsed)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Settings {
    fn from_env() -> Settings {
        let duration = env_f64("LTX_BENCH_DURATION");
        let mut only = env_list("LTX_BENCH_ONLY", "");
        // `cargo bench --bench replication -- lag idle`: words select scenarios too.
        only.extend(
            std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .flat_map(|a| {
                    a.split(',')
                        .map(|s| s.trim().to_owned())
                        .collect::<Vec<_>>()
                }),
        );
        for name in &only {
            assert!(
                SCENARIOS.contains(&name.as_str()),
                "unknown scenario {name:?} (LTX_BENCH_ONLY / arguments take {SCENARIOS:?})"
            );
        }
        let phases = std::env::var("LTX_BENCH_PHASES").unwrap_or_else(|_| "abcabc".to_owned());
        assert!(
            !phases.is_empty() && phases.chars().all(|c| matches!(c, 'a' | 'b' | 'c')),
            "LTX_BENCH_PHASES={phases:?}: use letters a (none), b (ltx-tui), c (litestream)"
        );
        let lag_targets = env_list("LTX_BENCH_LAG_TARGETS", "file,s3");
        for t in &lag_targets {
            assert!(
                t == "file" || t == "s3",
                "LTX_BENCH_LAG_TARGETS: unknown target {t:?} (file, s3)"
            );
        }
        let idle_counts = env_list("LTX_BENCH_IDLE_COUNTS", "1,10")
            .iter()
            .map(|c| {
                c.parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| panic!("LTX_BENCH_IDLE_COUNTS: {c:?} is not a count"))
            })
            .collect();
        let rate = env_f64("LTX_BENCH_RATE").unwrap_or(100.0);
        assert!(rate > 0.0, "LTX_BENCH_RATE must be positive");
        let workload_tps = env_f64("LTX_BENCH_WORKLOAD_TPS").unwrap_or(50.0);
        assert!(
            workload_tps > 0.0,
            "LTX_BENCH_WORKLOAD_TPS must be positive"
        );
        Settings {
            overhead_s: env_f64("LTX_BENCH_OVERHEAD_S").or(duration).unwrap_or(15.0),
            lag_s: env_f64("LTX_BENCH_LAG_S").or(duration).unwrap_or(30.0),
            idle_s: env_f64("LTX_BENCH_IDLE_S").unwrap_or(60.0),
            idle_settle_s: env_f64("LTX_BENCH_IDLE_SETTLE_S").unwrap_or(5.0),
            idle_counts,
            workload_s: env_f64("LTX_BENCH_WORKLOAD_S").unwrap_or(600.0),
            workload_tps,
            only,
            phases,
            rate,
            lag_targets,
            poll_ms: env_f64("LTX_BENCH_POLL_MS").unwrap_or(2.0),
            s3_poll_ms: env_f64("LTX_BENCH_S3_POLL_MS").unwrap_or(5.0),
            scratch: std::env::var_os("LTX_BENCH_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
            keep: std::env::var("LTX_BENCH_KEEP").is_ok_and(|v| v == "1"),
        }
    }

    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }

    fn to_json(&self) -> Value {
        json!({
            "overhead_s": self.overhead_s, "lag_s": self.lag_s, "idle_s": self.idle_s,
            "idle_settle_s": self.idle_settle_s, "idle_counts": self.idle_counts,
            "workload_s": self.workload_s, "workload_tps": self.workload_tps,
            "phases": self.phases, "lag_rate_tps": self.rate, "lag_targets": self.lag_targets,
            "file_poll_ms": self.poll_ms, "s3_poll_pause_ms": self.s3_poll_ms,
            "only": self.only,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Replicators: configs and processes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    LtxTui,
    Litestream,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::LtxTui => "ltx-tui",
            Tool::Litestream => "litestream",
        }
    }

    fn command(self, config: &Path) -> Command {
        let mut cmd = match self {
            Tool::LtxTui => {
                let mut cmd = Command::new(support::ltx_tui::ltx_tui_bin());
                cmd.args(["--headless", "--config"]).arg(config);
                cmd
            }
            Tool::Litestream => {
                let mut cmd = Command::new(support::peers::litestream());
                cmd.args(["replicate", "-config"]).arg(config);
                cmd
            }
        };
        // This machine sets AWS_CA_BUNDLE, which breaks Litestream's S3 client; both tools
        // run without it.
        cmd.env_remove("AWS_CA_BUNDLE");
        cmd
    }
}

/// Where a database is replicated to.
#[derive(Clone, Debug)]
enum Target {
    File(PathBuf),
    S3 {
        endpoint: String,
        bucket: String,
        path: String,
    },
}

impl Target {
    /// The `replica:` block's keys (six-space indent).
    fn yaml(&self) -> String {
        match self {
            Target::File(dir) => format!("      url: {}\n", quote(&file_url(dir))),
            Target::S3 {
                endpoint,
                bucket,
                path,
            } => format!(
                "      type: s3\n      bucket: {bucket}\n      path: {path}\n      endpoint: {endpoint}\n      region: {REGION}\n      force-path-style: true\n      access-key-id: {ACCESS_KEY_ID}\n      secret-access-key: {SECRET_ACCESS_KEY}\n"
            ),
        }
    }

    /// A lister of the replica's level-`level` LTX files.
    fn lister(&self, level: u8) -> ListerSpec {
        match self {
            Target::File(dir) => ListerSpec::File(dir.join("ltx").join(level.to_string())),
            Target::S3 {
                endpoint,
                bucket,
                path,
            } => ListerSpec::S3 {
                endpoint: endpoint.clone(),
                bucket: bucket.clone(),
                prefix: format!("{path}/{level:04x}"),
            },
        }
    }
}

/// A YAML double-quoted scalar (JSON strings are valid ones).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A Litestream-style config; `interval` sets both monitor-interval and sync-interval (none:
/// every setting at its default).
fn config_yaml(dbs: &[(PathBuf, Target)], interval: Option<Duration>) -> String {
    let mut y = String::from("dbs:\n");
    for (db, target) in dbs {
        writeln!(y, "  - path: {}", quote(&db.display().to_string())).unwrap();
        if let Some(d) = interval {
            writeln!(y, "    monitor-interval: {}ms", d.as_millis()).unwrap();
        }
        if let Ok(extra) = std::env::var("LTX_BENCH_DB_EXTRA") {
            for line in extra.split(';').filter(|l| !l.trim().is_empty()) {
                writeln!(y, "    {}", line.trim()).unwrap();
            }
        }
        y.push_str("    replica:\n");
        y.push_str(&target.yaml());
        if let Some(d) = interval {
            writeln!(y, "      sync-interval: {}ms", d.as_millis()).unwrap();
        }
    }
    y
}

/// A running replicator process; killed on drop if still running.
struct Proc {
    label: String,
    child: Option<Child>,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Proc {
    /// Writes `config` to `<dir>/<label>.yml` and starts `tool` on it; stdout and stderr go
    /// to `<dir>/<label>.log`.
    fn start(tool: Tool, label: &str, dir: &Path, config: &str) -> Proc {
        fs::create_dir_all(dir).unwrap();
        let file_label = label.replace(['@', ' ', '/'], "_");
        let config_path = dir.join(format!("{file_label}.yml"));
        fs::write(&config_path, config).unwrap();
        let log = dir.join(format!("{file_label}.log"));
        let out = File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let mut cmd = tool.command(&config_path);
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label}: {cmd:?}: {e}"));
        Proc {
            label: label.to_owned(),
            child: Some(child),
            log,
            status: None,
        }
    }

    fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .unwrap_or_else(|| panic!("{} is not running", self.label))
    }

    fn log_tail(&self, lines: usize) -> String {
        format!(
            "--- {} log tail ({}) ---\n{}",
            self.label,
            self.log.display(),
            support::litestream::log_tail(&self.log, lines)
        )
    }

    /// Panics with the log tail if the process has exited.
    fn assert_running(&mut self, what: &str) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            self.child = None;
            self.status = Some(status);
            panic!(
                "{} exited ({status}) while {what}\n{}",
                self.label,
                self.log_tail(40)
            );
        }
    }

    /// SIGTERM by PID (a final sync, then exit), waiting up to [`STOP_TIMEOUT`]; SIGKILL and a
    /// panic after that.
    fn stop(&mut self) -> ExitStatus {
        let Some(mut child) = self.child.take() else {
            return self.status.expect("stopped process has a status");
        };
        let pid = child.id();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} (pid {pid}) did not exit within {STOP_TIMEOUT:?} of SIGTERM\n{}",
                    self.label,
                    self.log_tail(40)
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        self.status = Some(status);
        status
    }

    /// Lines of the log mentioning ERROR and WARN (both tools log the level in capitals).
    fn log_counts(&self) -> (usize, usize) {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let errors = text.lines().filter(|l| l.contains("ERROR")).count();
        let warnings = text.lines().filter(|l| l.contains("WARN")).count();
        (errors, warnings)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `cond` every 20 ms until it holds; panics (with the processes' log tails) at the
/// deadline or if a process exits meanwhile.
fn wait_until(
    what: &str,
    timeout: Duration,
    procs: &mut [&mut Proc],
    mut cond: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        for p in procs.iter_mut() {
            p.assert_running(what);
        }
        if Instant::now() >= deadline {
            let tails: Vec<String> = procs.iter().map(|p| p.log_tail(40)).collect();
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                tails.join("\n")
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn exit_code(status: ExitStatus) -> Value {
    match status.code() {
        Some(code) => json!(code),
        None => json!(status.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// /proc

fn clk_tck() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    // Fields after the parenthesised command name start at field 3 (state); utime and stime
    // are fields 14 and 15.
    let rest = &text[text.rfind(')').expect("stat has a command name") + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> u64 { fields[n - 3].parse().unwrap() };
    field(14) + field(15)
}

/// A `/proc/PID/status` value (kB for the Vm* keys).
fn status_value(pid: u32, key: &str) -> u64 {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{path} has no {key}"))
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// Linear interpolation between closest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 50.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn mib(kib_or_bytes: u64, unit: u64) -> f64 {
    kib_or_bytes as f64 * unit as f64 / 1_048_576.0
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// Opens a writer connection: WAL, synchronous=NORMAL, a 10 s busy timeout.
fn open_writer(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA synchronous = NORMAL").unwrap();
    conn
}

fn row_count(path: &Path, table: &str) -> u64 {
    let conn = support::sqlite_db::open_db(path);
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap();
    u64::try_from(n).unwrap()
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Total bytes of the regular files under `dir` (0 if absent).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A scratch directory for one run (removed on drop unless `LTX_BENCH_KEEP=1`).
fn scratch(s: &Settings, prefix: &str) -> tempfile::TempDir {
    fs::create_dir_all(&s.scratch).unwrap();
    let mut dir = tempfile::Builder::new()
        .prefix(&format!("ltx-bench-{prefix}-"))
        .tempdir_in(&s.scratch)
        .unwrap();
    if s.keep {
        dir.disable_cleanup(true);
    }
    dir
}

/// The number of level-`level` LTX files in a `file://` replica (0 while it is absent).
fn file_l0_count(replica: &Path) -> usize {
    ReplicaFiles::read(replica).level(0).len()
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Default)]
struct Report {
    sections: BTreeMap<String, Value>,
    checks: Vec<Value>,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, name: &str, value: f64, target: &str, pass: bool) {
        println!(
            "  check: {name} = {} (target {target}): {}",
            round3(value),
            if pass { "meets" } else { "MISSES" }
        );
        self.checks
            .push(json!({"name": name, "value": round3(value), "target": target, "pass": pass}));
    }

    fn fail(&mut self, what: String) {
        println!("  FAILED: {what}");
        self.failures.push(what);
    }

    fn write(&self, s: &Settings, started: &str) {
        let dir = support::peers::target_dir().join("bench-results");
        fs::create_dir_all(&dir).unwrap();
        let mut doc = json!({
            "bench": "replication",
            "started_unix_s": started,
            "machine": {
                "cpus": thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
                "loadavg_now": loadavg(),
                "clk_tck": clk_tck(),
            },
            "software": {
                "litestream": support::peers::LITESTREAM_VERSION,
                "ltx_tui": env!("CARGO_PKG_VERSION"),
                "sqlite_writer": rusqlite::version(),
            },
            "settings": s.to_json(),
            "checks": self.checks,
            "failures": self.failures,
        });
        for (k, v) in &self.sections {
            doc[k] = v.clone();
        }
        let path = dir.join("replication.json");
        fs::write(&path, serde_json::to_string_pretty(&doc).unwrap())
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Write overhead

/// `BEGIN; INSERT one ~100-byte row; COMMIT` in a tight loop for `duration`, in a thread.
/// Returns (transactions, seconds, WAL bytes at the end of the window, measured before the
/// connection closes: closing the last connection checkpoints and deletes the WAL).
fn overhead_writer(db: PathBuf, duration: Duration) -> (u64, f64, u64) {
    thread::spawn(move || {
        let conn = open_writer(&db);
        let filler = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt";
        let mut begin = conn.prepare("BEGIN").unwrap();
        let mut insert = conn.prepare("INSERT INTO t(v) VALUES (?1)").unwrap();
        let mut commit = conn.prepare("COMMIT").unwrap();
        let mut n: u64 = 0;
        let mut text = String::with_capacity(128);
        let start = Instant::now();
        let end = start + duration;
        loop {
            text.clear();
            write!(text, "{n:012} {filler}").unwrap();
            begin.execute([]).unwrap();
            insert.execute(params![text]).unwrap();
            commit.execute([]).unwrap();
            n += 1;
            if Instant::now() >= end {
                break;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        (n, secs, file_len(&wal_path(&db)))
    })
    .join()
    .expect("overhead writer panicked")
}

/// `sync`: waits until every dirty page on the machine is written back.
fn settle_disk() {
    let status = Command::new("sync").status().expect("running sync");
    assert!(status.success(), "sync failed: {status}");
}

fn run_overhead(s: &Settings, report: &mut Report) {
    let duration = Duration::from_secs_f64(s.overhead_s);
    println!(
        "\n== overhead: single-row INSERT transactions, WAL, synchronous=NORMAL, {} s per phase, phases {} ==",
        s.overhead_s, s.phases
    );
    println!(
        "{:>5} {:<11} {:>10} {:>7} {:>10} {:>9} {:>9} {:>6} {:>8} {:>10}",
        "phase", "replicator", "tx", "s", "tx/s", "WAL MiB", "repl CPU", "L0", "exit", "restore"
    );
    let litestream = support::peers::litestream();
    let ticks = clk_tck() as f64;
    let mut runs = Vec::new();
    let mut tps: BTreeMap<char, Vec<f64>> = BTreeMap::new();
    for (i, kind) in s.phases.chars().enumerate() {
        let tool = match kind {
            'b' => Some(Tool::LtxTui),
            'c' => Some(Tool::Litestream),
            _ => None,
        };
        let name = tool.map_or("none", Tool::name);
        let dir = scratch(s, &format!("overhead-{i}{kind}"));
        let db = dir.path().join("app.db");
        let replica = dir.path().join("replica");
        open_writer(&db)
            .execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .unwrap();
        let mut proc = tool.map(|tool| {
            let config = config_yaml(&[(db.clone(), Target::File(replica.clone()))], None);
            let mut p = Proc::start(tool, name, dir.path(), &config);
            let what = format!("{name}'s first L0 file (overhead phase {i})");
            wait_until(&what, FIRST_L0_TIMEOUT, &mut [&mut p], || {
                file_l0_count(&replica) > 0
            });
            p
        });
        // Every phase starts on a quiet disk: the previous phase's dirty pages written back.
        settle_disk();
        let cpu_before = proc.as_ref().map(|p| cpu_ticks(p.pid()));
        let (tx, secs, wal_bytes) = overhead_writer(db.clone(), duration);
        let rate = tx as f64 / secs;
        let mut run = json!({
            "phase": i, "kind": kind.to_string(), "replicator": name, "tx": tx,
            "seconds": round3(secs), "tps": round1(rate), "wal_bytes_end": wal_bytes,
        });
        let mut cells = (
            "-".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
        );
        if let (Some(p), Some(before)) = (proc.as_mut(), cpu_before) {
            p.assert_running("the overhead window ran");
            let cpu_s = (cpu_ticks(p.pid()) - before) as f64 / ticks;
            let status = p.stop();
            let (errors, warnings) = p.log_counts();
            let l0 = file_l0_count(&replica);
            let out = dir.path().join("restored.db");
            restore_ok_with(&litestream, &file_url(&replica), &out, None);
            let restored = row_count(&out, "t");
            run["replicator_cpu_s"] = json!(round3(cpu_s));
            run["replicator_exit"] = exit_code(status);
            run["replicator_error_lines"] = json!(errors);
            run["replicator_warn_lines"] = json!(warnings);
            run["l0_files"] = json!(l0);
            run["rows_written"] = json!(tx);
            run["restored_rows"] = json!(restored);
            if !status.success() {
                report.fail(format!(
                    "overhead phase {i} ({name}): exit status {status} after SIGTERM"
                ));
            }
            if restored != tx {
                report.fail(format!(
                    "overhead phase {i} ({name}): restored {restored} rows, wrote {tx}"
                ));
            }
            cells = (
                format!("{cpu_s:.2}"),
                l0.to_string(),
                status.code().map_or("signal".into(), |c| c.to_string()),
                if restored == tx {
                    "rows ok".to_owned()
                } else {
                    format!("{restored}≠{tx}")
                },
            );
        }
        println!(
            "{:>5} {:<11} {:>10} {:>7.2} {:>10.0} {:>9.1} {:>9} {:>6} {:>8} {:>10}",
            format!("{i}{kind}"),
            name,
            tx,
            secs,
            rate,
            mib(wal_bytes, 1),
            cells.0,
            cells.1,
            cells.2,
            cells.3
        );
        tps.entry(kind).or_default().push(rate);
        runs.push(run);
        drop(proc);
    }
    let med = |k: char| tps.get(&k).map(|v| median(v));
    let (a, b, c) = (med('a'), med('b'), med('c'));
    println!(
        "  median tx/s: none {}, ltx-tui {}, litestream {}",
        a.map_or("-".into(), |v| format!("{v:.0}")),
        b.map_or("-".into(), |v| format!("{v:.0}")),
        c.map_or("-".into(), |v| format!("{v:.0}")),
    );
    let ratio_b = a.zip(b).map(|(a, b)| b / a);
    let ratio_c = a.zip(c).map(|(a, c)| c / a);
    println!(
        "  ratio ltx-tui/none (b/a) = {}, litestream/none (c/a) = {}",
        ratio_b.map_or("-".into(), |r| format!("{r:.3}")),
        ratio_c.map_or("-".into(), |r| format!("{r:.3}")),
    );
    if let Some(rb) = ratio_b {
        report.check("overhead b/a (ltx-tui)", rb, ">= 0.95", rb >= 0.95);
        if let Some(rc) = ratio_c {
            report.check(
                "overhead b/a - c/a (ltx-tui minus litestream)",
                rb - rc,
                ">= 0",
                rb >= rc,
            );
        }
    }
    report.sections.insert(
        "overhead".into(),
        json!({
            "duration_s": s.overhead_s, "phases": s.phases,
            "writer": "thread of the bench process, rusqlite bundled SQLite, one connection, BEGIN/INSERT/COMMIT per tx",
            "runs": runs,
            "median_tps_none": a.map(round1), "median_tps_ltx_tui": b.map(round1),
            "median_tps_litestream": c.map(round1),
            "ratio_ltx_tui_over_none": ratio_b.map(round3),
            "ratio_litestream_over_none": ratio_c.map(round3),
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Listing and reading a replica level (file:// or S3)

#[derive(Clone, Debug)]
enum ListerSpec {
    /// `<replica>/ltx/<level>`.
    File(PathBuf),
    /// `<path>/<level %04x>` in `bucket` (Litestream 0.5.17's S3 layout, which ltx-tui
    /// follows).
    S3 {
        endpoint: String,
        bucket: String,
        prefix: String,
    },
}

enum Lister {
    File(PathBuf),
    S3 {
        rt: tokio::runtime::Runtime,
        store: Arc<dyn ObjectStore>,
        prefix: object_store::path::Path,
    },
}

impl ListerSpec {
    /// A lister for the calling thread (S3: its own client and single-thread runtime).
    fn connect(&self) -> Lister {
        match self {
            ListerSpec::File(dir) => Lister::File(dir.clone()),
            ListerSpec::S3 {
                endpoint,
                bucket,
                prefix,
            } => {
                let store = AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_allow_http(true)
                    .with_bucket_name(bucket)
                    .with_region(REGION)
                    .with_access_key_id(ACCESS_KEY_ID)
                    .with_secret_access_key(SECRET_ACCESS_KEY)
                    .with_virtual_hosted_style_request(false)
                    .build()
                    .expect("build an S3 client for moto");
                Lister::S3 {
                    rt: tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap(),
                    store: Arc::new(store),
                    prefix: object_store::path::Path::from(prefix.as_str()),
                }
            }
        }
    }
}

impl Lister {
    /// The final-named LTX files of the level (temporary and staging names are skipped).
    /// On S3, `after` (a file name) lists only the names after it (`start-after`), so a
    /// listing stays short however many files the level holds; a directory is read whole.
    fn names(&self, after: Option<&str>) -> Result<Vec<String>, String> {
        let keep = |name: &str| parse_ltx_file_name(name).is_some();
        match self {
            Lister::File(dir) => match fs::read_dir(dir) {
                Ok(entries) => Ok(entries
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| keep(n))
                    .collect()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            },
            Lister::S3 { rt, store, prefix } => {
                let objects: Result<Vec<ObjectMeta>, _> = rt.block_on(match after {
                    Some(name) => store
                        .list_with_offset(Some(prefix), &prefix.clone().join(name))
                        .try_collect(),
                    None => store.list(Some(prefix)).try_collect(),
                });
                objects
                    .map(|objects| {
                        objects
                            .into_iter()
                            .filter_map(|o| o.location.filename().map(str::to_owned))
                            .filter(|n| keep(n))
                            .collect()
                    })
                    .map_err(|e| e.to_string())
            }
        }
    }

    fn get(&self, name: &str) -> Result<Vec<u8>, String> {
        match self {
            Lister::File(dir) => fs::read(dir.join(name)).map_err(|e| e.to_string()),
            Lister::S3 { rt, store, prefix } => rt
                .block_on(async {
                    let path = prefix.clone().join(name);
                    store.get(&path).await?.bytes().await
                })
                .map(|b| b.to_vec())
                .map_err(|e| e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Replication lag

const MARKER_LEN: usize = 14;

/// S3 listings start after the name this many places before the newest known one.
const OFFSET_WINDOW: usize = 32;

fn marker(seq: u32) -> String {
    format!("<M:{seq:08}:M>")
}

/// Every marker `<M:dddddddd:M>` in `page`.
fn scan_markers(page: &[u8], out: &mut Vec<u32>) {
    let mut i = 0;
    while i + MARKER_LEN <= page.len() {
        let w = &page[i..i + MARKER_LEN];
        if w.starts_with(b"<M:") && w.ends_with(b":M>") && w[3..11].iter().all(u8::is_ascii_digit) {
            let digits = std::str::from_utf8(&w[3..11]).unwrap();
            out.push(digits.parse().unwrap());
            i += MARKER_LEN;
        } else {
            i += 1;
        }
    }
}

/// The markers in an LTX file (decoded with ltx-tui's decoder).
fn file_markers(bytes: &[u8]) -> Result<Vec<u32>, String> {
    let decoded = ltx_tui::ltx::decode_file(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (_, page) in decoded.page_data() {
        scan_markers(page, &mut out);
    }
    Ok(out)
}

struct PollStats {
    polls: u64,
    gap_max_ms: f64,
    gap_mean_ms: f64,
    list_mean_ms: f64,
    list_errors: u64,
}

struct SeenFile {
    name: String,
    markers: usize,
    bytes: usize,
}

#[derive(Clone)]
struct LagSpec {
    label: &'static str,
    tool: Tool,
    interval: Option<Duration>,
}

fn lag_run(
    s: &Settings,
    spec: &LagSpec,
    target_name: &str,
    moto: Option<&MotoServer>,
    report: &mut Report,
) -> Value {
    let dir = scratch(
        s,
        &format!("lag-{target_name}-{}", spec.label.replace('@', "_")),
    );
    let db = dir.path().join("app.db");
    let target = match moto {
        None => Target::File(dir.path().join("replica")),
        Some(moto) => Target::S3 {
            endpoint: moto.endpoint.clone(),
            bucket: BUCKET.to_owned(),
            path: format!(
                "lag-{}-{}",
                spec.label.replace('@', "-"),
                std::process::id()
            ),
        },
    };
    let lister_spec = target.lister(0);
    {
        let conn = open_writer(&db);
        conn.execute_batch(
            "CREATE TABLE lag(id INTEGER PRIMARY KEY, marker TEXT NOT NULL, pad TEXT NOT NULL)",
        )
        .unwrap();
    }
    let config = config_yaml(&[(db.clone(), target.clone())], spec.interval);
    let mut proc = Proc::start(spec.tool, spec.label, dir.path(), &config);
    let lister = lister_spec.connect();
    let mut initial: Vec<String> = Vec::new();
    wait_until(
        &format!("{}'s first L0 file ({target_name} lag)", spec.label),
        FIRST_L0_TIMEOUT,
        &mut [&mut proc],
        || {
            initial = lister.names(None).unwrap_or_default();
            !initial.is_empty()
        },
    );
    drop(lister);

    let n = (s.rate * s.lag_s).round().max(1.0) as u32;
    let interval = Duration::from_secs_f64(1.0 / s.rate);
    let poll_pause = Duration::from_secs_f64(
        if moto.is_some() {
            s.s3_poll_ms
        } else {
            s.poll_ms
        } / 1000.0,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let covered: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
    let (tx, rx) = mpsc::channel::<(String, Instant)>();
    // On S3 the fetcher starts once the writer is done, so its GETs do not load the moto
    // server (a single Python process) while the replicator uploads; files stay in L0 for
    // minutes (L0 retention 5 m after compaction), so nothing is missed.
    let fetch_go = Arc::new(AtomicBool::new(moto.is_none()));

    // The poller: lists the level every `poll_pause` and hands new names to the fetcher with
    // the instant the listing that first showed them returned.
    let poller = {
        let stop = Arc::clone(&stop);
        let spec = lister_spec.clone();
        let mut known: BTreeSet<String> = initial.iter().cloned().collect();
        thread::spawn(move || {
            let lister = spec.connect();
            let (mut polls, mut errors) = (0u64, 0u64);
            let (mut gap_max, mut gap_sum, mut list_sum) = (0f64, 0f64, 0f64);
            let mut prev: Option<Instant> = None;
            while !stop.load(Ordering::Relaxed) {
                // S3: list only after the newest names but a window (in case uploads become
                // visible slightly out of order); names are TXID-ordered.
                let after = known.iter().rev().nth(OFFSET_WINDOW).cloned();
                let t0 = Instant::now();
                let names = lister.names(after.as_deref());
                let t1 = Instant::now();
                polls += 1;
                list_sum += (t1 - t0).as_secs_f64();
                if let Some(p) = prev {
                    let gap = (t1 - p).as_secs_f64();
                    gap_max = gap_max.max(gap);
                    gap_sum += gap;
                }
                prev = Some(t1);
                match names {
                    Ok(names) => {
                        for name in names {
                            if known.insert(name.clone()) {
                                let _ = tx.send((name, t1));
                            }
                        }
                    }
                    Err(_) => errors += 1,
                }
                thread::sleep(poll_pause);
            }
            PollStats {
                polls,
                gap_max_ms: gap_max * 1e3,
                gap_mean_ms: gap_sum * 1e3 / polls.saturating_sub(1).max(1) as f64,
                list_mean_ms: list_sum * 1e3 / polls.max(1) as f64,
                list_errors: errors,
            }
        })
    };
    // The fetcher: reads and decodes every new file, and records, for every marker, the
    // earliest appearance of a file that contains it.
    let fetcher = {
        let covered = Arc::clone(&covered);
        let spec = lister_spec.clone();
        let go = Arc::clone(&fetch_go);
        thread::spawn(move || {
            let lister = spec.connect();
            let mut seen = Vec::new();
            let mut undecodable = Vec::new();
            for (name, at) in rx {
                while !go.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(5));
                }
                let mut attempt = 0;
                let result = loop {
                    attempt += 1;
                    let r = lister
                        .get(&name)
                        .and_then(|b| file_markers(&b).map(|m| (m, b.len())));
                    match r {
                        Ok(ok) => break Ok(ok),
                        Err(e) if attempt >= 50 => break Err(e),
                        Err(_) => thread::sleep(Duration::from_millis(20)),
                    }
                };
                match result {
                    Ok((markers, bytes)) => {
                        let mut cov = covered.lock().unwrap();
                        for m in &markers {
                            let e = cov.entry(*m).or_insert(at);
                            if at < *e {
                                *e = at;
                            }
                        }
                        seen.push(SeenFile {
                            name,
                            markers: markers.len(),
                            bytes,
                        });
                    }
                    Err(e) => undecodable.push(format!("{name}: {e}")),
                }
            }
            (seen, undecodable)
        })
    };

    // The writer: one row per transaction on a fixed schedule.
    let cpu_before = cpu_ticks(proc.pid());
    let writer = {
        let db = db.clone();
        thread::spawn(move || {
            let conn = open_writer(&db);
            let mut begin = conn.prepare("BEGIN").unwrap();
            let mut insert = conn
                .prepare("INSERT INTO lag(marker, pad) VALUES (?1, ?2)")
                .unwrap();
            let mut commit = conn.prepare("COMMIT").unwrap();
            let pad = "p".repeat(64);
            let mut commits = Vec::with_capacity(n as usize);
            let mut late_max = Duration::ZERO;
            let start = Instant::now();
            for i in 0..n {
                let due = start + interval * i;
                let now = Instant::now();
                if due > now {
                    thread::sleep(due - now);
                } else {
                    late_max = late_max.max(now - due);
                }
                begin.execute([]).unwrap();
                insert.execute(params![marker(i), pad]).unwrap();
                commit.execute([]).unwrap();
                commits.push(Instant::now());
            }
            (commits, start.elapsed(), late_max)
        })
    };
    let (commits, elapsed, late_max) = writer.join().expect("lag writer panicked");
    let cpu_s = (cpu_ticks(proc.pid()) - cpu_before) as f64 / clk_tck() as f64;
    fetch_go.store(true, Ordering::Relaxed);
    // Drain: wait until every transaction is covered; give up once coverage has not grown for
    // `stall` (ten sync intervals, at least 15 s), or after ten minutes in all.
    let stall = spec
        .interval
        .unwrap_or(Duration::from_secs(1))
        .mul_f64(10.0)
        .max(Duration::from_secs(15));
    let hard_deadline = Instant::now() + Duration::from_secs(600);
    let (mut last_count, mut last_progress) = (0, Instant::now());
    loop {
        proc.assert_running("the lag run drained");
        let count = covered.lock().unwrap().len();
        if count >= n as usize {
            break;
        }
        if count > last_count {
            (last_count, last_progress) = (count, Instant::now());
        }
        if last_progress.elapsed() >= stall || Instant::now() >= hard_deadline {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let polls = poller.join().expect("poller panicked");
    let (seen, undecodable) = fetcher.join().expect("fetcher panicked");
    let status = proc.stop();
    let (errors, warnings) = proc.log_counts();

    let covered = covered.lock().unwrap();
    let mut lags: Vec<f64> = Vec::with_capacity(n as usize);
    for (i, commit) in commits.iter().enumerate() {
        if let Some(at) = covered.get(&(i as u32)) {
            let ms = if *at >= *commit {
                (*at - *commit).as_secs_f64() * 1e3
            } else {
                -((*commit - *at).as_secs_f64() * 1e3)
            };
            lags.push(ms);
        }
    }
    lags.sort_by(f64::total_cmp);
    let uncovered = n as usize - lags.len();
    let stats = json!({
        "n": lags.len(),
        "p50_ms": round1(percentile(&lags, 50.0)),
        "p90_ms": round1(percentile(&lags, 90.0)),
        "p99_ms": round1(percentile(&lags, 99.0)),
        "max_ms": round1(lags.last().copied().unwrap_or(f64::NAN)),
        "min_ms": round1(lags.first().copied().unwrap_or(f64::NAN)),
    });
    if uncovered > 0 {
        report.fail(format!(
            "lag {target_name} {}: {uncovered} of {n} transactions never appeared in an L0 file",
            spec.label
        ));
    }
    if !undecodable.is_empty() {
        report.fail(format!(
            "lag {target_name} {}: undecodable L0 files: {undecodable:?}",
            spec.label
        ));
    }
    if !status.success() {
        report.fail(format!(
            "lag {target_name} {}: exit status {status} after SIGTERM\n{}",
            spec.label,
            proc.log_tail(20)
        ));
    }
    let with_markers = seen.iter().filter(|f| f.markers > 0).count();
    json!({
        "target": target_name,
        "replicator": spec.label,
        "settings": spec.interval.map_or("defaults (monitor 1s, sync 1s)".to_owned(), |d| format!("monitor-interval {}ms, sync-interval {}ms", d.as_millis(), d.as_millis())),
        "transactions": n,
        "achieved_rate_tps": round1(f64::from(n) / elapsed.as_secs_f64()),
        "writer_late_max_ms": round1(late_max.as_secs_f64() * 1e3),
        "l0_files_during_run": seen.len(),
        "l0_files_with_markers": with_markers,
        "l0_bytes_during_run": seen.iter().map(|f| f.bytes).sum::<usize>(),
        "first_new_l0": seen.first().map(|f| f.name.clone()),
        "polls": polls.polls,
        "poll_gap_max_ms": round1(polls.gap_max_ms),
        "poll_gap_mean_ms": round3(polls.gap_mean_ms),
        "list_mean_ms": round3(polls.list_mean_ms),
        "list_errors": polls.list_errors,
        "lag": stats,
        "uncovered": uncovered,
        "undecodable": undecodable.len(),
        "replicator_cpu_s_write_window": round3(cpu_s),
        "replicator_exit": exit_code(status),
        "replicator_error_lines": errors,
        "replicator_warn_lines": warnings,
    })
}

fn run_lag(s: &Settings, report: &mut Report) {
    println!(
        "\n== lag: commit -> first L0 file containing the row visible in the replica, {} commits/s for {} s ==",
        s.rate, s.lag_s
    );
    let specs = [
        LagSpec {
            label: "ltx-tui",
            tool: Tool::LtxTui,
            interval: None,
        },
        LagSpec {
            label: "litestream",
            tool: Tool::Litestream,
            interval: None,
        },
        LagSpec {
            label: "litestream@100ms",
            tool: Tool::Litestream,
            interval: Some(Duration::from_millis(100)),
        },
    ];
    println!(
        "{:<6} {:<17} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>8} {:>6} {:>5}",
        "target",
        "replicator",
        "n",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "min ms",
        "L0",
        "polls",
        "gap max",
        "unc.",
        "exit"
    );
    let mut runs = Vec::new();
    for target in &s.lag_targets {
        let mut moto = (target == "s3").then(|| {
            let mut moto = MotoServer::start();
            moto.create_bucket(BUCKET);
            moto
        });
        for spec in &specs {
            if let Some(m) = moto.as_mut()
                && !m.is_running()
            {
                panic!(
                    "moto stopped before the {} run\n{}",
                    spec.label,
                    m.log_tail()
                );
            }
            let run = lag_run(s, spec, target, moto.as_ref(), report);
            let l = &run["lag"];
            let f = |v: &Value| v.as_f64().map_or("-".to_owned(), |x| format!("{x:.1}"));
            println!(
                "{:<6} {:<17} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>8} {:>6} {:>5}",
                target,
                spec.label,
                l["n"].to_string(),
                f(&l["p50_ms"]),
                f(&l["p90_ms"]),
                f(&l["p99_ms"]),
                f(&l["max_ms"]),
                f(&l["min_ms"]),
                run["l0_files_during_run"].to_string(),
                run["polls"].to_string(),
                f(&run["poll_gap_max_ms"]),
                run["uncovered"].to_string(),
                run["replicator_exit"].to_string()
            );
            runs.push(run);
        }
        if let Some(mut m) = moto.take() {
            m.stop();
        }
    }
    for target in &s.lag_targets {
        let limit = if target == "file" { 100.0 } else { 250.0 };
        if let Some(p99) = runs
            .iter()
            .find(|r| r["target"] == target.as_str() && r["replicator"] == "ltx-tui")
            .and_then(|r| r["lag"]["p99_ms"].as_f64())
        {
            report.check(
                &format!("lag p99 ltx-tui {target} (ms)"),
                p99,
                &format!("<= {limit}"),
                p99 <= limit,
            );
        }
    }
    report.sections.insert(
        "lag".into(),
        json!({
            "duration_s": s.lag_s, "rate_tps": s.rate,
            "visible": "instant the listing that first showed the final-named L0 file returned (upper bound by one poll gap)",
            "runs": runs,
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Idle cost

fn run_idle(s: &Settings, report: &mut Report) {
    println!(
        "\n== idle: no writes, {} s after first L0 of every DB + {} s; CPU = utime+stime (CLK_TCK {}) ==",
        s.idle_s,
        s.idle_settle_s,
        clk_tck()
    );
    println!(
        "{:>4} {:<11} {:>9} {:>8} {:>10} {:>10} {:>8} {:>5}",
        "dbs", "replicator", "CPU s", "% core", "VmRSS MiB", "VmHWM MiB", "threads", "exit"
    );
    let ticks = clk_tck() as f64;
    let mut runs = Vec::new();
    for &count in &s.idle_counts {
        let mut by_tool: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
        for tool in [Tool::LtxTui, Tool::Litestream] {
            let dir = scratch(s, &format!("idle-{count}-{}", tool.name()));
            let mut dbs = Vec::new();
            for k in 0..count {
                let db = dir.path().join(format!("db{k}.db"));
                let mut conn = open_writer(&db);
                let tx = conn.transaction().unwrap();
                tx.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
                    .unwrap();
                for i in 0..1000 {
                    tx.execute(
                        "INSERT INTO t(v) VALUES (?1)",
                        params![format!("row {i} of db {k}")],
                    )
                    .unwrap();
                }
                tx.commit().unwrap();
                dbs.push((db, Target::File(dir.path().join(format!("replica{k}")))));
            }
            let config = config_yaml(&dbs, None);
            let mut proc = Proc::start(tool, tool.name(), dir.path(), &config);
            wait_until(
                &format!("{}'s first L0 file in all {count} replicas", tool.name()),
                FIRST_L0_TIMEOUT,
                &mut [&mut proc],
                || {
                    dbs.iter().all(|(_, t)| match t {
                        Target::File(r) => file_l0_count(r) > 0,
                        Target::S3 { .. } => unreachable!(),
                    })
                },
            );
            thread::sleep(Duration::from_secs_f64(s.idle_settle_s));
            proc.assert_running("settling before the idle window");
            let pid = proc.pid();
            let before = cpu_ticks(pid);
            let t0 = Instant::now();
            thread::sleep(Duration::from_secs_f64(s.idle_s));
            proc.assert_running("the idle window");
            let after = cpu_ticks(pid);
            let window = t0.elapsed().as_secs_f64();
            let rss = status_value(pid, "VmRSS");
            let hwm = status_value(pid, "VmHWM");
            let threads = status_value(pid, "Threads");
            let status = proc.stop();
            let (errors, warnings) = proc.log_counts();
            let cpu_s = (after - before) as f64 / ticks;
            let pct = cpu_s / window * 100.0;
            println!(
                "{:>4} {:<11} {:>9.2} {:>8.3} {:>10.1} {:>10.1} {:>8} {:>5}",
                count,
                tool.name(),
                cpu_s,
                pct,
                mib(rss, 1024),
                mib(hwm, 1024),
                threads,
                status.code().map_or("signal".into(), |c| c.to_string())
            );
            if !status.success() {
                report.fail(format!(
                    "idle {count} dbs {}: exit status {status} after SIGTERM",
                    tool.name()
                ));
            }
            by_tool.insert(tool.name(), (cpu_s, rss));
            runs.push(json!({
                "dbs": count, "replicator": tool.name(), "window_s": round3(window),
                "cpu_s": round3(cpu_s), "cpu_ticks": after - before, "pct_of_one_core": round3(pct),
                "vmrss_kib": rss, "vmhwm_kib": hwm, "threads": threads,
                "replicator_exit": exit_code(status),
                "replicator_error_lines": errors, "replicator_warn_lines": warnings,
            }));
        }
        if let (Some(&(c_ours, r_ours)), Some(&(c_ls, r_ls))) =
            (by_tool.get("ltx-tui"), by_tool.get("litestream"))
        {
            report.check(
                &format!("idle CPU s, {count} db(s): ltx-tui minus litestream"),
                c_ours - c_ls,
                "<= 0",
                c_ours <= c_ls,
            );
            report.check(
                &format!("VmRSS MiB, {count} db(s): ltx-tui minus litestream"),
                mib(r_ours, 1024) - mib(r_ls, 1024),
                "<= 0",
                r_ours <= r_ls,
            );
        }
    }
    report.sections.insert(
        "idle".into(),
        json!({"idle_s": s.idle_s, "settle_s": s.idle_settle_s, "clk_tck": clk_tck(), "runs": runs}),
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Replica bytes after a mixed workload

const WORDS: [&str; 16] = [
    "alpha", "harbor", "quiet", "market", "delta", "orchid", "summit", "velvet", "copper",
    "lantern", "meadow", "ember", "cobalt", "river", "saffron", "tundra",
];

fn words(rng: &mut Rng, min_len: usize, max_len: usize) -> String {
    let target = rng.range(min_len as u64, max_len as u64 + 1) as usize;
    let mut s = String::with_capacity(target + 8);
    while s.len() < target {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(WORDS[rng.range(0, WORDS.len() as u64) as usize]);
    }
    s
}

fn blob(rng: &mut Rng, max: u64) -> Vec<u8> {
    (0..rng.range(0, max + 1))
        .map(|_| rng.next_u64() as u8)
        .collect()
}

const ITEMS_SCHEMA: &str = "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, body TEXT NOT NULL, data BLOB NOT NULL);
     CREATE INDEX items_name ON items(name);";

/// Creates the workload database with 1000 rows (deterministic).
fn create_items_db(db: &Path) {
    let mut conn = open_writer(db);
    let tx = conn.transaction().unwrap();
    tx.execute_batch(ITEMS_SCHEMA).unwrap();
    let mut rng = Rng::new(0xB17E_5000);
    for i in 0..1000 {
        tx.execute(
            "INSERT INTO items(name, qty, body, data) VALUES (?1, ?2, ?3, ?4)",
            params![
                words(&mut rng, 8, 24),
                i,
                words(&mut rng, 40, 300),
                blob(&mut rng, 64)
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// A steady mixed workload: `tps` transactions per second for `duration`, each one statement:
/// 60 % insert, 25 % update, 15 % delete (random ids). Deterministic for a given seed.
/// Returns (transactions, seconds, inserts, updates, deletes).
fn mixed_writer(db: PathBuf, start: Instant, tps: f64, duration: Duration) -> [u64; 5] {
    let conn = open_writer(&db);
    let mut rng = Rng::new(0x0DD5_EED5);
    let interval = Duration::from_secs_f64(1.0 / tps);
    let n = (tps * duration.as_secs_f64()).round() as u64;
    let mut max_id: u64 = 1000;
    let (mut ins, mut upd, mut del) = (0, 0, 0);
    for i in 0..n {
        let due = start + interval.mul_f64(i as f64);
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        let op = rng.range(0, 100);
        if op < 60 {
            conn.execute(
                "INSERT INTO items(name, qty, body, data) VALUES (?1, ?2, ?3, ?4)",
                params![
                    words(&mut rng, 8, 24),
                    i as i64,
                    words(&mut rng, 40, 300),
                    blob(&mut rng, 64)
                ],
            )
            .unwrap();
            max_id += 1;
            ins += 1;
        } else if op < 85 {
            let id = rng.range(1, max_id + 1) as i64;
            conn.execute(
                "UPDATE items SET qty = qty + 1, body = ?1 WHERE id = ?2",
                params![words(&mut rng, 40, 300), id],
            )
            .unwrap();
            upd += 1;
        } else {
            let id = rng.range(1, max_id + 1) as i64;
            conn.execute("DELETE FROM items WHERE id = ?1", params![id])
                .unwrap();
            del += 1;
        }
    }
    [n, start.elapsed().as_millis() as u64, ins, upd, del]
}

fn level_bytes(replica: &Path) -> BTreeMap<u8, (usize, u64)> {
    ReplicaFiles::read(replica)
        .levels
        .iter()
        .map(|(level, files)| {
            (
                *level,
                (
                    files.len(),
                    files.iter().map(|f| file_len(&f.path)).sum::<u64>(),
                ),
            )
        })
        .collect()
}

fn run_bytes(s: &Settings, report: &mut Report) {
    println!(
        "\n== replica bytes: mixed workload (60% insert / 25% update / 15% delete, {} tx/s) for {} s, defaults, both replicators at once ==",
        s.workload_tps, s.workload_s
    );
    let dir = scratch(s, "bytes");
    let tools = [Tool::LtxTui, Tool::Litestream];
    let mut setups = Vec::new();
    for tool in tools {
        let sub = dir.path().join(tool.name());
        fs::create_dir_all(&sub).unwrap();
        let db = sub.join("app.db");
        let replica = sub.join("replica");
        create_items_db(&db);
        let config = config_yaml(&[(db.clone(), Target::File(replica.clone()))], None);
        let proc = Proc::start(tool, tool.name(), &sub, &config);
        setups.push((tool, db, replica, proc));
    }
    for (tool, _, replica, proc) in &mut setups {
        wait_until(
            &format!("{}'s first L0 file (bytes)", tool.name()),
            FIRST_L0_TIMEOUT,
            &mut [proc],
            || file_l0_count(replica) > 0,
        );
    }
    let duration = Duration::from_secs_f64(s.workload_s);
    let start = Instant::now() + Duration::from_millis(50);
    let writers: Vec<_> = setups
        .iter()
        .map(|(_, db, _, _)| {
            let db = db.clone();
            let tps = s.workload_tps;
            thread::spawn(move || mixed_writer(db, start, tps, duration))
        })
        .collect();
    // Watch the replicators while the workload runs.
    while writers.iter().any(|w| !w.is_finished()) {
        for (_, _, _, proc) in &mut setups {
            proc.assert_running("the mixed workload ran");
        }
        thread::sleep(Duration::from_millis(200));
    }
    let counts: Vec<[u64; 5]> = writers
        .into_iter()
        .map(|w| w.join().expect("mixed writer panicked"))
        .collect();
    let litestream = support::peers::litestream();
    let mut per_tool = Vec::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut levels_all: BTreeMap<&str, BTreeMap<u8, (usize, u64)>> = BTreeMap::new();
    for ((tool, db, replica, proc), c) in setups.iter_mut().zip(&counts) {
        let status = proc.stop();
        let (errors, warnings) = proc.log_counts();
        let levels = level_bytes(replica);
        let total = dir_bytes(replica);
        let listing = ReplicaFiles::read(replica);
        let meta_dir = ltx_tui_meta_dir(db);
        let out = db.with_file_name("restored.db");
        restore_ok_with(&litestream, &file_url(replica), &out, None);
        let same = canonical_dump_of(&out) == canonical_dump_of(db);
        let integrity = integrity_check(&out);
        if !same || integrity != "ok" {
            report.fail(format!(
                "bytes {}: restore differs from the source (same dump: {same}, integrity: {integrity})",
                tool.name()
            ));
        }
        if !status.success() {
            report.fail(format!(
                "bytes {}: exit status {status} after SIGTERM",
                tool.name()
            ));
        }
        totals.insert(tool.name(), total);
        levels_all.insert(tool.name(), levels.clone());
        per_tool.push(json!({
            "replicator": tool.name(),
            "transactions": c[0], "writer_ms": c[1], "inserts": c[2], "updates": c[3], "deletes": c[4],
            "db_bytes": file_len(db), "wal_bytes": file_len(&wal_path(db)),
            "levels": levels.iter().map(|(l, (n, b))| (l.to_string(), json!({"files": n, "bytes": b}))).collect::<serde_json::Map<_, _>>(),
            "replica_total_bytes": total,
            "replica_stray_entries": listing.stray.len(),
            "local_meta_dir_bytes": dir_bytes(&meta_dir),
            "restore_same_as_source": same, "restore_integrity": integrity,
            "replicator_exit": exit_code(status),
            "replicator_error_lines": errors, "replicator_warn_lines": warnings,
        }));
    }
    let all_levels: BTreeSet<u8> = levels_all
        .values()
        .flat_map(|m| m.keys().copied())
        .collect();
    println!(
        "{:<6} {:>14} {:>14} {:>14} {:>14}",
        "level", "ltx-tui files", "ltx-tui bytes", "litestream f.", "litestream b."
    );
    let cell = |tool: &str, level: u8| {
        levels_all
            .get(tool)
            .and_then(|m| m.get(&level))
            .copied()
            .unwrap_or((0, 0))
    };
    for level in &all_levels {
        let (a, b) = (cell("ltx-tui", *level), cell("litestream", *level));
        println!(
            "{:<6} {:>14} {:>14} {:>14} {:>14}",
            format!("L{level}"),
            a.0,
            a.1,
            b.0,
            b.1
        );
    }
    let (ours, theirs) = (totals["ltx-tui"], totals["litestream"]);
    println!(
        "{:<6} {:>14} {:>14} {:>14} {:>14}",
        "total", "", ours, "", theirs
    );
    for t in &per_tool {
        println!(
            "  {}: {} tx ({} ins / {} upd / {} del), local meta dir {} B, restore same as source: {}, exit {}",
            t["replicator"].as_str().unwrap_or(""),
            t["transactions"],
            t["inserts"],
            t["updates"],
            t["deletes"],
            t["local_meta_dir_bytes"],
            t["restore_same_as_source"],
            t["replicator_exit"]
        );
    }
    let ratio = ours as f64 / theirs as f64;
    println!("  ratio ltx-tui/litestream replica bytes = {ratio:.3}");
    report.check(
        "replica bytes ltx-tui/litestream",
        ratio,
        "<= 1",
        ratio <= 1.0,
    );
    report.sections.insert(
        "bytes".into(),
        json!({
            "workload_s": s.workload_s, "workload_tps": s.workload_tps,
            "mix": "60% insert, 25% update, 15% delete; one statement per tx; 1000 initial rows",
            "runs": per_tool,
            "ratio_ltx_tui_over_litestream": round3(ratio),
        }),
    );
}

/// The local metadata directory both tools keep beside a database: `.<name>-litestream`.
fn ltx_tui_meta_dir(db: &Path) -> PathBuf {
    ltx_tui::config::defaults::meta_path_for(db).expect("database path has a file name")
}

// ---------------------------------------------------------------------------------------------

/// One scenario's entry point.
type Scenario = fn(&Settings, &mut Report);

fn main() {
    let s = Settings::from_env();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().to_string())
        .unwrap_or_default();
    // Installs Litestream 0.5.17 on first use (and checks its version).
    let litestream = support::peers::litestream();
    println!(
        "replication bench: ltx-tui {} ({}) beside litestream {} ({}); writer SQLite {}; {} CPUs, loadavg {}",
        env!("CARGO_PKG_VERSION"),
        support::ltx_tui::ltx_tui_bin().display(),
        support::peers::LITESTREAM_VERSION,
        litestream.display(),
        rusqlite::version(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let mut report = Report::default();
    let scenarios: [(&str, Scenario); 4] = [
        ("overhead", run_overhead),
        ("lag", run_lag),
        ("idle", run_idle),
        ("bytes", run_bytes),
    ];
    for (name, run) in scenarios {
        if s.runs(name) {
            let t0 = Instant::now();
            run(&s, &mut report);
            println!("  ({name} took {:.1} s)", t0.elapsed().as_secs_f64());
            report.write(&s, &started);
        }
    }
    report.write(&s, &started);
    println!(
        "\nresults: {}",
        support::peers::target_dir()
            .join("bench-results")
            .join("replication.json")
            .display()
    );
    if !report.failures.is_empty() {
        eprintln!("\n{} verification failure(s):", report.failures.len());
        for f in &report.failures {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}
