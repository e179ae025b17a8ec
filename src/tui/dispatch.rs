//! The one dispatcher: every action, from a key, the palette or the mouse, goes through
//! [`dispatch`], which first asks [`disabled_reason`] (read-only mode, nothing selected, a
//! feature not available) and shows the reason as a toast instead of acting. Read-only mode is
//! enforced here and nowhere else, so no pane can leak a mutating action.

use tui_input::Input;

use crate::engine::ReplicationState;

use super::action::Action;
use super::effect::Effect;
use super::fleet::{RemoteDbRef, Selected};
use super::palette::Palette;
use super::state::{AppState, Overlay, Pane};
use super::theme::{Meaning, Theme};
use super::timeline_source::TimelineSource;
use super::wizard::WizardState;

/// Why `action` cannot run now, or `None` when it can.
pub fn disabled_reason(state: &AppState, action: Action) -> Option<String> {
    let info = action.info();
    if info.mutating && state.readonly {
        return Some(format!("{}: read-only mode (--readonly)", info.description));
    }
    let needs_db = matches!(
        action,
        Action::SyncNow | Action::SnapshotNow | Action::PauseResume | Action::Detail
    );
    if needs_db && state.selected().is_none() {
        return Some(format!("{}: no database selected", info.description));
    }
    if let Some(reason) = super::remote_action::disabled_reason(state, action) {
        return Some(reason);
    }
    if matches!(
        action,
        Action::SyncNow | Action::SnapshotNow | Action::PauseResume
    ) && state.selected_remote().is_none()
        && !state.engine_running
    {
        return Some(format!("{}: the engine is not running", info.description));
    }
    if let Some(reason) = super::mcp_update::disabled_reason(state, action) {
        return Some(reason);
    }
    match action {
        Action::Preview if state.timeline.at_cursor().txid.is_none() => {
            Some("preview: no LTX file at or before the cursor".to_owned())
        }
        Action::Restore => match remote_in_view(state) {
            Some(db) => Some(format!(
                "restore from a remote host: use its MCP restore tool (litestream_restore on {})",
                db.host
            )),
            None if state.dbs.is_empty() => Some("restore: no database configured".into()),
            None => None,
        },
        Action::PrevFile | Action::NextFile if state.timeline.file_count() == 0 => {
            Some("no LTX files in this window".into())
        }
        _ => None,
    }
}

/// Runs `action` against the state; returns the effects for the loop.
pub fn dispatch(state: &mut AppState, action: Action) -> Vec<Effect> {
    if let Some(reason) = disabled_reason(state, action) {
        state.toast(Meaning::Warn, reason);
        return vec![];
    }
    let now = state.now;
    let columns = super::timeline::TimelineState::columns(state.size.0);
    let page = i64::from(columns / 4).max(1);
    let timeline_load = |s: &mut AppState| -> Vec<Effect> {
        s.timeline
            .request_if_needed()
            .map(Effect::LoadTimeline)
            .into_iter()
            .collect()
    };
    let mcp_pane_action = matches!(
        action,
        Action::McpCall
            | Action::McpStart
            | Action::McpStop
            | Action::McpRestart
            | Action::McpTab
            | Action::McpRemoteTimeline
    ) || (state.pane == Pane::Mcp
        && matches!(
            action,
            Action::Left
                | Action::Right
                | Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        ));
    if mcp_pane_action {
        return super::mcp_update::dispatch(state, action);
    }
    match action {
        Action::Quit => {
            state.quitting = true;
            vec![Effect::Quit]
        }
        Action::Back if state.pane == Pane::Mcp && state.mcp.calling.is_some() => {
            state.mcp.calling = None;
            vec![Effect::McpCancel]
        }
        Action::Back if state.pane == Pane::Mcp && state.mcp.result.is_some() => {
            state.mcp.result = None;
            vec![]
        }
        Action::Back => {
            if !matches!(state.overlay, Overlay::None) {
                state.overlay = Overlay::None;
            } else if state.table.detail {
                state.table.detail = false;
            } else if !state.table.filter.is_empty() {
                state.table.filter.clear();
            }
            vec![]
        }
        Action::Help => {
            state.overlay = Overlay::Help {
                filter: Input::default(),
            };
            vec![]
        }
        Action::Palette => {
            state.overlay = Overlay::Palette(Palette::default());
            vec![]
        }
        Action::Goto => {
            state.overlay = Overlay::Palette(Palette::with_text("goto "));
            vec![]
        }
        Action::NextPane => show(state, state.pane.offset(1)),
        Action::PrevPane => show(state, state.pane.offset(-1)),
        Action::ShowPane(p) => show(state, p),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if state.pane != Pane::Timeline =>
        {
            move_selection(state, action);
            vec![]
        }
        Action::Left | Action::Up => {
            state.timeline.scrub(-1, columns, now);
            timeline_load(state)
        }
        Action::Right | Action::Down => {
            state.timeline.scrub(1, columns, now);
            timeline_load(state)
        }
        Action::PageUp => {
            state.timeline.scrub(-page, columns, now);
            timeline_load(state)
        }
        Action::PageDown => {
            state.timeline.scrub(page, columns, now);
            timeline_load(state)
        }
        Action::Top => {
            let back = state.timeline.span() * 4;
            let to = state.timeline.cursor - back;
            state.timeline.move_cursor_to(to, now);
            timeline_load(state)
        }
        Action::Bottom => {
            state.timeline.zoom_reset(now);
            state
                .timeline
                .request()
                .map(Effect::LoadTimeline)
                .into_iter()
                .collect()
        }
        Action::PrevFile | Action::NextFile => {
            if !state.timeline.jump_file(action == Action::NextFile, now) {
                state.toast(
                    Meaning::Muted,
                    "no more files in the loaded window: moved a span",
                );
            }
            timeline_load(state)
        }
        Action::Filter => {
            state.table.filtering = Some(Input::new(state.table.filter.clone()));
            vec![]
        }
        Action::Sort => {
            state.table.sort = state.table.sort.next();
            state.table.selected = 0;
            vec![]
        }
        Action::Detail => {
            state.table.detail = !state.table.detail;
            vec![]
        }
        Action::SyncNow | Action::SnapshotNow | Action::PauseResume => {
            if let Some(remote) = super::remote_action::for_selection(state, action) {
                return super::remote_action::ask(state, remote);
            }
            let Some(db) = state.selected_db() else {
                return vec![];
            };
            let resume = db.state == ReplicationState::Paused;
            let effect = Effect::Engine {
                action,
                resume,
                db: db.path.clone(),
            };
            state.toast(
                Meaning::Muted,
                format!("{}: {}…", action.info().description, db.name),
            );
            vec![effect]
        }
        Action::Freeze => {
            state.lag.toggle_freeze(now);
            vec![]
        }
        Action::ZoomIn | Action::ZoomOut | Action::ZoomReset if state.pane == Pane::Lag => {
            match action {
                Action::ZoomIn => state.lag.zoom_in(),
                Action::ZoomOut => state.lag.zoom_out(),
                _ => state.lag.zoom_reset(),
            }
            vec![]
        }
        Action::ZoomIn => {
            state.timeline.zoom_in(now);
            timeline_load(state)
        }
        Action::ZoomOut => {
            state.timeline.zoom_out(now);
            timeline_load(state)
        }
        Action::ZoomReset => {
            state.timeline.zoom_reset(now);
            timeline_load(state)
        }
        Action::Preview => {
            let Some(txid) = state.timeline.at_cursor().txid else {
                return vec![];
            };
            let db = match state.timeline.source.clone() {
                Some(TimelineSource::Local(db)) => db,
                Some(TimelineSource::Remote(db)) => {
                    let newest = state.remote_db(&db).and_then(|r| r.replica_txid());
                    state.toast(
                        Meaning::Muted,
                        format!("preview at TXID {txid} on {}…", db.label()),
                    );
                    return vec![Effect::RemotePreview {
                        db,
                        txid,
                        compare: newest.filter(|n| *n != txid),
                    }];
                }
                None => return vec![],
            };
            let now = state
                .dbs
                .iter()
                .find(|d| d.path == db)
                .and_then(|d| d.replica_txid);
            state.toast(Meaning::Muted, format!("preview at TXID {txid}…"));
            vec![Effect::Preview {
                db,
                txid,
                compare: now.filter(|n| *n != txid),
            }]
        }
        Action::Restore => {
            open_wizard(state);
            vec![]
        }
        Action::LogLevel => {
            state.logs.cycle_level();
            vec![]
        }
        Action::Follow => {
            state.logs.toggle_follow();
            vec![]
        }
        Action::Suspend => vec![Effect::Suspend],
        Action::CycleTheme => {
            state.theme = state.theme.next();
            state.toast(Meaning::Muted, format!("theme {}", state.theme.name));
            vec![]
        }
        // Handled above.
        Action::McpCall
        | Action::McpStart
        | Action::McpStop
        | Action::McpRestart
        | Action::McpTab
        | Action::McpRemoteTimeline => vec![],
    }
}

/// Switches theme by name (palette `theme NAME`).
pub fn set_theme(state: &mut AppState, name: &str) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    state.theme = Theme::named(name, no_color, false);
}

fn show(state: &mut AppState, pane: Pane) -> Vec<Effect> {
    state.pane = pane;
    if pane == Pane::Mcp {
        return super::mcp_update::reload_logs(state);
    }
    if pane == Pane::Timeline {
        state.timeline.tick(state.now);
        return state
            .timeline
            .request_if_needed()
            .map(Effect::LoadTimeline)
            .into_iter()
            .collect();
    }
    vec![]
}

fn move_selection(state: &mut AppState, action: Action) {
    if state.pane == Pane::Logs {
        let page = isize::try_from(state.size.1.saturating_sub(6))
            .unwrap_or(1)
            .max(1);
        match action {
            Action::Up => state.logs.scroll_by(1),
            Action::Down => state.logs.scroll_by(-1),
            Action::PageUp => state.logs.scroll_by(page),
            Action::PageDown => state.logs.scroll_by(-page),
            Action::Top => state.logs.scroll_by(isize::MAX / 2),
            _ => {
                state.logs.follow = true;
                state.logs.scroll = 0;
            }
        }
        return;
    }
    let rows = state.visible_dbs().len() + state.fleet_rows().len();
    let last = rows.saturating_sub(1);
    let sel = &mut state.table.selected;
    *sel = match action {
        Action::Up => sel.saturating_sub(1),
        Action::Down => (*sel + 1).min(last),
        Action::PageUp => sel.saturating_sub(10),
        Action::PageDown => (*sel + 10).min(last),
        Action::Top => 0,
        _ => last,
    };
    follow_selection(state);
}

/// Shows the selected database, local or remote, on the timeline.
pub(super) fn follow_selection(state: &mut AppState) {
    let source = match state.selected() {
        Some(Selected::Local(db)) => TimelineSource::Local(db.path.clone()),
        Some(Selected::Remote(row)) => TimelineSource::Remote(row.db_ref()),
        None => return,
    };
    state.timeline.set_source(source);
}

/// The remote database the visible pane is about: the timeline's, or the table's selection.
fn remote_in_view(state: &AppState) -> Option<RemoteDbRef> {
    match state.pane {
        Pane::Timeline => state
            .timeline
            .source
            .as_ref()
            .and_then(TimelineSource::remote)
            .cloned(),
        _ => state.selected_remote().map(|r| r.db_ref()),
    }
}

fn open_wizard(state: &mut AppState) {
    let dbs: Vec<_> = state
        .dbs
        .iter()
        .map(|d| (d.path.clone(), d.name.clone()))
        .collect();
    let selected_path = match state.pane {
        Pane::Timeline => state
            .timeline
            .source
            .as_ref()
            .and_then(TimelineSource::local)
            .cloned(),
        _ => state.selected_db().map(|d| d.path.clone()),
    };
    let selected = selected_path
        .and_then(|p| dbs.iter().position(|(q, _)| *q == p))
        .unwrap_or(0);
    let cursor = (state.pane == Pane::Timeline)
        .then(|| (state.timeline.cursor, state.timeline.at_cursor().txid));
    state.overlay = Overlay::Wizard(Box::new(WizardState::new(dbs, selected, cursor)));
}
