//! The restore wizard's steps on screen: a step bar, the step's content, its error, and the
//! keys of the step.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::ops::humanize_bytes;
use crate::restore::RestoreTarget;

use super::super::state::AppState;
use super::super::theme::{Meaning, Theme};
use super::super::wizard::{Overwrite, PointChoice, WizardState, WizardStep};
use super::{block, centered, hms};

const STEPS: [(WizardStep, &str); 6] = [
    (WizardStep::Database, "database"),
    (WizardStep::Point, "point"),
    (WizardStep::Target, "target"),
    (WizardStep::Review, "review"),
    (WizardStep::Running, "restore"),
    (WizardStep::Done, "result"),
];

fn target_text(t: &RestoreTarget) -> String {
    match t {
        RestoreTarget::Latest => "latest".into(),
        RestoreTarget::Txid(x) => format!("TXID {x}"),
        RestoreTarget::Timestamp(ts) => {
            format!("state before {}", ts.format("%Y-%m-%d %H:%M:%S UTC"))
        }
    }
}

fn input_line<'a>(t: &Theme, label: &'a str, value: &str, active: bool) -> Line<'a> {
    let caret = if active { t.glyphs.caret() } else { "" };
    Line::from(vec![
        Span::styled(format!("{label:<10}"), t.style(Meaning::Muted)),
        Span::styled(
            format!("{value}{caret}"),
            t.style(if active {
                Meaning::Important
            } else {
                Meaning::Base
            }),
        ),
    ])
}

pub(super) fn draw(state: &AppState, w: &WizardState, frame: &mut Frame, body: Rect) {
    let t = &state.theme;
    let area = centered(body, 84, 18);
    frame.render_widget(Clear, area);
    let current = if w.step == WizardStep::Confirm {
        WizardStep::Review
    } else {
        w.step
    };
    let mut bar = Vec::new();
    for (i, (step, name)) in STEPS.iter().enumerate() {
        if i > 0 {
            bar.push(Span::styled(" > ", t.style(Meaning::Muted)));
        }
        let style = if *step == current {
            t.style(Meaning::Selected)
        } else {
            t.style(Meaning::Muted)
        };
        bar.push(Span::styled(format!("{} {name}", i + 1), style));
    }
    let mut lines = vec![Line::from(bar), Line::raw("")];
    let db_name = w.dbs.get(w.db).map(|(_, n)| n.as_str()).unwrap_or("-");
    let keys: &str = match w.step {
        WizardStep::Database => {
            for (i, (path, name)) in w.dbs.iter().enumerate() {
                let style = if i == w.db {
                    t.style(Meaning::Selected)
                } else {
                    t.style(Meaning::Base)
                };
                lines.push(Line::styled(
                    format!(" {name:<20} {}", path.display()),
                    style,
                ));
            }
            "up/down choose  enter next  esc cancel"
        }
        WizardStep::Point => {
            lines.push(Line::styled(
                format!("Restore {db_name} to:"),
                t.style(Meaning::Muted),
            ));
            for c in w.choices() {
                let label = match c {
                    PointChoice::Cursor => match w.cursor {
                        Some((at, Some(txid))) => {
                            format!("the timeline cursor: TXID {txid} ({} UTC)", hms(at))
                        }
                        Some((at, None)) => format!(
                            "the timeline cursor: {} UTC",
                            at.format("%Y-%m-%d %H:%M:%S")
                        ),
                        None => "the timeline cursor".into(),
                    },
                    PointChoice::Latest => "the latest state in the replica".into(),
                    PointChoice::Txid => "a TXID (hex)".into(),
                    PointChoice::Time => "a time (HH:MM, YYYY-MM-DD HH:MM, RFC 3339; UTC)".into(),
                };
                let style = if c == w.point {
                    t.style(Meaning::Selected)
                } else {
                    t.style(Meaning::Base)
                };
                lines.push(Line::styled(format!(" {label}"), style));
            }
            if matches!(w.point, PointChoice::Txid | PointChoice::Time) {
                lines.push(Line::raw(""));
                lines.push(input_line(t, "value", w.point_input.value(), true));
            }
            "up/down choose  type the value  enter next  esc back"
        }
        WizardStep::Target => {
            lines.push(Line::styled(
                format!("Restore {db_name} ({}) into:", target_text(&w.target)),
                t.style(Meaning::Muted),
            ));
            lines.push(input_line(t, "file", w.path.value(), true));
            let policy = match w.overwrite {
                Overwrite::Refuse => "never overwrite an existing file",
                Overwrite::Replace => "overwrite an existing file (asks to type its name)",
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<10}", "policy"), t.style(Meaning::Muted)),
                Span::styled(
                    policy,
                    t.style(if w.overwrite == Overwrite::Replace {
                        Meaning::Warn
                    } else {
                        Meaning::Base
                    }),
                ),
            ]));
            if w.busy {
                lines.push(Line::styled("checking the path…", t.style(Meaning::Muted)));
            }
            "type the path  tab overwrite policy  enter next  esc back"
        }
        WizardStep::Review | WizardStep::Confirm => {
            lines.push(Line::from(vec![
                Span::styled("restore   ", t.style(Meaning::Muted)),
                Span::raw(format!("{db_name} at {}", target_text(&w.target))),
            ]));
            lines.push(Line::from(vec![
                Span::styled("into      ", t.style(Meaning::Muted)),
                Span::raw(w.path.value().to_owned()),
                Span::styled(
                    if w.exists {
                        "  (exists: will be replaced)"
                    } else {
                        "  (new file)"
                    },
                    t.style(if w.exists {
                        Meaning::Warn
                    } else {
                        Meaning::Muted
                    }),
                ),
            ]));
            match &w.plan {
                Some(p) => {
                    lines.push(Line::from(vec![
                        Span::styled("plan      ", t.style(Meaning::Muted)),
                        Span::raw(format!(
                            "{} files ({} snapshot), {}, to TXID {} replicated {}",
                            p.files,
                            p.snapshots,
                            humanize_bytes(p.bytes),
                            p.txid,
                            p.timestamp.format("%Y-%m-%d %H:%M:%S UTC")
                        )),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled("estimate  ", t.style(Meaning::Muted)),
                        Span::raw(format!("{:.1} s", p.estimate_secs)),
                    ]));
                }
                None if w.busy => lines.push(Line::styled("planning…", t.style(Meaning::Muted))),
                None => {}
            }
            lines.push(Line::from(vec![
                Span::styled("check     ", t.style(Meaning::Muted)),
                Span::raw(format!("integrity check: {}", w.integrity.as_str())),
            ]));
            if w.step == WizardStep::Confirm {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "This replaces {}. Type its name to confirm:",
                        w.path.value()
                    ),
                    t.style(Meaning::Warn),
                ));
                lines.push(input_line(t, "name", w.confirm.value(), true));
                "type the file name  enter restore  esc back"
            } else {
                "tab integrity check  enter restore  esc back"
            }
        }
        WizardStep::Running => {
            let total = w.plan.as_ref().map_or(0, |p| p.bytes).max(1);
            let (bytes, files, elapsed_ms) = w.progress;
            let ratio = (bytes as f64 / total as f64).clamp(0.0, 1.0);
            let width = usize::from(area.width.saturating_sub(12));
            let filled = (ratio * width as f64) as usize;
            let (full, empty) = t.glyphs.bar();
            lines.push(Line::from(vec![
                Span::styled(full.repeat(filled), t.style(Meaning::Ok)),
                Span::styled(empty.repeat(width - filled), t.style(Meaning::Muted)),
                Span::raw(format!(" {:>3.0}%", ratio * 100.0)),
            ]));
            let secs = elapsed_ms as f64 / 1000.0;
            let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
            let eta = if rate > 0.0 {
                (total.saturating_sub(bytes)) as f64 / rate
            } else {
                0.0
            };
            lines.push(Line::raw(format!(
                "{files} files, {} of {}  {}/s  ETA {eta:.0} s",
                humanize_bytes(bytes),
                humanize_bytes(total),
                humanize_bytes(rate as u64)
            )));
            "the restore finishes or fails on its own; nothing is half-written"
        }
        WizardStep::Done => {
            match &w.result {
                Some(Ok(r)) => {
                    lines.push(Line::styled("Restored.", t.style(Meaning::Ok)));
                    lines.push(Line::raw(format!("file      {}", r.output.display())));
                    lines.push(Line::raw(format!("TXID      {}", r.txid)));
                    lines.push(Line::raw(format!(
                        "fetched   {} in {} ms",
                        humanize_bytes(r.bytes),
                        r.duration_ms
                    )));
                    lines.push(Line::styled(
                        if r.integrity == "none" {
                            "integrity not checked".to_owned()
                        } else {
                            format!("integrity check ({}): ok", r.integrity)
                        },
                        t.style(if r.integrity == "none" {
                            Meaning::Muted
                        } else {
                            Meaning::Ok
                        }),
                    ));
                }
                Some(Err(e)) => {
                    lines.push(Line::styled(
                        "Restore failed; nothing was written.",
                        t.style(Meaning::Error),
                    ));
                    lines.push(Line::raw(e.clone()));
                }
                None => {}
            }
            "enter or esc close"
        }
    };
    if let Some(e) = &w.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(e.clone(), t.style(Meaning::Error)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(keys, t.style(Meaning::Key)));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(t, " Restore ")),
        area,
    );
}
