//! Malformed configurations: each fixture under `tests/fixtures/config/malformed/` must fail
//! with an error naming the file, the right line and column, and a telling message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ltx_tui::config::{self, ConfigError, LoadOptions};

/// Fixture name (without `.yml`), expected 1-based line and column, and a message fragment.
#[rustfmt::skip]
const CASES: &[(&str, usize, usize, &str)] = &[
    ("syntax-bad-indent", 3, 4, "did not find expected '-' indicator"),
    ("syntax-unclosed-quote", 3, 1, "while scanning a quoted scalar at line 1 column 7"),
    ("syntax-mapping-in-scalar", 2, 16, "mapping values are not allowed"),
    ("tab-indentation", 4, 1, "tabs for indentation"),
    ("wrong-type-dbs-mapping", 2, 3, "dbs: invalid type: map, expected a sequence"),
    ("wrong-type-bool", 1, 20, "verify-compaction: invalid type: string \"sure\", expected a boolean"),
    ("wrong-type-page-count", 3, 32, "dbs[0].min-checkpoint-page-count: invalid type: string \"many\", expected u64"),
    ("unknown-key-top", 1, 1, "unknown field `dbz`, expected one of `dbs`"),
    ("unknown-key-replica", 5, 7, "dbs[0].replica: unknown field `sync-intervall`"),
    ("unknown-key-db", 2, 5, "dbs[0]: unknown field `paht`, expected one of `path`"),
    ("unknown-key-mcp-server", 3, 5, "mcp-servers[0]: unknown field `commnad`"),
    ("duplicate-key", 2, 1, "duplicate field `addr`"),
    ("bad-duration", 5, 22, "dbs[0].replica.sync-interval: invalid duration \"5x\""),
    ("bare-number-duration", 3, 23, "a bare number has no unit"),
    ("negative-duration", 3, 19, "dbs[0].busy-timeout: negative duration -1s"),
    ("bad-size", 5, 18, "invalid size \"5XB\""),
    ("path-and-dir", 3, 5, "dbs[0].dir: cannot specify both `path` and `dir`"),
    ("dir-without-pattern", 2, 5, "`pattern` is required when using `dir`"),
    ("neither-path-nor-dir", 2, 5, "must specify either `path`"),
    ("empty-path", 2, 11, "dbs[0].path: empty database path"),
    ("watch-without-dir", 3, 5, "`watch` can only be enabled with `dir`"),
    ("replica-and-replicas", 5, 5, "cannot specify both `replica` and `replicas`"),
    ("two-replicas", 5, 9, "multiple replicas on a single database are no longer supported"),
    ("age-encryption", 5, 7, "age encryption is not supported"),
    ("sync-interval-zero", 5, 22, "sync interval must be greater than 0 (got 0s)"),
    ("global-sync-interval-negative", 1, 16, "sync-interval: sync interval must be greater than 0"),
    ("level-interval-zero", 3, 15, "levels[1].interval: compaction interval must be greater than 0"),
    ("level-missing-interval", 3, 5, "levels[1].interval: compaction interval must be greater than 0"),
    ("too-many-levels", 3, 10, "too many compaction levels (9)"),
    ("snapshot-retention-zero", 3, 14, "snapshot.retention: snapshot retention must be greater than 0"),
    ("snapshot-conflict", 5, 26, "conflicting database snapshot intervals: /a.db has 1h0m0s, /b.db has 2h0m0s"),
    ("l0-retention-negative", 1, 15, "l0 retention must be greater than 0"),
    ("heartbeat-interval-30s", 2, 21, "heartbeat interval must be at least 1 minute (got 30s)"),
    ("heartbeat-url-not-http", 1, 16, "heartbeat URL must be a valid HTTP or HTTPS URL"),
    ("unknown-log-level", 2, 10, "unknown log level \"verbose\""),
    ("bad-url-scheme", 4, 12, "unsupported replica url scheme \"ftp\": expected one of file, s3"),
    ("url-without-scheme", 4, 12, "a scheme is required"),
    ("unknown-replica-type", 4, 13, "unknown replica type \"ftp\": expected one of file, s3"),
    ("s3-unknown-url-option", 4, 12, "unknown s3 url option \"regoin\""),
    ("s3-without-bucket", 4, 7, "bucket required for this s3 replica"),
    ("url-and-global-bucket", 5, 12, "cannot specify both `url` and `bucket` (set at the top level"),
    ("addr-without-port", 1, 7, "addr: invalid address \"localhost\": missing port"),
    ("mcp-addr-public-without-token", 1, 11, "`mcp-token` is required"),
    ("mcp-addr-all-interfaces-empty-token", 1, 11, "listens on every interface"),
    ("mcp-server-bad-name", 2, 11, "mcp-servers[0].name: invalid name \"My Files\": character 'M' is not allowed"),
    ("mcp-server-long-name", 2, 11, "expected at most 32"),
    ("mcp-server-duplicate-name", 7, 11, "duplicate MCP server name \"fs\" (already used by mcp-servers[0])"),
    ("mcp-server-stdio-without-command", 2, 5, "uses the stdio transport but has no `command`"),
    ("mcp-server-http-without-url", 2, 5, "uses the http transport but has no `url`"),
    ("mcp-server-bad-transport", 3, 16, "unknown variant `grpc`, expected one of `stdio`, `http`, `sse`"),
    ("mcp-server-missing-name", 2, 5, "mcp-servers[0]: missing field `name`"),
    ("env-expansion-keeps-columns", 3, 59, "invalid duration \"5x\""),
    ("empty-restore-dir", 3, 5, "restore-dirs[1]: empty restore directory"),
    ("duplicate-db-path", 3, 11, "dbs[1].path: /a.db is already configured by dbs[0]"),
    ("merge-key-bad-duration", 8, 22, "dbs[1].replica.sync-interval: invalid duration \"5x\""),
    ("merge-key-unknown-field", 8, 7, "dbs[1].replica: unknown field `syncinterval`"),
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/malformed")
}

/// Options independent of the machine: a fixed environment, working and home directory.
fn options() -> LoadOptions {
    let mut opts = LoadOptions::new("/srv/app");
    opts.home = Some(PathBuf::from("/home/op"));
    opts.env.insert(
        "LONG_VALUE".into(),
        "a-rather-long-expanded-bucket-name".into(),
    );
    opts
}

#[test]
fn every_malformed_fixture_fails_at_its_line_and_column() {
    let opts = options();
    let mut failures = Vec::new();
    for (name, line, column, fragment) in CASES {
        let path = fixture_dir().join(format!("{name}.yml"));
        let err = match config::load(&path, &opts) {
            Ok(_) => {
                failures.push(format!("{name}: parsed without error"));
                continue;
            }
            Err(err) => err,
        };
        let text = err.to_string();
        let want_prefix = format!("{}:{line}:{column}: ", path.display());
        if !text.starts_with(&want_prefix) || !text.contains(fragment) {
            failures.push(format!(
                "{name}:\n   want {want_prefix}…{fragment}…\n   got  {text}"
            ));
        }
        if err.file() != Some(path.as_path()) || err.line_column() != Some((*line, *column)) {
            failures.push(format!("{name}: accessors disagree with the text: {err:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_file_has_an_expectation() {
    let listed: BTreeSet<String> = CASES.iter().map(|c| format!("{}.yml", c.0)).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, on_disk);
    assert!(CASES.len() >= 25);
}

#[test]
fn syntax_errors_and_rule_errors_are_told_apart() {
    let opts = options();
    let load =
        |name: &str| config::load(&fixture_dir().join(format!("{name}.yml")), &opts).unwrap_err();
    assert!(matches!(
        load("tab-indentation"),
        ConfigError::Syntax { .. }
    ));
    assert!(matches!(
        load("syntax-unclosed-quote"),
        ConfigError::Syntax { .. }
    ));
    match load("path-and-dir") {
        ConfigError::Invalid { path, .. } => assert_eq!(path, "dbs[0].dir"),
        other => panic!("unexpected {other:?}"),
    }
    match load("bad-duration") {
        ConfigError::Invalid { path, message, .. } => {
            assert_eq!(path, "dbs[0].replica.sync-interval");
            assert!(
                message.contains("expected a Go duration such as 30s, 5m or 1h30m"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unknown_keys_suggest_the_closest_known_key() {
    let err = config::load(&fixture_dir().join("unknown-key-replica.yml"), &options()).unwrap_err();
    assert!(
        err.to_string().ends_with("did you mean `sync-interval`?"),
        "{err}"
    );
    let err = config::load(&fixture_dir().join("unknown-key-top.yml"), &options()).unwrap_err();
    assert!(err.to_string().ends_with("did you mean `dbs`?"), "{err}");
}

#[test]
fn positions_refer_to_the_text_as_written_even_without_expansion() {
    // With expansion off, `$LONG_VALUE` stays literal; the error is at the same place.
    let mut opts = options();
    opts.expand_env = false;
    let path = fixture_dir().join("env-expansion-keeps-columns.yml");
    let err = config::load(&path, &opts).unwrap_err();
    assert_eq!(err.line_column(), Some((3, 59)), "{err}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = config::load(Path::new("/nonexistent/ltx-tui.yml"), &options()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/ltx-tui.yml: cannot read"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_is_placed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yml");
    std::fs::write(&path, b"addr: \":9090\"\nexec: \"\xff\"\n").unwrap();
    let err = config::load(&path, &options()).unwrap_err();
    assert_eq!(err.line_column(), Some((2, 8)), "{err}");
    assert!(err.to_string().contains("not valid UTF-8"), "{err}");
}
