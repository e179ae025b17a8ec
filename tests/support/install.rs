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

/// Whether `python` exists, imports `module` and has pip distribution `dist` at exactly
/// `version` (the readiness check of a [`pip_venv`]).
pub fn python_has(python: &Path, module: &str, dist: &str, version: &str) -> bool {
    python.is_file()
        && Command::new(python)
            .args([
                "-c",
                &format!(
                    "import importlib.metadata as m, {module}; assert m.version('{dist}') == '{version}'"
                ),
            ])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// The Python interpreter of `root/venv`, a venv holding the pip `requirement`
/// (`name==version`). `ready` tells whether an interpreter already has it; when it does not,
/// the venv is built in a `venv.partial-<pid>` directory and renamed only once `ready` holds.
/// Call with `root` locked.
pub fn pip_venv(
    what: &str,
    root: &Path,
    requirement: &str,
    ready: impl Fn(&Path) -> bool,
) -> std::path::PathBuf {
    let venv = root.join("venv");
    let python = venv.join("bin").join("python");
    if ready(&python) {
        return python;
    }
    let partial = root.join(format!("venv.partial-{}", std::process::id()));
    remove(&partial);
    remove(&venv);
    let py = std::env::var_os("PYTHON3").unwrap_or_else(|| "python3".into());
    run_step(what, Command::new(&py).arg("-m").arg("venv").arg(&partial));
    run_step(
        what,
        Command::new(partial.join("bin").join("python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            requirement,
        ]),
    );
    fs::rename(&partial, &venv)
        .unwrap_or_else(|e| panic!("rename {} to {}: {e}", partial.display(), venv.display()));
    assert!(
        ready(&python),
        "installing {what}: installed {requirement} into {} but it does not import",
        venv.display()
    );
    python
}
