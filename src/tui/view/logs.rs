//! The Logs pane: the console's own tracing events, filtered by level, following the newest
//! line or frozen where the person scrolled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tracing::Level;

use super::super::state::AppState;
use super::super::theme::Meaning;
use super::{block, hms};

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let v = &state.logs;
    let lines = v.filtered();
    let height = usize::from(area.height.saturating_sub(2));
    let end = lines.len().saturating_sub(v.scroll);
    let start = end.saturating_sub(height);
    let mode = if v.follow {
        "following".to_owned()
    } else {
        format!("frozen, {} newer", v.scroll)
    };
    let title = format!(
        " Logs  level {} and above  {mode}  {} lines ",
        v.level,
        lines.len()
    );
    let shown: Vec<Line> = lines[start..end]
        .iter()
        .map(|l| {
            let meaning = match l.level {
                Level::ERROR => Meaning::Error,
                Level::WARN => Meaning::Warn,
                Level::INFO => Meaning::Base,
                _ => Meaning::Muted,
            };
            Line::from(vec![
                Span::styled(hms(l.at.into()), t.style(Meaning::Muted)),
                Span::styled(format!(" {:<5} ", l.level), t.style(meaning)),
                Span::styled(
                    format!("{} ", l.target.trim_start_matches("ltx_tui::")),
                    t.style(Meaning::Muted),
                ),
                Span::styled(l.message.clone(), t.style(meaning)),
            ])
        })
        .collect();
    let mut para = Paragraph::new(shown).block(block(t, title));
    if shown_is_empty(start, end) {
        para = Paragraph::new(Span::styled(
            "no log lines at this level yet",
            t.style(Meaning::Muted),
        ))
        .block(block(t, " Logs "));
    }
    frame.render_widget(para, area);
}

fn shown_is_empty(start: usize, end: usize) -> bool {
    start >= end
}
