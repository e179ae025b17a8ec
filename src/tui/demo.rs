//! `ltx-tui demo`: a demo database in the user data directory with a steady write workload (a
//! few transactions a second), replicated to a `file://` replica beside it, with compaction
//! levels short enough that L1…L3 and snapshots appear within minutes. The configuration is
//! written to `config.yml` in the demo directory, so `ltx-tui --config` works on it too.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::{self, Config, LoadOptions};

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Start afresh: delete the demo directory first.
    pub reset: bool,
    /// Transactions per second of the workload (0 = no workload).
    pub rate: f64,
    /// The demo directory (default: `<user data dir>/demo`).
    pub dir: Option<PathBuf>,
}

/// Where the demo lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPaths {
    /// The demo directory.
    pub dir: PathBuf,
    /// The database.
    pub db: PathBuf,
    /// The replica directory.
    pub replica: PathBuf,
    /// The generated configuration.
    pub config: PathBuf,
}

impl DemoPaths {
    /// The demo's files under `dir`.
    pub fn under(dir: &Path) -> DemoPaths {
        DemoPaths {
            dir: dir.to_path_buf(),
            db: dir.join("demo.db"),
            replica: dir.join("replica"),
            config: dir.join("config.yml"),
        }
    }

    /// The default demo directory: `<user data dir>/demo` (e.g. `~/.local/share/ltx-tui/demo`).
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "ltx-tui").map(|d| d.data_dir().join("demo"))
    }
}

/// The demo's configuration text.
pub fn demo_config(paths: &DemoPaths) -> String {
    format!(
        "# Written by `ltx-tui demo`; `ltx-tui demo --reset` starts afresh.\n\
         dbs:\n  - path: {}\n    monitor-interval: 250ms\n    replica:\n      url: file://{}\n\
         levels:\n  - interval: 10s\n  - interval: 1m\n  - interval: 5m\n\
         snapshot:\n  interval: 10m\n  retention: 24h\n",
        paths.db.display(),
        paths.replica.display()
    )
}

/// Creates (or reuses) the demo directory, database and configuration.
pub fn prepare(opts: &DemoOptions) -> Result<(DemoPaths, Config), String> {
    let dir = opts
        .dir
        .clone()
        .or_else(DemoPaths::default_dir)
        .ok_or("cannot find the user data directory (is $HOME set?)")?;
    let paths = DemoPaths::under(&dir);
    if opts.reset && dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("demo --reset: cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&paths.replica)
        .map_err(|e| format!("cannot create {}: {e}", paths.replica.display()))?;
    create_database(&paths.db).map_err(|e| format!("demo database {}: {e}", paths.db.display()))?;
    let text = demo_config(&paths);
    std::fs::write(&paths.config, &text)
        .map_err(|e| format!("cannot write {}: {e}", paths.config.display()))?;
    let opts = LoadOptions::new(&dir);
    let config = config::parse_str(&text, &paths.config, &opts).map_err(|e| e.to_string())?;
    Ok((paths, config))
}

fn create_database(path: &Path) -> rusqlite::Result<()> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS orders (
             id INTEGER PRIMARY KEY,
             customer TEXT NOT NULL,
             item TEXT NOT NULL,
             qty INTEGER NOT NULL,
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
         CREATE TABLE IF NOT EXISTS stock (item TEXT PRIMARY KEY, qty INTEGER NOT NULL);",
    )
}

/// The demo's writer: a thread committing a few small transactions a second until stopped.
#[derive(Debug)]
pub struct Workload {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

const ITEMS: [&str; 6] = ["anchor", "bolt", "cable", "drum", "engine", "flare"];
const CUSTOMERS: [&str; 5] = ["ada", "bob", "cyd", "dee", "eve"];

impl Workload {
    /// Starts writing `rate` transactions a second into `db` (nothing when `rate` ≤ 0).
    pub fn start(db: &Path, rate: f64) -> Option<Workload> {
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / rate.min(1000.0));
        let (stop, rx) = mpsc::channel::<()>();
        let db = db.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("demo-workload".into())
            .spawn(move || {
                if let Err(e) = write_loop(&db, period, &rx) {
                    tracing::warn!("demo workload stopped: {e}");
                }
            })
            .ok()?;
        Some(Workload {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the writer and waits for its last transaction to end.
    pub fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_loop(db: &Path, period: Duration, stop: &mpsc::Receiver<()>) -> rusqlite::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let count: i64 = conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    let mut n = u64::try_from(count).unwrap_or(0);
    tracing::info!(db = %db.display(), period_ms = period.as_millis() as u64, "demo workload writing");
    loop {
        // Pacing: wait one period, or stop at once when asked.
        match stop.recv_timeout(period) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return Ok(()),
        }
        n += 1;
        let item = ITEMS[(n % ITEMS.len() as u64) as usize];
        let customer = CUSTOMERS[(n * 7 % CUSTOMERS.len() as u64) as usize];
        let qty = 1 + (n * 13 % 9) as i64;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute(
            "INSERT INTO orders (customer, item, qty) VALUES (?1, ?2, ?3)",
            rusqlite::params![customer, item, qty],
        )?;
        conn.execute(
            "INSERT INTO stock (item, qty) VALUES (?1, 1000 - ?2)
             ON CONFLICT(item) DO UPDATE SET qty = qty - ?2",
            rusqlite::params![item, qty],
        )?;
        conn.execute_batch("COMMIT")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_configuration_parses_and_reset_starts_afresh() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = DemoOptions {
            reset: false,
            rate: 0.0,
            dir: Some(tmp.path().join("demo")),
        };
        let (paths, config) = prepare(&opts).unwrap();
        assert_eq!(config.dbs.len(), 1);
        assert_eq!(config.dbs[0].path.as_deref(), Some(paths.db.as_path()));
        std::fs::write(paths.dir.join("marker"), b"x").unwrap();
        let (paths, _) = prepare(&DemoOptions {
            reset: true,
            ..opts
        })
        .unwrap();
        assert!(!paths.dir.join("marker").exists());
        assert!(paths.db.exists());
    }
}
