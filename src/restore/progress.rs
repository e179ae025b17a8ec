//! Restore progress: events a face (console, MCP, CLI) can show while a restore runs.
//!
//! [`Progress`] is a cheap, cloneable sink called from the fetch tasks and the writer thread;
//! it must not block (send into a channel, update an atomic, print a line).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ltx::Txid;

/// One step of a running restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RestoreProgress {
    /// The plan is known.
    Planned {
        /// Files to fetch.
        files: usize,
        /// Bytes to fetch.
        total_bytes: u64,
        /// The TXID the database will be at.
        txid: Txid,
    },
    /// One file was fetched (spooled locally, or found on a `file` replica).
    FileFetched {
        /// Its level.
        level: u8,
        /// Its name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Files fetched so far.
        files_fetched: usize,
        /// Bytes fetched so far.
        bytes_fetched: u64,
    },
    /// Progress of the writer: sent after each file after the snapshot is verified (no page
    /// is written yet), then every few thousand pages while the snapshot is streamed with
    /// them into the temp file.
    PagesWritten {
        /// Files verified so far (all of them, snapshot included, once pages are written).
        files_applied: usize,
        /// Pages of the database written so far.
        pages_written: u64,
    },
    /// Every file is applied and verified; the file is being synced and renamed.
    Finishing {
        /// Database size in pages.
        page_count: u32,
    },
    /// The integrity check is running.
    Checking {
        /// `quick` or `full`.
        mode: String,
    },
    /// The restore is complete.
    Done {
        /// The TXID restored.
        txid: Txid,
        /// Pages written (each page of the database once).
        pages_written: u64,
    },
}

type Callback = dyn Fn(RestoreProgress) + Send + Sync;

/// Where progress events go; [`Progress::none`] drops them.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Callback>>);

impl Progress {
    /// Drops every event.
    pub fn none() -> Self {
        Progress(None)
    }

    /// Calls `f` with every event (from any thread; it must not block).
    pub fn new(f: impl Fn(RestoreProgress) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(f)))
    }

    /// Sends every event into `tx` (events are dropped once the receiver is gone).
    pub fn channel(tx: tokio::sync::mpsc::UnboundedSender<RestoreProgress>) -> Self {
        Progress::new(move |event| {
            // A closed receiver only means nobody watches any more.
            let _ = tx.send(event);
        })
    }

    pub(crate) fn emit(&self, event: RestoreProgress) {
        if let Some(f) = &self.0 {
            f(event);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(callback)"
        } else {
            "Progress(none)"
        })
    }
}
