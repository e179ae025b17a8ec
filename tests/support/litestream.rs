//! Driving the real `litestream` binary: one-shot commands (`ltx`, `restore`) and a
//! supervised `litestream replicate` process with a condition-polling wait on its replica.
//!
//! Every spawned `litestream` runs with `AWS_CA_BUNDLE` removed from its environment: this
//! machine sets it, and Litestream's S3 client then fails to build its HTTP client.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::peers;

/// How often [`LitestreamReplicate::wait_for`] re-reads the replica directory.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long [`LitestreamReplicate::stop`] waits after SIGTERM before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A `Command` for `bin` with `AWS_CA_BUNDLE` removed.
pub fn litestream_command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_remove("AWS_CA_BUNDLE");
    cmd
}

/// Runs `litestream <args>` (0.5.17) to completion and returns its output, whatever the exit
/// status.
pub fn litestream_cmd<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    litestream_cmd_with(&peers::litestream(), args)
}

/// Like [`litestream_cmd`] with a given binary (e.g. [`peers::litestream_version`]).
pub fn litestream_cmd_with<I, S>(bin: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = litestream_command(bin);
    cmd.args(args);
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Panics with the command's stderr/stdout unless it succeeded.
#[track_caller]
pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `file://<absolute dir>`: the URL of a file replica.
pub fn file_url(replica_dir: &Path) -> String {
    assert!(
        replica_dir.is_absolute(),
        "{} is not absolute",
        replica_dir.display()
    );
    format!("file://{}", replica_dir.display())
}

/// A TXID as Litestream prints and parses it: 16 lowercase hex digits.
pub fn txid_hex(txid: u64) -> String {
    format!("{txid:016x}")
}

/// One row of `litestream ltx -level all -json <url>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtxListEntry {
    pub level: u8,
    pub min_txid: u64,
    pub max_txid: u64,
    pub size: u64,
    /// RFC 3339 with whole seconds, e.g. `2026-11-21T19:28:50Z` (the CreatedAt, truncated).
    pub timestamp: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLtxListEntry {
    level: u8,
    min_txid: String,
    max_txid: String,
    size: u64,
    timestamp: String,
}

fn parse_txid(s: &str) -> u64 {
    assert_eq!(s.len(), 16, "TXID {s:?} is not 16 hex digits");
    u64::from_str_radix(s, 16).unwrap_or_else(|e| panic!("TXID {s:?}: {e}"))
}

/// Runs `litestream ltx -level all -json <url>` with `bin` and parses its output.
pub fn ltx_list_json_with(bin: &Path, url: &str) -> Vec<LtxListEntry> {
    let out = litestream_cmd_with(bin, ["ltx", "-level", "all", "-json", url]);
    assert_success(&out, &format!("litestream ltx -level all -json {url}"));
    let raw: Vec<RawLtxListEntry> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "litestream ltx -json output is not the expected JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    raw.into_iter()
        .map(|r| LtxListEntry {
            level: r.level,
            min_txid: parse_txid(&r.min_txid),
            max_txid: parse_txid(&r.max_txid),
            size: r.size,
            timestamp: r.timestamp,
        })
        .collect()
}

/// [`ltx_list_json_with`] using Litestream 0.5.17.
pub fn ltx_list_json(url: &str) -> Vec<LtxListEntry> {
    ltx_list_json_with(&peers::litestream(), url)
}

/// Runs `litestream restore -o <out> [-txid <T>] <url>` with `bin`; returns its output
/// whatever the exit status.
pub fn restore_cmd_with(bin: &Path, url: &str, out: &Path, txid: Option<u64>) -> Output {
    let mut args: Vec<String> = vec!["restore".into(), "-o".into(), out.display().to_string()];
    if let Some(txid) = txid {
        args.push("-txid".into());
        args.push(txid_hex(txid));
    }
    args.push(url.into());
    litestream_cmd_with(bin, &args)
}

/// [`restore_cmd_with`] using Litestream 0.5.17.
pub fn restore_cmd(url: &str, out: &Path, txid: Option<u64>) -> Output {
    restore_cmd_with(&peers::litestream(), url, out, txid)
}

/// Restores with `bin` and panics (with Litestream's output) unless it succeeded.
#[track_caller]
pub fn restore_ok_with(bin: &Path, url: &str, out: &Path, txid: Option<u64>) {
    let output = restore_cmd_with(bin, url, out, txid);
    assert_success(
        &output,
        &format!(
            "litestream restore -o {} {}{url}",
            out.display(),
            txid.map(|t| format!("-txid {} ", txid_hex(t)))
                .unwrap_or_default()
        ),
    );
    assert!(out.is_file(), "restore did not create {}", out.display());
}

/// One LTX file of a replica, identified by its name `<min>-<max>.ltx`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LtxFileName {
    pub level: u8,
    pub min_txid: u64,
    pub max_txid: u64,
    pub path: PathBuf,
}

/// Parses `<16 hex>-<16 hex>.ltx` (lowercase only, as Litestream writes them).
pub fn parse_ltx_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".ltx")?;
    let (min, max) = stem.split_once('-')?;
    let ok = |s: &str| s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !ok(min) || !ok(max) {
        return None;
    }
    Some((
        u64::from_str_radix(min, 16).ok()?,
        u64::from_str_radix(max, 16).ok()?,
    ))
}

/// The name Litestream gives an LTX file: `<min>-<max>.ltx`, 16 lowercase hex digits each.
pub fn ltx_file_name(min_txid: u64, max_txid: u64) -> String {
    format!("{min_txid:016x}-{max_txid:016x}.ltx")
}

/// A listing of a `file://` replica directory: `<replica>/ltx/<level>/<min>-<max>.ltx`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaFiles {
    /// LTX files per level, sorted by name (= by min TXID, then max TXID).
    pub levels: BTreeMap<u8, Vec<LtxFileName>>,
    /// Anything else found under the replica dir (temp files, unexpected names).
    pub stray: Vec<PathBuf>,
}

impl ReplicaFiles {
    /// Lists `replica_dir` (an absent directory is an empty replica).
    pub fn read(replica_dir: &Path) -> Self {
        let mut listing = ReplicaFiles::default();
        let Ok(top) = fs::read_dir(replica_dir) else {
            return listing;
        };
        for entry in top.flatten() {
            let path = entry.path();
            if entry.file_name() != "ltx" || !path.is_dir() {
                listing.stray.push(path);
                continue;
            }
            let Ok(levels) = fs::read_dir(&path) else {
                continue;
            };
            for level_entry in levels.flatten() {
                let level_path = level_entry.path();
                let level: Option<u8> = level_entry
                    .file_name()
                    .to_str()
                    .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse().ok());
                let (Some(level), true) = (level, level_path.is_dir()) else {
                    listing.stray.push(level_path);
                    continue;
                };
                let files = listing.levels.entry(level).or_default();
                let Ok(entries) = fs::read_dir(&level_path) else {
                    continue;
                };
                for file in entries.flatten() {
                    let name = file.file_name();
                    match name.to_str().and_then(parse_ltx_file_name) {
                        Some((min_txid, max_txid)) => files.push(LtxFileName {
                            level,
                            min_txid,
                            max_txid,
                            path: file.path(),
                        }),
                        None => listing.stray.push(file.path()),
                    }
                }
                files.sort();
            }
        }
        listing.levels.retain(|_, files| !files.is_empty());
        listing.stray.sort();
        listing
    }

    /// The files of `level`, sorted by name (empty if none).
    pub fn level(&self, level: u8) -> &[LtxFileName] {
        self.levels.get(&level).map_or(&[], Vec::as_slice)
    }

    /// The paths of `level`'s files, sorted by name.
    pub fn paths(&self, level: u8) -> Vec<PathBuf> {
        self.level(level).iter().map(|f| f.path.clone()).collect()
    }

    /// The file names of `level`, sorted.
    pub fn names(&self, level: u8) -> Vec<String> {
        self.level(level)
            .iter()
            .map(|f| ltx_file_name(f.min_txid, f.max_txid))
            .collect()
    }

    /// The highest max TXID at `level`.
    pub fn max_txid(&self, level: u8) -> Option<u64> {
        self.level(level).iter().map(|f| f.max_txid).max()
    }

    /// Every LTX file, by level then name.
    pub fn all(&self) -> Vec<&LtxFileName> {
        self.levels.values().flatten().collect()
    }

    /// A compact human-readable listing for panic messages.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (level, files) in &self.levels {
            let names: Vec<String> = files
                .iter()
                .map(|f| format!("{:x}-{:x}", f.min_txid, f.max_txid))
                .collect();
            writeln!(s, "  L{level}: {}", names.join(" ")).unwrap();
        }
        if !self.stray.is_empty() {
            writeln!(s, "  stray: {:?}", self.stray).unwrap();
        }
        if s.is_empty() {
            s.push_str("  (empty)\n");
        }
        s
    }
}

/// Sorted paths of the LTX files at `level` of a file replica.
pub fn replica_files(replica_dir: &Path, level: u8) -> Vec<PathBuf> {
    ReplicaFiles::read(replica_dir).paths(level)
}

/// Go duration syntax for `d` (whole milliseconds, at least 1 ms).
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    assert!(
        ms > 0,
        "duration {d:?} is below Litestream's useful resolution"
    );
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The settings written into the generated `litestream.yml`. The defaults are tuned for fast
/// tests: 100 ms sync and monitor intervals, one compaction level every second, a snapshot
/// every 2 s kept for an hour, L0 files kept for an hour, Litestream's checkpoint defaults.
#[derive(Clone, Debug)]
pub struct ReplicateConfig {
    pub sync_interval: Duration,
    pub monitor_interval: Duration,
    /// Intervals of compaction levels 1.. (`levels: [{interval: ..}]`).
    pub levels: Vec<Duration>,
    pub snapshot_interval: Duration,
    pub snapshot_retention: Duration,
    pub l0_retention: Duration,
    pub l0_retention_check_interval: Option<Duration>,
    /// Per-DB `checkpoint-interval` (time-based PASSIVE checkpoint), `None` = default (1 m).
    pub checkpoint_interval: Option<Duration>,
    /// Per-DB `min-checkpoint-page-count`, `None` = default (1000 pages).
    pub min_checkpoint_page_count: Option<u64>,
    /// `logging.level` (e.g. `"debug"`), `None` = Litestream's default (info).
    pub log_level: Option<String>,
}

impl Default for ReplicateConfig {
    fn default() -> Self {
        ReplicateConfig {
            sync_interval: Duration::from_millis(100),
            monitor_interval: Duration::from_millis(100),
            levels: vec![Duration::from_secs(1)],
            snapshot_interval: Duration::from_secs(2),
            snapshot_retention: Duration::from_secs(3600),
            l0_retention: Duration::from_secs(3600),
            l0_retention_check_interval: None,
            checkpoint_interval: None,
            min_checkpoint_page_count: None,
            log_level: None,
        }
    }
}

impl ReplicateConfig {
    /// Litestream never checkpoints on its own during a short test (page threshold far above
    /// any test workload, time threshold an hour): then Litestream never writes to the
    /// database itself after start-up, so every L0 file after TXID 1 is exactly one of the
    /// test's transactions.
    pub fn without_litestream_checkpoints(mut self) -> Self {
        self.checkpoint_interval = Some(Duration::from_secs(3600));
        self.min_checkpoint_page_count = Some(100_000_000);
        self
    }

    /// The YAML text for one database at `db_path` replicated to `file://<replica_dir>`.
    pub fn to_yaml(&self, db_path: &Path, replica_dir: &Path) -> String {
        // JSON strings are valid YAML double-quoted scalars.
        let q = |p: &Path| serde_json::to_string(&p.display().to_string()).unwrap();
        let mut y = String::new();
        if let Some(level) = &self.log_level {
            writeln!(y, "logging:\n  level: {level}").unwrap();
        }
        if !self.levels.is_empty() {
            y.push_str("levels:\n");
            for interval in &self.levels {
                writeln!(y, "  - interval: {}", go_duration(*interval)).unwrap();
            }
        }
        writeln!(
            y,
            "snapshot:\n  interval: {}\n  retention: {}",
            go_duration(self.snapshot_interval),
            go_duration(self.snapshot_retention)
        )
        .unwrap();
        writeln!(y, "l0-retention: {}", go_duration(self.l0_retention)).unwrap();
        if let Some(d) = self.l0_retention_check_interval {
            writeln!(y, "l0-retention-check-interval: {}", go_duration(d)).unwrap();
        }
        writeln!(y, "dbs:\n  - path: {}", q(db_path)).unwrap();
        writeln!(
            y,
            "    monitor-interval: {}",
            go_duration(self.monitor_interval)
        )
        .unwrap();
        if let Some(d) = self.checkpoint_interval {
            writeln!(y, "    checkpoint-interval: {}", go_duration(d)).unwrap();
        }
        if let Some(n) = self.min_checkpoint_page_count {
            writeln!(y, "    min-checkpoint-page-count: {n}").unwrap();
        }
        writeln!(
            y,
            "    replica:\n      url: {}\n      sync-interval: {}",
            q(Path::new(&file_url(replica_dir))),
            go_duration(self.sync_interval)
        )
        .unwrap();
        y
    }
}

/// A running `litestream replicate -config <dir>/litestream.yml`, its stdout and stderr going
/// to `<dir>/litestream.log`. Dropping it kills the process if it still runs; call
/// [`LitestreamReplicate::stop`] for a clean shutdown (SIGTERM: final sync, then exit).
pub struct LitestreamReplicate {
    child: Option<Child>,
    stopped_status: Option<ExitStatus>,
    pub bin: PathBuf,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
    pub db_path: PathBuf,
    pub replica_dir: PathBuf,
    pub started: Instant,
}

impl LitestreamReplicate {
    /// Starts Litestream 0.5.17 replicating `db_path` to `file://<replica_dir>`; the config and
    /// the log go into `dir`.
    pub fn start(dir: &Path, db_path: &Path, replica_dir: &Path, config: &ReplicateConfig) -> Self {
        Self::start_with(&peers::litestream(), dir, db_path, replica_dir, config)
    }

    /// Like [`LitestreamReplicate::start`] with a given binary.
    pub fn start_with(
        bin: &Path,
        dir: &Path,
        db_path: &Path,
        replica_dir: &Path,
        config: &ReplicateConfig,
    ) -> Self {
        let config_path = dir.join("litestream.yml");
        fs::write(&config_path, config.to_yaml(db_path, replica_dir))
            .unwrap_or_else(|e| panic!("write {}: {e}", config_path.display()));
        let log_path = dir.join("litestream.log");
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let log_err = log.try_clone().unwrap();
        let mut cmd = litestream_command(bin);
        cmd.arg("replicate")
            .arg("-config")
            .arg(&config_path)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        LitestreamReplicate {
            child: Some(child),
            stopped_status: None,
            bin: bin.to_owned(),
            config_path,
            log_path,
            db_path: db_path.to_owned(),
            replica_dir: replica_dir.to_owned(),
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `file://<replica_dir>`.
    pub fn replica_url(&self) -> String {
        file_url(&self.replica_dir)
    }

    /// The current listing of the replica directory.
    pub fn files(&self) -> ReplicaFiles {
        ReplicaFiles::read(&self.replica_dir)
    }

    /// Sorted paths of the replica's LTX files at `level`.
    pub fn replica_files(&self, level: u8) -> Vec<PathBuf> {
        self.files().paths(level)
    }

    /// The last `lines` lines of Litestream's log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }

    /// Polls the replica directory every [`POLL_INTERVAL`] until `condition` holds, and returns
    /// the listing that satisfied it. Panics (with the listing and the log's tail) on timeout
    /// or if Litestream exits meanwhile.
    #[track_caller]
    pub fn wait_for(
        &mut self,
        condition: impl FnMut(&ReplicaFiles) -> bool,
        timeout: Duration,
    ) -> ReplicaFiles {
        self.wait_until("condition", condition, timeout)
    }

    /// [`LitestreamReplicate::wait_for`] with a description for the panic message.
    #[track_caller]
    pub fn wait_until(
        &mut self,
        what: &str,
        mut condition: impl FnMut(&ReplicaFiles) -> bool,
        timeout: Duration,
    ) -> ReplicaFiles {
        let deadline = Instant::now() + timeout;
        loop {
            let files = self.files();
            if condition(&files) {
                return files;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!(
                    "litestream exited ({status}) while waiting for {what}\nreplica {}:\n{}--- litestream log tail ({}) ---\n{}",
                    self.replica_dir.display(),
                    files.summary(),
                    self.log_path.display(),
                    self.log_tail(40)
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nreplica {}:\n{}--- litestream log tail ({}) ---\n{}",
                    self.replica_dir.display(),
                    files.summary(),
                    self.log_path.display(),
                    self.log_tail(40)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits until level `level` holds a file whose max TXID is at least `txid`.
    #[track_caller]
    pub fn wait_for_txid(&mut self, level: u8, txid: u64, timeout: Duration) -> ReplicaFiles {
        self.wait_until(
            &format!("a level-{level} file reaching TXID {txid:x}"),
            |f| f.max_txid(level).is_some_and(|m| m >= txid),
            timeout,
        )
    }

    /// Sends SIGTERM and waits for the exit (Litestream does a final sync first); after
    /// [`STOP_TIMEOUT`] sends SIGKILL. Returns the exit status (a signal-killed status if it had
    /// to be killed). Idempotent: later calls return the first status again.
    pub fn stop(&mut self) -> ExitStatus {
        let Some(mut child) = self.child.take() else {
            return self
                .stopped_status
                .unwrap_or_else(|| panic!("litestream already exited (reaped while waiting)"));
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    break child.wait().unwrap();
                }
            }
        };
        self.stopped_status = Some(status);
        status
    }
}

impl Drop for LitestreamReplicate {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `lines` lines of the file at `path` (or a note that it can't be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
