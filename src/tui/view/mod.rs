//! Drawing: `draw(state, frame)` is a pure function of the state. The screen is a tab bar, the
//! visible pane, a status bar and a key-hint bar; popups (help, palette, wizard, reports) and
//! toasts go on top. Below [`MIN_WIDTH`]×[`MIN_HEIGHT`] a "terminal too small" screen is drawn
//! instead, whatever the state.

mod chrome;
mod databases;
mod first_run;
mod lag;
mod logs;
mod mcp;
mod popups;
mod timeline;
mod wizard;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::state::{AppState, Overlay, Pane};
use super::theme::{Meaning, Theme};

/// The smallest terminal the console draws its panes in.
pub const MIN_WIDTH: u16 = 60;
/// The smallest terminal height.
pub const MIN_HEIGHT: u16 = 15;

/// Draws the whole screen.
pub fn draw(state: &AppState, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        chrome::too_small(state, frame, area);
        return;
    }
    let [tabs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::tabs(state, frame, tabs);
    if state.first_run {
        first_run::draw(state, frame, body);
    } else {
        match state.pane {
            Pane::Databases => databases::draw(state, frame, body),
            Pane::Lag => lag::draw(state, frame, body),
            Pane::Timeline => timeline::draw(state, frame, body),
            Pane::Logs => logs::draw(state, frame, body),
            Pane::Mcp => mcp::draw(state, frame, body),
        }
    }
    chrome::status(state, frame, status);
    chrome::hints(state, frame, hints);
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help { filter } => popups::help(state, filter, frame, body),
        Overlay::Palette(p) => popups::palette(state, p, frame, body),
        Overlay::Wizard(w) => wizard::draw(state, w, frame, body),
        Overlay::Confirm(remote) => popups::confirm(state, remote, frame, body),
        Overlay::Report { title, lines } => popups::report(state, title, lines, frame, body),
    }
    chrome::toasts(state, frame, body);
    if state.theme.glyphs.ascii {
        asciify(frame.buffer_mut());
    }
}

/// The area the panes are drawn in, on a terminal of `size` (below the tab bar, above the
/// status and hint bars).
pub(crate) fn body_area(size: (u16, u16)) -> Rect {
    Rect::new(0, 1, size.0, size.1.saturating_sub(3))
}

/// The databases table's selection index of the row drawn at (`x`, `y`), for mouse clicks.
pub(crate) fn databases_row_at(state: &AppState, x: u16, y: u16) -> Option<usize> {
    databases::row_at(state, x, y)
}

/// Replaces every non-ASCII glyph left by widgets (chart axes and markers, symbols in data)
/// with an ASCII look-alike, for fonts and terminals without box or braille glyphs.
fn asciify(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let ascii = match symbol.chars().next().unwrap_or(' ') {
            '│' | '┃' | '▏' | '▕' => "|",
            '─' | '━' => "-",
            '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => "+",
            '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' => "#",
            '…' => ".",
            '•' | '⠀'..='⣿' => "*",
            _ => "?",
        };
        cell.set_symbol(ascii);
    }
}

/// A bordered block in the theme.
pub(crate) fn block<'a>(theme: &Theme, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(theme.glyphs.border())
        .border_style(theme.style(Meaning::Muted))
        .title(title.into().style(theme.style(Meaning::Title)))
}

/// A time as `HH:MM:SS` (UTC).
pub(crate) fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// A label and a value, for detail views.
pub(crate) fn field<'a>(theme: &Theme, label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<14}"), theme.style(Meaning::Muted)),
        Span::styled(value, theme.style(Meaning::Base)),
    ])
}
