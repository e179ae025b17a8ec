//! The reference MCP servers the hub and the console pane are tested against, installed under
//! the cargo target directory on first use and reused afterwards:
//!
//! - `@modelcontextprotocol/server-everything` ([`SERVER_EVERYTHING_VERSION`]) and
//!   `@modelcontextprotocol/server-memory` ([`SERVER_MEMORY_VERSION`]), each in its own npm
//!   prefix `<target>/peers/npm/<name>-<version>`;
//! - the Python `mcp-server-time` ([`MCP_SERVER_TIME_VERSION`]) in a venv
//!   `<target>/peers/mcp-server-time-<version>/venv`.
//!
//! Installs follow `mcp_peers`: an exclusive file lock (nextest runs tests as parallel
//! processes), a `*.partial-<pid>` directory renamed only once the entry point exists, and a
//! panic with the command and its output on failure. A missing server fails the run, with or
//! without `CI=true`; it is never skipped.
//!
//! Launching ([`RefServerCommand`] is a program, arguments and environment):
//! - server-everything picks its transport from its first argument: `stdio` (the default),
//!   `streamableHttp` (endpoint `POST|GET|DELETE /mcp`) or `sse` (legacy HTTP+SSE: `GET /sse`
//!   opens the stream, `POST /message?sessionId=…` carries requests). The HTTP modes listen on
//!   `$PORT` (default 3001) on every interface via `app.listen(PORT)`. The commands here set
//!   `PORT=0` and preload [`LOOPBACK_PRELOAD`] (`node -r`), which binds 127.0.0.1 and prints
//!   `ltx-tui-ref-server listening 127.0.0.1:<port>` on stderr once bound;
//!   [`RefHttpServer::start`] reads that line and gives the URL.
//! - server-memory speaks stdio only and stores its graph in `$MEMORY_FILE_PATH` (a JSON-lines
//!   file; relative paths are taken from its `dist/` directory, so the command sets an absolute
//!   one).
//! - mcp-server-time speaks stdio only; it is run as `<venv>/bin/python -m mcp_server_time
//!   --local-timezone UTC` (the venv's console scripts keep the partial directory in their
//!   shebang after the rename, the interpreter does not).

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::peers::target_dir;

use super::install::{locked, pip_venv, python_has, remove, run_step};

const WHAT: &str = "a reference MCP server";

/// The server-everything release tested against (13 tools; 14 for a client declaring roots).
pub const SERVER_EVERYTHING_VERSION: &str = "2026.8.31";

/// The server-memory release tested against (9 tools).
pub const SERVER_MEMORY_VERSION: &str = "2026.8.31";

/// The mcp-server-time release tested against (2 tools).
pub const MCP_SERVER_TIME_VERSION: &str = "2026.10.19";

/// Tools server-everything lists to a client without the roots capability (rmcp's default).
pub const SERVER_EVERYTHING_TOOLS: usize = 13;

/// Tools server-everything lists to a client declaring roots (the Inspector CLI adds
/// `get-roots-list`).
pub const SERVER_EVERYTHING_TOOLS_WITH_ROOTS: usize = 14;

/// Tools server-memory lists.
pub const SERVER_MEMORY_TOOLS: usize = 9;

/// Tools mcp-server-time lists.
pub const MCP_SERVER_TIME_TOOLS: usize = 2;

/// The stderr line prefix [`LOOPBACK_PRELOAD`] prints once a server listens.
pub const LISTENING_MARKER: &str = "ltx-tui-ref-server listening ";

/// A CommonJS preload for `node -r`: every numeric-port `listen` binds 127.0.0.1, and the bound
/// address is printed on stderr as `<LISTENING_MARKER>127.0.0.1:<port>`.
pub const LOOPBACK_PRELOAD: &str = r#"'use strict';
const net = require('net');
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (a0 && typeof a0 === 'object' && a0.port !== undefined && !a0.host) {
    args[0] = { ...a0, host: '127.0.0.1' };
  }
  this.once('listening', () => {
    const a = this.address();
    if (a && typeof a === 'object') process.stderr.write(`ltx-tui-ref-server listening ${a.address}:${a.port}\n`);
  });
  return orig.apply(this, args);
};
"#;

/// How to launch a reference server: a program, its arguments and extra environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefServerCommand {
    /// The executable (`node` or a venv's `python`).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables added to the inherited environment.
    pub env: Vec<(OsString, OsString)>,
}

impl RefServerCommand {
    /// A `std::process::Command` for it (stdio inherited; callers pipe what they need).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The arguments as UTF-8 strings (for configs and the Inspector CLI).
    pub fn args_lossy(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

/// server-everything's transport modes (its first command-line argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EverythingTransport {
    /// `stdio`: JSON-RPC lines on stdin/stdout.
    Stdio,
    /// `streamableHttp`: `/mcp` on `$PORT`.
    StreamableHttp,
    /// `sse`: legacy HTTP+SSE, `GET /sse` and `POST /message` on `$PORT`.
    Sse,
}

impl EverythingTransport {
    /// The argument that selects it.
    pub fn arg(self) -> &'static str {
        match self {
            EverythingTransport::Stdio => "stdio",
            EverythingTransport::StreamableHttp => "streamableHttp",
            EverythingTransport::Sse => "sse",
        }
    }

    /// The endpoint path a client connects to (empty for stdio).
    pub fn path(self) -> &'static str {
        match self {
            EverythingTransport::Stdio => "",
            EverythingTransport::StreamableHttp => "/mcp",
            EverythingTransport::Sse => "/sse",
        }
    }
}

fn npm_version_ok(prefix: &Path, package: &str, version: &str) -> bool {
    fs::read_to_string(
        prefix
            .join("node_modules")
            .join(package)
            .join("package.json"),
    )
    .ok()
    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    .is_some_and(|j| j["version"] == version)
}

/// Installs `package@version` into its own npm prefix under `<target>/peers/npm` and returns
/// the package directory (`<prefix>/node_modules/<package>`).
fn npm_package(package: &str, version: &str) -> PathBuf {
    let root = target_dir().join("peers").join("npm");
    let _lock = locked(&root);
    let slug = package.trim_start_matches('@').replace('/', "-");
    let prefix = root.join(format!("{slug}-{version}"));
    if !npm_version_ok(&prefix, package, version) {
        let partial = root.join(format!("{slug}-{version}.partial-{}", std::process::id()));
        remove(&partial);
        remove(&prefix);
        fs::create_dir_all(&partial)
            .unwrap_or_else(|e| panic!("create {}: {e}", partial.display()));
        run_step(
            WHAT,
            Command::new("npm")
                .args(["init", "-y"])
                .current_dir(&partial),
        );
        run_step(
            WHAT,
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    &format!("{package}@{version}"),
                ])
                .current_dir(&partial),
        );
        assert!(
            npm_version_ok(&partial, package, version),
            "npm installed {package}@{version} into {} but its package.json is missing or differs",
            partial.display()
        );
        fs::write(partial.join("force-loopback.cjs"), LOOPBACK_PRELOAD)
            .unwrap_or_else(|e| panic!("write the loopback preload: {e}"));
        fs::rename(&partial, &prefix).unwrap_or_else(|e| {
            panic!("rename {} to {}: {e}", partial.display(), prefix.display())
        });
    }
    prefix.join("node_modules").join(package)
}

/// The installed server-everything package directory (holding `dist/index.js`).
pub fn server_everything_dir() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    installed
        .get_or_insert_with(|| {
            npm_package(
                "@modelcontextprotocol/server-everything",
                SERVER_EVERYTHING_VERSION,
            )
        })
        .clone()
}

/// The installed server-memory package directory (holding `dist/index.js`).
pub fn server_memory_dir() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    installed
        .get_or_insert_with(|| {
            npm_package("@modelcontextprotocol/server-memory", SERVER_MEMORY_VERSION)
        })
        .clone()
}

/// The npm prefix holding a package dir returned above (where `force-loopback.cjs` lives).
fn npm_prefix(package_dir: &Path) -> PathBuf {
    package_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "node_modules"))
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{} is not under node_modules", package_dir.display()))
}

/// server-everything over `transport`. The HTTP modes listen on an ephemeral port of
/// 127.0.0.1 (`PORT=0` plus the loopback preload); read the address from stderr
/// ([`RefHttpServer::start`] does).
pub fn server_everything(transport: EverythingTransport) -> RefServerCommand {
    let dir = server_everything_dir();
    let entry = dir.join("dist").join("index.js");
    match transport {
        EverythingTransport::Stdio => RefServerCommand {
            program: "node".into(),
            args: vec![entry.into(), "stdio".into()],
            env: vec![],
        },
        EverythingTransport::StreamableHttp | EverythingTransport::Sse => RefServerCommand {
            program: "node".into(),
            args: vec![
                "-r".into(),
                npm_prefix(&dir).join("force-loopback.cjs").into(),
                entry.into(),
                transport.arg().into(),
            ],
            env: vec![("PORT".into(), "0".into())],
        },
    }
}

/// server-memory over stdio, keeping its graph in `memory_file` (an absolute path; created
/// on the first write).
pub fn server_memory(memory_file: &Path) -> RefServerCommand {
    assert!(
        memory_file.is_absolute(),
        "server-memory resolves relative paths from its dist dir"
    );
    RefServerCommand {
        program: "node".into(),
        args: vec![server_memory_dir().join("dist").join("index.js").into()],
        env: vec![("MEMORY_FILE_PATH".into(), memory_file.into())],
    }
}

fn python_has_time_server(python: &Path) -> bool {
    python_has(
        python,
        "mcp_server_time",
        "mcp-server-time",
        MCP_SERVER_TIME_VERSION,
    )
}

/// The Python interpreter of a venv holding `mcp-server-time`, installed on first use.
pub fn mcp_server_time_python() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = installed.as_ref() {
        return p.clone();
    }
    let root = target_dir()
        .join("peers")
        .join(format!("mcp-server-time-{MCP_SERVER_TIME_VERSION}"));
    let _lock = locked(&root);
    let python = pip_venv(
        WHAT,
        &root,
        &format!("mcp-server-time=={MCP_SERVER_TIME_VERSION}"),
        python_has_time_server,
    );
    *installed = Some(python.clone());
    python
}

/// mcp-server-time over stdio, with UTC as its local time zone.
pub fn mcp_server_time() -> RefServerCommand {
    RefServerCommand {
        program: mcp_server_time_python().into(),
        args: vec![
            "-m".into(),
            "mcp_server_time".into(),
            "--local-timezone".into(),
            "UTC".into(),
        ],
        env: vec![],
    }
}

/// A server-everything HTTP process (streamable HTTP or SSE) on 127.0.0.1; killed on drop.
pub struct RefHttpServer {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// The endpoint URL: `http://127.0.0.1:<port>/mcp` or `…/sse`.
    pub url: String,
    /// stderr lines read before the listening line (the server's own banner).
    pub early_stderr: Vec<String>,
}

impl RefHttpServer {
    /// Starts server-everything over `transport` (not stdio) and waits up to `timeout` for
    /// its listening line. stderr after that line is drained by a thread so the pipe never
    /// fills. Panics with what it printed if it exits or stays silent.
    pub fn start(transport: EverythingTransport, timeout: Duration) -> RefHttpServer {
        assert_ne!(
            transport,
            EverythingTransport::Stdio,
            "stdio has no address"
        );
        let mut child = server_everything(transport)
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn server-everything {}: {e}", transport.arg()));
        let stderr = child.stderr.take().expect("stderr was piped just above");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more: keep draining so the child never blocks.
                    continue;
                }
            }
        });
        let deadline = Instant::now() + timeout;
        let mut early_stderr = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix(LISTENING_MARKER) {
                        let addr = addr.trim().to_owned();
                        let url = format!("http://{addr}{}", transport.path());
                        return RefHttpServer {
                            child,
                            addr,
                            url,
                            early_stderr,
                        };
                    }
                    early_stderr.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "server-everything {} printed no listening line within {timeout:?}:\n{}",
                        transport.arg(),
                        early_stderr.join("\n")
                    );
                }
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RefHttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one Inspector CLI run printed.
#[derive(Debug)]
pub struct InspectorRun {
    /// Whether it exited 0.
    pub ok: bool,
    /// stdout parsed as JSON (`Value::Null` when it was not JSON).
    pub json: serde_json::Value,
    /// stdout as text.
    pub stdout: String,
    /// stderr as text.
    pub stderr: String,
}

impl InspectorRun {
    /// The JSON output, or a panic naming `what` with everything printed when the run failed.
    pub fn expect_ok(self, what: &str) -> serde_json::Value {
        assert!(
            self.ok && !self.json.is_null(),
            "inspector {what} failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self.json
    }
}

fn run_inspector(mut cmd: Command, home: &Path) -> InspectorRun {
    fs::create_dir_all(home).unwrap_or_else(|e| panic!("create {}: {e}", home.display()));
    cmd.env("MCP_CATALOG_PATH", home.join("mcp-catalog.json"))
        .env("HOME", home)
        .stdin(Stdio::null());
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{shown}`: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    InspectorRun {
        ok: out.status.success(),
        json: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the Inspector CLI against `server` over stdio with `extra` (`--method …`); its
/// catalog and `$HOME` live in `home`.
pub fn inspector_stdio(server: &RefServerCommand, extra: &[&str], home: &Path) -> InspectorRun {
    let mut cmd = Command::new(super::mcp_peers::inspector());
    cmd.arg("--cli");
    for (k, v) in &server.env {
        let mut pair = k.clone();
        pair.push("=");
        pair.push(v);
        cmd.arg("-e").arg(pair);
    }
    cmd.arg(&server.program).args(&server.args).args(extra);
    run_inspector(cmd, home)
}

/// Runs the Inspector CLI against `url` (`http` or `sse` transport) with `extra`.
pub fn inspector_url(url: &str, transport: &str, extra: &[&str], home: &Path) -> InspectorRun {
    let mut cmd = Command::new(super::mcp_peers::inspector());
    cmd.args(["--cli", url, "--transport", transport])
        .args(extra);
    run_inspector(cmd, home)
}

/// The tool names of a `tools/list` answer.
pub fn tool_names(listed: &serde_json::Value) -> Vec<String> {
    listed["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools array in {listed}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}
