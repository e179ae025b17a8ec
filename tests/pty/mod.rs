//! A pseudo-terminal for tests that run a real program: the child's output is read on a
//! thread and fed to a terminal emulator (`vt100`); waits are on what the screen shows, never
//! sleeps, and every wait is bounded.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long any one wait may take before the test fails with the screen.
pub const WAIT: Duration = Duration::from_secs(60);

/// A terminal size.
pub fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal dimension is never zero here")
}

/// A program running in a pseudo-terminal.
pub struct Pty {
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    pub tty: PathBuf,
    pub parser: vt100::Parser,
    /// Everything the program wrote, in order.
    pub raw: Vec<u8>,
    writer: Box<dyn Write + Send>,
    rx: mpsc::Receiver<Vec<u8>>,
    eof: bool,
}

impl Pty {
    /// Starts `cmd` in a new pseudo-terminal of `rows` × `cols`.
    pub fn spawn(cmd: CommandBuilder, rows: u16, cols: u16) -> Pty {
        let pair = native_pty_system().openpty(size(rows, cols)).unwrap();
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let tty = pair.master.tty_name().expect("the pty has a name");
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            master: pair.master,
            tty,
            parser: vt100::Parser::new(nz(rows), nz(cols), 0),
            raw: Vec::new(),
            writer,
            rx,
            eof: false,
        }
    }

    /// The screen's text.
    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Types `keys`.
    pub fn press(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).unwrap();
        self.writer.flush().unwrap();
    }

    /// Resizes the terminal (and the emulator with it).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.master.resize(size(rows, cols)).unwrap();
        self.parser.set_size(nz(rows), nz(cols));
    }

    /// Reads output until the screen satisfies `cond`; panics with the screen after [`WAIT`].
    pub fn wait(&mut self, what: &str, cond: impl Fn(&str) -> bool) {
        self.wait_for(what, |p| cond(&p.parser.screen().contents()));
    }

    /// Reads output until `cond` holds for the emulator and the raw output so far.
    pub fn wait_for(&mut self, what: &str, cond: impl Fn(&Pty) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            if cond(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    self.raw.extend_from_slice(&bytes);
                }
                Err(_) => panic!("waiting for {what}; the screen shows:\n{}", self.text()),
            }
        }
    }

    /// Reads everything until the program's side of the terminal closes.
    pub fn drain(&mut self) {
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
                    panic!("the program never closed its terminal")
                }
            }
        }
    }

    /// Asserts the terminal was handed back as found: the alternate screen left after it was
    /// last entered, the cursor shown, and (when `check_modes`) raw mode off.
    pub fn assert_restored(&self, check_modes: bool) {
        let raw = &self.raw;
        let entered =
            find_last(raw, b"\x1b[?1049h").expect("the console used the alternate screen");
        let left = find_last(raw, b"\x1b[?1049l").expect("the alternate screen was left");
        assert!(
            left > entered,
            "the alternate screen was left after it was last entered"
        );
        let shown = find_last(raw, b"\x1b[?25h").expect("the cursor was shown again");
        assert!(
            shown > entered,
            "the cursor was shown after the console started"
        );
        if check_modes {
            assert_cooked(&self.tty);
        }
    }
}

/// The last position of `needle` in `hay`.
pub fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Asserts the terminal at `tty` is canonical with echo and signals (raw mode off).
pub fn assert_cooked(tty: &std::path::Path) {
    let stty = std::process::Command::new("stty")
        .arg("-a")
        .arg("-F")
        .arg(tty)
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
