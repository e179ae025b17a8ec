//! The real binary in a pseudo-terminal: `ltx-tui demo` with its home and XDG directories in a
//! temporary directory. Keys are typed, the screen is read through a terminal emulator
//! (`vt100`), the terminal is resized (down to the "too small" screen and back), `q` quits,
//! and the terminal must be left as it was found: the alternate screen left, the cursor shown,
//! and raw mode off (the tty is canonical with echo again). Waits are on output, never sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const WAIT: Duration = Duration::from_secs(60);

struct Screen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    rx: mpsc::Receiver<Vec<u8>>,
    eof: bool,
}

impl Screen {
    /// Reads output until the screen satisfies `cond`; panics with the screen after `WAIT`.
    fn wait(&mut self, what: &str, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.parser.screen().contents();
            if cond(&text) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    self.raw.extend_from_slice(&bytes);
                }
                Err(_) => panic!("waiting for {what}; the screen shows:\n{text}"),
            }
        }
    }

    /// Reads everything until the child's side of the terminal closes.
    fn drain(&mut self) {
        let deadline = Instant::now() + WAIT;
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    self.raw.extend_from_slice(&bytes);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => self.eof = true,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the console never closed its terminal")
                }
            }
        }
    }
}

/// A terminal dimension (never zero here).
fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap()
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn demo_in_a_pty_types_resizes_quits_and_restores_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let pty = native_pty_system();
    let size = |rows, cols| PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    };
    let pair = pty.openpty(size(30, 100)).unwrap();
    let mut cmd = CommandBuilder::new(support::ltx_tui::ltx_tui_bin());
    cmd.args(["demo", "--rate", "5"]);
    cmd.cwd(tmp.path());
    cmd.env("HOME", tmp.path());
    cmd.env("XDG_DATA_HOME", tmp.path().join("data"));
    cmd.env("XDG_CONFIG_HOME", tmp.path().join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("LTX_TUI_CONFIG");
    cmd.env_remove("NO_COLOR");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let tty = pair.master.tty_name().expect("the pty has a name");
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Screen {
        parser: vt100::Parser::new(nz(30), nz(100), 0),
        raw: Vec::new(),
        rx,
        eof: false,
    };
    let mut press = |keys: &[u8]| {
        writer.write_all(keys).unwrap();
        writer.flush().unwrap();
    };

    screen.wait("the databases pane with the demo replicating", |s| {
        s.contains("Databases") && s.contains("demo.db") && s.contains("replicating")
    });
    assert!(screen.parser.screen().contents().contains("DEMO"));
    press(b"3");
    screen.wait("the timeline", |s| {
        s.contains("Timeline demo.db") && s.contains("L9")
    });
    press(b"?");
    screen.wait("the help", |s| s.contains("type to filter"));
    press(b"\x1b");
    screen.wait("the help closed", |s| !s.contains("type to filter"));

    pair.master.resize(size(12, 50)).unwrap();
    screen.parser.set_size(nz(12), nz(50));
    screen.wait("the too-small screen", |s| s.contains("terminal too small"));
    pair.master.resize(size(40, 120)).unwrap();
    screen.parser.set_size(nz(40), nz(120));
    screen.wait("the timeline again at 120x40", |s| {
        s.contains("Timeline demo.db") && !s.contains("terminal too small")
    });

    press(b"q");
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    screen.drain();

    let raw = &screen.raw;
    let entered = find_last(raw, b"\x1b[?1049h").expect("the console used the alternate screen");
    let left = find_last(raw, b"\x1b[?1049l").expect("the alternate screen was left");
    assert!(
        left > entered,
        "the alternate screen was left after it was last entered"
    );
    let shown = find_last(raw, b"\x1b[?25h").expect("the cursor was shown again");
    assert!(shown > entered);
    let stty = std::process::Command::new("stty")
        .arg("-a")
        .arg("-F")
        .arg(&tty)
        .output()
        .unwrap();
    let modes = String::from_utf8_lossy(&stty.stdout);
    assert!(
        stty.status.success(),
        "stty: {}",
        String::from_utf8_lossy(&stty.stderr)
    );
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            modes.split_whitespace().any(|w| w == flag),
            "raw mode is still on: {flag} is off in {modes}"
        );
    }
}
