//! The Databases pane: every database with its state, TXIDs, lag, sizes, last sync, replica;
//! sortable, filterable (`/`), with a detail view of the selected one. Below them, the fleet:
//! the databases of attached headless ltx-tui instances, grouped by host, with their lag.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};

use crate::engine::{DatabaseStatus, ReplicationState};
use crate::ltx::Txid;
use crate::ops::humanize_bytes;

use super::super::lag_history::{CRITICAL_SECONDS, WARN_SECONDS};
use super::super::state::{AppState, age_label};
use super::super::theme::{Meaning, Theme};
use super::{block, field};

/// Width from which full TXIDs and the replica URL are shown.
const WIDE: u16 = 110;

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let fleet_rows = fleet_row_count(state);
    let area = if fleet_rows > 0 && area.height >= 12 {
        let height = (fleet_rows as u16 + 3).min(area.height / 2);
        let [local, fleet] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(height)]).areas(area);
        fleet_table(state, frame, fleet);
        local
    } else {
        area
    };
    let (table_area, detail_area) = if state.table.detail && area.height >= 16 {
        let [a, b] = Layout::vertical([Constraint::Min(5), Constraint::Length(11)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    table(state, frame, table_area);
    if let Some(a) = detail_area {
        detail(state, frame, a);
    }
}

fn state_style(theme: &Theme, s: ReplicationState) -> ratatui::style::Style {
    theme.style(match s {
        ReplicationState::Replicating => Meaning::Ok,
        ReplicationState::Error => Meaning::Error,
        ReplicationState::Paused | ReplicationState::WaitingForDatabase => Meaning::Warn,
        ReplicationState::Starting | ReplicationState::Stopped => Meaning::Muted,
    })
}

/// A lag figure coloured by its threshold.
pub(super) fn lag_style(theme: &Theme, seconds: f64) -> ratatui::style::Style {
    theme.style(if seconds >= CRITICAL_SECONDS {
        Meaning::Error
    } else if seconds >= WARN_SECONDS {
        Meaning::Warn
    } else {
        Meaning::Ok
    })
}

fn txid(t: Option<Txid>, wide: bool) -> String {
    match t {
        None => "-".into(),
        Some(t) if wide => t.to_string(),
        Some(t) => {
            let s = t.to_string();
            let trimmed = s.trim_start_matches('0');
            if trimmed.is_empty() {
                "0".into()
            } else {
                trimmed.to_owned()
            }
        }
    }
}

fn lag_text(db: &DatabaseStatus) -> String {
    if db.lag.pending_txids == 0 && db.lag.seconds == 0.0 {
        "0".into()
    } else {
        format!("{:.1}s/{}", db.lag.seconds, db.lag.pending_txids)
    }
}

fn table(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let wide = area.width >= WIDE;
    let rows_idx = state.visible_dbs();
    let filter = match &state.table.filtering {
        Some(input) => format!(" /{}{}", input.value(), t.glyphs.caret()),
        None if !state.table.filter.is_empty() => format!(" /{}", state.table.filter),
        None => String::new(),
    };
    let title = format!(
        " Databases ({}/{}) sorted by {}{filter} ",
        rows_idx.len(),
        state.dbs.len(),
        state.table.sort.label()
    );
    let mut header = vec![
        "STATE",
        "NAME",
        "LOCAL",
        "REPLICA",
        "LAG",
        "WAL",
        "SIZE",
        "LAST SYNC",
    ];
    let mut widths = vec![
        Constraint::Length(11),
        Constraint::Min(8),
        Constraint::Length(if wide { 16 } else { 8 }),
        Constraint::Length(if wide { 16 } else { 8 }),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(10),
    ];
    if wide {
        header.push("REPLICA URL");
        widths.push(Constraint::Min(20));
    }
    let rows = rows_idx.iter().filter_map(|&i| state.dbs.get(i)).map(|db| {
        let mut cells = vec![
            Span::styled(db.state.label(), state_style(t, db.state)),
            Span::raw(db.name.clone()),
            Span::raw(txid(db.local_txid, wide)),
            Span::raw(txid(db.replica_txid, wide)),
            Span::styled(lag_text(db), lag_style(t, db.lag.seconds)),
            Span::raw(humanize_bytes(db.wal_size)),
            Span::raw(humanize_bytes(db.db_size)),
            Span::raw(age_label(db.last_sync, state.now)),
        ];
        if wide {
            cells.push(Span::styled(
                format!("{} {}", db.replica_type, db.replica_url),
                t.style(Meaning::Muted),
            ));
        }
        Row::new(cells)
    });
    let mut ts = TableState::default();
    if !rows_idx.is_empty() {
        ts.select(Some(state.table.selected.min(rows_idx.len() - 1)));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.style(Meaning::Muted)))
        .row_highlight_style(t.style(Meaning::Selected))
        .block(block(t, title));
    frame.render_stateful_widget(table, area, &mut ts);
    if state.dbs.is_empty() {
        let inner = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        let text = match state.configured_dbs {
            0 => "no database configured".to_string(),
            1 => "starting replication of 1 database…".to_string(),
            n => format!("starting replication of {n} databases…"),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, t.style(Meaning::Muted))),
            inner,
        );
    }
}

fn detail(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let Some(db) = state.selected_db() else {
        return;
    };
    let lines = vec![
        field(t, "path", db.path.display().to_string()),
        Line::from(vec![
            Span::styled(format!("{:<14}", "state"), t.style(Meaning::Muted)),
            Span::styled(db.state.label(), state_style(t, db.state)),
            Span::styled(
                if db.consecutive_errors > 0 {
                    format!("  ({} failed attempts)", db.consecutive_errors)
                } else {
                    String::new()
                },
                t.style(Meaning::Warn),
            ),
        ]),
        field(
            t,
            "TXID",
            format!(
                "local {}  replica {}",
                txid(db.local_txid, true),
                txid(db.replica_txid, true)
            ),
        ),
        field(
            t,
            "lag",
            format!(
                "{:.2} s, {} pending, {} TXIDs",
                db.lag.seconds,
                humanize_bytes(db.lag.pending_bytes),
                db.lag.pending_txids
            ),
        ),
        field(
            t,
            "sizes",
            format!(
                "db {}  wal {}  page {} B",
                humanize_bytes(db.db_size),
                humanize_bytes(db.wal_size),
                db.page_size
            ),
        ),
        field(
            t,
            "last sync",
            format!(
                "{}  (upload {})",
                age_label(db.last_sync, state.now),
                age_label(db.last_upload, state.now)
            ),
        ),
        field(
            t,
            "replica",
            format!("{} {}", db.replica_type, db.replica_url),
        ),
        Line::from(vec![
            Span::styled(format!("{:<14}", "last error"), t.style(Meaning::Muted)),
            Span::styled(
                db.last_error.clone().unwrap_or_else(|| "none".into()),
                t.style(if db.last_error.is_some() {
                    Meaning::Error
                } else {
                    Meaning::Muted
                }),
            ),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(t, format!(" {} ", db.name))),
        area,
    );
}

/// Databases of attached headless ltx-tui instances (hosts), with a row per database.
fn fleet_row_count(state: &AppState) -> usize {
    state
        .mcp
        .servers()
        .iter()
        .filter_map(|s| s.fleet.as_ref())
        .map(|f| f.databases.len().max(1))
        .sum()
}

/// The fleet: every attached ltx-tui's databases, grouped by host (the server's name), with
/// their lag as last polled (`ltx_lag`).
fn fleet_table(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let mut rows = Vec::new();
    let mut hosts = 0;
    for server in state.mcp.servers() {
        let Some(fleet) = &server.fleet else {
            continue;
        };
        hosts += 1;
        let host = Span::styled(server.name.clone(), t.style(Meaning::Important));
        if fleet.databases.is_empty() {
            rows.push(Row::new(vec![
                host,
                Span::styled(
                    fleet.error.clone().unwrap_or_else(|| "no databases".into()),
                    t.style(if fleet.error.is_some() {
                        Meaning::Error
                    } else {
                        Meaning::Muted
                    }),
                ),
            ]));
            continue;
        }
        for (i, db) in fleet.databases.iter().enumerate() {
            let state_meaning = match db.state.as_str() {
                "replicating" => Meaning::Ok,
                "error" => Meaning::Error,
                "-" => Meaning::Muted,
                _ => Meaning::Warn,
            };
            let lag = db
                .lag_seconds
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}s"));
            rows.push(Row::new(vec![
                if i == 0 { host.clone() } else { Span::raw("") },
                Span::raw(db.database.clone()),
                Span::styled(db.state.clone(), t.style(state_meaning)),
                Span::styled(
                    lag,
                    db.lag_seconds
                        .map_or(t.style(Meaning::Muted), |s| lag_style(t, s)),
                ),
                Span::raw(db.replica_txid.clone().unwrap_or_else(|| "-".into())),
                Span::styled(
                    db.last_error
                        .clone()
                        .or_else(|| fleet.error.clone())
                        .unwrap_or_default(),
                    t.style(Meaning::Error),
                ),
            ]));
        }
    }
    let widths = [
        Constraint::Length(12),
        Constraint::Min(16),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(17),
        Constraint::Min(0),
    ];
    let title = format!(" Fleet: {hosts} host(s), remote databases (read-only) ");
    let table = Table::new(rows, widths)
        .header(
            Row::new(["HOST", "DATABASE", "STATE", "LAG", "REPLICA", ""])
                .style(t.style(Meaning::Muted)),
        )
        .block(block(t, title));
    frame.render_widget(table, area);
}
