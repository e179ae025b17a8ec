//! `update(state, msg) -> effects`: the pure heart of the console. Keys go to the open popup
//! first (help search, palette, wizard, filter), then through the keymap to the dispatcher.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use tui_input::InputRequest;

use crate::engine::EngineEvent;

use super::action::Action;
use super::dispatch::{dispatch, set_theme};
use super::effect::Effect;
use super::keymap::KeyChord;
use super::msg::Msg;
use super::palette::{PaletteCommand, parse_time};
use super::state::{AppState, Overlay, Pane};
use super::theme::Meaning;
use super::timeline::TimelineState;
use super::timeline_source::TimelineSource;
use super::wizard::{WizardEffect, WizardEvent, WizardStep};

/// Applies `msg` to `state`; returns what the loop must do. Sets `state.dirty` when the screen
/// needs drawing.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let mut redraw = true;
    let effects = match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key),
        Msg::Key(_) => {
            redraw = false;
            vec![]
        }
        Msg::Mouse(mouse) => on_mouse(state, mouse),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            vec![]
        }
        Msg::Tick => {
            state.toasts.retain(|t| t.until > state.now);
            state.timeline.tick(state.now);
            vec![]
        }
        Msg::Snapshot(snapshot) => {
            redraw = state.apply_snapshot(&snapshot);
            vec![]
        }
        Msg::Engine(event) => on_engine_event(state, event, &mut redraw),
        Msg::Log(line) => {
            redraw = state.pane == Pane::Logs;
            state.logs.push(line);
            vec![]
        }
        Msg::EngineReply { action, db, result } => {
            match result {
                Ok(text) => state.toast(
                    Meaning::Ok,
                    format!("{}: {db}: {text}", action.info().description),
                ),
                Err(e) => {
                    state.toast(
                        Meaning::Error,
                        format!("{}: {db}: {e}", action.info().description),
                    );
                    state.last_error = Some(e);
                }
            }
            vec![]
        }
        Msg::RemoteCommandDone { action, result } => {
            super::remote_action::on_done(state, &action, result);
            let shown = TimelineSource::Remote(action.db);
            if state.timeline.source.as_ref() == Some(&shown) {
                return refresh_timeline(state);
            }
            vec![]
        }
        Msg::TimelineLoaded { seq, result } => {
            if let Err(e) = &result {
                state.last_error = Some(e.clone());
            }
            state
                .timeline
                .loaded(seq, result)
                .map(Effect::LoadTimeline)
                .into_iter()
                .collect()
        }
        Msg::PreviewLoaded(result) => {
            match result {
                Ok(r) => {
                    state.overlay = Overlay::Report {
                        title: format!("Preview at TXID {}", r.txid),
                        lines: preview_lines(&r),
                    };
                }
                Err(e) => state.toast(Meaning::Error, format!("preview: {e}")),
            }
            vec![]
        }
        Msg::Wizard(event) => wizard_event(state, event),
        Msg::Hub(snapshot) => {
            let (effects, changed) = super::mcp_update::on_hub(state, *snapshot);
            redraw = changed;
            effects
        }
        Msg::McpCallDone {
            server,
            tool,
            result,
        } => {
            super::mcp_update::on_call_done(state, server, tool, result);
            vec![]
        }
        Msg::McpLogs {
            server,
            stderr,
            wire,
            seqs,
        } => {
            redraw = super::mcp_update::on_logs(state, server, stderr, wire, seqs);
            vec![]
        }
        Msg::McpCommandFailed(e) => {
            state.toast(Meaning::Error, e);
            vec![]
        }
        Msg::Quit => {
            state.quitting = true;
            vec![Effect::Quit]
        }
    };
    state.dirty |= redraw;
    effects
}

/// The preview report: every table with its rows at the point, then what changed since.
pub fn preview_lines(r: &crate::ops::PreviewResult) -> Vec<String> {
    use crate::ops::TableChange;
    let mut lines = vec![format!(
        "{} pages of {} B; {} schema objects",
        r.page_count,
        r.page_size,
        r.tables.len()
    )];
    for t in &r.tables {
        let rows = t
            .row_count
            .map_or_else(String::new, |n| format!("{n} rows"));
        lines.push(format!("  {:<24} {:<8} {rows}", t.name, t.kind));
    }
    if let Some(diff) = &r.diff {
        lines.push(String::new());
        lines.push(format!(
            "changes from {} to now ({}):",
            diff.from_txid, diff.to_txid
        ));
        let mut any = false;
        for t in diff
            .tables
            .iter()
            .filter(|t| t.change != TableChange::Unchanged)
        {
            any = true;
            let rows = match (t.rows_before, t.rows_after) {
                (Some(a), Some(b)) => format!("{a} -> {b} rows"),
                (None, Some(b)) => format!("{b} rows"),
                (Some(a), None) => format!("had {a} rows"),
                (None, None) => String::new(),
            };
            let schema = if t.schema_changed {
                ", schema changed"
            } else {
                ""
            };
            let change = format!("{:?}", t.change).to_lowercase();
            lines.push(format!("  {:<24} {change:<9} {rows}{schema}", t.name));
        }
        if !any {
            lines.push("  nothing changed".into());
        }
    }
    lines.push(String::new());
    lines.push("any key closes".into());
    lines
}

fn on_engine_event(state: &mut AppState, event: EngineEvent, redraw: &mut bool) -> Vec<Effect> {
    *redraw = false;
    match event {
        EngineEvent::Uploaded { db, .. }
        | EngineEvent::Compacted { db, .. }
        | EngineEvent::SnapshotTaken { db, .. }
        | EngineEvent::RetentionApplied { db, .. }
            if state
                .timeline
                .source
                .as_ref()
                .and_then(TimelineSource::local)
                == Some(&db) =>
        {
            refresh_timeline(state)
        }
        EngineEvent::Error { db, message } => {
            let name = db
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            state.toast(Meaning::Error, format!("{name}: {message}"));
            state.last_error = Some(message);
            *redraw = true;
            vec![]
        }
        _ => vec![],
    }
}

/// New files arrived for the database the timeline shows: load the window again now when it
/// is on screen and follows the present, else on the next look.
pub(super) fn refresh_timeline(state: &mut AppState) -> Vec<Effect> {
    if state.pane == Pane::Timeline && state.timeline.follow {
        state.timeline.tick(state.now);
        return state
            .timeline
            .request()
            .map(Effect::LoadTimeline)
            .into_iter()
            .collect();
    }
    state.timeline.invalidate();
    vec![]
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let chord = KeyChord::from_event(&key);
    if state.first_run && matches!(state.overlay, Overlay::None) {
        return match key.code {
            KeyCode::Char('d') | KeyCode::Enter => {
                state.first_run = false;
                vec![Effect::StartDemo]
            }
            _ => match state.keymap.lookup(chord, state.pane) {
                Some(a @ (Action::Quit | Action::Help | Action::Suspend)) => dispatch(state, a),
                _ => vec![],
            },
        };
    }
    if chord == KeyChord::ctrl('c') {
        return dispatch(state, Action::Quit);
    }
    match &mut state.overlay {
        Overlay::None => {}
        Overlay::Help { filter } => {
            match key.code {
                KeyCode::Esc | KeyCode::Enter => state.overlay = Overlay::None,
                KeyCode::Char('?') if filter.value().is_empty() => state.overlay = Overlay::None,
                _ => {
                    edit(filter, &key);
                }
            }
            return vec![];
        }
        Overlay::Palette(palette) => {
            let names: Vec<String> = state.dbs.iter().map(|d| d.name.clone()).collect();
            match key.code {
                KeyCode::Esc => state.overlay = Overlay::None,
                KeyCode::Up => palette.selected = palette.selected.saturating_sub(1),
                KeyCode::Down => palette.selected += 1,
                KeyCode::Tab => {
                    if let Some(item) = palette.items(&names).get(palette.selected) {
                        let text = match &item.command {
                            PaletteCommand::Run(a) => a.info().name.to_owned(),
                            _ => item.label.split("  ").next().unwrap_or_default().to_owned(),
                        };
                        *palette = super::palette::Palette::with_text(&text);
                    }
                }
                KeyCode::Enter => {
                    let items = palette.items(&names);
                    let item = items.get(palette.selected.min(items.len().saturating_sub(1)));
                    let command = item.map(|i| i.command.clone());
                    state.overlay = Overlay::None;
                    return match command {
                        Some(c) => run_palette(state, c),
                        None => {
                            state.toast(Meaning::Warn, "no command matches");
                            vec![]
                        }
                    };
                }
                _ => {
                    if edit(&mut palette.input, &key) {
                        palette.selected = 0;
                    }
                }
            }
            return vec![];
        }
        Overlay::Wizard(w) => {
            let typing = matches!(w.step, WizardStep::Target | WizardStep::Confirm)
                || (w.step == WizardStep::Point
                    && matches!(
                        w.point,
                        super::wizard::PointChoice::Txid | super::wizard::PointChoice::Time
                    ));
            let event = match key.code {
                KeyCode::Esc => Some(WizardEvent::Esc),
                KeyCode::Char('q') if !typing => Some(WizardEvent::Esc),
                KeyCode::Enter => Some(WizardEvent::Enter),
                KeyCode::Tab | KeyCode::BackTab => Some(WizardEvent::Tab),
                KeyCode::Up => Some(WizardEvent::Up),
                KeyCode::Down => Some(WizardEvent::Down),
                KeyCode::Char('k') if !typing => Some(WizardEvent::Up),
                KeyCode::Char('j') if !typing => Some(WizardEvent::Down),
                KeyCode::Left => Some(WizardEvent::Left),
                KeyCode::Right => Some(WizardEvent::Right),
                KeyCode::Backspace => Some(WizardEvent::Backspace),
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(WizardEvent::Char(c))
                }
                _ => None,
            };
            return event.map(|e| wizard_event(state, e)).unwrap_or_default();
        }
        Overlay::Confirm(_) => return super::remote_action::on_key(state, key),
        Overlay::Report { .. } => {
            state.overlay = Overlay::None;
            return vec![];
        }
    }
    if matches!(state.overlay, Overlay::None)
        && let Some(effects) = super::mcp_update::on_key(state, key)
    {
        return effects;
    }
    if let Some(input) = &mut state.table.filtering {
        match key.code {
            KeyCode::Esc => state.table.filtering = None,
            KeyCode::Enter => {
                state.table.filter = input.value().to_owned();
                state.table.filtering = None;
            }
            _ => {
                edit(input, &key);
                state.table.selected = 0;
            }
        }
        return vec![];
    }
    match state.keymap.lookup(chord, state.pane) {
        Some(action) => dispatch(state, action),
        None => vec![],
    }
}

/// Feeds an editing key to a text field; returns whether it was one.
fn edit(input: &mut tui_input::Input, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let req = match key.code {
        KeyCode::Char('w') if ctrl => InputRequest::DeletePrevWord,
        KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
        KeyCode::Char(c) if !ctrl => InputRequest::InsertChar(c),
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        _ => return false,
    };
    input.handle(req);
    true
}

fn run_palette(state: &mut AppState, command: PaletteCommand) -> Vec<Effect> {
    match command {
        PaletteCommand::Run(action) => dispatch(state, action),
        PaletteCommand::Theme(name) => {
            set_theme(state, name);
            vec![]
        }
        PaletteCommand::Db(i) => {
            if let Some(db) = state.dbs.get(i).map(|d| d.path.clone()) {
                state.table.filter.clear();
                state.table.selected = i;
                state.timeline.set_db(db);
            }
            vec![]
        }
        PaletteCommand::Goto(text) => {
            let now: DateTime<Utc> = state.now.into();
            match parse_time(&text, now) {
                Some(t) => {
                    state.pane = Pane::Timeline;
                    state.timeline.goto(t, state.now);
                    state
                        .timeline
                        .request_if_needed()
                        .map(Effect::LoadTimeline)
                        .into_iter()
                        .collect()
                }
                None => {
                    state.toast(
                        Meaning::Warn,
                        format!(
                            "goto: {text:?} is not a time (HH:MM, YYYY-MM-DD HH:MM, RFC 3339; UTC)"
                        ),
                    );
                    vec![]
                }
            }
        }
    }
}

fn wizard_event(state: &mut AppState, event: WizardEvent) -> Vec<Effect> {
    let now: DateTime<Utc> = state.now.into();
    let Overlay::Wizard(w) = &mut state.overlay else {
        return vec![];
    };
    let mut effects = Vec::new();
    for fx in w.handle(event, now) {
        match fx {
            WizardEffect::Close => state.overlay = Overlay::None,
            WizardEffect::Run { .. } if state.readonly => {
                // Defence in depth: the dispatcher never opens the wizard in read-only mode.
                state.overlay = Overlay::None;
                state.toast(Meaning::Warn, "restore: read-only mode (--readonly)");
                return vec![];
            }
            other => effects.push(Effect::Wizard(other)),
        }
        if matches!(state.overlay, Overlay::None) {
            break;
        }
    }
    effects
}

fn on_mouse(state: &mut AppState, mouse: MouseEvent) -> Vec<Effect> {
    if !matches!(state.overlay, Overlay::None) {
        return vec![];
    }
    let (x, y) = (mouse.column, mouse.row);
    match (state.pane, mouse.kind) {
        (Pane::Timeline, MouseEventKind::ScrollUp) => dispatch(state, Action::ZoomIn),
        (Pane::Timeline, MouseEventKind::ScrollDown) => dispatch(state, Action::ZoomOut),
        (Pane::Lag, MouseEventKind::ScrollUp) => dispatch(state, Action::ZoomIn),
        (Pane::Lag, MouseEventKind::ScrollDown) => dispatch(state, Action::ZoomOut),
        (_, MouseEventKind::ScrollUp) => dispatch(state, Action::Up),
        (_, MouseEventKind::ScrollDown) => dispatch(state, Action::Down),
        (Pane::Timeline, MouseEventKind::Down(_) | MouseEventKind::Drag(_)) => {
            let x0 = TimelineState::lane_origin();
            let columns = TimelineState::columns(state.size.0);
            if x < x0 || x >= x0 + columns {
                return vec![];
            }
            let offset = i64::from(x - x0);
            let span = state.timeline.span().num_milliseconds();
            let at = state.timeline.start()
                + chrono::TimeDelta::milliseconds(span * offset / i64::from(columns));
            state.timeline.move_cursor_to(at, state.now);
            vec![]
        }
        (Pane::Databases, MouseEventKind::Down(_)) => {
            if let Some(row) = super::view::databases_row_at(state, x, y) {
                state.table.selected = row;
                super::dispatch::follow_selection(state);
            }
            vec![]
        }
        _ => vec![],
    }
}
