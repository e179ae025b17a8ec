//! The state of the MCP pane: the attached servers (the hub's latest snapshot), the selected
//! server and tool, which list has focus, the open tab (tools, stderr, wire log), the call form
//! of a tool, the confirmation a destructive tool needs, the call in flight and the last
//! result. Plain data changed by the pure functions here; the loop and the effect runner do
//! the I/O (through the hub) and answer with messages.

use rmcp::model::{CallToolResult, JsonObject, Tool};

use crate::mcp::hub::{HubSnapshot, ServerSnapshot, WireEntry};

use super::mcp_form::McpForm;

/// What the operator asks of an attached server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpServerCommand {
    /// Connect it.
    Start,
    /// Disconnect it and keep it stopped.
    Stop,
    /// Disconnect and connect again.
    Restart,
}

impl McpServerCommand {
    /// The verb, for toasts.
    pub fn verb(self) -> &'static str {
        match self {
            McpServerCommand::Start => "start",
            McpServerCommand::Stop => "stop",
            McpServerCommand::Restart => "restart",
        }
    }
}

/// Which list the arrow keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpFocus {
    /// The server list.
    Servers,
    /// The selected server's tools.
    Tools,
}

/// The tab shown beside the server list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpTab {
    /// The tools, the call form and the result.
    Tools,
    /// The server's captured stderr.
    Stderr,
    /// The JSON-RPC wire log.
    Wire,
}

impl McpTab {
    /// The next tab.
    pub fn next(self) -> McpTab {
        match self {
            McpTab::Tools => McpTab::Stderr,
            McpTab::Stderr => McpTab::Wire,
            McpTab::Wire => McpTab::Tools,
        }
    }

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            McpTab::Tools => "tools",
            McpTab::Stderr => "stderr",
            McpTab::Wire => "wire log",
        }
    }
}

/// A tool call waiting for the operator's yes.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCall {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// The arguments.
    pub arguments: JsonObject,
    /// Why confirmation is asked.
    pub reason: String,
}

/// The last call's outcome.
#[derive(Debug, Clone)]
pub struct CallView {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// The result, or the protocol error / timeout.
    pub outcome: Result<CallToolResult, String>,
    /// First line shown.
    pub scroll: u16,
}

/// The MCP pane.
#[derive(Debug, Clone)]
pub struct McpPane {
    /// The hub's latest snapshot (`None`: no hub, nothing configured).
    pub hub: Option<HubSnapshot>,
    /// The selected server (index into `hub.servers`).
    pub server: usize,
    /// The selected tool of that server.
    pub tool: usize,
    /// Which list has focus.
    pub focus: McpFocus,
    /// The open tab.
    pub tab: McpTab,
    /// The call form, while open.
    pub form: Option<McpForm>,
    /// A destructive call waiting for confirmation.
    pub confirm: Option<PendingCall>,
    /// The call in flight: (server, tool).
    pub calling: Option<(String, String)>,
    /// The last result.
    pub result: Option<CallView>,
    /// The selected server's stderr lines as last loaded.
    pub stderr: Vec<String>,
    /// The selected server's wire log as last loaded.
    pub wire: Vec<WireEntry>,
    /// (server, stderr seq, wire seq) of the loaded logs.
    pub logs_of: Option<(String, u64, u64)>,
    /// Which database of an attached ltx-tui the remote timeline shows next.
    pub remote_db: usize,
}

impl Default for McpPane {
    fn default() -> Self {
        McpPane {
            hub: None,
            server: 0,
            tool: 0,
            focus: McpFocus::Servers,
            tab: McpTab::Tools,
            form: None,
            confirm: None,
            calling: None,
            result: None,
            stderr: Vec::new(),
            wire: Vec::new(),
            logs_of: None,
            remote_db: 0,
        }
    }
}

impl McpPane {
    /// The servers (none without a hub).
    pub fn servers(&self) -> &[ServerSnapshot] {
        self.hub.as_ref().map_or(&[], |h| h.servers.as_slice())
    }

    /// The selected server.
    pub fn selected_server(&self) -> Option<&ServerSnapshot> {
        self.servers()
            .get(self.server.min(self.servers().len().saturating_sub(1)))
    }

    /// The selected tool of the selected server.
    pub fn selected_tool(&self) -> Option<&Tool> {
        let tools = &self.selected_server()?.tools;
        tools.get(self.tool.min(tools.len().saturating_sub(1)))
    }

    /// Takes a new hub snapshot; returns whether the pane shows something else now.
    pub fn apply(&mut self, snapshot: HubSnapshot) -> bool {
        let changed = self.hub.as_ref() != Some(&snapshot);
        self.hub = Some(snapshot);
        changed
    }

    /// Moves the selection of the focused list by `step` (clamped).
    pub fn move_selection(&mut self, step: isize) {
        let servers = self.servers().len();
        let tools = self.selected_server().map_or(0, |s| s.tools.len());
        let (index, len) = match self.focus {
            McpFocus::Servers => (&mut self.server, servers),
            McpFocus::Tools => (&mut self.tool, tools),
        };
        let last = len.saturating_sub(1) as isize;
        *index = (*index as isize + step).clamp(0, last.max(0)) as usize;
        if self.focus == McpFocus::Servers {
            self.tool = 0;
            self.result = None;
            self.logs_of = None;
        }
    }

    /// True when the logs of the selected server's open tab are older than its snapshot.
    pub fn logs_stale(&self) -> bool {
        let Some(s) = self.selected_server() else {
            return false;
        };
        if self.tab == McpTab::Tools {
            return false;
        }
        self.logs_of.as_ref() != Some(&(s.name.clone(), s.stderr_seq, s.wire_seq))
    }
}

/// Why calling `tool` needs the operator's confirmation, or `None`. The spec's defaults apply:
/// a tool is destructive unless it says `readOnlyHint: true` or `destructiveHint: false`; the
/// hints are the server's claims, not guarantees, so a destructive one is always confirmed.
pub fn confirmation_reason(tool: &Tool, readonly: bool) -> Option<String> {
    let a = tool.annotations.as_ref();
    let read_only = a.and_then(|a| a.read_only_hint) == Some(true);
    let destructive = !read_only && a.and_then(|a| a.destructive_hint) != Some(false);
    if !destructive {
        return None;
    }
    let declared = a.and_then(|a| a.destructive_hint) == Some(true);
    let mut why = if declared {
        format!("{} is marked destructive by its server", tool.name)
    } else {
        format!(
            "{} does not say it is read-only or non-destructive (MCP treats it as destructive)",
            tool.name
        )
    };
    if readonly {
        why.push_str("; the console runs --read-only");
    }
    Some(why)
}

/// The annotation badges of `tool`: `RO`, `DESTRUCTIVE`, `IDEMPOTENT`, `OPEN-WORLD` (as the
/// server declares them).
pub fn badges(tool: &Tool) -> Vec<&'static str> {
    let Some(a) = tool.annotations.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if a.read_only_hint == Some(true) {
        out.push("RO");
    }
    if a.destructive_hint == Some(true) {
        out.push("DESTRUCTIVE");
    }
    if a.idempotent_hint == Some(true) {
        out.push("IDEMPOTENT");
    }
    if a.open_world_hint == Some(true) {
        out.push("OPEN-WORLD");
    }
    out
}
