//! The frame around the panes: tab bar, status bar, key-hint bar, toasts, and the "terminal
//! too small" screen.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::super::action::Action;
use super::super::dispatch::disabled_reason;
use super::super::fleet::Selected;
use super::super::state::{AppState, Overlay, Pane};
use super::super::theme::Meaning;
use super::{MIN_HEIGHT, MIN_WIDTH, block};

pub(super) fn too_small(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let text = vec![
        Line::styled("terminal too small", t.style(Meaning::Warn)),
        Line::raw(format!(
            "need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
            area.width, area.height
        )),
        Line::styled("q quits", t.style(Meaning::Muted)),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let inner = Rect::new(
        area.x,
        area.y + y,
        area.width,
        area.height.saturating_sub(y),
    );
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
}

pub(super) fn tabs(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let mut spans = vec![Span::styled(" ltx-tui ", t.style(Meaning::Title))];
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let style = if *pane == state.pane && !state.first_run {
            t.style(Meaning::Selected)
        } else {
            t.style(Meaning::Muted)
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{} {}", i + 1, pane.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let mut badges = Vec::new();
    if state.demo {
        badges.push(Span::styled(" DEMO ", t.style(Meaning::Badge)));
        badges.push(Span::raw(" "));
    }
    if state.readonly {
        badges.push(Span::styled(" READ-ONLY ", t.style(Meaning::Badge)));
    }
    if !badges.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(badges)).alignment(Alignment::Right),
            area,
        );
    }
}

pub(super) fn status(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let sep = Span::styled(
        format!(" {} ", t.glyphs.separator()),
        t.style(Meaning::Muted),
    );
    let engine = if state.first_run {
        Span::styled("no configuration", t.style(Meaning::Muted))
    } else if state.engine_running {
        Span::styled("engine running", t.style(Meaning::Ok))
    } else {
        Span::styled("engine stopped", t.style(Meaning::Warn))
    };
    let mut spans = vec![Span::raw(" "), engine];
    match state.selected() {
        Some(Selected::Local(db)) => {
            spans.push(sep.clone());
            spans.push(Span::styled(db.name.clone(), t.style(Meaning::Important)));
            spans.push(Span::styled(
                format!(" {}", db.state.label()),
                t.style(Meaning::Muted),
            ));
        }
        Some(Selected::Remote(row)) => {
            spans.push(sep.clone());
            spans.push(Span::styled(
                row.db_ref().label(),
                t.style(Meaning::Important),
            ));
            spans.push(Span::styled(
                format!(" {}", row.db.state),
                t.style(Meaning::Muted),
            ));
        }
        None => {}
    }
    let errors = state.dbs.iter().filter(|d| d.last_error.is_some()).count();
    spans.push(sep.clone());
    spans.push(Span::styled(
        format!("{} db, {errors} with errors", state.dbs.len()),
        t.style(if errors > 0 {
            Meaning::Error
        } else {
            Meaning::Muted
        }),
    ));
    if let Some(e) = &state.last_error {
        spans.push(sep);
        spans.push(Span::styled(
            format!("last error: {e}"),
            t.style(Meaning::Error),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn hints(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut seen: Vec<Action> = Vec::new();
    if state.first_run {
        spans.push(Span::styled("d", t.style(Meaning::Key)));
        spans.push(Span::raw(" start the demo  "));
    }
    if matches!(state.overlay, Overlay::Confirm(_)) {
        for (key, desc) in [("y/enter", "send"), ("n/esc", "cancel")] {
            spans.push(Span::styled(key, t.style(Meaning::Key)));
            spans.push(Span::styled(format!(" {desc}  "), t.style(Meaning::Muted)));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if state.pane == super::super::state::Pane::Mcp
        && (state.mcp.form.is_some() || state.mcp.confirm.is_some())
    {
        let keys: &[(&str, &str)] = if state.mcp.confirm.is_some() {
            &[("y", "call"), ("other", "cancel")]
        } else {
            &super::super::mcp_form::KEY_HINTS
        };
        for (key, desc) in keys {
            spans.push(Span::styled(*key, t.style(Meaning::Key)));
            spans.push(Span::styled(format!(" {desc}  "), t.style(Meaning::Muted)));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut width = 1usize;
    for b in state.keymap.hints(state.pane) {
        if seen.contains(&b.action) || (state.first_run && b.action != Action::Quit) {
            continue;
        }
        seen.push(b.action);
        let key = b.key.to_string();
        let desc = b.action.info().description;
        let len = key.len() + desc.chars().count() + 3;
        if width + len > usize::from(area.width) {
            break;
        }
        width += len;
        let disabled = disabled_reason(state, b.action).is_some();
        spans.push(Span::styled(
            key,
            t.style(if disabled {
                Meaning::Disabled
            } else {
                Meaning::Key
            }),
        ));
        spans.push(Span::styled(
            format!(" {desc}  "),
            t.style(if disabled {
                Meaning::Disabled
            } else {
                Meaning::Muted
            }),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn toasts(state: &AppState, frame: &mut Frame, body: Rect) {
    let t = &state.theme;
    let live: Vec<_> = state
        .toasts
        .iter()
        .filter(|x| x.until > state.now)
        .collect();
    let width = (body.width / 2).max(30).min(body.width);
    let mut y = body.y + 1;
    for toast in live.iter().rev() {
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let h = (toast.text.chars().count().div_ceil(inner) as u16 + 2).min(5);
        if y + h > body.bottom() {
            break;
        }
        let area = Rect::new(body.right().saturating_sub(width + 1), y, width, h);
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(Span::styled(toast.text.clone(), t.style(toast.meaning)))
                .wrap(Wrap { trim: true })
                .block(block(t, "")),
            area,
        );
        y += h;
    }
}
