//! Popups: the searchable `?` help (generated from the binding registry, with disabled
//! bindings and their reasons), the `:` palette, the confirmation of an action on a remote
//! database, and read-only reports.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use tui_input::Input;

use super::super::action::Action;
use super::super::dispatch::disabled_reason;
use super::super::fuzzy::fuzzy_score;
use super::super::palette::Palette;
use super::super::remote_action::RemoteAction;
use super::super::state::AppState;
use super::super::theme::Meaning;
use super::{block, centered};

/// The rows of the help: (keys, action, panes label), filtered by `filter` over keys, name
/// and description.
pub fn help_rows(state: &AppState, filter: &str) -> Vec<(String, Action, String)> {
    let mut rows: Vec<(String, Action, String)> = Vec::new();
    for action in Action::ALL {
        let keys: Vec<String> = state
            .keymap
            .keys_for(action, None)
            .iter()
            .map(ToString::to_string)
            .collect();
        let panes: Vec<&str> = state
            .keymap
            .bindings()
            .iter()
            .filter(|b| b.action == action)
            .flat_map(|b| b.panes.iter().map(|p| p.title()))
            .collect();
        let mut panes = panes;
        panes.dedup();
        let where_ = if panes.is_empty() {
            "everywhere".to_owned()
        } else {
            panes.join(", ")
        };
        let keys_text = if keys.is_empty() {
            "(unbound)".to_owned()
        } else {
            keys.join(" ")
        };
        let info = action.info();
        let haystack = format!("{keys_text} {} {}", info.name, info.description);
        let matches = filter.is_empty()
            || keys.iter().any(|k| k == filter)
            || fuzzy_score(filter, &haystack).is_some();
        if matches {
            rows.push((keys_text, action, where_));
        }
    }
    rows
}

pub(super) fn help(state: &AppState, filter: &Input, frame: &mut Frame, body: Rect) {
    let t = &state.theme;
    let area = centered(body, 100, body.height.saturating_sub(2).max(10));
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled("search: ", t.style(Meaning::Muted)),
        Span::styled(filter.value().to_owned(), t.style(Meaning::Important)),
        Span::styled(t.glyphs.caret(), t.style(Meaning::Cursor)),
        Span::styled(
            "   type to filter by key, name or description; esc closes",
            t.style(Meaning::Muted),
        ),
    ])];
    for (keys, action, where_) in help_rows(state, filter.value()) {
        let info = action.info();
        let reason = disabled_reason(state, action);
        let (key_style, desc_style) = if reason.is_some() {
            (t.style(Meaning::Disabled), t.style(Meaning::Muted))
        } else {
            (t.style(Meaning::Key), t.style(Meaning::Base))
        };
        let mut spans = vec![
            Span::styled(format!("{keys:>16} "), key_style),
            Span::styled(format!("{:<26}", info.description), desc_style),
            Span::styled(format!("{:<20}", info.name), t.style(Meaning::Muted)),
            Span::styled(where_, t.style(Meaning::Muted)),
        ];
        if let Some(r) = reason {
            let short = r.split_once(": ").map_or(r.as_str(), |(_, b)| b).to_owned();
            spans.push(Span::styled(format!("  ({short})"), t.style(Meaning::Warn)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).block(block(t, " Help ")), area);
}

pub(super) fn palette(state: &AppState, p: &Palette, frame: &mut Frame, body: Rect) {
    let t = &state.theme;
    let area = centered(body, 70, 14);
    frame.render_widget(Clear, area);
    let names: Vec<String> = state.dbs.iter().map(|d| d.name.clone()).collect();
    let items = p.items(&names);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.style(Meaning::Key)),
        Span::styled(p.input.value().to_owned(), t.style(Meaning::Important)),
        Span::styled(t.glyphs.caret(), t.style(Meaning::Cursor)),
    ])];
    let visible = usize::from(area.height.saturating_sub(3));
    let sel = p.selected.min(items.len().saturating_sub(1));
    let first = sel.saturating_sub(visible.saturating_sub(1));
    for (i, item) in items.iter().enumerate().skip(first).take(visible) {
        let style = if i == sel {
            t.style(Meaning::Selected)
        } else {
            t.style(Meaning::Base)
        };
        lines.push(Line::styled(format!(" {}", item.label), style));
    }
    if items.is_empty() {
        lines.push(Line::styled(" no match", t.style(Meaning::Muted)));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(
            t,
            " Command palette (enter runs, tab completes, esc closes) ",
        )),
        area,
    );
}

/// The question before an action on a remote database: what, on which host, which database,
/// through which tool.
pub(super) fn confirm(state: &AppState, remote: &RemoteAction, frame: &mut Frame, body: Rect) {
    let t = &state.theme;
    let row = |label: &str, value: String, meaning: Meaning| {
        Line::from(vec![
            Span::styled(format!("  {label:<10}"), t.style(Meaning::Muted)),
            Span::styled(value, t.style(meaning)),
        ])
    };
    let lines = vec![
        Line::styled(
            format!("{} on a remote host?", capitalised(remote.verb())),
            t.style(Meaning::Important),
        ),
        Line::raw(""),
        row("host", remote.db.host.clone(), Meaning::Important),
        row("database", remote.db.path.clone(), Meaning::Base),
        row("tool", remote.tool().to_owned(), Meaning::Base),
        Line::raw(""),
        Line::from(vec![
            Span::styled("y", t.style(Meaning::Key)),
            Span::styled(" or ", t.style(Meaning::Muted)),
            Span::styled("enter", t.style(Meaning::Key)),
            Span::styled(" sends it   ", t.style(Meaning::Muted)),
            Span::styled("n", t.style(Meaning::Key)),
            Span::styled(" or ", t.style(Meaning::Muted)),
            Span::styled("esc", t.style(Meaning::Key)),
            Span::styled(" cancels", t.style(Meaning::Muted)),
        ]),
    ];
    let area = centered(body, 64, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(
                t,
                format!(" Confirm: {} on {} ", remote.verb(), remote.db.host),
            )),
        area,
    );
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub(super) fn report(
    state: &AppState,
    title: &str,
    lines: &[String],
    frame: &mut Frame,
    body: Rect,
) {
    let t = &state.theme;
    let h = (lines.len() as u16 + 2).min(body.height);
    let area = centered(body, 70, h.max(3));
    frame.render_widget(Clear, area);
    let text: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(block(t, format!(" {title} "))),
        area,
    );
}
