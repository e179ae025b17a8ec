//! `ltx-tui databases`, `status` and `ltx` print what the real `litestream` 0.5.17 prints on
//! the same configuration and replicas — byte for byte, tables (Go tabwriter layout, same
//! header lines, same rows) and JSON (same keys in the same order, same values) — for a
//! replica written by Litestream and one written by ltx-tui. Go-style single-dash flags and
//! GNU-style double-dash flags give the same output, and `ltx inspect` still works beside
//! `ltx DB|URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use support::fixtures::{Workload, litestream_replica};
use support::litestream::{assert_success, file_url};
use support::ltx_tui::{Headless, file_replica_config, ltx_tui_bin};
use support::{TestDb, litestream_cmd};

fn ltx_tui(args: &[&str]) -> Output {
    Command::new(ltx_tui_bin())
        .args(args)
        .env_remove("LTX_TUI_CONFIG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `args` with both tools and asserts identical stdout; returns it.
#[track_caller]
fn same_output(args: &[&str]) -> String {
    let ls = litestream_cmd(args);
    assert_success(&ls, &format!("litestream {args:?}"));
    let ours = ltx_tui(args);
    assert_success(&ours, &format!("ltx-tui {args:?}"));
    assert_eq!(
        text(&ours.stdout),
        text(&ls.stdout),
        "ltx-tui and litestream differ on {args:?}"
    );
    text(&ls.stdout)
}

/// The keys of every object of a JSON array, in order.
fn json_keys(stdout: &str) -> Vec<Vec<String>> {
    let value: serde_json::Value = serde_json::from_str(stdout).unwrap();
    // serde_json sorts keys; read the order from the text instead.
    let rows = value.as_array().unwrap().len();
    let mut keys = vec![Vec::new(); rows];
    let mut row = 0;
    for line in stdout.lines() {
        let line = line.trim();
        if line.starts_with('}') {
            row += 1;
        } else if let Some(rest) = line.strip_prefix('"')
            && let Some((key, _)) = rest.split_once("\":")
        {
            keys[row].push(key.to_owned());
        }
    }
    keys
}

/// A database replicated by `ltx-tui --headless` into a file replica (stopped again).
fn ltx_tui_replica(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let db_path = dir.join("ours.db");
    let replica = dir.join("ours-replica");
    let mut db = TestDb::create(&db_path, 4096);
    db.create_table("items");
    db.insert_rows("items", 10);
    let work = dir.join("headless");
    std::fs::create_dir_all(&work).unwrap();
    let mut headless = Headless::start(&work, &file_replica_config(&db_path, &replica, ""));
    headless.wait_for(
        &replica,
        "the first L0 file",
        Duration::from_secs(30),
        |f| f.max_txid(0).is_some(),
    );
    let first = support::ReplicaFiles::read(&replica).max_txid(0).unwrap();
    db.insert_rows("items", 10);
    headless.wait_for(&replica, "a second L0 file", Duration::from_secs(30), |f| {
        f.max_txid(0).is_some_and(|m| m > first)
    });
    assert!(headless.stop_with("TERM").success());
    db.close();
    (db_path, replica)
}

#[test]
fn tables_and_json_match_litestream_on_replicas_written_by_either_tool() {
    let built = litestream_replica(4096, Workload::Steady);
    let dir = built.dir.path();
    let (ours_db, ours_replica) = ltx_tui_replica(dir);
    let other_db = dir.join("other.db");
    TestDb::create(&other_db, 4096).close();
    let config = dir.join("both.yml");
    std::fs::write(
        &config,
        format!(
            "dbs:\n\
             \x20 - path: {app}\n    replica:\n      url: {app_url}\n\
             \x20 - path: {ours}\n    replica:\n      url: {ours_url}\n\
             \x20 - path: {missing}\n    replica:\n      url: s3://bucket/missing\n\
             \x20 - path: {other}\n    replica:\n      type: file\n      path: {other_replica}\n",
            app = built.db_path.display(),
            app_url = built.url(),
            ours = ours_db.display(),
            ours_url = file_url(&ours_replica),
            missing = dir.join("missing.db").display(),
            other = other_db.display(),
            other_replica = dir.join("other-replica").display(),
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let app = built.db_path.to_str().unwrap();
    let ours = ours_db.to_str().unwrap();

    let databases = same_output(&["databases", "-config", c]);
    assert!(databases.starts_with("path  "), "{databases}");
    assert_eq!(databases.lines().count(), 5, "{databases}");
    let json = same_output(&["databases", "-config", c, "-json"]);
    assert!(json_keys(&json).iter().all(|k| k == &["path", "replica"]));

    let status = same_output(&["status", "-config", c]);
    let header = status.lines().next().unwrap();
    assert!(
        header.starts_with("database  ")
            && header.contains("  status  ")
            && header.ends_with("local txid        wal size"),
        "{status}"
    );
    for word in ["ok", "no database", "not initialized"] {
        assert!(status.contains(&format!("  {word}  ")), "{word}: {status}");
    }
    let json = same_output(&["status", "-config", c, "-json"]);
    assert!(
        json_keys(&json)
            .iter()
            .all(|k| k == &["database", "status", "local_txid", "wal_size"])
    );
    same_output(&["status", "-config", c, ours]);

    for db in [app, ours] {
        for level in ["0", "1", "9", "all"] {
            let table = same_output(&["ltx", "-config", c, "-level", level, db]);
            let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
            assert_eq!(header, ["level", "min_txid", "max_txid", "size", "created"]);
            assert!(
                table.lines().count() > 1,
                "no files at level {level}: {table}"
            );
            let json = same_output(&["ltx", "-config", c, "-level", level, "-json", db]);
            assert!(
                json_keys(&json)
                    .iter()
                    .all(|k| k == &["level", "min_txid", "max_txid", "size", "timestamp"])
            );
        }
        same_output(&["ltx", "-config", c, db]);
    }
    for url in [built.url(), file_url(&ours_replica)] {
        same_output(&["ltx", "-level", "all", &url]);
        same_output(&["ltx", "-json", &url]);
    }
}

#[test]
fn go_style_and_gnu_style_flags_give_the_same_output_and_inspect_still_works() {
    let built = litestream_replica(4096, Workload::Steady);
    let c = built.config_path.to_str().unwrap();
    let db = built.db_path.to_str().unwrap();
    let config_eq = format!("-config={c}");
    let runs = [
        vec!["ltx", "-config", c, "-level", "all", "-json", db],
        vec!["ltx", "--config", c, "--level", "all", "--json", db],
        vec!["ltx", &config_eq, "-level=all", "-json", db],
        vec!["--config", c, "ltx", "--level=all", "--json", db],
    ];
    let outputs: Vec<String> = runs
        .iter()
        .map(|args| {
            let out = ltx_tui(args);
            assert_success(&out, &format!("ltx-tui {args:?}"));
            text(&out.stdout)
        })
        .collect();
    assert!(outputs[0].contains("\"level\": 9"), "{}", outputs[0]);
    for (args, out) in runs.iter().zip(&outputs) {
        assert_eq!(out, &outputs[0], "{args:?}");
    }

    let file = &built.replica_files(0)[0];
    let inspect = ltx_tui(&["ltx", "inspect", file.to_str().unwrap()]);
    assert_success(&inspect, "ltx inspect");
    assert!(
        text(&inspect.stdout).contains(": ok ("),
        "{}",
        text(&inspect.stdout)
    );

    let version = ltx_tui(&["version"]);
    assert_success(&version, "version");
    assert_eq!(
        text(&version.stdout),
        format!("{}\n", env!("CARGO_PKG_VERSION"))
    );
}
