//! Where the Timeline pane's files come from: a database this console replicates (its replica,
//! listed through `ops::ltx`) or a database of an attached headless ltx-tui (listed by that
//! host's `ltx_timeline` tool). The timeline model and its drawing are the same for both; only
//! the loader (`timeline_io.rs`) differs.

use std::path::PathBuf;

use super::fleet::RemoteDbRef;

/// The database a timeline shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TimelineSource {
    /// A database of this console's engine.
    Local(PathBuf),
    /// A database of an attached ltx-tui.
    Remote(RemoteDbRef),
}

impl TimelineSource {
    /// The name in the pane's title: the file name, with the host for a remote database
    /// (`db1: orders.db`).
    pub fn title(&self) -> String {
        match self {
            TimelineSource::Local(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            TimelineSource::Remote(db) => db.label(),
        }
    }

    /// The local database, if it is one.
    pub fn local(&self) -> Option<&PathBuf> {
        match self {
            TimelineSource::Local(path) => Some(path),
            TimelineSource::Remote(_) => None,
        }
    }

    /// The remote database, if it is one.
    pub fn remote(&self) -> Option<&RemoteDbRef> {
        match self {
            TimelineSource::Local(_) => None,
            TimelineSource::Remote(db) => Some(db),
        }
    }
}
