//! Driving the MCP client hub in tests: configurations for the reference servers, a hub with
//! test-speed timing, and waits on its `watch` (bounded; never sleeps as synchronisation).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use ltx_tui::config::{GoDuration, McpServerConfig, Secret, Transport};
use ltx_tui::mcp::hub::{HubHandle, HubOptions, HubSnapshot, ServerSnapshot, ServerState};

use super::ref_servers::RefServerCommand;

/// A stdio server running `command`.
pub fn stdio(name: &str, command: &RefServerCommand) -> McpServerConfig {
    McpServerConfig {
        name: name.to_owned(),
        transport: Transport::Stdio,
        command: Some(command.program.to_string_lossy().into_owned()),
        args: command.args_lossy(),
        env: command
            .env
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    Secret::new(v.to_string_lossy()),
                )
            })
            .collect(),
        cwd: None,
        url: None,
        headers: BTreeMap::new(),
        enabled: true,
        timeout: GoDuration::from_secs(30),
    }
}

/// An HTTP (`Transport::Http`) or SSE server at `url`.
pub fn remote(name: &str, transport: Transport, url: &str) -> McpServerConfig {
    McpServerConfig {
        name: name.to_owned(),
        transport,
        command: None,
        args: Vec::new(),
        env: BTreeMap::new(),
        cwd: None,
        url: Some(url.to_owned()),
        headers: BTreeMap::new(),
        enabled: true,
        timeout: GoDuration::from_secs(30),
    }
}

/// The scripted misbehaving server (`tests/fixtures/mcp/scripted_server.py MODE`).
pub fn scripted(name: &str, mode: &str) -> McpServerConfig {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/scripted_server.py");
    let python = std::env::var("PYTHON3").unwrap_or_else(|_| "python3".into());
    let mut c = stdio(
        name,
        &RefServerCommand {
            program: python.into(),
            args: vec![script.into(), mode.into()],
            env: vec![],
        },
    );
    c.timeout = GoDuration::from_secs(5);
    c
}

/// Test-speed timing: probes and fleet polls every 200 ms, restarts from 100 ms up to 800 ms.
pub fn fast_options() -> HubOptions {
    HubOptions {
        probe_interval: Duration::from_millis(200),
        probe_failures_before_restart: 3,
        restart_base: Duration::from_millis(100),
        restart_max: Duration::from_millis(800),
        stop_timeout: Duration::from_secs(8),
        fleet_interval: Duration::from_millis(200),
    }
}

/// Waits until `name` is ready (tools listed); panics with its state, detail and stderr.
pub async fn wait_ready(hub: &HubHandle, name: &str, timeout: Duration) -> ServerSnapshot {
    wait_server(hub, name, timeout, "ready", |s| {
        s.state == ServerState::Ready
    })
    .await
}

/// Waits until `pred` holds for server `name`.
pub async fn wait_server(
    hub: &HubHandle,
    name: &str,
    timeout: Duration,
    what: &str,
    mut pred: impl FnMut(&ServerSnapshot) -> bool,
) -> ServerSnapshot {
    let found = hub
        .wait_until(timeout, |h: &HubSnapshot| {
            h.server(name).is_some_and(&mut pred)
        })
        .await;
    match found {
        Ok(h) => h.server(name).cloned().expect("the predicate saw it"),
        Err(h) => {
            let stderr: Vec<String> = hub
                .stderr(name, 0)
                .unwrap_or_default()
                .into_iter()
                .map(|l| l.item)
                .collect();
            panic!(
                "server {name} not {what} within {timeout:?}: {:#?}\n--- stderr ---\n{}",
                h.server(name).map(|s| (&s.state, &s.detail, &s.history)),
                stderr.join("\n")
            )
        }
    }
}

/// The text of a result's first text block.
pub fn first_text(result: &rmcp::model::CallToolResult) -> String {
    result
        .content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default()
}
