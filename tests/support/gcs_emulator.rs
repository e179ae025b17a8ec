//! A real GCS API for tests: `gcp-storage-emulator` (Python, from the package index), on
//! 127.0.0.1 with an OS-assigned port, data in memory.
//!
//! [`gcs_emulator_python`] installs `gcp-storage-emulator==2026.7.19` through the shared
//! locked pip-venv installer ([`super::install::pip_venv`]) into
//! `<target>/peers/gcp-storage-emulator-2026.7.19/venv` on first use: the venv is built in
//! `venv.partial-<pid>` and renamed only once the package imports at that version. A failed
//! install panics with the command and its output; it never skips.
//!
//! [`GcsEmulator::start`] runs a tiny Python launcher (below) that starts the emulator's own
//! server (`gcp_storage_emulator.server.create_server("127.0.0.1", 0, in_memory=True)`), prints
//! the port the OS bound, and then serves commands on its stdin (`create_bucket NAME`, sent to
//! the emulator as a JSON API `POST /storage/v1/b` and answered `ok` or `err …`). Readiness is
//! a condition polled with a deadline (the port line, then a TCP connect), never a fixed sleep.
//! The launcher dies with its stdin, so the server never outlives the test process; dropping a
//! [`GcsEmulator`] kills it at once. Every request the emulator serves is logged (Python
//! `logging` at INFO) to `<log dir>/gcs-emulator.log`; [`GcsEmulator::request_lines`] reads
//! them back.
//!
//! What the emulator speaks (checked against version 2026.7.19, see `ref/peers.md` and the
//! README): the JSON API (bucket insert, object list with prefix/delimiter, object get, patch,
//! delete, media/multipart/resumable uploads, `alt=media` downloads) and, of the XML API, only
//! `GET /{bucket}/{object}` (with `Range`) and a bare `PUT /{bucket}/{object}`. That is
//! everything Litestream 0.5.17's Go client uses with `STORAGE_EMULATOR_HOST`, and not what
//! `object_store`'s GCS client needs (it uses the XML API for every request).

use std::fs::{self, File};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ltx_tui::storage::{ReplicaKind, ReplicaSpec};

use super::gcs_json_api::GcsJsonApi;
use super::install::{locked, pip_venv, python_has};
use super::litestream::log_tail;
use super::peers::target_dir;

/// The emulator release the tests run against.
pub const GCS_EMULATOR_VERSION: &str = "2026.7.19";

/// The package on the package index.
pub const GCS_EMULATOR_PACKAGE: &str = "gcp-storage-emulator";

/// How long a start (Python import, bind, first answer) may take.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one control command (e.g. `create_bucket`) may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

const WHAT: &str = "the GCS emulator";

const LAUNCHER: &str = r#"
import json, logging, sys, urllib.error, urllib.request
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(message)s")
from gcp_storage_emulator.server import create_server

server = create_server("127.0.0.1", 0, in_memory=True)
server.start()
port = server._api._httpd.server_port
base = f"http://127.0.0.1:{port}"
print(f"listening {port}", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    try:
        if cmd == "create_bucket":
            req = urllib.request.Request(
                f"{base}/storage/v1/b?project=ltx-tui",
                data=json.dumps({"name": arg}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    r.read()
            except urllib.error.HTTPError as e:
                if e.code != 409:  # an existing bucket is fine
                    raise
            print("ok", flush=True)
        elif cmd == "quit":
            break
        else:
            print(f"err unknown command {cmd!r}", flush=True)
    except Exception as e:  # answered, never fatal
        print(f"err {type(e).__name__}: {e}".replace("\n", " "), flush=True)
server.stop()
"#;

/// `<target>/peers/gcp-storage-emulator-<version>`: the install root.
pub fn gcs_emulator_install_root() -> PathBuf {
    target_dir()
        .join("peers")
        .join(format!("{GCS_EMULATOR_PACKAGE}-{GCS_EMULATOR_VERSION}"))
}

fn has_emulator(python: &Path) -> bool {
    python_has(
        python,
        "gcp_storage_emulator.server",
        GCS_EMULATOR_PACKAGE,
        GCS_EMULATOR_VERSION,
    )
}

/// The venv's `python`, with the emulator installed (on first use). Panics with the failing
/// command and its output if it can't be installed.
pub fn gcs_emulator_python() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = installed.as_ref() {
        return path.clone();
    }
    let root = gcs_emulator_install_root();
    let _lock = locked(&root);
    let python = pip_venv(
        WHAT,
        &root,
        &format!("{GCS_EMULATOR_PACKAGE}=={GCS_EMULATOR_VERSION}"),
        has_emulator,
    );
    *installed = Some(python.clone());
    python
}

/// A running emulator on `127.0.0.1:<port>`; stopped on drop.
pub struct GcsEmulator {
    /// `http://127.0.0.1:<port>`: the base URL for `object_store` (`endpoint`) and the value
    /// of `STORAGE_EMULATOR_HOST` for Litestream.
    pub endpoint: String,
    /// The bound port.
    pub port: u16,
    /// How long the start took (spawn to first answer).
    pub startup_time: Duration,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    log_path: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl GcsEmulator {
    /// Installs the emulator if needed and starts it on an OS-assigned port.
    pub fn start() -> GcsEmulator {
        let python = gcs_emulator_python();
        let log_dir = tempfile::Builder::new()
            .prefix("gcs-emulator-")
            .tempdir()
            .expect("create the GCS emulator's log dir");
        let log_path = log_dir.path().join("gcs-emulator.log");
        let log = File::create(&log_path).expect("create the GCS emulator's log");
        let started = Instant::now();
        let mut child = Command::new(&python)
            .args(["-c", LAUNCHER])
            .current_dir(log_dir.path())
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {}: {e}", python.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = super::child_lines::lines_of(stdout);
        let mut emulator = GcsEmulator {
            endpoint: String::new(),
            port: 0,
            startup_time: Duration::ZERO,
            child,
            stdin,
            lines,
            log_path,
            _log_dir: log_dir,
        };
        let deadline = started + START_TIMEOUT;
        let first = emulator.next_line(deadline, "the emulator's port");
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse::<u16>().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the GCS emulator launcher printed {first:?}\n{}",
                    emulator.log_tail(30)
                )
            });
        wait_for_tcp(SocketAddr::from(([127, 0, 0, 1], port)), deadline);
        emulator.port = port;
        emulator.endpoint = format!("http://127.0.0.1:{port}");
        emulator.startup_time = started.elapsed();
        emulator
    }

    /// Creates `name` through the JSON API (an existing bucket is fine).
    pub fn create_bucket(&mut self, name: &str) {
        let command = format!("create_bucket {name}");
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("send {command:?} to the GCS emulator: {e}"));
        let reply = self.next_line(Instant::now() + COMMAND_TIMEOUT, &command);
        assert_eq!(
            reply,
            "ok",
            "the GCS emulator answered {command:?} with {reply:?}\n{}",
            self.log_tail(30)
        );
    }

    /// Kills the emulator (all its state is lost). Idempotent.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A [`ReplicaSpec`] for `gs://<bucket>/<path>` with this emulator as the endpoint.
    pub fn gs_spec(&self, bucket: &str, path: &str) -> ReplicaSpec {
        ReplicaSpec {
            bucket: Some(bucket.to_owned()),
            path: path.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            ..ReplicaSpec::new(ReplicaKind::Gs)
        }
    }

    /// Litestream's URL for `gs://<bucket>/<path>` (the emulator is named in the environment:
    /// [`GcsEmulator::litestream_env`]).
    pub fn gs_url(&self, bucket: &str, path: &str) -> String {
        format!("gs://{bucket}/{path}")
    }

    /// The environment a `litestream` process needs to reach this emulator: Google's Go
    /// client switches to the emulator (and drops authentication) when `STORAGE_EMULATOR_HOST`
    /// is set.
    pub fn litestream_env(&self) -> Vec<(String, String)> {
        vec![("STORAGE_EMULATOR_HOST".to_owned(), self.endpoint.clone())]
    }

    /// A raw JSON API client for this emulator, independent of ltx-tui's storage room.
    pub fn json_api(&self) -> GcsJsonApi {
        GcsJsonApi::new(&self.endpoint)
    }

    /// The request lines the emulator logged so far (`"GET /storage/v1/b/… HTTP/1.1" 200`).
    pub fn request_lines(&self) -> Vec<String> {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.find(" \"").map(|i| l[i + 1..].to_owned()))
            .filter(|l| l.contains(" HTTP/1."))
            .collect()
    }

    /// The tail of the emulator's log, for panic messages.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }

    fn next_line(&mut self, deadline: Instant, what: &str) -> String {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(remaining) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "timed out waiting for {what} from the GCS emulator\n{}",
                self.log_tail(30)
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "the GCS emulator exited ({:?}) while waiting for {what}\n{}",
                self.child.wait(),
                self.log_tail(30)
            ),
        }
    }
}

impl Drop for GcsEmulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls a TCP connect until it succeeds; panics at the deadline.
fn wait_for_tcp(addr: SocketAddr, deadline: Instant) {
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Ok(_) => return,
            Err(e) if Instant::now() >= deadline => {
                panic!("the GCS emulator at {addr} does not accept connections: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
