//! Driving the real `ltx-tui` binary: a headless engine process with a generated config,
//! stopped by signals, with its stderr kept in a log file for failure messages.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::litestream::ReplicaFiles;

/// The path of the `ltx-tui` binary cargo built for this test run (`LTX_TUI_BIN` overrides it,
/// for example to benchmark a saved build).
pub fn ltx_tui_bin() -> PathBuf {
    match std::env::var_os("LTX_TUI_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_ltx-tui")),
    }
}

/// A config with one database replicated to a `file://` replica; `extra` is appended to the
/// database entry (indented by four spaces).
pub fn file_replica_config(db: &Path, replica_dir: &Path, extra_db_keys: &str) -> String {
    format!(
        "dbs:\n  - path: {}\n    monitor-interval: 100ms\n{extra_db_keys}    replica:\n      url: file://{}\n",
        db.display(),
        replica_dir.display()
    )
}

/// A running `ltx-tui --headless` process.
pub struct Headless {
    child: Option<Child>,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Headless {
    /// Writes `config` to `<dir>/ltx-tui.yml` and starts `ltx-tui --headless --config` on it.
    pub fn start(dir: &Path, config: &str) -> Headless {
        Headless::start_with(dir, "ltx-tui.yml", config, &[])
    }

    /// Writes `config` to `<dir>/<file_name>` and starts `ltx-tui --headless --config FILE
    /// ARGS…` in `dir` (its working directory).
    pub fn start_with(dir: &Path, file_name: &str, config: &str, args: &[&str]) -> Headless {
        Headless::start_with_env(dir, file_name, config, args, &[])
    }

    /// As [`Headless::start_with`], with extra environment variables.
    pub fn start_with_env(
        dir: &Path,
        file_name: &str,
        config: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Headless {
        let config_path = dir.join(file_name);
        fs::write(&config_path, config).unwrap();
        let log = dir.join("ltx-tui.log");
        let child = Command::new(ltx_tui_bin())
            .args(["--headless", "--config"])
            .arg(&config_path)
            .args(args)
            .current_dir(dir)
            // Keep caches (e.g. the preview cache) inside the test directory.
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("LOG_LEVEL", "debug")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("ltx-tui.stdout")).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Headless {
            child: Some(child),
            log,
            status: None,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The last `lines` lines of the process's stderr.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Polls the log every 20 ms until a line contains `needle`, up to `timeout`; returns the
    /// line. Panics with the log tail if the process exits or the time runs out.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "ltx-tui exited ({status}) while waiting for {needle:?}\n{}",
                    self.log_tail(40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?} in the log\n{}",
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` for the process to exit by itself; its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let mut child = self.child.take().expect("process already stopped");
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "ltx-tui did not exit within {timeout:?}\n{}",
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        self.status = Some(status);
        status
    }

    /// Polls the replica directory every 20 ms until `cond` holds, up to `timeout`; panics with
    /// the listing and the log tail otherwise, or if the process exits early.
    pub fn wait_for(
        &mut self,
        replica_dir: &Path,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&ReplicaFiles) -> bool,
    ) -> ReplicaFiles {
        let deadline = Instant::now() + timeout;
        loop {
            let files = ReplicaFiles::read(replica_dir);
            if cond(&files) {
                return files;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "ltx-tui exited ({status}) while waiting for {what}\n{}",
                    self.log_tail(40)
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {}\n{}",
                files.summary(),
                self.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (e.g. "TERM") and waits up to 30 s for the exit status.
    pub fn stop_with(&mut self, signal: &str) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let mut child = self.child.take().expect("process already stopped");
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "ltx-tui did not exit within 30 s of SIG{signal}\n{}",
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.status = Some(status);
        status
    }

    /// Kills the process with SIGKILL (a crash) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            self.status = child.wait().ok();
        }
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
