//! A real Azure Blob API for tests: Azurite (blob service only), on 127.0.0.1 with an
//! OS-assigned port, data in memory.
//!
//! [`azurite_main`] installs `azurite@3.37.0` with npm into `<target>/peers/npm/azurite-3.37.0`
//! on first use: an exclusive lock on `<target>/peers/npm/install.lock`, the install happens in
//! `azurite-3.37.0.partial-<pid>` and is renamed only once Azurite's blob entry point exists,
//! so a killed install never leaves half a tree behind. A failed install panics with the
//! command's output; it never skips. (Azurite declares Node ≥ 22 but runs on Node 20 here.)
//!
//! [`AzuriteServer::start`] runs the blob service with `--blobPort 0` and reads the bound port
//! from its "successfully listens on http://127.0.0.1:PORT" line (a condition with a deadline,
//! never a fixed sleep). Containers are made with [`AzuriteServer::create_container`]: a
//! Shared Key signed `PUT ?restype=container` from a few lines of Node (its built-in `crypto`
//! and `http`), with Azurite's well-known account and key.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use std::sync::Arc;

use ltx_tui::storage::{ReplicaKind, ReplicaSpec};
use object_store::ObjectStore;
use object_store::azure::MicrosoftAzureBuilder;

use super::peers::target_dir;

/// The Azurite release the tests run against.
pub const AZURITE_VERSION: &str = "3.37.0";

/// Azurite's well-known account.
pub const ACCOUNT: &str = "devstoreaccount1";

/// Azurite's well-known account key (public, documented by Microsoft).
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How long a start may take.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

const CREATE_CONTAINER: &str = r#"
const http = require("http"), crypto = require("crypto");
const [endpoint, account, key, container] = process.argv.slice(1);
const url = new URL(`${endpoint}/${container}?restype=container`);
const date = new Date().toUTCString(), version = "2021-10-04";
const toSign = ["PUT", "", "", "", "", "", "", "", "", "", "", "",
  `x-ms-date:${date}\nx-ms-version:${version}`,
  `/${account}${url.pathname}\nrestype:container`].join("\n");
const sig = crypto.createHmac("sha256", Buffer.from(key, "base64")).update(toSign, "utf8").digest("base64");
const req = http.request(url, { method: "PUT", headers: {
  "x-ms-date": date, "x-ms-version": version, "Content-Length": 0,
  "Authorization": `SharedKey ${account}:${sig}` } }, (res) => {
  let body = ""; res.on("data", (c) => body += c);
  res.on("end", () => { if (res.statusCode === 201 || res.statusCode === 409) { console.log("ok"); }
    else { console.error(`HTTP ${res.statusCode}: ${body}`); process.exit(1); } });
});
req.on("error", (e) => { console.error(e.message); process.exit(1); });
req.end();
"#;

/// `<target>/peers/npm`: the npm prefix of the test peers.
pub fn npm_root() -> PathBuf {
    target_dir().join("peers").join("npm")
}

/// Azurite's blob service entry point (`dist/src/blob/main.js`), installed on first use.
pub fn azurite_main() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = installed.as_ref() {
        return path.clone();
    }
    let path = install_azurite();
    *installed = Some(path.clone());
    path
}

fn main_js(prefix: &Path) -> PathBuf {
    prefix.join("node_modules/azurite/dist/src/blob/main.js")
}

fn installed_version(prefix: &Path) -> Option<String> {
    let text = fs::read_to_string(prefix.join("node_modules/azurite/package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_owned)
}

fn install_azurite() -> PathBuf {
    let root = npm_root();
    let prefix = root.join(format!("azurite-{AZURITE_VERSION}"));
    let _lock = super::install::locked(&root);
    if installed_version(&prefix).as_deref() == Some(AZURITE_VERSION) && main_js(&prefix).is_file()
    {
        return main_js(&prefix);
    }
    let started = Instant::now();
    let partial = root.join(format!(
        "azurite-{AZURITE_VERSION}.partial-{}",
        std::process::id()
    ));
    for stale in [&partial, &prefix] {
        if stale.exists() {
            fs::remove_dir_all(stale).unwrap_or_else(|e| panic!("remove {}: {e}", stale.display()));
        }
    }
    fs::create_dir_all(&partial).unwrap();
    run_step(
        Command::new("npm")
            .args(["init", "-y"])
            .current_dir(&partial),
    );
    run_step(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                &format!("azurite@{AZURITE_VERSION}"),
            ])
            .current_dir(&partial),
    );
    assert!(
        main_js(&partial).is_file(),
        "npm installed azurite but {} is missing",
        main_js(&partial).display()
    );
    fs::rename(&partial, &prefix)
        .unwrap_or_else(|e| panic!("rename {} to {}: {e}", partial.display(), prefix.display()));
    eprintln!(
        "installed azurite {AZURITE_VERSION} into {} in {:.1?}",
        prefix.display(),
        started.elapsed()
    );
    main_js(&prefix)
}

fn run_step(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("installing azurite: cannot run `{shown}`: {e} (is npm installed?)")
    });
    if !out.status.success() {
        panic!(
            "installing azurite: `{shown}` failed with {}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out
}

/// A running Azurite blob service; stopped on drop.
pub struct AzuriteServer {
    /// The blob endpoint including the account: `http://127.0.0.1:<port>/devstoreaccount1`.
    pub endpoint: String,
    /// The bound port.
    pub port: u16,
    /// How long the start took.
    pub startup_time: Duration,
    child: Child,
    _workspace: tempfile::TempDir,
}

impl AzuriteServer {
    /// Installs Azurite if needed and starts its blob service on an OS-assigned port.
    pub fn start() -> AzuriteServer {
        let main = azurite_main();
        let workspace = tempfile::Builder::new()
            .prefix("azurite-")
            .tempdir()
            .unwrap();
        let log_path = workspace.path().join("azurite.log");
        let log = File::create(&log_path).unwrap();
        let started = Instant::now();
        let mut cmd = Command::new("node");
        cmd.arg(&main)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--inMemoryPersistence",
                "--silent",
                "--skipApiVersionCheck",
                "--disableTelemetry",
            ])
            .current_dir(workspace.path())
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn azurite: {e} (is node installed?)"));
        let stdout = child.stdout.take().unwrap();
        let rx = super::child_lines::lines_of(stdout);
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(remaining) {
                Ok(line) => {
                    if let Some(addr) = line.split("successfully listens on http://").nth(1) {
                        break addr
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.trim().parse::<u16>().ok())
                            .unwrap_or_else(|| panic!("azurite printed {line:?}"));
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out waiting for azurite to listen\n{}",
                    super::litestream::log_tail(&log_path, 30)
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "azurite exited before listening ({:?})\n{}",
                    child.wait(),
                    super::litestream::log_tail(&log_path, 30)
                ),
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
            assert!(
                Instant::now() < deadline,
                "azurite at {addr} does not accept"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        AzuriteServer {
            endpoint: format!("http://127.0.0.1:{port}/{ACCOUNT}"),
            port,
            startup_time: started.elapsed(),
            child,
            _workspace: workspace,
        }
    }

    /// Creates `container` (already existing is fine).
    pub fn create_container(&self, container: &str) {
        let out = Command::new("node")
            .args(["-e", CREATE_CONTAINER])
            .args([&self.endpoint, ACCOUNT, ACCOUNT_KEY, container])
            .output()
            .expect("run node to create a container");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
            "create container {container}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A [`ReplicaSpec`] for `abs://<container>/<path>` on this server (`use_emulator`, the
    /// well-known account and key by default).
    pub fn abs_spec(&self, container: &str, path: &str) -> ReplicaSpec {
        ReplicaSpec {
            bucket: Some(container.to_owned()),
            path: path.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            use_emulator: true,
            ..ReplicaSpec::new(ReplicaKind::Abs)
        }
    }

    /// A plain `object_store` Azure client for `container`, independent of ltx-tui's storage
    /// room (for reading raw keys and metadata).
    pub fn raw_store(&self, container: &str) -> Arc<dyn ObjectStore> {
        let store = MicrosoftAzureBuilder::new()
            .with_account(ACCOUNT)
            .with_access_key(ACCOUNT_KEY)
            .with_endpoint(self.endpoint.clone())
            .with_allow_http(true)
            .with_container_name(container)
            .build()
            .expect("build a raw Azure client for azurite");
        Arc::new(store)
    }
}

impl Drop for AzuriteServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
