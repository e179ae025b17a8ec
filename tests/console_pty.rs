//! The real binary in a pseudo-terminal: `ltx-tui demo` with its home and XDG directories in a
//! temporary directory. Keys are typed and signals sent, the screen is read through a terminal
//! emulator (`vt100`), and on every way out (`q`, SIGTERM, SIGHUP, a panic) the terminal must
//! be left as it was found: the alternate screen left, the cursor shown, and raw mode off.
//! Ctrl-Z hands the terminal to a real job-control shell and `fg` takes it back. Waits are on
//! output, never sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pty;
mod support;

use std::path::{Path, PathBuf};

use portable_pty::CommandBuilder;

use pty::Pty;

/// The environment every console here runs in: home and XDG directories under `home`.
fn console_env(cmd: &mut CommandBuilder, home: &Path) {
    cmd.cwd(home);
    cmd.env("HOME", home);
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("LTX_TUI_CONFIG");
    cmd.env_remove("NO_COLOR");
}

fn demo(home: &Path, rate: &str) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(support::ltx_tui::ltx_tui_bin());
    cmd.args(["demo", "--rate", rate]);
    console_env(&mut cmd, home);
    cmd
}

fn demo_dir(home: &Path) -> PathBuf {
    home.join("data").join("ltx-tui").join("demo")
}

fn replicating(s: &str) -> bool {
    s.contains("Databases") && s.contains("demo.db") && s.contains("replicating")
}

fn orders(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn demo_in_a_pty_types_resizes_quits_and_restores_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(demo(tmp.path(), "5"), 30, 100);

    p.wait("the databases pane with the demo replicating", replicating);
    assert!(p.text().contains("DEMO"));
    p.press(b"3");
    p.wait("the timeline", |s| {
        s.contains("Timeline demo.db") && s.contains("L9")
    });
    p.press(b"?");
    p.wait("the help", |s| s.contains("type to filter"));
    p.press(b"\x1b");
    p.wait("the help closed", |s| !s.contains("type to filter"));

    p.resize(12, 50);
    p.wait("the too-small screen", |s| s.contains("terminal too small"));
    p.resize(40, 120);
    p.wait("the timeline again at 120x40", |s| {
        s.contains("Timeline demo.db") && !s.contains("terminal too small")
    });

    p.press(b"q");
    let status = p.child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    p.drain();
    p.assert_restored(true);
}

/// SIGTERM and SIGHUP stop the console as `q` does: exit 0, the terminal restored, and the
/// final sync made, so a restore of the replica holds every order the workload committed.
#[test]
fn sigterm_and_sighup_stop_the_console_after_a_final_sync() {
    for signal in ["TERM", "HUP"] {
        let tmp = tempfile::tempdir().unwrap();
        let mut p = Pty::spawn(demo(tmp.path(), "200"), 30, 100);
        p.wait("the demo replicating", replicating);
        let pid = p.child.process_id().expect("the console has a pid");
        let kill = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(kill.success());
        let status = p.child.wait().unwrap();
        assert!(status.success(), "SIG{signal}: exit status {status:?}");
        p.drain();
        p.assert_restored(true);

        let dir = demo_dir(tmp.path());
        let out = tmp.path().join("restored.db");
        let restore = std::process::Command::new(support::ltx_tui::ltx_tui_bin())
            .arg("restore")
            .arg("-o")
            .arg(&out)
            .arg(format!("file://{}", dir.join("replica").display()))
            .output()
            .unwrap();
        assert!(
            restore.status.success(),
            "SIG{signal}: restore failed: {}",
            String::from_utf8_lossy(&restore.stderr)
        );
        let (live, replica) = (orders(&dir.join("demo.db")), orders(&out));
        assert!(live > 0, "SIG{signal}: the workload wrote nothing");
        assert_eq!(
            replica, live,
            "SIG{signal}: the replica lacks orders the database has: no final sync"
        );
    }
}

/// Ctrl-Z under a job-control shell: the console hands the terminal back (alternate screen
/// left, cursor shown) and stops; `fg` resumes it and it repaints; `q` still quits cleanly.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new("bash");
    cmd.args(["--norc", "--noprofile", "-i"]);
    console_env(&mut cmd, tmp.path());
    cmd.env("PS1", "shell-ready$ ");
    let mut p = Pty::spawn(cmd, 30, 100);
    p.wait("the shell prompt", |s| s.contains("shell-ready$"));
    let bin = support::ltx_tui::ltx_tui_bin();
    p.press(format!("'{}' demo --rate 5\r", bin.display()).as_bytes());
    p.wait("the demo replicating", replicating);
    assert!(p.parser.screen().alternate_screen());

    let before = p.raw.len();
    p.press(b"\x1a");
    p.wait_for("the shell to report the job stopped", |p| {
        !p.parser.screen().alternate_screen() && p.text().contains("Stopped")
    });
    let after = &p.raw[before..];
    assert!(
        pty::find_last(after, b"\x1b[?1049l").is_some(),
        "the alternate screen was not left on suspend"
    );
    assert!(
        pty::find_last(after, b"\x1b[?25h").is_some(),
        "the cursor was not shown on suspend"
    );

    p.press(b"fg\r");
    p.wait_for("the console repainted after fg", |p| {
        p.parser.screen().alternate_screen() && replicating(&p.text())
    });
    p.press(b"q");
    p.wait_for("the shell prompt after quitting", |p| {
        !p.parser.screen().alternate_screen() && p.text().matches("shell-ready$").count() >= 2
    });
    // The tty's modes now belong to bash's line editor (and bash saves and restores a stopped
    // job's modes itself); raw mode off after `q` is checked by the test without a shell.
    p.assert_restored(false);
    p.press(b"exit\r");
    let status = p.child.wait().unwrap();
    assert!(status.success(), "the shell exited with {status:?}");
}

/// A panic while the console owns the terminal: the terminal is restored first, then the
/// report is printed where the person can read it. The console side runs in a re-executed
/// copy of this test binary so the panic is a real one on a real terminal.
#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    if std::env::var_os("LTX_PTY_PANIC_CHILD").is_some() {
        let _guard = ltx_tui::tui::TerminalGuard::enter(false).unwrap();
        panic!("deliberate panic inside the console");
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(std::env::current_exe().unwrap());
    cmd.args([
        "a_panic_restores_the_terminal_before_the_report",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    console_env(&mut cmd, tmp.path());
    cmd.env("LTX_PTY_PANIC_CHILD", "1");
    let mut p = Pty::spawn(cmd, 30, 100);
    let status = p.child.wait().unwrap();
    assert!(!status.success(), "the panicking child exited with success");
    p.drain();
    p.assert_restored(true);
    let left = pty::find_last(&p.raw, b"\x1b[?1049l").unwrap();
    let report = pty::find_last(&p.raw, b"deliberate panic inside the console")
        .expect("the panic report was printed");
    assert!(
        report > left,
        "the report was printed before the terminal was restored (it would be lost)"
    );
    assert!(
        String::from_utf8_lossy(&p.raw).contains("panicked"),
        "the color-eyre report names the panic"
    );
}
