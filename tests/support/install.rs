//! The steps every peer installer shares: an exclusive lock on the install root (nextest runs
//! tests as parallel processes), a command that must succeed (a failure panics with its
//! output: a missing peer fails the run, it is never skipped), and removing a directory.

use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Output};

/// Creates `root` and holds `root/install.lock` exclusively until the file is dropped.
pub fn locked(root: &Path) -> File {
    fs::create_dir_all(root).unwrap_or_else(|e| panic!("create {}: {e}", root.display()));
    let lock_path = root.join("install.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("open {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));
    lock
}

/// Runs one install step of `what` (e.g. "an MCP peer"); panics with its output on failure.
pub fn run_step(what: &str, cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("installing {what}: cannot run `{shown}`: {e}"));
    assert!(
        out.status.success(),
        "installing {what}: `{shown}` failed with {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// Removes `path` and everything under it, if it exists.
pub fn remove(path: &Path) {
    if path.exists() {
        fs::remove_dir_all(path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }
}
