//! The first-run screen: no configuration was found; explain where one is looked for and
//! offer the demo.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::state::AppState;
use super::super::theme::Meaning;
use super::block;

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let lines = vec![
        Line::styled("Welcome to ltx-tui", t.style(Meaning::Title)),
        Line::raw(""),
        Line::raw(
            "ltx-tui replicates SQLite databases into object storage as Litestream-compatible LTX \
             files, shows replication as it happens, and restores any database to any point in time.",
        ),
        Line::raw(""),
        Line::styled(
            "No configuration was found. ltx-tui looked for:",
            t.style(Meaning::Muted),
        ),
        Line::raw("  --config FILE, $LTX_TUI_CONFIG, ./ltx-tui.yml,"),
        Line::raw("  ~/.config/ltx-tui/config.yml, /etc/litestream.yml"),
        Line::raw(""),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("d", t.style(Meaning::Key)),
            Span::raw(
                " to start the demo: a database with a steady write workload, replicated to a ",
            ),
            Span::raw("file:// replica in your data directory (the same as `ltx-tui demo`)."),
        ]),
        Line::from(vec![
            Span::raw("Press "),
            Span::styled("q", t.style(Meaning::Key)),
            Span::raw(" to quit, "),
            Span::styled("?", t.style(Meaning::Key)),
            Span::raw(" for help."),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(t, " First run ")),
        area,
    );
}
