//! The Timeline pane: LTX files of L0…L3 and L9 as lanes on a time axis, the cursor, and what
//! lies under it (TXID, time, the newest file of each level and its size). A remote
//! database's timeline (listed by its host) is drawn the same way, titled with its host. Each lane row is
//! built from per-column counts ([`TimelineState::buckets`]), so drawing costs the same with
//! ten files or a hundred thousand.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::ops::humanize_bytes;

use super::super::state::AppState;
use super::super::theme::Meaning;
use super::super::timeline::{LABEL_WIDTH, LANES, TimelineState};
use super::super::timeline_source::TimelineSource;
use super::{block, hms};

fn span_label(secs: i64) -> String {
    match secs {
        s if s % 86400 == 0 => format!("{} d", s / 86400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let tl = &state.timeline;
    let name = tl
        .source
        .as_ref()
        .map_or_else(|| "no database".into(), TimelineSource::title);
    let mode = if tl.follow { "following" } else { "cursor" };
    let loading = if tl.loading { " loading…" } else { "" };
    let title = format!(
        " Timeline {name}  {} to {} UTC ({})  {mode}  {} files{loading} ",
        hms(tl.start()),
        hms(tl.end),
        span_label(tl.span().num_seconds()),
        tl.file_count()
    );
    let outer = block(t, title);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let lane_rows: u16 = if inner.height >= 20 { 2 } else { 1 };
    let lanes_h = lane_rows * LANES.len() as u16;
    let [lanes_area, axis_area, info_area] = Layout::vertical([
        Constraint::Length(lanes_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let columns = TimelineState::columns(area.width);
    let cursor_col = tl.cursor_column(columns);
    let mut lines = Vec::new();
    for (i, lane) in LANES.iter().enumerate() {
        let counts = tl.buckets(i, columns);
        let mut before = String::new();
        let mut at = String::new();
        let mut after = String::new();
        for (c, n) in counts.iter().enumerate() {
            let glyph = t.glyphs.lane(*n);
            match cursor_col.map(usize::from) {
                Some(cc) if c < cc => before.push_str(glyph),
                Some(cc) if c == cc => {
                    at.push_str(if *n == 0 { t.glyphs.cursor() } else { glyph });
                }
                Some(_) => after.push_str(glyph),
                None => before.push_str(glyph),
            }
        }
        for row in 0..lane_rows {
            let label = if row == 0 {
                format!(
                    "{:<w$}",
                    format!("L{}", lane.0),
                    w = usize::from(LABEL_WIDTH)
                )
            } else {
                " ".repeat(usize::from(LABEL_WIDTH))
            };
            lines.push(Line::from(vec![
                Span::styled(label, t.style(Meaning::Muted)),
                Span::styled(before.clone(), t.style(Meaning::Ok)),
                Span::styled(at.clone(), t.style(Meaning::Cursor)),
                Span::styled(after.clone(), t.style(Meaning::Ok)),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), lanes_area);
    axis(state, frame, axis_area, columns);
    info(state, frame, info_area);
}

fn axis(state: &AppState, frame: &mut Frame, area: Rect, columns: u16) {
    let t = &state.theme;
    let tl = &state.timeline;
    let width = usize::from(columns);
    let left = hms(tl.start());
    let mid = hms(tl.start() + tl.span() / 2);
    let right = hms(tl.end);
    let mut row = vec![' '; width];
    let mut put = |pos: usize, text: &str| {
        for (i, ch) in text.chars().enumerate() {
            if let Some(c) = row.get_mut(pos + i) {
                *c = ch;
            }
        }
    };
    put(0, &left);
    if width > 30 {
        put((width / 2).saturating_sub(mid.len() / 2), &mid);
    }
    if width > right.len() + left.len() + 2 {
        put(width - right.len(), &right);
    }
    let text: String = row.into_iter().collect();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(" ".repeat(usize::from(LABEL_WIDTH))),
            Span::styled(text, t.style(Meaning::Muted)),
        ])),
        area,
    );
}

fn info(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let tl = &state.timeline;
    let at = tl.at_cursor();
    let cursor: DateTime<Utc> = tl.cursor;
    let mut lines = vec![Line::from(vec![
        Span::styled("cursor ", t.style(Meaning::Muted)),
        Span::styled(
            cursor.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            t.style(Meaning::Cursor),
        ),
        Span::styled("  TXID ", t.style(Meaning::Muted)),
        Span::styled(
            at.txid.map_or_else(|| "-".into(), |x| x.to_string()),
            t.style(Meaning::Important),
        ),
    ])];
    let remote = tl.source.as_ref().and_then(TimelineSource::remote);
    if tl.loading && tl.loaded.is_none() {
        let from = remote.map_or_else(
            || "loading the window…".to_owned(),
            |db| format!("loading the window from {} (ltx_timeline)…", db.host),
        );
        lines.push(Line::styled(from, t.style(Meaning::Muted)));
    } else if at.files.is_empty() {
        lines.push(Line::styled(
            "no file at or before the cursor in the loaded window",
            t.style(Meaning::Muted),
        ));
    }
    for (lane, f) in &at.files {
        lines.push(Line::from(vec![
            Span::styled(format!("  L{:<2} ", lane.0), t.style(Meaning::Muted)),
            Span::raw(format!("{}-{}", f.min_txid, f.max_txid)),
            Span::styled(
                format!("  {:>8}  {}", humanize_bytes(f.size), hms(f.created_at)),
                t.style(Meaning::Muted),
            ),
        ]));
    }
    if let Some(e) = &tl.error {
        lines.push(Line::styled(
            format!("listing failed: {e}"),
            t.style(Meaning::Error),
        ));
    }
    if let Some(db) = remote {
        lines.push(Line::styled(
            format!(
                "remote: {} on {}; restore through its MCP restore tool",
                db.path, db.host
            ),
            t.style(Meaning::Muted),
        ));
    }
    if tl.truncated {
        lines.push(Line::styled(
            "window holds more files than loaded: zoom in for the rest",
            t.style(Meaning::Warn),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
