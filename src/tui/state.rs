//! The console's state: plain data, changed only by [`super::update`] and read by the views.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tui_input::Input;

use crate::engine::{DatabaseStatus, EngineSnapshot, ReplicationState};

use super::fleet::Selected;
use super::keymap::Keymap;
use super::lag_history::LagHistory;
use super::logs::LogView;
use super::mcp_pane::McpPane;
use super::palette::Palette;
use super::remote_action::RemoteAction;
use super::theme::{Meaning, Theme};
use super::timeline::TimelineState;
use super::wizard::WizardState;

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// Every database with its state.
    Databases,
    /// Replication lag over time.
    Lag,
    /// The LTX files on a time axis.
    Timeline,
    /// The console's own log.
    Logs,
    /// Attached MCP servers: health, tools, calls, stderr and wire log.
    Mcp,
}

impl Pane {
    /// Every pane, in tab order.
    pub const ALL: [Pane; 5] = [
        Pane::Databases,
        Pane::Lag,
        Pane::Timeline,
        Pane::Logs,
        Pane::Mcp,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Databases => "Databases",
            Pane::Lag => "Lag",
            Pane::Timeline => "Timeline",
            Pane::Logs => "Logs",
            Pane::Mcp => "MCP",
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The pane `step` tabs away (wrapping).
    pub fn offset(self, step: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        let i = (self.index() as isize + step).rem_euclid(n);
        Pane::ALL[i as usize]
    }
}

/// The column the databases table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Configuration order.
    Config,
    /// Name.
    Name,
    /// Lag, largest first.
    Lag,
    /// State (errors first).
    State,
}

impl SortKey {
    /// The next sort column.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Config => SortKey::Name,
            SortKey::Name => SortKey::Lag,
            SortKey::Lag => SortKey::State,
            SortKey::State => SortKey::Config,
        }
    }

    /// The label in the table title.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Config => "config order",
            SortKey::Name => "name",
            SortKey::Lag => "lag",
            SortKey::State => "state",
        }
    }
}

/// A transient message in the corner.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// How it looks.
    pub meaning: Meaning,
    /// When it disappears.
    pub until: SystemTime,
}

/// How long a toast stays.
pub const TOAST_TIME: Duration = Duration::from_secs(4);

/// What is drawn over the panes.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    /// Nothing.
    #[default]
    None,
    /// The `?` help, with its search text.
    Help {
        /// Type-to-filter text.
        filter: Input,
    },
    /// The `:` palette.
    Palette(Palette),
    /// The restore wizard.
    Wizard(Box<WizardState>),
    /// The confirmation an action on a remote database needs (nothing is sent without it).
    Confirm(RemoteAction),
    /// A text popup (preview results and other read-only reports).
    Report {
        /// Title.
        title: String,
        /// Lines.
        lines: Vec<String>,
    },
}

/// The databases table.
#[derive(Debug, Clone)]
pub struct DbTable {
    /// Selected row among the visible rows.
    pub selected: usize,
    /// Sort column.
    pub sort: SortKey,
    /// Filter text (substring of name or path, case-insensitive).
    pub filter: String,
    /// The filter being typed, while it is.
    pub filtering: Option<Input>,
    /// Show the detail of the selected database.
    pub detail: bool,
}

/// Everything the console shows.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The clock of the current message (the loop sets it; tests fix it).
    pub now: SystemTime,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The visible pane.
    pub pane: Pane,
    /// Refuse every mutating action.
    pub readonly: bool,
    /// Colours and glyphs.
    pub theme: Theme,
    /// The binding registry.
    pub keymap: Keymap,
    /// Mouse captured (config `ui.mouse`).
    pub mouse: bool,
    /// The configuration file shown in the status bar.
    pub config_origin: Option<PathBuf>,
    /// Names of configured MCP servers (shown until the hub's first snapshot).
    pub mcp_servers: Vec<String>,
    /// The MCP pane.
    pub mcp: McpPane,
    /// No configuration was found: the first-run screen is shown.
    pub first_run: bool,
    /// Running the demo.
    pub demo: bool,
    /// Latest engine state per database.
    pub dbs: Vec<DatabaseStatus>,
    /// `dbs` entries in the configuration: until the engine's first snapshot arrives the
    /// databases pane says they are starting rather than that none is configured.
    pub configured_dbs: usize,
    /// False before the engine starts and after it stops.
    pub engine_running: bool,
    /// The databases table.
    pub table: DbTable,
    /// Lag samples per database.
    pub lag: LagHistory,
    /// The timeline.
    pub timeline: TimelineState,
    /// The log ring buffer and its view.
    pub logs: LogView,
    /// Toasts, oldest first.
    pub toasts: Vec<Toast>,
    /// The popup.
    pub overlay: Overlay,
    /// The last error seen (engine or action), for the status bar.
    pub last_error: Option<String>,
    /// Quit was asked for; the loop stops the engine and exits.
    pub quitting: bool,
    /// Something visible changed since the last frame (set by `update`, cleared by the loop).
    pub dirty: bool,
}

impl AppState {
    /// A fresh state at `now` for a terminal of `size`.
    pub fn new(now: SystemTime, size: (u16, u16), theme: Theme, keymap: Keymap) -> AppState {
        AppState {
            now,
            size,
            pane: Pane::Databases,
            readonly: false,
            theme,
            keymap,
            mouse: false,
            config_origin: None,
            mcp_servers: Vec::new(),
            mcp: McpPane::default(),
            first_run: false,
            configured_dbs: 0,
            demo: false,
            dbs: Vec::new(),
            engine_running: false,
            table: DbTable {
                selected: 0,
                sort: SortKey::Config,
                filter: String::new(),
                filtering: None,
                detail: false,
            },
            lag: LagHistory::default(),
            timeline: TimelineState::new(now),
            logs: LogView::default(),
            toasts: Vec::new(),
            overlay: Overlay::None,
            last_error: None,
            quitting: false,
            dirty: true,
        }
    }

    /// Shows a toast for [`TOAST_TIME`].
    pub fn toast(&mut self, meaning: Meaning, text: impl Into<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            meaning,
            until: self.now + TOAST_TIME,
        });
        if self.toasts.len() > 4 {
            self.toasts.remove(0);
        }
    }

    /// The filter of the databases table (being typed, or set), lower-cased.
    pub fn filter_text(&self) -> String {
        self.table
            .filtering
            .as_ref()
            .map_or(self.table.filter.as_str(), |i| i.value())
            .to_lowercase()
    }

    /// The local rows of the databases table, filtered and sorted: indexes into `dbs`.
    pub fn visible_dbs(&self) -> Vec<usize> {
        let filter = self.filter_text();
        let mut rows: Vec<usize> = (0..self.dbs.len())
            .filter(|&i| {
                filter.is_empty()
                    || self.dbs[i].name.to_lowercase().contains(&filter)
                    || self.dbs[i]
                        .path
                        .to_string_lossy()
                        .to_lowercase()
                        .contains(&filter)
            })
            .collect();
        let dbs = &self.dbs;
        match self.table.sort {
            SortKey::Config => {}
            SortKey::Name => rows.sort_by(|&a, &b| dbs[a].name.cmp(&dbs[b].name)),
            SortKey::Lag => {
                rows.sort_by(|&a, &b| dbs[b].lag.seconds.total_cmp(&dbs[a].lag.seconds))
            }
            SortKey::State => rows.sort_by_key(|&i| state_rank(dbs[i].state)),
        }
        rows
    }

    /// The selected local database, if the selection is on one (see [`AppState::selected`]
    /// for remote ones).
    pub fn selected_db(&self) -> Option<&DatabaseStatus> {
        match self.selected()? {
            Selected::Local(db) => Some(db),
            Selected::Remote(_) => None,
        }
    }

    /// Takes a new engine snapshot; returns whether anything shown changed.
    pub fn apply_snapshot(&mut self, snapshot: &EngineSnapshot) -> bool {
        let changed = self.engine_running != snapshot.running
            || self.dbs.len() != snapshot.databases.len()
            || self
                .dbs
                .iter()
                .zip(&snapshot.databases)
                .any(|(a, b)| !same_status(a, b));
        self.engine_running = snapshot.running;
        if changed {
            self.dbs.clone_from(&snapshot.databases);
            for db in &self.dbs {
                self.lag
                    .record(&db.path, self.now, db.lag.seconds, db.lag.pending_bytes);
            }
            if let Some(err) = self.dbs.iter().find_map(|d| d.last_error.clone()) {
                self.last_error = Some(err);
            }
            if self.timeline.source.is_none()
                && let Some(first) = self.dbs.first()
            {
                self.timeline.set_db(first.path.clone());
            }
        }
        changed
    }

    /// When the next time-driven change of the screen is due: a toast expiring, a relative
    /// age label ("3 s ago") turning over, the lag chart or the followed timeline advancing.
    /// `None` means nothing on screen depends on time: the loop sleeps until input arrives.
    pub fn next_wakeup(&self) -> Option<SystemTime> {
        let mut next: Option<SystemTime> = self.toasts.iter().map(|t| t.until).min();
        let mut consider = |t: SystemTime| {
            next = Some(next.map_or(t, |n| n.min(t)));
        };
        match self.pane {
            Pane::Databases if !self.first_run => {
                for db in &self.dbs {
                    if let Some(t) = db.last_sync.and_then(|s| age_turnover(s, self.now)) {
                        consider(t);
                    }
                }
            }
            Pane::Lag if !self.lag.frozen() && self.lag.has_samples() => {
                consider(self.now + self.lag.step());
            }
            Pane::Timeline if self.timeline.follow => {
                if let Some(t) = self.timeline.next_column_turnover(self.now, self.size.0) {
                    consider(t);
                }
            }
            _ => {}
        }
        if let Overlay::Wizard(w) = &self.overlay
            && w.is_running()
        {
            consider(self.now + Duration::from_millis(250));
        }
        next
    }
}

/// When the age label of `since` next changes: every second during its first minute
/// ("3 s ago" → "4 s ago"); after that the label is the time of day and never changes, so an
/// idle console has nothing to redraw.
pub fn age_turnover(since: SystemTime, now: SystemTime) -> Option<SystemTime> {
    let age = now.duration_since(since).unwrap_or_default().as_secs();
    (age < 60).then(|| since + Duration::from_secs(age + 1))
}

/// "3 s ago" during the first minute, then the time of day (UTC, "14:03:07"); "-" when this
/// process has not synced the database yet (an earlier run may have).
pub fn age_label(since: Option<SystemTime>, now: SystemTime) -> String {
    let Some(since) = since else {
        return "-".to_owned();
    };
    let age = now.duration_since(since).unwrap_or_default().as_secs();
    if age < 60 {
        format!("{age} s ago")
    } else {
        chrono::DateTime::<chrono::Utc>::from(since)
            .format("%H:%M:%S")
            .to_string()
    }
}

fn state_rank(state: ReplicationState) -> u8 {
    match state {
        ReplicationState::Error => 0,
        ReplicationState::WaitingForDatabase => 1,
        ReplicationState::Paused => 2,
        ReplicationState::Starting => 3,
        ReplicationState::Replicating => 4,
        ReplicationState::Stopped => 5,
    }
}

/// Whether two statuses look the same on screen.
fn same_status(a: &DatabaseStatus, b: &DatabaseStatus) -> bool {
    a.path == b.path
        && a.state == b.state
        && a.local_txid == b.local_txid
        && a.replica_txid == b.replica_txid
        && a.lag == b.lag
        && a.wal_size == b.wal_size
        && a.db_size == b.db_size
        && a.last_sync == b.last_sync
        && a.last_upload == b.last_upload
        && a.last_error == b.last_error
        && a.replica_url == b.replica_url
        && a.consecutive_errors == b.consecutive_errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_tick_for_a_minute_then_show_the_time_of_day() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(age_label(Some(t0), t0 + Duration::from_secs(3)), "3 s ago");
        assert_eq!(
            age_label(Some(t0), t0 + Duration::from_secs(125)),
            "13:46:40"
        );
        assert_eq!(age_label(None, t0), "-");
        assert_eq!(
            age_turnover(t0, t0 + Duration::from_millis(3500)),
            Some(t0 + Duration::from_secs(4))
        );
        assert_eq!(age_turnover(t0, t0 + Duration::from_secs(61)), None);
    }
}
