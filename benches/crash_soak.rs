//! The crash soak: `tests/engine_crash.rs` (`kill -9` of the headless engine at random moments
//! while an application writes; after every restart replication continues, the latest
//! `litestream restore` equals the source, and no TXID is missing at the end) with many more
//! cycles than the test suite's 50.
//!
//! `cargo bench --bench crash_soak` runs
//! `LTX_TUI_CRASH_CYCLES=<N> cargo test --release --test engine_crash -- --nocapture`
//! with N = `LTX_TUI_CRASH_CYCLES` if set, else 500. It runs the very test the suite runs
//! (no second copy of the scenario to drift), built with the release profile like the other
//! benches. The exit status is the test's; the duration and outcome are printed and written to
//! `target/bench-results/crash_soak.json`.
//!
//! Cargo releases the build-directory lock once `cargo bench` has finished compiling, so the
//! nested `cargo test` can build the test target in the same target directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const DEFAULT_CYCLES: u64 = 500;

fn main() {
    let cycles: u64 = match std::env::var("LTX_TUI_CRASH_CYCLES") {
        Ok(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("LTX_TUI_CRASH_CYCLES={v:?} is not a positive count")),
        Err(_) => DEFAULT_CYCLES,
    };
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // `CARGO` is set for processes cargo runs; fall back to the one that built this bench.
    let cargo = std::env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(Into::into))
        .unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&manifest)
        .args([
            "test",
            "--release",
            "--test",
            "engine_crash",
            "--",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LTX_TUI_CRASH_CYCLES", cycles.to_string());
    println!("crash soak: {cycles} kill -9 cycles: LTX_TUI_CRASH_CYCLES={cycles} {cmd:?}");
    let started = Instant::now();
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let secs = started.elapsed().as_secs_f64();
    let passed = status.success();
    println!(
        "crash soak: {cycles} cycles {} in {secs:.1} s (including the test build)",
        if passed { "passed" } else { "FAILED" }
    );

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { manifest.join(d) })
        .unwrap_or_else(|| manifest.join("target"));
    let results = target.join("bench-results");
    let summary = serde_json::json!({
        "cycles": cycles, "passed": passed, "seconds": (secs * 10.0).round() / 10.0,
        "exit": status.code(),
    });
    if std::fs::create_dir_all(&results).is_ok() {
        let _ = std::fs::write(results.join("crash_soak.json"), summary.to_string());
    }
    if !passed {
        std::process::exit(status.code().unwrap_or(1));
    }
}
