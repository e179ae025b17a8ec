//! Snapshots of every pane, popup and restore wizard step, at 80×24 and 120×40 in the default
//! (16-colour) theme and at 80×24 in the ASCII theme, drawn from the real app state over the
//! real engine (temporary databases, `file://` replicas). The clock is fixed 3 s after the
//! newest sync; temporary paths and wall-clock times are redacted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console;
mod support;

use std::time::SystemTime;

use crossterm::event::KeyCode;
use ltx_tui::tui::{Action, LogLine, Msg, Overlay, Pane, Theme, WizardStep, dispatch};

use console::harness::Harness;

/// Dates, millisecond figures, and an upload's age (the upload finishes a moment after the
/// sync the clock is fixed to: its age rounds either way).
const FILTERS: [(&str, &str); 3] = [
    (r"\d{4}-\d{2}-\d{2}", "[DATE]"),
    (r"\d+ ms *", "[N] ms "),
    (r"upload \d+ s ago", "upload [N] s ago"),
];

fn shoot(h: &mut Harness, name: &str) {
    console::shoot::shoot(h, name, &FILTERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pane_popup_and_wizard_step() {
    let mut h = Harness::start(2, (80, 24)).await;

    shoot(&mut h, "databases");
    h.press(KeyCode::Enter);
    shoot(&mut h, "databases_detail");
    h.press(KeyCode::Esc);
    h.press(KeyCode::Char('/'));
    h.type_text("db1");
    shoot(&mut h, "databases_filter");
    h.press(KeyCode::Esc);

    h.press(KeyCode::Char('2'));
    shoot(&mut h, "lag");

    // The timeline asks ops for its window; wait for the answer.
    let effects = h.press(KeyCode::Char('3'));
    assert_eq!(
        effects.len(),
        1,
        "the timeline asks for its window: {effects:?}"
    );
    h.until("the timeline window", |m| {
        matches!(m, Msg::TimelineLoaded { .. })
    })
    .await;
    assert!(
        h.state.timeline.error.is_none(),
        "{:?}",
        h.state.timeline.error
    );
    assert!(h.state.timeline.file_count() >= 1);
    shoot(&mut h, "timeline");
    let effects = h.press(KeyCode::Char('p'));
    assert_eq!(
        effects.len(),
        1,
        "preview asks ops::preview: {:?}",
        h.state.toasts
    );
    h.until("the preview", |m| matches!(m, Msg::PreviewLoaded(_)))
        .await;
    assert!(
        matches!(h.state.overlay, Overlay::Report { .. }),
        "{:?}",
        h.state.toasts
    );
    shoot(&mut h, "preview");
    h.press(KeyCode::Esc);

    let now = h.now();
    for (i, level) in ["INFO", "WARN", "ERROR"].iter().enumerate() {
        h.send(Msg::Log(LogLine {
            at: now,
            level: level.parse().unwrap(),
            target: "ltx_tui::engine::db_task".into(),
            message: format!("line {i} at {level}"),
        }));
    }
    h.press(KeyCode::Char('4'));
    shoot(&mut h, "logs");
    h.press(KeyCode::Char('5'));
    shoot(&mut h, "mcp");

    h.press(KeyCode::Char('?'));
    shoot(&mut h, "help");
    h.type_text("zoom");
    shoot(&mut h, "help_search");
    h.press(KeyCode::Esc);
    h.press(KeyCode::Char(':'));
    h.type_text("snap");
    shoot(&mut h, "palette");
    h.press(KeyCode::Esc);

    // The wizard from the timeline cursor, through every step.
    h.press(KeyCode::Char('3'));
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Overlay::Wizard(_)));
    shoot(&mut h, "wizard_point");
    h.press(KeyCode::Esc);
    shoot(&mut h, "wizard_database");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    shoot(&mut h, "wizard_target");
    h.press(KeyCode::Enter);
    h.until("the target inspection", |m| matches!(m, Msg::Wizard(_)))
        .await;
    h.until("the plan", |m| matches!(m, Msg::Wizard(_))).await;
    shoot(&mut h, "wizard_review");
    h.press(KeyCode::Enter);
    shoot(&mut h, "wizard_running");
    h.until("the restore", |m| {
        matches!(m, Msg::Wizard(ltx_tui::tui::WizardEvent::Finished(_)))
    })
    .await;
    {
        let Overlay::Wizard(w) = &h.state.overlay else {
            panic!("wizard closed")
        };
        assert_eq!(w.step, WizardStep::Done);
        assert!(matches!(w.result, Some(Ok(_))), "{:?}", w.result);
        // The progress figures are real but timing-dependent: fix them for the picture.
    }
    shoot(&mut h, "wizard_done");
    h.press(KeyCode::Enter);

    // Again onto the file just restored: overwrite needs the typed name.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Enter);
    h.until("the target inspection", |m| matches!(m, Msg::Wizard(_)))
        .await;
    h.until("the plan", |m| matches!(m, Msg::Wizard(_))).await;
    h.press(KeyCode::Enter);
    shoot(&mut h, "wizard_confirm");
    for _ in 0..4 {
        h.press(KeyCode::Esc);
    }
    h.press(KeyCode::Esc);
    assert!(
        matches!(h.state.overlay, Overlay::None),
        "Esc backs out of every step"
    );

    shoot(&mut h, "timeline_after_wizard");
    let settings = console::shoot::settings(&h, &FILTERS);
    let tiny = h.screen((40, 10));
    settings.bind(|| insta::assert_snapshot!("too_small_40x10", tiny));

    h.state.first_run = true;
    h.state.dbs.clear();
    shoot(&mut h, "first_run");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_every_mutating_action_in_the_dispatcher() {
    let mut h = Harness::start(1, (120, 40)).await;
    h.state.readonly = true;
    let mutating: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| a.info().mutating)
        .collect();
    assert!(mutating.contains(&Action::SyncNow) && mutating.contains(&Action::Restore));
    for pane in Pane::ALL {
        h.state.pane = pane;
        for &action in &mutating {
            h.state.toasts.clear();
            let effects = dispatch(&mut h.state, action);
            assert!(
                effects.is_empty(),
                "{action:?} in {pane:?} gave {effects:?}"
            );
            assert!(
                matches!(h.state.overlay, Overlay::None),
                "{action:?} opened a popup"
            );
            assert!(
                h.state.toasts.iter().any(|t| t.text.contains("read-only")),
                "{action:?} in {pane:?} did not say why"
            );
        }
    }
    // Keys, the palette and the mouse all reach the same dispatcher.
    h.state.pane = Pane::Databases;
    for key in ['s', 'n', 'P', 'R'] {
        assert!(h.press(KeyCode::Char(key)).is_empty(), "key {key}");
    }
    h.press(KeyCode::Char(':'));
    h.type_text("db.sync_now");
    assert!(h.press(KeyCode::Enter).is_empty(), "palette");
    // Reading still works.
    let effects = h.press(KeyCode::Char('3'));
    assert_eq!(effects.len(), 1);
    h.until("the timeline window", |m| {
        matches!(m, Msg::TimelineLoaded { .. })
    })
    .await;
    let text = h.screen((120, 40));
    assert!(text.contains("READ-ONLY"), "{text}");
    let _ = SystemTime::now();
    h.stop().await;
}

/// The first frame is drawn before the engine starts: with databases configured it says they
/// are starting, never that none is configured; with none it says so.
#[test]
fn before_the_first_snapshot_the_databases_pane_says_the_engine_is_starting() {
    use ltx_tui::tui::{AppState, Keymap, view};
    use ratatui::{Terminal, backend::TestBackend};
    let screen = |configured: usize| {
        let mut state = AppState::new(
            SystemTime::UNIX_EPOCH,
            (80, 24),
            Theme::named("default", false, false),
            Keymap::default(),
        );
        state.configured_dbs = configured;
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| view::draw(&state, f)).unwrap();
        terminal.backend().to_string()
    };
    let starting = screen(2);
    assert!(
        starting.contains("starting replication of 2 databases"),
        "{starting}"
    );
    assert!(!starting.contains("no database configured"), "{starting}");
    let none = screen(0);
    assert!(none.contains("no database configured"), "{none}");
}
