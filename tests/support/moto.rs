//! A real S3 API for tests: the moto server (`moto[server]`, Python), on 127.0.0.1 with an
//! OS-assigned port.
//!
//! [`moto_python`] installs moto into a venv under `<target>/peers/moto/venv` on first use: an
//! exclusive lock on `<target>/peers/moto/install.lock` serialises the test processes nextest
//! runs in parallel, the venv is built in `venv.partial-<pid>` and renamed to `venv` only once
//! `import moto.server` works, so a killed install never leaves a half venv behind. A failed
//! install panics with the command and its output; it never skips.
//!
//! [`MotoServer::start`] runs a tiny Python launcher (below) that starts
//! `moto.server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)`, prints the bound port, and
//! then serves commands on its stdin (`create_bucket NAME`, answered `ok` or `err …` on
//! stdout, through boto3, which moto depends on anyway). Readiness is a condition polled with
//! a deadline (the port line, then a TCP connect), never a fixed sleep. The server dies with
//! its stdin: when the test process exits, the launcher sees EOF and stops.
//!
//! moto keeps everything in memory: [`MotoServer::restart`] (same port) comes back empty,
//! except that the buckets made through [`MotoServer::create_bucket`] are made again.
//!
//! Every spawned process runs with `AWS_CA_BUNDLE` removed (this machine sets it, and it breaks
//! S3 clients). moto accepts any access key and secret; use [`ACCESS_KEY_ID`] and
//! [`SECRET_ACCESS_KEY`].

use std::fs::{self, File};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ltx_tui::storage::ReplicaSpec;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

use super::peers::target_dir;

/// The moto release the tests run against (the one checked in `ref/peers.md`).
pub const MOTO_VERSION: &str = "5.2.5";

/// The access key id tests give every S3 client (moto accepts any).
pub const ACCESS_KEY_ID: &str = "test";

/// The secret access key tests give every S3 client (moto accepts any).
pub const SECRET_ACCESS_KEY: &str = "test";

/// The region tests give every S3 client.
pub const REGION: &str = "us-east-1";

/// How long a start (Python import, bind, first answer) may take.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one control command (e.g. `create_bucket`) may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

const LAUNCHER: &str = r#"
import sys
from moto.server import ThreadedMotoServer
import boto3

server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
port = server._server.server_port
s3 = boto3.client(
    "s3",
    endpoint_url=f"http://127.0.0.1:{port}",
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
print(f"listening {port}", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    try:
        if cmd == "create_bucket":
            s3.create_bucket(Bucket=arg)
            print("ok", flush=True)
        elif cmd == "quit":
            break
        else:
            print(f"err unknown command {cmd!r}", flush=True)
    except Exception as e:  # answered, never fatal
        print(f"err {type(e).__name__}: {e}".replace("\n", " "), flush=True)
server.stop()
"#;

/// `<target>/peers/moto`: the install root.
pub fn moto_install_root() -> PathBuf {
    target_dir().join("peers").join("moto")
}

/// The venv's `python`, with moto installed (on first use). Panics with the failing command
/// and its output if it can't be installed.
pub fn moto_python() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = installed.as_ref() {
        return path.clone();
    }
    let path = install_moto();
    *installed = Some(path.clone());
    path
}

fn install_moto() -> PathBuf {
    let root = moto_install_root();
    let venv = root.join("venv");
    let python = venv.join("bin").join("python");
    let _lock = super::install::locked(&root);

    if moto_imports(&python) {
        return python;
    }

    let started = Instant::now();
    // We hold the lock: any partial or stale venv is garbage from a killed or older install.
    remove_partials(&root);
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .unwrap_or_else(|e| panic!("cannot remove stale venv {}: {e}", venv.display()));
    }
    let partial = root.join(format!("venv.partial-{}", std::process::id()));
    let system_python = std::env::var_os("PYTHON3").unwrap_or_else(|| "python3".into());
    let mut make_venv = Command::new(&system_python);
    make_venv.arg("-m").arg("venv").arg(&partial);
    run_install_step(&mut make_venv);

    let mut pip = Command::new(partial.join("bin").join("python"));
    pip.env_remove("AWS_CA_BUNDLE").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        &format!("moto[server]=={MOTO_VERSION}"),
    ]);
    run_install_step(&mut pip);

    let partial_python = partial.join("bin").join("python");
    if !moto_imports(&partial_python) {
        let out = import_check(&partial_python).output();
        panic!(
            "installing moto {MOTO_VERSION}: `import moto.server` fails in {}: {out:?}",
            partial.display()
        );
    }
    fs::rename(&partial, &venv).unwrap_or_else(|e| {
        panic!(
            "installing moto: cannot rename {} to {}: {e}",
            partial.display(),
            venv.display()
        )
    });
    assert!(
        moto_imports(&python),
        "installed moto at {} but it does not import after the rename",
        venv.display()
    );
    eprintln!(
        "installed moto {MOTO_VERSION} into {} in {:.1?}",
        venv.display(),
        started.elapsed()
    );
    python
}

fn import_check(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.env_remove("AWS_CA_BUNDLE").args([
        "-c",
        "import moto, moto.server, boto3, werkzeug; print(moto.__version__)",
    ]);
    cmd
}

fn moto_imports(python: &Path) -> bool {
    if !python.exists() {
        return false;
    }
    match import_check(python).output() {
        Ok(out) => {
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == MOTO_VERSION
        }
        Err(_) => false,
    }
}

fn remove_partials(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("venv.partial-")
        {
            let path = entry.path();
            fs::remove_dir_all(&path).unwrap_or_else(|e| {
                panic!("cannot remove partial install {}: {e}", path.display())
            });
        }
    }
}

fn run_install_step(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("installing moto: cannot run `{shown}`: {e} (is python3 installed?)")
    });
    if !out.status.success() {
        panic!(
            "installing moto: `{shown}` failed with {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out
}

/// A running moto server on `127.0.0.1:<port>`; stopped on drop.
pub struct MotoServer {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bound port (kept across [`MotoServer::restart`]).
    pub port: u16,
    /// How long the last start took (spawn to first answer).
    pub startup_time: Duration,
    process: Option<MotoProcess>,
    buckets: Vec<String>,
    log_dir: tempfile::TempDir,
    starts: u32,
}

struct MotoProcess {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    log_path: PathBuf,
}

impl MotoServer {
    /// Installs moto if needed and starts a server on an OS-assigned port.
    pub fn start() -> MotoServer {
        let log_dir = tempfile::Builder::new()
            .prefix("moto-")
            .tempdir()
            .expect("create moto log dir");
        let mut server = MotoServer {
            endpoint: String::new(),
            port: 0,
            startup_time: Duration::ZERO,
            process: None,
            buckets: Vec::new(),
            log_dir,
            starts: 0,
        };
        server.spawn(0);
        server
    }

    /// Creates `name` (idempotent for this server: it is re-created after a restart).
    pub fn create_bucket(&mut self, name: &str) {
        self.command(&format!("create_bucket {name}"));
        if !self.buckets.iter().any(|b| b == name) {
            self.buckets.push(name.to_owned());
        }
    }

    /// Kills the server (all its state is lost). Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }

    /// Stops the server (if running) and starts a fresh one on the same port, then re-creates
    /// the buckets made through [`MotoServer::create_bucket`]. Objects are not kept.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        self.spawn(port);
        for bucket in self.buckets.clone() {
            self.command(&format!("create_bucket {bucket}"));
        }
    }

    /// A [`ReplicaSpec`] for `s3://<bucket>/<path>` on this server (path-style, test
    /// credentials).
    pub fn s3_spec(&self, bucket: &str, path: &str) -> ReplicaSpec {
        ReplicaSpec {
            endpoint: Some(self.endpoint.clone()),
            region: Some(REGION.to_owned()),
            force_path_style: Some(true),
            access_key_id: Some(ACCESS_KEY_ID.to_owned()),
            secret_access_key: Some(SECRET_ACCESS_KEY.to_owned()),
            ..ReplicaSpec::s3(bucket, path)
        }
    }

    /// Litestream's URL for `s3://<bucket>/<path>` on this server (credentials go in the
    /// environment: [`MotoServer::litestream_env`]).
    pub fn s3_url(&self, bucket: &str, path: &str) -> String {
        format!(
            "s3://{bucket}/{path}?endpoint={}&region={REGION}&forcePathStyle=true",
            self.endpoint
        )
    }

    /// The environment a `litestream` process needs for URLs from [`MotoServer::s3_url`].
    pub fn litestream_env(&self) -> [(&'static str, &'static str); 2] {
        [
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ]
    }

    /// A plain `object_store` S3 client for `bucket`, independent of ltx-tui's storage room
    /// (for reading raw keys and metadata).
    pub fn raw_store(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(bucket)
            .with_region(REGION)
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET_ACCESS_KEY)
            .with_virtual_hosted_style_request(false)
            .build()
            .expect("build a raw S3 client for moto");
        Arc::new(store)
    }

    /// True while the server process runs.
    pub fn is_running(&mut self) -> bool {
        self.process
            .as_mut()
            .is_some_and(|p| matches!(p.child.try_wait(), Ok(None)))
    }

    /// The tail of the current server's log (stderr), for panic messages.
    pub fn log_tail(&self) -> String {
        match &self.process {
            Some(p) => super::litestream::log_tail(&p.log_path, 30),
            None => "(moto is not running)".to_owned(),
        }
    }

    fn spawn(&mut self, port: u16) {
        let python = moto_python();
        self.starts += 1;
        let log_path = self
            .log_dir
            .path()
            .join(format!("moto-{}.log", self.starts));
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let started = Instant::now();
        let mut cmd = Command::new(&python);
        cmd.env_remove("AWS_CA_BUNDLE")
            .arg("-c")
            .arg(LAUNCHER)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn moto ({}): {e}", python.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = super::child_lines::lines_of(stdout);
        let mut process = MotoProcess {
            child,
            stdin,
            lines,
            log_path,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let line = next_line(&mut process, deadline, "moto to print its port");
        let bound: u16 = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "moto printed {line:?} instead of its port\n{}",
                    super::litestream::log_tail(&process.log_path, 30)
                )
            });
        assert!(
            port == 0 || bound == port,
            "moto bound {bound}, asked {port}"
        );
        wait_for_tcp(SocketAddr::from(([127, 0, 0, 1], bound)), deadline);
        self.port = bound;
        self.endpoint = format!("http://127.0.0.1:{bound}");
        self.startup_time = started.elapsed();
        self.process = Some(process);
    }

    fn command(&mut self, command: &str) {
        let process = self
            .process
            .as_mut()
            .unwrap_or_else(|| panic!("moto is not running (command {command:?})"));
        writeln!(process.stdin, "{command}")
            .and_then(|()| process.stdin.flush())
            .unwrap_or_else(|e| panic!("send {command:?} to moto: {e}"));
        let reply = next_line(process, Instant::now() + COMMAND_TIMEOUT, command);
        assert_eq!(
            reply,
            "ok",
            "moto answered {command:?} with {reply:?}\n{}",
            super::litestream::log_tail(&process.log_path, 30)
        );
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The next stdout line of the launcher, or a panic (with the log) at the deadline or if the
/// process exits first.
fn next_line(process: &mut MotoProcess, deadline: Instant, what: &str) -> String {
    let remaining = deadline.saturating_duration_since(Instant::now());
    match process.lines.recv_timeout(remaining) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => panic!(
            "timed out waiting for {what}\n{}",
            super::litestream::log_tail(&process.log_path, 30)
        ),
        Err(RecvTimeoutError::Disconnected) => {
            let status = process.child.wait();
            panic!(
                "moto exited ({status:?}) while waiting for {what}\n{}",
                super::litestream::log_tail(&process.log_path, 30)
            )
        }
    }
}

/// Polls a TCP connect until it succeeds; panics at the deadline.
fn wait_for_tcp(addr: SocketAddr, deadline: Instant) {
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Ok(_) => return,
            Err(e) if Instant::now() >= deadline => {
                panic!("moto at {addr} does not accept connections: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
