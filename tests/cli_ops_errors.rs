//! The one-shot commands name what is wrong and exit with the design's codes: 2 for usage
//! and configuration errors (a database not in the config, an unknown replica URL scheme, a
//! bad level, a missing or invalid config), 1 when the operation itself failed (a replica on
//! 127.0.0.1 that refuses connections, named with its bucket and endpoint).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use support::ltx_tui::ltx_tui_bin;

fn ltx_tui(args: &[&str]) -> Output {
    ltx_tui_with_env(args, &[])
}

fn ltx_tui_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(ltx_tui_bin())
        .args(args)
        .env_remove("LTX_TUI_CONFIG")
        .env_remove("STORAGE_EMULATOR_HOST")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .envs(env.iter().copied())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

#[track_caller]
fn assert_fails(out: &Output, code: i32, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn write_config(dir: &Path, body: &str) -> String {
    let path = dir.join("ltx-tui.yml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn usage_and_config_errors_exit_2_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let config = write_config(
        dir.path(),
        &format!(
            "dbs:\n  - path: {}\n    replica:\n      url: file://{}/replica\n",
            db.display(),
            dir.path().display()
        ),
    );
    let missing = dir.path().join("nope.db");
    let missing = missing.to_str().unwrap();
    assert_fails(
        &ltx_tui(&["ltx", "-config", &config, missing]),
        2,
        &[
            "database not found in config",
            missing,
            db.to_str().unwrap(),
        ],
    );
    assert_fails(
        &ltx_tui(&["status", "-config", &config, missing]),
        2,
        &["database not found in config", missing],
    );
    assert_fails(
        &ltx_tui(&["ltx", "foo://bucket/db"]),
        2,
        &["foo://bucket/db", "scheme \"foo\"", "hint"],
    );
    assert_fails(
        &ltx_tui(&[
            "ltx",
            "-level",
            "10",
            "-config",
            &config,
            db.to_str().unwrap(),
        ]),
        2,
        &["level", "between 0 and 9"],
    );
    let nowhere = dir.path().join("none.yml");
    assert_fails(
        &ltx_tui(&["databases", "-config", nowhere.to_str().unwrap()]),
        2,
        &[nowhere.to_str().unwrap()],
    );
    let bad = write_config(
        dir.path(),
        "dbs:\n  - path: /x.db\n    replica:\n      url: file:///r\n    sync-intervall: 1s\n",
    );
    assert_fails(
        &ltx_tui(&["status", "-config", &bad]),
        2,
        &["ltx-tui.yml:5:", "sync-intervall"],
    );
}

#[test]
fn an_unreachable_replica_exits_1_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let url = format!("s3://bucket/app?endpoint=http://127.0.0.1:{port}&region=us-east-1");
    assert_fails(
        &ltx_tui(&["ltx", &url]),
        1,
        &["list LTX files on replica s3://bucket/app", "127.0.0.1"],
    );

    let db = dir.path().join("app.db");
    let config = write_config(
        dir.path(),
        &format!(
            "dbs:\n  - path: {}\n    replica:\n      url: s3://bucket/app\n      endpoint: http://127.0.0.1:{port}\n      region: us-east-1\n",
            db.display()
        ),
    );
    assert_fails(
        &ltx_tui(&["ltx", "-config", &config, db.to_str().unwrap()]),
        1,
        &["list LTX files on replica s3://bucket/app", "hint"],
    );

    // gs: the endpoint from the config or, as Litestream reads it, STORAGE_EMULATOR_HOST.
    let endpoint = format!("http://127.0.0.1:{port}");
    let gs_config = write_config(
        dir.path(),
        &format!(
            "dbs:\n  - path: {}\n    replica:\n      type: gs\n      bucket: my-bucket\n      path: app\n      endpoint: {endpoint}\n",
            db.display()
        ),
    );
    let named = format!("gs://my-bucket/app at {endpoint}");
    assert_fails(
        &ltx_tui(&["ltx", "-config", &gs_config, db.to_str().unwrap()]),
        1,
        &[&named, "hint"],
    );
    let host = format!("127.0.0.1:{port}");
    assert_fails(
        &ltx_tui_with_env(
            &["ltx", "gs://my-bucket/app"],
            &[("STORAGE_EMULATOR_HOST", &host)],
        ),
        1,
        &["list LTX files on replica gs://my-bucket/app", &named],
    );
}
