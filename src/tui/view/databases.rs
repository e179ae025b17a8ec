//! The Databases pane: every database with its state, TXIDs, lag, sizes, last sync, replica;
//! sortable, filterable (`/`), with a detail view of the selected one. Below them, the fleet:
//! the databases of attached headless ltx-tui instances, grouped by host, with their lag. The
//! selection runs over both tables (see `tui::fleet`); a remote database has its own detail
//! view (host, path, state, lag, replica TXID, last error).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};

use crate::engine::{DatabaseStatus, ReplicationState};
use crate::ltx::Txid;
use crate::mcp::hub::command_tool;
use crate::ops::{ReplicationCommand, humanize_bytes};

use super::super::fleet::{FleetLine, FleetRow, Selected};
use super::super::lag_history::{CRITICAL_SECONDS, WARN_SECONDS};
use super::super::state::{AppState, age_label};
use super::super::theme::{Meaning, Theme};
use super::{block, field, hms};

/// Width from which full TXIDs and the replica URL are shown.
const WIDE: u16 = 110;

/// Where the pane draws its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbLayout {
    /// The local databases.
    pub table: Rect,
    /// The selected database's detail, when shown.
    pub detail: Option<Rect>,
    /// The fleet, when any host is an ltx-tui.
    pub fleet: Option<Rect>,
}

/// The pane's layout in `area`: the local table, then the fleet, then the detail (at the
/// bottom, 11 rows, when asked for and the pane has 16 rows).
pub(crate) fn layout(state: &AppState, area: Rect) -> DbLayout {
    let (area, detail) = if state.table.detail && area.height >= 16 {
        let [a, b] = Layout::vertical([Constraint::Min(5), Constraint::Length(11)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    let fleet_lines = state.fleet_lines().len();
    let (table, fleet) = if fleet_lines > 0 && area.height >= 10 {
        let height = (fleet_lines as u16 + 3).min(area.height / 2);
        let [local, fleet] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(height)]).areas(area);
        (local, Some(fleet))
    } else {
        (area, None)
    };
    DbLayout {
        table,
        detail,
        fleet,
    }
}

/// The selection index of the row drawn at screen cell (`x`, `y`), local or remote; `None`
/// off the rows (borders, headers, a host's message line).
pub(crate) fn row_at(state: &AppState, x: u16, y: u16) -> Option<usize> {
    let l = layout(state, super::body_area(state.size));
    // Rows start below the border and the header, and end above the bottom border.
    let row_in = |r: Rect| {
        (x >= r.x && x < r.right() && y >= r.y + 2 && y + 1 < r.bottom())
            .then(|| usize::from(y - r.y - 2))
    };
    let local = state.visible_dbs().len();
    if let Some(row) = row_in(l.table) {
        return (row < local).then_some(row);
    }
    let line = row_in(l.fleet?)?;
    match state.fleet_lines().get(line)? {
        FleetLine::Db { row, .. } => Some(local + row),
        FleetLine::HostMessage(_) => None,
    }
}

pub(super) fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let l = layout(state, area);
    if let Some(fleet) = l.fleet {
        fleet_table(state, frame, fleet);
    }
    table(state, frame, l.table);
    if let Some(a) = l.detail {
        match state.selected() {
            Some(Selected::Local(db)) => detail(state, db, frame, a),
            Some(Selected::Remote(row)) => remote_detail(state, row, frame, a),
            None => {}
        }
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
    if state.selected_remote().is_none() && !rows_idx.is_empty() {
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

fn detail(state: &AppState, db: &DatabaseStatus, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
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

/// `path`, cut at the front to `width` characters so its file name stays visible.
fn path_end(path: &str, width: usize) -> String {
    let n = path.chars().count();
    if n <= width || width == 0 {
        return path.to_owned();
    }
    let tail: String = path.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

fn remote_state_meaning(state: &str) -> Meaning {
    match state {
        "replicating" => Meaning::Ok,
        "error" => Meaning::Error,
        "-" => Meaning::Muted,
        _ => Meaning::Warn,
    }
}

fn remote_lag(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "-".to_owned(), |s| format!("{s:.1}s"))
}

/// The detail of a remote database, as its host last reported it.
fn remote_detail(state: &AppState, row: FleetRow<'_>, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let db = row.db;
    let fleet = row.host.fleet.as_ref();
    let polled = fleet
        .and_then(|f| chrono::DateTime::<chrono::Utc>::from_timestamp_millis(f.at_ms))
        .map_or_else(|| "-".to_owned(), |at| format!("at {}", hms(at)));
    let commands = ReplicationCommand::ALL.map(command_tool);
    let offered = commands
        .iter()
        .filter(|c| row.host.tool(c).is_some())
        .count();
    let actions = if offered == commands.len() {
        format!("asked first; {}", commands.join(", "))
    } else {
        "not offered by this host (an older ltx-tui, or --read-only)".to_owned()
    };
    let error = db
        .last_error
        .clone()
        .or_else(|| fleet.and_then(|f| f.error.clone()));
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<14}", "host"), t.style(Meaning::Muted)),
            Span::styled(row.host.name.clone(), t.style(Meaning::Important)),
            Span::styled(format!("  ({})", row.host.state), t.style(Meaning::Muted)),
        ]),
        field(t, "path", db.database.clone()),
        Line::from(vec![
            Span::styled(format!("{:<14}", "state"), t.style(Meaning::Muted)),
            Span::styled(db.state.clone(), t.style(remote_state_meaning(&db.state))),
        ]),
        Line::from(vec![
            Span::styled(format!("{:<14}", "lag"), t.style(Meaning::Muted)),
            Span::styled(
                remote_lag(db.lag_seconds),
                db.lag_seconds
                    .map_or(t.style(Meaning::Muted), |s| lag_style(t, s)),
            ),
        ]),
        field(
            t,
            "replica TXID",
            db.replica_txid.clone().unwrap_or_else(|| "-".into()),
        ),
        Line::from(vec![
            Span::styled(format!("{:<14}", "last error"), t.style(Meaning::Muted)),
            Span::styled(
                error.clone().unwrap_or_else(|| "none".into()),
                t.style(if error.is_some() {
                    Meaning::Error
                } else {
                    Meaning::Muted
                }),
            ),
        ]),
        field(t, "polled", format!("{polled} (ltx_lag)")),
        field(t, "actions", actions),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(t, format!(" {} ", row.db_ref().label()))),
        area,
    );
}

/// The fleet: every attached ltx-tui's databases, grouped by host (the server's name), with
/// their lag as last polled (`ltx_lag`); the selected one highlighted.
fn fleet_table(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let servers = state.mcp.servers();
    let fleet = state.fleet_rows();
    let wide = area.width >= WIDE;
    let replica_width: u16 = if wide { 16 } else { 8 };
    // Host, state, lag, replica and five gaps are fixed; the path gets three quarters of the
    // rest (its end, the file name, kept when cut), the host's error the remainder.
    let fixed = 12 + 11 + 7 + replica_width + 5;
    let path_width = area.width.saturating_sub(2 + fixed) * 3 / 4;
    let widths = [
        Constraint::Length(12),
        Constraint::Length(path_width),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(replica_width),
        Constraint::Min(0),
    ];
    let selected = state
        .table
        .selected
        .checked_sub(state.visible_dbs().len())
        .filter(|_| state.selected_remote().is_some())
        .map(|i| i.min(fleet.len().saturating_sub(1)));
    let mut ts = TableState::default();
    let mut rows = Vec::new();
    for (i, line) in state.fleet_lines().into_iter().enumerate() {
        match line {
            FleetLine::HostMessage(s) => {
                let Some(server) = servers.get(s) else {
                    continue;
                };
                let error = server.fleet.as_ref().and_then(|f| f.error.clone());
                rows.push(Row::new(vec![
                    Span::styled(server.name.clone(), t.style(Meaning::Important)),
                    Span::styled(
                        error.clone().unwrap_or_else(|| "no databases".into()),
                        t.style(if error.is_some() {
                            Meaning::Error
                        } else {
                            Meaning::Muted
                        }),
                    ),
                ]));
            }
            FleetLine::Db { row, first } => {
                let Some(r) = fleet.get(row) else {
                    continue;
                };
                if selected == Some(row) {
                    ts.select(Some(i));
                }
                let db = r.db;
                rows.push(Row::new(vec![
                    if first {
                        Span::styled(r.host.name.clone(), t.style(Meaning::Important))
                    } else {
                        Span::raw("")
                    },
                    Span::raw(path_end(&db.database, usize::from(path_width))),
                    Span::styled(db.state.clone(), t.style(remote_state_meaning(&db.state))),
                    Span::styled(
                        remote_lag(db.lag_seconds),
                        db.lag_seconds
                            .map_or(t.style(Meaning::Muted), |s| lag_style(t, s)),
                    ),
                    Span::raw(txid(r.replica_txid(), wide)),
                    Span::styled(
                        db.last_error
                            .clone()
                            .or_else(|| r.host.fleet.as_ref().and_then(|f| f.error.clone()))
                            .unwrap_or_default(),
                        t.style(Meaning::Error),
                    ),
                ]));
            }
        }
    }
    let hosts = servers.iter().filter(|s| s.fleet.is_some()).count();
    let title = format!(" Fleet: {hosts} host(s), remote databases ");
    let table = Table::new(rows, widths)
        .header(
            Row::new(["HOST", "DATABASE", "STATE", "LAG", "REPLICA", ""])
                .style(t.style(Meaning::Muted)),
        )
        .row_highlight_style(t.style(Meaning::Selected))
        .block(block(t, title));
    frame.render_stateful_widget(table, area, &mut ts);
}
