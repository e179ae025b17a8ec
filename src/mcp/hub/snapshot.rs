//! What the hub publishes on its `watch` channel: per attached server its state, round trip,
//! negotiated protocol, tools and call figures, and the recent state changes. Nothing in here
//! holds a secret: targets are shown without query strings, errors are scrubbed.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rmcp::model::Tool;
use serde::Serialize;

use super::fleet::FleetView;
use super::tool_figures::ToolFigures;
use crate::config::Transport;

/// How many state changes a server keeps.
pub const HISTORY_LEN: usize = 32;

/// The connection state of one attached server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// Not running (disabled, or stopped by the operator).
    Stopped,
    /// Spawning or connecting, the handshake, the first tool list.
    Connecting,
    /// Connected, tools listed, the last health probe answered.
    Ready,
    /// Connected, but the last health probe failed or timed out.
    Degraded,
    /// The connection failed or ended; a restart is scheduled (see `retry_in_ms`).
    Failed,
}

impl ServerState {
    /// The lower-case label (`ready`, `failed`, …).
    pub fn label(self) -> &'static str {
        match self {
            ServerState::Stopped => "stopped",
            ServerState::Connecting => "connecting",
            ServerState::Ready => "ready",
            ServerState::Degraded => "degraded",
            ServerState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateChange {
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The new state.
    pub state: ServerState,
    /// Why (an error, "stopped by operator", …).
    pub detail: Option<String>,
}

/// One attached server as the hub sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSnapshot {
    /// The configured name.
    pub name: String,
    /// stdio, http or sse.
    pub transport: Transport,
    /// The command line (stdio) or the URL without credentials or query.
    pub target: String,
    /// The current state.
    pub state: ServerState,
    /// Why the server is in this state (the last error), scrubbed of secrets.
    pub detail: Option<String>,
    /// The negotiated protocol version.
    pub protocol_version: Option<String>,
    /// The server's name and version, as it reports them.
    pub server_info: Option<String>,
    /// The server's instructions, if it gave any.
    pub instructions: Option<String>,
    /// The last health probe's round trip, in milliseconds.
    pub round_trip_ms: Option<f64>,
    /// How many times the hub restarted the server after a failure.
    pub restarts: u32,
    /// Consecutive failed connections or probes.
    pub failures: u32,
    /// When failed: the delay before the next attempt, in milliseconds.
    pub retry_in_ms: Option<u64>,
    /// The process id (stdio).
    pub pid: Option<u32>,
    /// When the current connection became ready, in milliseconds since the Unix epoch.
    pub ready_since_ms: Option<i64>,
    /// The server's tools (every page of `tools/list`).
    #[serde(skip)]
    pub tools: Arc<Vec<Tool>>,
    /// How many times the tool list was fetched (the first time, and after list-changed).
    pub tool_lists: u32,
    /// Per-tool call figures, by tool name.
    pub figures: BTreeMap<String, ToolFigures>,
    /// The number of the newest stderr line (0: none yet).
    pub stderr_seq: u64,
    /// The number of the newest wire-log entry (0: none yet).
    pub wire_seq: u64,
    /// The most recent state changes, oldest first.
    pub history: VecDeque<StateChange>,
    /// For a headless ltx-tui: its databases and their lag, as last polled.
    pub fleet: Option<FleetView>,
}

impl ServerSnapshot {
    /// A server that has not started yet.
    pub fn new(name: String, transport: Transport, target: String) -> ServerSnapshot {
        ServerSnapshot {
            name,
            transport,
            target,
            state: ServerState::Stopped,
            detail: None,
            protocol_version: None,
            server_info: None,
            instructions: None,
            round_trip_ms: None,
            restarts: 0,
            failures: 0,
            retry_in_ms: None,
            pid: None,
            ready_since_ms: None,
            tools: Arc::new(Vec::new()),
            tool_lists: 0,
            figures: BTreeMap::new(),
            stderr_seq: 0,
            wire_seq: 0,
            history: VecDeque::new(),
            fleet: None,
        }
    }

    /// Moves to `state` with `detail`, recording the change.
    pub fn set_state(&mut self, state: ServerState, detail: Option<String>) {
        if self.history.len() == HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(StateChange {
            at_ms: chrono::Utc::now().timestamp_millis(),
            state,
            detail: detail.clone(),
        });
        self.state = state;
        self.detail = detail;
    }

    /// The tool named `name`.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// True when the server's tools mark it as a headless ltx-tui (`litestream_databases` and
    /// `ltx_timeline`).
    pub fn is_ltx_tui(&self) -> bool {
        self.tool("litestream_databases").is_some() && self.tool("ltx_timeline").is_some()
    }
}

/// Every attached server, in configuration order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HubSnapshot {
    /// The servers.
    pub servers: Vec<ServerSnapshot>,
}

impl HubSnapshot {
    /// The server named `name`.
    pub fn server(&self, name: &str) -> Option<&ServerSnapshot> {
        self.servers.iter().find(|s| s.name == name)
    }
}
