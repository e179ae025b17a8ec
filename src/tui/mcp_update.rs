//! The MCP pane's share of `update` and of the dispatcher: hub snapshots, finished calls and
//! loaded logs coming in; keys for the open call form or confirmation; the pane's actions
//! (call, start, stop, restart, tabs, focus). Pure: the hub is reached through effects.

use crossterm::event::{KeyCode, KeyEvent};

use crate::mcp::hub::{HubSnapshot, ServerState};

use super::action::Action;
use super::effect::Effect;
use super::fleet::RemoteDbRef;
use super::mcp_form::{FormOutcome, McpForm};
use super::mcp_pane::{
    CallView, McpFocus, McpServerCommand, McpTab, PendingCall, confirmation_reason,
};
use super::state::{AppState, Pane};
use super::theme::Meaning;
use super::timeline_source::TimelineSource;

/// A new hub snapshot; returns the effects (logs to reload, a remote timeline to load again)
/// and whether to redraw.
pub fn on_hub(state: &mut AppState, snapshot: HubSnapshot) -> (Vec<Effect>, bool) {
    let before: Vec<(String, ServerState)> = state
        .mcp
        .servers()
        .iter()
        .map(|s| (s.name.clone(), s.state))
        .collect();
    let fleet_before = fleet_figures(state);
    let shown_before = remote_shown_txid(state);
    let changed = state.mcp.apply(snapshot);
    let fleet_changed = fleet_figures(state) != fleet_before;
    // The remote database on the timeline got new files: load its window again.
    let mut effects = Vec::new();
    let shown_after = remote_shown_txid(state);
    if shown_after.is_some() && shown_after != shown_before {
        effects = super::update::refresh_timeline(state);
    }
    for s in state.mcp.servers() {
        let was = before.iter().find(|(n, _)| *n == s.name).map(|(_, st)| *st);
        if s.state == ServerState::Failed && was.is_some_and(|w| w != ServerState::Failed) {
            state.last_error = Some(format!(
                "MCP server {}: {}",
                s.name,
                s.detail.as_deref().unwrap_or("failed")
            ));
        }
    }
    let visible = state.pane == Pane::Mcp;
    if visible {
        effects.extend(reload_logs(state));
    }
    let redraw = (changed && visible)
        || (fleet_changed && state.pane == Pane::Databases)
        || !effects.is_empty();
    (effects, redraw)
}

/// What the fleet table shows of every host (to redraw only when it changes).
fn fleet_figures(state: &AppState) -> Vec<(String, Option<crate::mcp::hub::FleetView>)> {
    state
        .mcp
        .servers()
        .iter()
        .map(|s| (s.name.clone(), s.fleet.clone()))
        .collect()
}

/// The replica TXID last polled for the remote database on the timeline.
fn remote_shown_txid(state: &AppState) -> Option<String> {
    let db = state.timeline.source.as_ref()?.remote()?;
    state.remote_db(db)?.db.replica_txid.clone()
}

/// Asks for the selected server's logs when the open tab shows older ones.
pub fn reload_logs(state: &AppState) -> Vec<Effect> {
    match state.mcp.selected_server() {
        Some(s) if state.mcp.logs_stale() => vec![Effect::McpLoadLogs {
            server: s.name.clone(),
        }],
        _ => Vec::new(),
    }
}

/// A call finished.
pub fn on_call_done(
    state: &mut AppState,
    server: String,
    tool: String,
    result: Result<rmcp::model::CallToolResult, String>,
) {
    state.mcp.calling = None;
    match &result {
        Ok(r) if r.is_error == Some(true) => state.toast(
            Meaning::Warn,
            format!("{server}/{tool}: the tool reported an error"),
        ),
        Ok(_) => {}
        Err(e) => state.toast(Meaning::Error, e.clone()),
    }
    state.mcp.result = Some(CallView {
        server,
        tool,
        outcome: result,
        scroll: 0,
    });
}

/// Logs were read.
pub fn on_logs(
    state: &mut AppState,
    server: String,
    stderr: Vec<String>,
    wire: Vec<crate::mcp::hub::WireEntry>,
    seqs: (u64, u64),
) -> bool {
    if state.mcp.selected_server().map(|s| s.name.as_str()) != Some(server.as_str()) {
        return false;
    }
    state.mcp.stderr = stderr;
    state.mcp.wire = wire;
    state.mcp.logs_of = Some((server, seqs.0, seqs.1));
    state.pane == Pane::Mcp
}

/// Keys for the open confirmation or call form; `None` when the pane does not take the key.
pub fn on_key(state: &mut AppState, key: KeyEvent) -> Option<Vec<Effect>> {
    if state.pane != Pane::Mcp {
        return None;
    }
    if let Some(pending) = state.mcp.confirm.take() {
        return Some(match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => call(state, pending),
            _ => {
                state.toast(Meaning::Muted, format!("{}: not called", pending.tool));
                vec![]
            }
        });
    }
    let form = state.mcp.form.as_mut()?;
    Some(match form.handle_key(key) {
        FormOutcome::Submit(arguments) => {
            let tool = form.tool.clone();
            state.mcp.form = None;
            submit(state, tool, arguments)
        }
        FormOutcome::Cancel => {
            state.mcp.form = None;
            vec![]
        }
        FormOutcome::Invalid(e) => {
            state.toast(Meaning::Warn, e.to_string());
            vec![]
        }
        FormOutcome::Changed | FormOutcome::Ignored => vec![],
    })
}

/// The form was submitted: confirm a destructive tool first, else call.
fn submit(state: &mut AppState, tool: String, arguments: rmcp::model::JsonObject) -> Vec<Effect> {
    let Some(server) = state.mcp.selected_server() else {
        return vec![];
    };
    let definition = server.tool(&tool).cloned();
    let pending = PendingCall {
        server: server.name.clone(),
        tool,
        arguments,
        reason: String::new(),
    };
    match definition.and_then(|t| confirmation_reason(&t, state.readonly)) {
        Some(reason) => {
            state.mcp.confirm = Some(PendingCall { reason, ..pending });
            vec![]
        }
        None => call(state, pending),
    }
}

fn call(state: &mut AppState, pending: PendingCall) -> Vec<Effect> {
    state.mcp.calling = Some((pending.server.clone(), pending.tool.clone()));
    state.mcp.result = None;
    vec![Effect::McpCall {
        server: pending.server,
        tool: pending.tool,
        arguments: pending.arguments,
    }]
}

/// The timeline of the next database of the selected ltx-tui: the Timeline pane on that
/// database (selected in the databases table too), its window listed by the host's
/// `ltx_timeline`. Read-only, so no confirmation.
fn remote_timeline(state: &mut AppState) -> Vec<Effect> {
    let Some(server) = state.mcp.selected_server() else {
        return vec![];
    };
    let Some(fleet) = server.fleet.as_ref().filter(|f| !f.databases.is_empty()) else {
        return vec![];
    };
    let i = state.mcp.remote_db % fleet.databases.len();
    let db = RemoteDbRef {
        host: server.name.clone(),
        path: fleet.databases[i].database.clone(),
    };
    state.mcp.remote_db = i + 1;
    state.select_remote(&db);
    state.timeline.set_source(TimelineSource::Remote(db));
    state.pane = Pane::Timeline;
    state.timeline.tick(state.now);
    state
        .timeline
        .request_if_needed()
        .map(Effect::LoadTimeline)
        .into_iter()
        .collect()
}

/// Why an MCP pane action cannot run now.
pub fn disabled_reason(state: &AppState, action: Action) -> Option<String> {
    let what = action.info().description;
    let server = state.mcp.selected_server();
    match action {
        Action::McpCall | Action::McpStart | Action::McpStop | Action::McpRestart
            if server.is_none() =>
        {
            Some(format!("{what}: no MCP server configured (mcp-servers)"))
        }
        Action::McpRemoteTimeline
            if server
                .and_then(|s| s.fleet.as_ref())
                .is_none_or(|f| f.databases.is_empty()) =>
        {
            Some(format!(
                "{what}: the selected server is not a headless ltx-tui with databases"
            ))
        }
        Action::McpCall if state.mcp.calling.is_some() => {
            Some(format!("{what}: a call is running (esc cancels it)"))
        }
        Action::McpCall if state.mcp.selected_tool().is_none() => {
            Some(format!("{what}: the server lists no tools"))
        }
        Action::McpCall
            if server.is_some_and(|s| {
                !matches!(s.state, ServerState::Ready | ServerState::Degraded)
            }) =>
        {
            Some(format!(
                "{what}: {} is {}",
                server.map(|s| s.name.as_str()).unwrap_or_default(),
                server.map(|s| s.state.label()).unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// Runs an MCP pane action (already allowed by the dispatcher).
pub fn dispatch(state: &mut AppState, action: Action) -> Vec<Effect> {
    let command = |c: McpServerCommand, s: &mut AppState| -> Vec<Effect> {
        let Some(server) = s.mcp.selected_server().map(|x| x.name.clone()) else {
            return vec![];
        };
        s.toast(Meaning::Muted, format!("{} {server}…", c.verb()));
        vec![Effect::McpServer { server, command: c }]
    };
    match action {
        Action::McpCall => {
            if let Some(tool) = state.mcp.selected_tool() {
                state.mcp.form = Some(McpForm::new(tool));
                state.mcp.focus = McpFocus::Tools;
                state.mcp.tab = McpTab::Tools;
            }
            vec![]
        }
        Action::McpRemoteTimeline => remote_timeline(state),
        Action::McpStart => command(McpServerCommand::Start, state),
        Action::McpStop => command(McpServerCommand::Stop, state),
        Action::McpRestart => command(McpServerCommand::Restart, state),
        Action::McpTab => {
            state.mcp.tab = state.mcp.tab.next();
            reload_logs(state)
        }
        Action::Left => {
            state.mcp.focus = McpFocus::Servers;
            vec![]
        }
        Action::Right => {
            state.mcp.focus = McpFocus::Tools;
            vec![]
        }
        Action::Up => {
            state.mcp.move_selection(-1);
            reload_logs(state)
        }
        Action::Down => {
            state.mcp.move_selection(1);
            reload_logs(state)
        }
        Action::PageUp | Action::PageDown => {
            let step = if action == Action::PageUp { -10 } else { 10 };
            match &mut state.mcp.result {
                Some(r) if state.mcp.focus == McpFocus::Tools => {
                    r.scroll = (i32::from(r.scroll) + step).clamp(0, i32::from(u16::MAX)) as u16;
                }
                _ => state.mcp.move_selection(step as isize),
            }
            vec![]
        }
        Action::Top => {
            state.mcp.move_selection(isize::MIN / 2);
            reload_logs(state)
        }
        Action::Bottom => {
            state.mcp.move_selection(isize::MAX / 2);
            reload_logs(state)
        }
        _ => vec![],
    }
}
