//! The fleet in the console: the databases of attached headless ltx-tui instances as rows of
//! the databases table, after the local ones. The table's selection runs over one list: the
//! local rows (filtered and sorted), then each host's databases in configuration order; a
//! host's message line ("no databases", its poll error) is drawn but never selected. The
//! filter applies to remote rows too (database path or host name).

use crate::engine::DatabaseStatus;
use crate::ltx::Txid;
use crate::mcp::hub::{RemoteDatabase, ServerSnapshot};

use super::state::AppState;

/// A database of an attached ltx-tui: its host (the server's configured name) and its path
/// on that host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteDbRef {
    /// The attached server's name.
    pub host: String,
    /// The database path on that host.
    pub path: String,
}

impl RemoteDbRef {
    /// The database's file name (the path's last part).
    pub fn name(&self) -> &str {
        self.path
            .rsplit('/')
            .find(|p| !p.is_empty())
            .unwrap_or(&self.path)
    }

    /// `host: name`, for titles and messages.
    pub fn label(&self) -> String {
        format!("{}: {}", self.host, self.name())
    }
}

/// A selectable remote row: the host and one of its databases as last polled.
#[derive(Debug, Clone, Copy)]
pub struct FleetRow<'a> {
    /// The attached server.
    pub host: &'a ServerSnapshot,
    /// The database.
    pub db: &'a RemoteDatabase,
}

impl FleetRow<'_> {
    /// Host and path.
    pub fn db_ref(&self) -> RemoteDbRef {
        RemoteDbRef {
            host: self.host.name.clone(),
            path: self.db.database.clone(),
        }
    }

    /// The replica TXID the host last reported.
    pub fn replica_txid(&self) -> Option<Txid> {
        self.db.replica_txid.as_deref().and_then(|t| t.parse().ok())
    }

    /// True when the host reported the database paused.
    pub fn paused(&self) -> bool {
        self.db.state == "paused"
    }
}

/// A line of the fleet table as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetLine {
    /// A remote database: its index among the selectable fleet rows, and whether it is its
    /// host's first line (which names the host).
    Db {
        /// Index into [`AppState::fleet_rows`].
        row: usize,
        /// The host's first line.
        first: bool,
    },
    /// A host without databases to show: index into the hub's servers.
    HostMessage(usize),
}

/// What the databases table's selection points at.
#[derive(Debug, Clone, Copy)]
pub enum Selected<'a> {
    /// A database this console replicates.
    Local(&'a DatabaseStatus),
    /// A database of an attached ltx-tui.
    Remote(FleetRow<'a>),
}

impl AppState {
    /// The remote databases shown, host by host (the table's filter applied).
    pub fn fleet_rows(&self) -> Vec<FleetRow<'_>> {
        let filter = self.filter_text();
        let mut rows = Vec::new();
        for host in self.mcp.servers() {
            let Some(fleet) = &host.fleet else {
                continue;
            };
            for db in &fleet.databases {
                if filter.is_empty()
                    || db.database.to_lowercase().contains(&filter)
                    || host.name.to_lowercase().contains(&filter)
                {
                    rows.push(FleetRow { host, db });
                }
            }
        }
        rows
    }

    /// The lines of the fleet table in drawing order: each host's databases, or one message
    /// line for a host with none (only while no filter is set).
    pub fn fleet_lines(&self) -> Vec<FleetLine> {
        let filter_set = !self.filter_text().is_empty();
        let rows = self.fleet_rows();
        let mut lines = Vec::new();
        let mut next = 0;
        for (i, host) in self.mcp.servers().iter().enumerate() {
            if host.fleet.is_none() {
                continue;
            }
            let start = next;
            while next < rows.len() && rows[next].host.name == host.name {
                lines.push(FleetLine::Db {
                    row: next,
                    first: next == start,
                });
                next += 1;
            }
            if next == start && !filter_set {
                lines.push(FleetLine::HostMessage(i));
            }
        }
        lines
    }

    /// What the databases table's selection points at (clamped to the last row).
    pub fn selected(&self) -> Option<Selected<'_>> {
        let local = self.visible_dbs();
        let fleet = self.fleet_rows();
        let total = local.len() + fleet.len();
        let i = self.table.selected.min(total.checked_sub(1)?);
        match local.get(i) {
            Some(&l) => self.dbs.get(l).map(Selected::Local),
            None => fleet.get(i - local.len()).copied().map(Selected::Remote),
        }
    }

    /// The selected remote database, if the selection is on one.
    pub fn selected_remote(&self) -> Option<FleetRow<'_>> {
        match self.selected()? {
            Selected::Remote(row) => Some(row),
            Selected::Local(_) => None,
        }
    }

    /// `db` as its host last reported it.
    pub fn remote_db(&self, db: &RemoteDbRef) -> Option<FleetRow<'_>> {
        let host = self.mcp.servers().iter().find(|s| s.name == db.host)?;
        let found = host
            .fleet
            .as_ref()?
            .databases
            .iter()
            .find(|d| d.database == db.path)?;
        Some(FleetRow { host, db: found })
    }

    /// Selects `db` in the databases table (the filter is cleared so it is shown); false
    /// when its host no longer reports it.
    pub fn select_remote(&mut self, db: &RemoteDbRef) -> bool {
        self.table.filter.clear();
        self.table.filtering = None;
        let local = self.visible_dbs().len();
        let position = self
            .fleet_rows()
            .iter()
            .position(|r| r.host.name == db.host && r.db.database == db.path);
        match position {
            Some(p) => {
                self.table.selected = local + p;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;
    use std::time::SystemTime;

    use crate::config::Transport;
    use crate::engine::DatabaseStatus;
    use crate::mcp::hub::{FleetView, HubSnapshot, RemoteDatabase, ServerSnapshot};

    use super::super::keymap::Keymap;
    use super::super::theme::Theme;
    use super::*;

    fn remote(path: &str) -> RemoteDatabase {
        RemoteDatabase {
            database: path.into(),
            state: "replicating".into(),
            lag_seconds: Some(0.5),
            replica_txid: Some("0000000000000007".into()),
            last_error: None,
        }
    }

    fn host(name: &str, dbs: Option<Vec<RemoteDatabase>>) -> ServerSnapshot {
        let mut s = ServerSnapshot::new(name.into(), Transport::Http, "http://h/mcp".into());
        s.fleet = dbs.map(|databases| FleetView {
            databases,
            error: None,
            at_ms: 0,
        });
        s
    }

    fn state() -> AppState {
        let mut s = AppState::new(
            SystemTime::UNIX_EPOCH,
            (120, 40),
            Theme::named("default", false, false),
            Keymap::default(),
        );
        s.dbs = vec![DatabaseStatus::new(
            PathBuf::from("/data/local.db"),
            "file".into(),
            "file:///r".into(),
        )];
        s.mcp.apply(HubSnapshot {
            servers: vec![
                host("files", None),
                host("db2", Some(vec![remote("/srv/a.db"), remote("/srv/b.db")])),
                host("db3", Some(vec![])),
            ],
        });
        s
    }

    #[test]
    fn the_selection_runs_over_local_rows_then_each_hosts_databases() {
        let mut s = state();
        assert!(matches!(s.selected(), Some(Selected::Local(_))));
        s.table.selected = 2;
        let row = s.selected_remote().unwrap();
        assert_eq!(row.db_ref().label(), "db2: b.db");
        // Past the end: clamped to the last selectable row (a host's message is not one).
        s.table.selected = 9;
        assert_eq!(s.selected_remote().unwrap().db.database, "/srv/b.db");
        assert_eq!(
            s.fleet_lines(),
            vec![
                FleetLine::Db {
                    row: 0,
                    first: true
                },
                FleetLine::Db {
                    row: 1,
                    first: false
                },
                FleetLine::HostMessage(2),
            ]
        );
        assert!(s.select_remote(&RemoteDbRef {
            host: "db2".into(),
            path: "/srv/a.db".into()
        }));
        assert_eq!(s.table.selected, 1);
        assert!(s.selected_db().is_none());
    }

    #[test]
    fn the_filter_applies_to_remote_rows_and_hides_empty_hosts() {
        let mut s = state();
        s.table.filter = "b.db".into();
        assert_eq!(s.visible_dbs().len(), 0);
        assert_eq!(s.fleet_rows().len(), 1);
        assert_eq!(
            s.fleet_lines(),
            vec![FleetLine::Db {
                row: 0,
                first: true
            }]
        );
        assert_eq!(s.selected_remote().unwrap().db.database, "/srv/b.db");
        s.table.filter = "db2".into();
        assert_eq!(s.fleet_rows().len(), 2, "the host's name matches");
    }
}
