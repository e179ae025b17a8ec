//! Actions on a database of an attached headless ltx-tui: sync now, snapshot now, pause,
//! resume, sent as that host's MCP tools (`ltx_sync`, `ltx_snapshot`, `ltx_pause`,
//! `ltx_resume`). Every one asks first: the dispatcher opens a confirmation naming the
//! action, the host and the database, and only `y` or Enter sends it (`n` or Esc cancels;
//! nothing is sent without the yes). The outcome goes to a toast and the Logs pane, an error
//! also to the status line. Pure: the call is an effect.

use crossterm::event::{KeyCode, KeyEvent};
use tracing::Level;

use crate::mcp::hub::{command_tool, unavailable_reason};
use crate::ops::{ReplicationCommand, ReplicationCommandResult};

use super::action::Action;
use super::effect::Effect;
use super::fleet::RemoteDbRef;
use super::log_capture::LogLine;
use super::state::{AppState, Overlay};
use super::theme::Meaning;

/// An engine command for a remote database, waiting for the operator's yes or on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAction {
    /// The database and its host.
    pub db: RemoteDbRef,
    /// What to run there.
    pub command: ReplicationCommand,
}

impl RemoteAction {
    /// The host's tool that runs it.
    pub fn tool(&self) -> &'static str {
        command_tool(self.command)
    }

    /// What it does, for people (`sync now`, `snapshot now`, `pause`, `resume`).
    pub fn verb(&self) -> &'static str {
        match self.command {
            ReplicationCommand::Sync => "sync now",
            ReplicationCommand::Snapshot => "snapshot now",
            ReplicationCommand::Pause => "pause",
            ReplicationCommand::Resume => "resume",
        }
    }
}

/// The remote action `action` stands for on the selected remote database (pause or resume as
/// its host last reported it); `None` when the selection is local or `action` is no engine
/// command.
pub fn for_selection(state: &AppState, action: Action) -> Option<RemoteAction> {
    let row = state.selected_remote()?;
    let command = match action {
        Action::SyncNow => ReplicationCommand::Sync,
        Action::SnapshotNow => ReplicationCommand::Snapshot,
        Action::PauseResume if row.paused() => ReplicationCommand::Resume,
        Action::PauseResume => ReplicationCommand::Pause,
        _ => return None,
    };
    Some(RemoteAction {
        db: row.db_ref(),
        command,
    })
}

/// Why `action` cannot run on the selected remote database now (its host is not connected,
/// or does not offer the tool), or `None`.
pub fn disabled_reason(state: &AppState, action: Action) -> Option<String> {
    let remote = for_selection(state, action)?;
    let host = state.selected_remote()?.host;
    unavailable_reason(host, remote.tool())
        .map(|why| format!("{} on {}: {why}", remote.verb(), remote.db.label()))
}

/// Opens the confirmation of `remote`; nothing is sent yet.
pub fn ask(state: &mut AppState, remote: RemoteAction) -> Vec<Effect> {
    state.overlay = Overlay::Confirm(remote);
    vec![]
}

/// A key while the confirmation is open: `y` or Enter sends, `n`, Esc or `q` cancels, any
/// other key leaves the question open.
pub fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Confirm(remote) = &state.overlay else {
        return vec![];
    };
    let remote = remote.clone();
    match key.code {
        KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
            state.overlay = Overlay::None;
            state.toast(
                Meaning::Muted,
                format!("{} on {}…", remote.verb(), remote.db.label()),
            );
            vec![Effect::RemoteCommand(remote)]
        }
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
            state.overlay = Overlay::None;
            state.toast(
                Meaning::Muted,
                format!("{} on {}: not sent", remote.verb(), remote.db.label()),
            );
            vec![]
        }
        _ => vec![],
    }
}

/// The host answered `remote`: a toast and a log line; an error also on the status line.
pub fn on_done(
    state: &mut AppState,
    remote: &RemoteAction,
    result: Result<ReplicationCommandResult, String>,
) {
    let what = format!("{} on {}", remote.verb(), remote.db.label());
    let (level, message) = match result {
        Ok(r) => {
            let text = r.text().trim_end().to_owned();
            state.toast(Meaning::Ok, format!("{what}: {text}"));
            (Level::INFO, format!("{what}: {text}"))
        }
        Err(e) => {
            state.toast(Meaning::Error, format!("{what}: {e}"));
            state.last_error = Some(format!("{what}: {e}"));
            (Level::WARN, format!("{what} failed: {e}"))
        }
    };
    state.logs.push(LogLine {
        at: state.now,
        level,
        target: "ltx_tui::fleet".into(),
        message: format!("{message} (tool {} on {})", remote.tool(), remote.db.host),
    });
}
