//! Operations on an attached headless ltx-tui, for the console's fleet: a window of a remote
//! database's timeline (`ltx_timeline`, paged), a preview (`ltx_preview`), and the engine
//! commands (`ltx_sync`, `ltx_snapshot`, `ltx_pause`, `ltx_resume`). Each checks that the host
//! offers the tool (an older ltx-tui, or one running `--read-only`, lacks some), calls it, and
//! decodes its structured content into the operation's own result type; failures come back as
//! one line that names the host and the tool.

use chrono::{DateTime, SecondsFormat, Utc};
use rmcp::model::{CallToolResult, JsonObject};
use serde::de::DeserializeOwned;

use super::error::HubError;
use super::handle::HubHandle;
use super::snapshot::{ServerSnapshot, ServerState};
use crate::ltx::Txid;
use crate::mcp::ToolId;
use crate::ops::{
    LtxFileEntry, LtxResult, PreviewResult, ReplicationCommand, ReplicationCommandResult,
};

/// Files asked for per `ltx_timeline` call.
pub const REMOTE_PAGE_FILES: usize = 5_000;
/// The most files one remote window holds (pages are followed up to this many).
pub const REMOTE_MAX_FILES: usize = 20_000;

/// The tool that runs `command` on a remote ltx-tui.
pub fn command_tool(command: ReplicationCommand) -> &'static str {
    ToolId::for_replication_command(command).name()
}

/// Why `server` cannot take a call of `tool` now, or `None` when it can.
pub fn unavailable_reason(server: &ServerSnapshot, tool: &str) -> Option<String> {
    if !matches!(server.state, ServerState::Ready | ServerState::Degraded) {
        return Some(format!("{} is {}", server.name, server.state));
    }
    if server.tool(tool).is_none() {
        return Some(not_offered(&server.name, tool));
    }
    None
}

fn not_offered(server: &str, tool: &str) -> String {
    format!(
        "{server} does not offer {tool} (an older ltx-tui, or one running --read-only): use \
         that host's console or its own tools"
    )
}

/// Calls `tool` of `server` and decodes its structured content as `T`.
async fn call<T: DeserializeOwned>(
    hub: &HubHandle,
    server: &str,
    tool: &str,
    arguments: JsonObject,
) -> Result<T, String> {
    let snapshot = hub.snapshot();
    let host = snapshot
        .server(server)
        .ok_or_else(|| HubError::UnknownServer(server.to_owned()).to_string())?;
    if let Some(reason) = unavailable_reason(host, tool) {
        return Err(reason);
    }
    let result = hub
        .call_tool(server, tool, Some(arguments), None)
        .await
        .map_err(|e| match &e {
            // The tool list was stale (the host restarted read-only, or downgraded).
            HubError::Call { message, .. }
                if message.contains("-32602") && message.contains("unknown tool") =>
            {
                not_offered(server, tool)
            }
            _ => e.to_string(),
        })?;
    decode(server, tool, &result)
}

/// The structured content of a tool's answer as `T`; an error answer becomes its text.
pub fn decode<T: DeserializeOwned>(
    server: &str,
    tool: &str,
    result: &CallToolResult,
) -> Result<T, String> {
    if result.is_error == Some(true) {
        let text: Vec<String> = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.trim().to_owned()))
            .collect();
        return Err(format!("{server}/{tool}: {}", text.join(" ")));
    }
    let structured = result
        .structured_content
        .clone()
        .ok_or_else(|| format!("{server}/{tool}: the answer has no structured content"))?;
    serde_json::from_value(structured)
        .map_err(|e| format!("{server}/{tool}: unexpected answer: {e}"))
}

/// The files of a remote database's timeline in a window, and whether more were left out.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteWindow {
    /// The files (every level), as the host listed them.
    pub files: Vec<LtxFileEntry>,
    /// The window holds more than [`REMOTE_MAX_FILES`].
    pub truncated: bool,
}

/// The arguments of `ltx_timeline` for `path`'s files created in `since..=until`, every level,
/// at most `limit`, after `cursor`.
pub fn timeline_arguments(
    path: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
    cursor: Option<&str>,
) -> JsonObject {
    let mut a = JsonObject::new();
    a.insert("path".into(), path.into());
    a.insert("level".into(), "all".into());
    a.insert(
        "since".into(),
        since.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
    );
    a.insert(
        "until".into(),
        until.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
    );
    a.insert("limit".into(), limit.into());
    if let Some(c) = cursor {
        a.insert("cursor".into(), c.into());
    }
    a
}

/// The files of `path` on `server` created in `since..=until`: `ltx_timeline` pages followed
/// up to [`REMOTE_MAX_FILES`].
pub async fn remote_timeline(
    hub: &HubHandle,
    server: &str,
    path: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<RemoteWindow, String> {
    let tool = ToolId::Timeline.name();
    let mut files = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let limit = REMOTE_PAGE_FILES.min(REMOTE_MAX_FILES - files.len());
        let args = timeline_arguments(path, since, until, limit, cursor.as_deref());
        let page: LtxResult = call(hub, server, tool, args).await?;
        files.extend(page.files);
        match page.next {
            None => {
                return Ok(RemoteWindow {
                    files,
                    truncated: false,
                });
            }
            Some(_) if files.len() >= REMOTE_MAX_FILES => {
                return Ok(RemoteWindow {
                    files,
                    truncated: true,
                });
            }
            Some(next) => cursor = Some(next),
        }
    }
}

/// What `path` on `server` held at `txid` (`ltx_preview`), and what changed up to `compare`.
pub async fn remote_preview(
    hub: &HubHandle,
    server: &str,
    path: &str,
    txid: Txid,
    compare: Option<Txid>,
) -> Result<PreviewResult, String> {
    let mut a = JsonObject::new();
    a.insert("path".into(), path.into());
    a.insert("txid".into(), txid.to_string().into());
    if let Some(c) = compare {
        a.insert("compare_txid".into(), c.to_string().into());
    }
    call(hub, server, ToolId::Preview.name(), a).await
}

/// Runs `command` on `path` on `server`, then asks for a fleet poll so the new state shows at
/// once.
pub async fn remote_command(
    hub: &HubHandle,
    server: &str,
    command: ReplicationCommand,
    path: &str,
) -> Result<ReplicationCommandResult, String> {
    let mut a = JsonObject::new();
    a.insert("path".into(), path.into());
    let result = call(hub, server, command_tool(command), a).await;
    if let Err(e) = hub.poll_fleet(server).await {
        tracing::debug!(target: "ltx_tui::mcp::hub", server, "fleet poll after a command: {e}");
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use rmcp::model::ContentBlock;

    use super::*;
    use crate::config::Transport;

    #[test]
    fn a_host_without_the_tool_says_so() {
        let mut s = ServerSnapshot::new("db2".into(), Transport::Http, "http://x/mcp".into());
        assert_eq!(
            unavailable_reason(&s, "ltx_sync").as_deref(),
            Some("db2 is stopped")
        );
        s.state = ServerState::Ready;
        s.tools = Arc::new(crate::mcp::catalogue(true));
        let why = unavailable_reason(&s, "ltx_sync").unwrap();
        assert!(why.contains("does not offer ltx_sync"), "{why}");
        s.tools = Arc::new(crate::mcp::catalogue(false));
        assert_eq!(unavailable_reason(&s, "ltx_sync"), None);
    }

    #[test]
    fn error_answers_become_their_text() {
        let r = CallToolResult::error(vec![ContentBlock::text("database not found")]);
        let e = decode::<LtxResult>("db2", "ltx_timeline", &r).unwrap_err();
        assert_eq!(e, "db2/ltx_timeline: database not found");
        let r = CallToolResult::structured(serde_json::json!({"files": 3}));
        let e = decode::<LtxResult>("db2", "ltx_timeline", &r).unwrap_err();
        assert!(e.contains("unexpected answer"), "{e}");
    }
}
