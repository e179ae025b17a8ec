//! `ltx-tui config check` run as a real process: exit codes, error placement, lookup reporting,
//! and no secrets in the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(rel)
}

/// The binary with an isolated environment: a temporary home, config dir and working directory.
fn ltx_tui(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ltx-tui"));
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(home);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    (out, stdout, stderr)
}

#[test]
fn a_malformed_file_exits_2_and_names_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    let file = fixture("malformed/bad-duration.yml");
    let (out, stdout, stderr) = run(ltx_tui(home.path()).args(["config", "check"]).arg(&file));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let want = format!(
        "{}:5:22: dbs[0].replica.sync-interval: invalid duration \"5x\"",
        file.display()
    );
    assert!(stderr.contains(&want), "{stderr}");

    let file = fixture("malformed/tab-indentation.yml");
    let (out, _, stderr) = run(ltx_tui(home.path()).args(["config", "check"]).arg(&file));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("{}:4:1: ", file.display())),
        "{stderr}"
    );
}

#[test]
fn a_good_file_prints_the_resolved_config_without_secrets() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("secrets.yml");
    std::fs::write(
        &file,
        "mcp-addr: 0.0.0.0:3001\n\
         mcp-token: tok-abc-123\n\
         secret-access-key: ${MY_SECRET}\n\
         dbs:\n\
         \x20 - path: app.db\n\
         \x20   replica:\n\
         \x20     url: sftp://op:pw-xyz-789@host/backups\n\
         mcp-servers:\n\
         \x20 - name: gh\n\
         \x20   transport: http\n\
         \x20   url: https://gh.example.com/mcp\n\
         \x20   headers: {Authorization: Bearer hdr-secret-456}\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(ltx_tui(home.path())
        .env("MY_SECRET", "env-secret-000")
        .args(["config", "check"])
        .arg(&file));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for secret in [
        "tok-abc-123",
        "pw-xyz-789",
        "hdr-secret-456",
        "env-secret-000",
    ] {
        assert!(!stdout.contains(secret), "leaked {secret}:\n{stdout}");
        assert!(!stderr.contains(secret), "leaked {secret}:\n{stderr}");
    }
    assert!(
        stdout.contains(&format!("# config: {}", file.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("# chosen: given on the command line"),
        "{stdout}"
    );
    assert!(stdout.contains("mcp-token: '***'"), "{stdout}");
    assert!(
        stdout.contains("url: sftp://op:***@host/backups"),
        "{stdout}"
    );
    // Defaults are filled in and relative paths resolved against the working directory.
    assert!(stdout.contains("monitor-interval: 1s"), "{stdout}");
    let cwd = std::fs::canonicalize(home.path()).unwrap();
    assert!(
        stdout.contains(&format!("path: {}", cwd.join("app.db").display())),
        "{stdout}"
    );
}

#[test]
fn the_global_config_flag_and_the_lookup_order_are_reported() {
    let home = tempfile::tempdir().unwrap();
    let good = fixture("litestream-docs/s3-url.yml");

    let (out, stdout, _) = run(ltx_tui(home.path())
        .arg("--config")
        .arg(&good)
        .args(["config", "check"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("# chosen: given on the command line"),
        "{stdout}"
    );

    let (out, stdout, _) = run(ltx_tui(home.path())
        .env("LTX_TUI_CONFIG", &good)
        .args(["config", "check"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("# chosen: named by $LTX_TUI_CONFIG"),
        "{stdout}"
    );

    std::fs::write(home.path().join("ltx-tui.yml"), "dbs: []\n").unwrap();
    let (out, stdout, _) = run(ltx_tui(home.path()).args(["config", "check"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("# chosen: ltx-tui.yml in the working directory"),
        "{stdout}"
    );
}

#[test]
fn no_config_anywhere_is_a_usage_error_listing_what_was_tried() {
    let home = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(ltx_tui(home.path()).args(["config", "check"]));
    if Path::new("/etc/litestream.yml").is_file() {
        // The machine has a system-wide file: the last lookup step finds it (valid or not).
        let chosen = stdout.contains("# chosen: Litestream's system-wide default");
        let placed = stderr.starts_with("error: /etc/litestream.yml:");
        assert!(chosen || placed, "{stdout}{stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stderr.contains("no configuration file found; tried "),
        "{stderr}"
    );
    assert!(
        stderr.contains("ltx-tui.yml (ltx-tui.yml in the working directory)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/etc/litestream.yml (Litestream's system-wide default)"),
        "{stderr}"
    );

    let (out, _, stderr) = run(ltx_tui(home.path()).args(["config", "check", "missing.yml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("missing.yml (given on the command line)"),
        "{stderr}"
    );
}

#[test]
fn no_expand_env_keeps_dollar_text() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("c.yml");
    std::fs::write(&file, "exec: \"run $APP_NAME\"\n").unwrap();
    let (out, stdout, _) = run(ltx_tui(home.path())
        .env("APP_NAME", "myapp")
        .args(["--no-expand-env", "config", "check"])
        .arg(&file));
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("exec: run $APP_NAME"), "{stdout}");
    assert!(stdout.contains("# environment expansion: off"), "{stdout}");
    let (_, stdout, _) = run(ltx_tui(home.path())
        .env("APP_NAME", "myapp")
        .args(["config", "check"])
        .arg(&file));
    assert!(stdout.contains("exec: run myapp"), "{stdout}");
}
