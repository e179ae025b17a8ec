//! Every transition of the restore wizard, with no I/O.

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 1, 14, 30, 0).unwrap()
}

fn dbs() -> Vec<(PathBuf, String)> {
    vec![
        (PathBuf::from("/data/a.db"), "a.db".into()),
        (PathBuf::from("/data/b.db"), "b.db".into()),
    ]
}

fn plan() -> PlanSummary {
    PlanSummary {
        files: 3,
        snapshots: 1,
        bytes: 4096,
        txid: Txid(7),
        timestamp: now(),
        estimate_secs: 0.1,
    }
}

fn typed(w: &mut WizardState, text: &str) {
    for c in text.chars() {
        w.handle(WizardEvent::Char(c), now());
    }
}

fn clear_path(w: &mut WizardState) {
    for _ in 0..200 {
        w.handle(WizardEvent::Backspace, now());
    }
}

/// A wizard at the review step with a plan for a new file.
fn at_review(exists: bool, overwrite: bool) -> WizardState {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    if overwrite {
        w.handle(WizardEvent::Tab, now());
    }
    let fx = w.handle(WizardEvent::Enter, now());
    assert_eq!(
        fx,
        vec![WizardEffect::InspectTarget("/data/a.db.restored".into())]
    );
    w.handle(
        WizardEvent::TargetInspected {
            exists,
            dir_ok: true,
        },
        now(),
    );
    w.handle(WizardEvent::PlanReady(Ok(plan())), now());
    w
}

#[test]
fn database_step_moves_selects_and_escape_closes() {
    let mut w = WizardState::new(dbs(), 0, None);
    assert_eq!(w.step, WizardStep::Database);
    w.handle(WizardEvent::Down, now());
    assert_eq!(w.db, 1);
    assert_eq!(w.path.value(), "/data/b.db.restored");
    w.handle(WizardEvent::Down, now());
    assert_eq!(w.db, 1, "stops at the last database");
    w.handle(WizardEvent::Up, now());
    assert_eq!(w.db, 0);
    assert_eq!(w.handle(WizardEvent::Esc, now()), vec![WizardEffect::Close]);
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    assert_eq!(w.step, WizardStep::Point);
}

#[test]
fn database_step_without_databases_explains() {
    let mut w = WizardState::new(Vec::new(), 0, None);
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.step, WizardStep::Database);
    assert!(w.error.is_some());
}

#[test]
fn opened_from_the_timeline_it_starts_at_the_cursor_point() {
    let mut w = WizardState::new(dbs(), 1, Some((now(), Some(Txid(5)))));
    assert_eq!(w.step, WizardStep::Point);
    assert_eq!(w.point, PointChoice::Cursor);
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.target, RestoreTarget::Txid(Txid(5)));
    assert_eq!(w.step, WizardStep::Target);
    let mut w = WizardState::new(dbs(), 1, Some((now(), None)));
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.target, RestoreTarget::Timestamp(now()));
}

#[test]
fn point_step_choices_and_escape_back_to_database() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.point, PointChoice::Latest);
    w.handle(WizardEvent::Up, now());
    assert_eq!(
        w.point,
        PointChoice::Latest,
        "no cursor choice without a timeline"
    );
    w.handle(WizardEvent::Down, now());
    assert_eq!(w.point, PointChoice::Txid);
    w.handle(WizardEvent::Down, now());
    w.handle(WizardEvent::Down, now());
    assert_eq!(w.point, PointChoice::Time);
    w.handle(WizardEvent::Esc, now());
    assert_eq!(w.step, WizardStep::Database);
}

#[test]
fn typed_txid_is_validated() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Down, now());
    typed(&mut w, "zz");
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.step, WizardStep::Point);
    assert!(w.error.as_deref().unwrap().contains("not a TXID"));
    w.handle(WizardEvent::Backspace, now());
    w.handle(WizardEvent::Backspace, now());
    typed(&mut w, "a3f");
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.target, RestoreTarget::Txid(Txid(0xa3f)));
    assert_eq!(w.step, WizardStep::Target);
}

#[test]
fn typed_time_is_validated() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Down, now());
    w.handle(WizardEvent::Down, now());
    typed(&mut w, "25:99");
    w.handle(WizardEvent::Enter, now());
    assert!(w.error.as_deref().unwrap().contains("not a time"));
    for _ in 0..5 {
        w.handle(WizardEvent::Backspace, now());
    }
    typed(&mut w, "14:03");
    w.handle(WizardEvent::Enter, now());
    assert_eq!(
        w.target,
        RestoreTarget::Timestamp(Utc.with_ymd_and_hms(2026, 8, 1, 14, 3, 0).unwrap())
    );
}

#[test]
fn target_step_validates_the_path_and_escape_goes_back() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    assert_eq!(w.step, WizardStep::Target);
    clear_path(&mut w);
    w.handle(WizardEvent::Enter, now());
    assert!(w.error.is_some(), "empty path");
    typed(&mut w, "relative.db");
    assert!(w.error.is_none(), "typing clears the error");
    w.handle(WizardEvent::Enter, now());
    assert!(w.error.as_deref().unwrap().contains("absolute"));
    clear_path(&mut w);
    typed(&mut w, "/data/a.db");
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    assert!(w.error.as_deref().unwrap().contains("replicated database"));
    clear_path(&mut w);
    typed(&mut w, "/tmp/");
    w.handle(WizardEvent::Enter, now());
    assert!(w.error.as_deref().unwrap().contains("directory"));
    w.handle(WizardEvent::Esc, now());
    assert_eq!(w.step, WizardStep::Point);
}

#[test]
fn an_existing_target_is_refused_until_overwrite_is_chosen() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    let fx = w.handle(
        WizardEvent::TargetInspected {
            exists: true,
            dir_ok: true,
        },
        now(),
    );
    assert!(fx.is_empty());
    assert_eq!(w.step, WizardStep::Target);
    assert!(w.error.as_deref().unwrap().contains("Tab"));
    w.handle(WizardEvent::Tab, now());
    assert_eq!(w.overwrite, Overwrite::Replace);
    w.handle(WizardEvent::Enter, now());
    let fx = w.handle(
        WizardEvent::TargetInspected {
            exists: true,
            dir_ok: true,
        },
        now(),
    );
    assert_eq!(
        fx,
        vec![WizardEffect::Plan {
            db: "/data/a.db".into(),
            target: RestoreTarget::Latest
        }]
    );
    assert_eq!(w.step, WizardStep::Review);
}

#[test]
fn a_missing_directory_is_refused() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    w.handle(
        WizardEvent::TargetInspected {
            exists: false,
            dir_ok: false,
        },
        now(),
    );
    assert_eq!(w.step, WizardStep::Target);
    assert!(w.error.as_deref().unwrap().contains("directory"));
}

#[test]
fn review_waits_for_the_plan_cycles_the_check_and_escape_goes_back() {
    let mut w = WizardState::new(dbs(), 0, None);
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    w.handle(WizardEvent::Enter, now());
    w.handle(
        WizardEvent::TargetInspected {
            exists: false,
            dir_ok: true,
        },
        now(),
    );
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    assert!(w.error.as_deref().unwrap().contains("still"));
    w.handle(
        WizardEvent::PlanReady(Err("no matching backup files".into())),
        now(),
    );
    assert_eq!(w.error.as_deref(), Some("no matching backup files"));
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    w.handle(WizardEvent::Esc, now());
    assert_eq!(w.step, WizardStep::Target);
    let mut w = at_review(false, false);
    assert_eq!(w.integrity, IntegrityCheck::Quick);
    w.handle(WizardEvent::Tab, now());
    assert_eq!(w.integrity, IntegrityCheck::Full);
    w.handle(WizardEvent::Tab, now());
    assert_eq!(w.integrity, IntegrityCheck::None);
}

#[test]
fn review_of_a_new_file_starts_without_confirmation() {
    let mut w = at_review(false, false);
    let fx = w.handle(WizardEvent::Enter, now());
    assert_eq!(
        fx,
        vec![WizardEffect::Run {
            db: "/data/a.db".into(),
            target: RestoreTarget::Latest,
            output: "/data/a.db.restored".into(),
            force: false,
            integrity: IntegrityCheck::Quick,
        }]
    );
    assert!(w.is_running());
}

#[test]
fn overwriting_needs_the_typed_file_name() {
    let mut w = at_review(true, true);
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    assert_eq!(w.step, WizardStep::Confirm);
    typed(&mut w, "nope");
    assert!(w.handle(WizardEvent::Enter, now()).is_empty());
    assert!(w.error.as_deref().unwrap().contains("a.db.restored"));
    w.handle(WizardEvent::Esc, now());
    assert_eq!(w.step, WizardStep::Review);
    w.handle(WizardEvent::Enter, now());
    typed(&mut w, "a.db.restored");
    let fx = w.handle(WizardEvent::Enter, now());
    assert!(matches!(
        fx.as_slice(),
        [WizardEffect::Run { force: true, .. }]
    ));
}

#[test]
fn running_shows_progress_ignores_escape_and_ends_in_the_result() {
    let mut w = at_review(false, false);
    w.handle(WizardEvent::Enter, now());
    assert!(w.handle(WizardEvent::Esc, now()).is_empty());
    assert!(w.is_running());
    w.handle(
        WizardEvent::Progress {
            bytes_fetched: 2048,
            files_fetched: 1,
            elapsed_ms: 10,
        },
        now(),
    );
    assert_eq!(w.progress, (2048, 1, 10));
    let summary = RestoreSummary {
        output: "/data/a.db.restored".into(),
        txid: Txid(7),
        duration_ms: 12,
        bytes: 4096,
        integrity: "quick",
    };
    w.handle(WizardEvent::Finished(Ok(summary.clone())), now());
    assert_eq!(w.step, WizardStep::Done);
    assert_eq!(w.result, Some(Ok(summary)));
    assert_eq!(
        w.handle(WizardEvent::Enter, now()),
        vec![WizardEffect::Close]
    );
}

#[test]
fn a_failed_restore_ends_in_the_result_and_escape_closes() {
    let mut w = at_review(false, false);
    w.handle(WizardEvent::Enter, now());
    w.handle(
        WizardEvent::Finished(Err("checksum mismatch".into())),
        now(),
    );
    assert_eq!(w.result, Some(Err("checksum mismatch".into())));
    assert_eq!(w.handle(WizardEvent::Esc, now()), vec![WizardEffect::Close]);
}
