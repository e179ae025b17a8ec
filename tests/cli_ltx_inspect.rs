//! The `ltx-tui` binary: `ltx inspect` on real Litestream files, on corrupt files, exit codes,
//! and `--version`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn ltx_tui(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ltx-tui"))
        .args(args)
        .output()
        .unwrap()
}

fn samples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/samples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ltx"))
        .collect();
    files.sort();
    files
}

#[test]
fn inspect_verifies_the_sample_files_written_by_litestream() {
    let files = samples();
    assert!(
        files.len() >= 4,
        "assets/samples holds the README's sample files"
    );
    let args: Vec<&str> = ["ltx", "inspect"]
        .into_iter()
        .chain(files.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let out = ltx_tui(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches(": ok (").count(), files.len(), "{stdout}");
    assert_eq!(stdout.matches("(verified)").count(), files.len());
    assert!(
        stdout.contains("flags                0x00000002 (NoChecksum)"),
        "{stdout}"
    );
}

#[test]
fn inspect_json_lists_every_page_frame() {
    let file = samples()
        .into_iter()
        .find(|p| p.to_str().unwrap().contains("L0-0000000000000001"))
        .unwrap();
    let out = ltx_tui(&["ltx", "inspect", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json[0];
    let commit = report["summary"]["header"]["commit"].as_u64().unwrap();
    let frames = report["frames"].as_array().unwrap();
    assert_eq!(
        frames.len() as u64,
        commit,
        "a TXID-1 file is a snapshot of every page"
    );
    assert_eq!(report["summary"]["header"]["min_txid"], "0000000000000001");
    assert_eq!(report["index_matches_frames"], true);
}

#[test]
fn inspect_reports_a_corrupt_file_with_its_reason_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = samples().remove(0);
    let mut bytes = std::fs::read(&good).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let bad = dir.path().join("corrupt.ltx");
    std::fs::write(&bad, &bytes).unwrap();
    let truncated = dir.path().join("truncated.ltx");
    std::fs::write(&truncated, &bytes[..50]).unwrap();

    let out = ltx_tui(&[
        "ltx",
        "inspect",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        truncated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("corrupt.ltx: invalid LTX file:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("truncated.ltx: invalid LTX file: truncated LTX file"),
        "{stderr}"
    );
    assert!(stderr.contains("header at byte offset 0"), "{stderr}");
    // The good file is still reported.
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("));
}

#[test]
fn inspect_of_a_missing_file_fails_and_usage_errors_exit_2() {
    let out = ltx_tui(&["ltx", "inspect", "/nonexistent/file.ltx"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.ltx"));
    assert_eq!(ltx_tui(&["ltx", "inspect"]).status.code(), Some(2));
    assert_eq!(ltx_tui(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn version_prints_the_crate_version() {
    let out = ltx_tui(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ltx-tui {}", env!("CARGO_PKG_VERSION"))
    );
}
