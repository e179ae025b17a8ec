//! `ltx_mcp_servers`: the attached MCP servers of this ltx-tui (its client hub) with their
//! state, round trip, negotiated protocol and tool count. Read-only; secrets never appear
//! (the hub's snapshot holds none).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::hub::{HubHandle, HubSnapshot};
use crate::ops::tabwriter::litestream_table;

/// `ltx_mcp_servers` takes no arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpServersArgs {}

/// One attached server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttachedServer {
    /// The configured name.
    pub name: String,
    /// `stdio`, `http` or `sse`.
    pub transport: String,
    /// The command line or the URL (without credentials or query).
    pub target: String,
    /// `stopped`, `connecting`, `ready`, `degraded` or `failed`.
    pub state: String,
    /// Why it is in this state (the last error), if anything.
    pub detail: Option<String>,
    /// The negotiated protocol version.
    pub protocol_version: Option<String>,
    /// The server's name and version as it reports them.
    pub server_info: Option<String>,
    /// The last health probe's round trip, in milliseconds.
    pub round_trip_ms: Option<f64>,
    /// How many tools it offers.
    pub tools: usize,
    /// Automatic restarts after failures.
    pub restarts: u32,
    /// True when it is a headless ltx-tui (it has `litestream_databases` and `ltx_timeline`).
    pub ltx_tui: bool,
}

/// The result of `ltx_mcp_servers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpServersResult {
    /// The attached servers, in configuration order (empty when none are configured).
    pub servers: Vec<AttachedServer>,
}

impl McpServersResult {
    /// The servers of `hub` (none without a hub).
    pub fn of(hub: Option<&HubHandle>) -> McpServersResult {
        McpServersResult::from_snapshot(&hub.map(HubHandle::snapshot).unwrap_or_default())
    }

    /// The servers of a hub snapshot.
    pub fn from_snapshot(snapshot: &HubSnapshot) -> McpServersResult {
        McpServersResult {
            servers: snapshot
                .servers
                .iter()
                .map(|s| AttachedServer {
                    name: s.name.clone(),
                    transport: s.transport.to_string(),
                    target: s.target.clone(),
                    state: s.state.label().to_owned(),
                    detail: s.detail.clone(),
                    protocol_version: s.protocol_version.clone(),
                    server_info: s.server_info.clone(),
                    round_trip_ms: s.round_trip_ms,
                    tools: s.tools.len(),
                    restarts: s.restarts,
                    ltx_tui: s.is_ltx_tui(),
                })
                .collect(),
        }
    }

    /// The readable table.
    pub fn table(&self) -> String {
        if self.servers.is_empty() {
            return "no attached MCP servers (mcp-servers in the configuration)\n".to_owned();
        }
        let mut rows = vec![
            [
                "name",
                "transport",
                "state",
                "round trip",
                "tools",
                "restarts",
                "protocol",
                "target",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        rows.extend(self.servers.iter().map(|s| {
            vec![
                s.name.clone(),
                s.transport.clone(),
                s.state.clone(),
                s.round_trip_ms
                    .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1}ms")),
                s.tools.to_string(),
                s.restarts.to_string(),
                s.protocol_version.clone().unwrap_or_else(|| "-".into()),
                s.target.clone(),
            ]
        }));
        let mut out = litestream_table(&rows);
        for s in self.servers.iter().filter(|s| s.detail.is_some()) {
            out.push_str(&format!(
                "{}: {}\n",
                s.name,
                s.detail.as_deref().unwrap_or_default()
            ));
        }
        out
    }
}
