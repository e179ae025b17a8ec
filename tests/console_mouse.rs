//! The mouse, driven through the real app state over the real engine: a click on a database's
//! row selects it (the row found where the view drew it), a click on the timeline puts the
//! cursor under the pointer, the wheel zooms the timeline, and nothing reaches the panes
//! while a popup is open.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console;
mod support;

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ltx_tui::tui::{Msg, Overlay, Pane, TimelineState};

use console::harness::Harness;

const SIZE: (u16, u16) = (120, 40);

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(column: u16, row: u16) -> Msg {
    mouse(MouseEventKind::Down(MouseButton::Left), column, row)
}

/// The screen row on which `needle` is drawn.
fn row_of(screen: &str, needle: &str) -> u16 {
    let row = screen
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not on the screen:\n{screen}"));
    u16::try_from(row).unwrap()
}

fn selected_name(h: &Harness) -> String {
    let db = h.state.selected_db().expect("a database is selected");
    db.path.file_name().unwrap().to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_select_rows_and_scrub_the_timeline_and_the_wheel_zooms() {
    let mut h = Harness::start(3, SIZE).await;

    // Databases: a click on the row where db2.db is drawn selects it, then db0.db.
    let screen = h.screen(SIZE);
    assert_eq!(selected_name(&h), "db0.db");
    for name in ["db2.db", "db1.db", "db0.db"] {
        h.send(click(10, row_of(&screen, name)));
        assert_eq!(selected_name(&h), name, "clicked the row of {name}");
    }
    // A click below the last row changes nothing.
    h.send(click(10, SIZE.1 - 3));
    assert_eq!(selected_name(&h), "db0.db");

    // Timeline: a click puts the cursor in the clicked column and leaves follow mode.
    h.press(KeyCode::Char('3'));
    assert_eq!(h.state.pane, Pane::Timeline);
    let columns = TimelineState::columns(SIZE.0);
    let x0 = TimelineState::lane_origin();
    for col in [columns / 4, columns / 2, 1] {
        h.send(click(x0 + col, 10));
        assert!(
            !h.state.timeline.follow,
            "a click in the past leaves follow mode"
        );
        let at = h.state.timeline.cursor_column(columns).unwrap();
        assert!(
            at.abs_diff(col) <= 1,
            "clicked column {col}, the cursor is at column {at}"
        );
    }
    // Outside the lanes (the label column) nothing moves.
    let before = h.state.timeline.cursor_column(columns);
    h.send(click(1, 10));
    assert_eq!(h.state.timeline.cursor_column(columns), before);

    // The wheel zooms: up narrows the span, down widens it back.
    let span = h.state.timeline.span();
    h.send(mouse(MouseEventKind::ScrollUp, x0 + 5, 10));
    assert!(h.state.timeline.span() < span, "wheel up zooms in");
    h.send(mouse(MouseEventKind::ScrollDown, x0 + 5, 10));
    assert_eq!(h.state.timeline.span(), span, "wheel down zooms back out");

    // With the help open, the mouse does not reach the pane.
    h.press(KeyCode::Char('?'));
    assert!(matches!(h.state.overlay, Overlay::Help { .. }));
    let (span, cursor) = (
        h.state.timeline.span(),
        h.state.timeline.cursor_column(columns),
    );
    h.send(mouse(MouseEventKind::ScrollUp, x0 + 5, 10));
    h.send(click(x0 + columns / 2, 10));
    assert_eq!(
        h.state.timeline.span(),
        span,
        "the wheel zoomed under the help"
    );
    assert_eq!(
        h.state.timeline.cursor_column(columns),
        cursor,
        "a click moved the cursor under the help"
    );
    h.stop().await;
}
