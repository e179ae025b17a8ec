//! The Replication lag pane: lag of the selected database over time, in seconds and pending
//! bytes, with the warning and critical thresholds drawn as lines; `f` freezes, `+ - =` zoom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use crate::ops::humanize_bytes;

use super::super::lag_history::{CRITICAL_BYTES, CRITICAL_SECONDS, WARN_BYTES, WARN_SECONDS};
use super::super::state::AppState;
use super::super::theme::{Meaning, Theme};
use super::block;
use super::databases::lag_style;

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let Some(db) = state.selected_db() else {
        frame.render_widget(
            Paragraph::new(Span::styled("no database", t.style(Meaning::Muted)))
                .block(block(t, " Lag ")),
            area,
        );
        return;
    };
    let end = state.lag.end(state.now);
    let span = state.lag.span().as_secs_f64();
    let mut secs: Vec<(f64, f64)> = Vec::new();
    let mut bytes: Vec<(f64, f64)> = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    for s in state.lag.samples(&db.path) {
        let age = end
            .duration_since(s.at)
            .map(|d| d.as_secs_f64())
            .unwrap_or(-1.0);
        if age < 0.0 {
            continue;
        }
        let x = -age.min(span);
        if let Some((ls, lb)) = last {
            // Steps: the previous value holds until this sample.
            secs.push((x, ls));
            bytes.push((x, lb));
        }
        secs.push((x, s.seconds));
        bytes.push((x, s.pending_bytes as f64));
        last = Some((s.seconds, s.pending_bytes as f64));
    }
    if let Some((ls, lb)) = last {
        secs.push((0.0, ls));
        bytes.push((0.0, lb));
    }
    let frozen = if state.lag.frozen() { " FROZEN" } else { "" };
    let window = humantime(state.lag.span().as_secs());
    let [a, b] = if area.width >= 120 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    let title_s = Line::from(vec![
        Span::styled(format!(" {} lag ", db.name), t.style(Meaning::Title)),
        Span::styled(
            format!("{:.2} s", db.lag.seconds),
            lag_style(t, db.lag.seconds),
        ),
        Span::styled(format!(" last {window}{frozen} "), t.style(Meaning::Muted)),
    ]);
    chart(
        t,
        frame,
        a,
        title_s,
        &secs,
        span,
        (WARN_SECONDS, CRITICAL_SECONDS),
        |v| format!("{v:.1}s"),
    );
    let pb = db.lag.pending_bytes;
    let title_b = Line::from(vec![
        Span::styled(" pending ", t.style(Meaning::Title)),
        Span::styled(
            humanize_bytes(pb),
            t.style(if pb >= CRITICAL_BYTES {
                Meaning::Error
            } else if pb >= WARN_BYTES {
                Meaning::Warn
            } else {
                Meaning::Ok
            }),
        ),
        Span::styled(
            format!(" {} TXIDs ", db.lag.pending_txids),
            t.style(Meaning::Muted),
        ),
    ]);
    chart(
        t,
        frame,
        b,
        title_b,
        &bytes,
        span,
        (WARN_BYTES as f64, CRITICAL_BYTES as f64),
        |v| humanize_bytes(v as u64),
    );
}

fn humantime(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[allow(clippy::too_many_arguments)]
fn chart(
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
    title: Line<'_>,
    data: &[(f64, f64)],
    span: f64,
    (warn, critical): (f64, f64),
    label: impl Fn(f64) -> String,
) {
    let max = data.iter().map(|p| p.1).fold(0.0, f64::max);
    // Show the warning line; the critical line only when the data gets near it.
    let top = if max >= warn {
        (max * 1.2).max(warn * 1.5)
    } else {
        warn * 1.5
    };
    let warn_line = [(-span, warn), (0.0, warn)];
    let crit_line = [(-span, critical), (0.0, critical)];
    let mut sets = vec![
        Dataset::default()
            .marker(symbols::Marker::Dot)
            .graph_type(GraphType::Line)
            .style(t.style(Meaning::Warn))
            .data(&warn_line),
    ];
    if top >= critical {
        sets.push(
            Dataset::default()
                .marker(symbols::Marker::Dot)
                .graph_type(GraphType::Line)
                .style(t.style(Meaning::Error))
                .data(&crit_line),
        );
    }
    sets.push(
        Dataset::default()
            .marker(t.glyphs.marker())
            .graph_type(GraphType::Line)
            .style(t.style(if max >= critical {
                Meaning::Error
            } else if max >= warn {
                Meaning::Warn
            } else {
                Meaning::Ok
            }))
            .data(data),
    );
    let chart = Chart::new(sets)
        .block(super::block(t, title))
        .x_axis(
            Axis::default()
                .bounds([-span, 0.0])
                .style(t.style(Meaning::Muted))
                .labels([format!("-{}", humantime(span as u64)), "now".to_owned()]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .style(t.style(Meaning::Muted))
                .labels(["0".to_owned(), label(top)]),
        );
    frame.render_widget(chart, area);
}
