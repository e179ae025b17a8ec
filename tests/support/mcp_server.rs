//! `ltx-tui --headless --mcp-addr 127.0.0.1:0` on a fresh database and `file://` replica: the
//! server every MCP test talks to. The bound address is read from the log line
//! `MCP server listening on http://HOST:PORT/mcp`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::ltx_tui::Headless;
use super::sqlite_db::TestDb;

/// A running MCP server with its database, replica and restore directory.
pub struct McpServer {
    /// The process.
    pub headless: Headless,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The working directory (config `litestream.yml`, log `ltx-tui.log`).
    pub dir: PathBuf,
    /// The replicated database.
    pub db: PathBuf,
    /// The `file://` replica directory.
    pub replica: PathBuf,
    /// The `restore-dirs` entry.
    pub restores: PathBuf,
}

/// The configuration: `restore-dirs: [<dir>/restores]`, `top` lines, one database.
pub fn config(dir: &Path, top: &str) -> String {
    format!(
        "restore-dirs:\n  - {}\n{top}dbs:\n  - path: {}\n    monitor-interval: 100ms\n    replica:\n      url: file://{}\n",
        dir.join("restores").display(),
        dir.join("app.db").display(),
        dir.join("replica").display()
    )
}

/// Makes `<dir>/app.db` with a few rows in WAL mode.
pub fn make_db(dir: &Path) -> PathBuf {
    let mut db = TestDb::create(&dir.join("app.db"), 4096);
    db.create_table("t");
    db.insert_rows("t", 20);
    db.close();
    dir.join("app.db")
}

impl McpServer {
    /// Starts the server in `dir` with `top` config lines and extra arguments, and waits for
    /// its address and for the first replica file.
    pub fn start(dir: &Path, top: &str, args: &[&str]) -> McpServer {
        McpServer::start_with_env(dir, top, args, &[])
    }

    /// As [`McpServer::start`], with extra environment variables for the process.
    pub fn start_with_env(dir: &Path, top: &str, args: &[&str], env: &[(&str, &str)]) -> McpServer {
        let db = make_db(dir);
        std::fs::create_dir_all(dir.join("restores")).unwrap();
        let mut all = vec!["--mcp-addr", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut headless =
            Headless::start_with_env(dir, "litestream.yml", &config(dir, top), &all, env);
        let base = listening_base(&mut headless);
        let replica = dir.join("replica");
        headless.wait_for(&replica, "a snapshot", Duration::from_secs(30), |f| {
            !f.level(9).is_empty()
        });
        McpServer {
            headless,
            base,
            dir: dir.to_path_buf(),
            db,
            replica,
            restores: dir.join("restores"),
        }
    }

    /// `<base>/mcp`.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }
}

/// Waits for the "listening" line and returns `http://HOST:PORT`.
pub fn listening_base(headless: &mut Headless) -> String {
    let line = headless.wait_for_log("MCP server listening on", Duration::from_secs(30));
    let start = line.find("http://").expect("address in the listening line");
    let url = line[start..].split_whitespace().next().unwrap();
    url.trim_end_matches("/mcp").to_owned()
}

/// Runs `curl -s -S -o - -w '\n%{http_code}' ARGS…`; returns (status, body).
pub fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}
