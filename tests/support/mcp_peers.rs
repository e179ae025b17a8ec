//! The real MCP clients the MCP server is tested with, installed under the cargo target
//! directory on first use and reused afterwards:
//!
//! - the Python MCP SDK (`pip install mcp==2.3.0`) in `<target>/peers/mcp-python/venv`;
//! - the MCP Inspector CLI (`npm install @modelcontextprotocol/inspector@2.12.0`) in
//!   `<target>/peers/npm/inspector-2.12.0`.
//!
//! Each install holds an exclusive file lock (nextest runs tests as parallel processes), builds
//! in a `*.partial-<pid>` directory and renames it only once the client imports or its CLI
//! entry exists, so a killed install leaves nothing half-built. A failed install panics with
//! the command and its output: a missing peer fails the run, with or without `CI=true`; it is
//! never skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::peers::target_dir;

use super::install::{locked, pip_venv, python_has, remove, run_step};

const WHAT: &str = "an MCP peer";

/// The Python MCP SDK release tested against.
pub const PYTHON_MCP_VERSION: &str = "2.3.0";

/// The MCP Inspector release tested against.
pub const INSPECTOR_VERSION: &str = "2.12.0";

fn python_has_mcp(python: &Path) -> bool {
    python_has(python, "mcp", "mcp", PYTHON_MCP_VERSION)
}

/// The Python interpreter of a venv holding the MCP SDK, installed on first use.
pub fn python_mcp() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = installed.as_ref() {
        return p.clone();
    }
    let root = target_dir().join("peers").join("mcp-python");
    let _lock = locked(&root);
    let python = pip_venv(
        WHAT,
        &root,
        &format!("mcp=={PYTHON_MCP_VERSION}"),
        python_has_mcp,
    );
    *installed = Some(python.clone());
    python
}

/// The MCP Inspector CLI entry (`node_modules/.bin/mcp-inspector`), installed on first use.
pub fn inspector() -> PathBuf {
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = installed.as_ref() {
        return p.clone();
    }
    let root = target_dir().join("peers").join("npm");
    let _lock = locked(&root);
    let prefix = root.join(format!("inspector-{INSPECTOR_VERSION}"));
    let bin = |p: &Path| p.join("node_modules").join(".bin").join("mcp-inspector");
    let version_ok = |p: &Path| {
        fs::read_to_string(p.join("node_modules/@modelcontextprotocol/inspector/package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|j| j["version"] == INSPECTOR_VERSION)
    };
    if !(bin(&prefix).exists() && version_ok(&prefix)) {
        let partial = root.join(format!(
            "inspector-{INSPECTOR_VERSION}.partial-{}",
            std::process::id()
        ));
        remove(&partial);
        remove(&prefix);
        fs::create_dir_all(&partial).unwrap();
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
                    &format!("@modelcontextprotocol/inspector@{INSPECTOR_VERSION}"),
                ])
                .current_dir(&partial),
        );
        fs::rename(&partial, &prefix).unwrap_or_else(|e| {
            panic!("rename {} to {}: {e}", partial.display(), prefix.display())
        });
        assert!(
            bin(&prefix).exists(),
            "npm installed the inspector but {} is missing",
            bin(&prefix).display()
        );
    }
    *installed = Some(bin(&prefix));
    bin(&prefix)
}
