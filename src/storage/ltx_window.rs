//! Windowed listings of one level: the files after a cursor, inside a TXID range and a time
//! range, at most `limit` of them, touching as little of the replica as the backend allows.
//!
//! How each backend keeps a window cheap on a level of 100,000 files:
//! - `file`: the level directory's names are read (no per-file `stat`), filtered and sorted by
//!   name; only the files of the window are then looked at (one HEAD each, counted as a GET in
//!   the client's metrics). A time bound is found by binary search over the sorted names (a
//!   few HEADs), which relies on a level's CreatedAt never decreasing in TXID order: true of
//!   both tools, since a file's timestamp is its header timestamp and files are written in TXID
//!   order.
//! - object stores (`s3`, `gs`, `abs`, `memory`): one listing starting after the cursor key
//!   (`StartAfter` on S3), read in key order (which is TXID order: names are fixed-width hex)
//!   and dropped as soon as the window is full or past its TXID end.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use object_store::ObjectStoreExt;

use std::path::Path;
use std::time::Instant;

use super::operation_metrics::{OperationKind, ReplicaMetrics};
use super::{LtxFileInfo, ReplicaClient, ReplicaKind, StorageError};
use crate::ltx::{FileName, Txid};

/// Which files of one level to list. Every bound is inclusive; `None` means unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LtxWindow {
    /// Only files whose name sorts after this one (the paging cursor).
    pub after: Option<FileName>,
    /// Only files whose TXID range reaches this TXID (max TXID ≥ it).
    pub txid_from: Option<Txid>,
    /// Only files that start at or before this TXID (min TXID ≤ it).
    pub txid_to: Option<Txid>,
    /// Only files created at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// Only files created at or before this instant.
    pub created_to: Option<DateTime<Utc>>,
    /// At most this many files.
    pub limit: usize,
}

impl LtxWindow {
    /// Whether a file's name passes the cursor and TXID bounds.
    pub fn admits_name(&self, name: FileName) -> bool {
        self.after
            .is_none_or(|after| sort_key(name) > sort_key(after))
            && self.txid_from.is_none_or(|from| name.max_txid >= from)
            && self.txid_to.is_none_or(|to| name.min_txid <= to)
    }

    /// Whether a creation time passes the time bounds.
    pub fn admits_time(&self, at: DateTime<Utc>) -> bool {
        self.created_from.is_none_or(|from| at >= from) && self.created_to.is_none_or(|to| at <= to)
    }

    /// Whether a name is past the TXID end: in name order, nothing after it can match.
    fn past_end(&self, name: FileName) -> bool {
        self.txid_to.is_some_and(|to| name.min_txid > to)
    }
}

/// One page of a windowed listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LtxWindowPage {
    /// The files, in (min, max) TXID order.
    pub files: Vec<LtxFileInfo>,
    /// True when at least one more file of the window follows the last one returned.
    pub more: bool,
}

fn sort_key(name: FileName) -> (Txid, Txid) {
    (name.min_txid, name.max_txid)
}

impl ReplicaClient {
    /// The files of `level` inside `window`, at most `window.limit` of them, in TXID order
    /// (see the module docs for what each backend reads). An absent level is empty.
    pub async fn list_ltx_window(
        &self,
        level: u8,
        window: &LtxWindow,
    ) -> Result<LtxWindowPage, StorageError> {
        if window.limit == 0 {
            return Ok(LtxWindowPage {
                files: Vec::new(),
                more: false,
            });
        }
        // One file beyond the limit tells whether there is more.
        let wanted = window.limit.saturating_add(1);
        if let Some(local) = self.local_windows() {
            let window = window.clone();
            return tokio::task::spawn_blocking(move || local.list(level, &window))
                .await
                .map_err(|source| StorageError::Task {
                    operation: "list level directory",
                    source,
                })?;
        }
        let mut files = self.window_from_listing(level, window, wanted).await?;
        let more = files.len() > window.limit;
        files.truncate(window.limit);
        Ok(LtxWindowPage { files, more })
    }

    /// A blocking lister of windows for a `file` replica (`None` for other backends), for
    /// callers that list several levels in one blocking task rather than one task each.
    pub fn local_windows(&self) -> Option<LocalWindows> {
        match (self.kind(), self.local_dir()) {
            (ReplicaKind::File, Some(dir)) => Some(LocalWindows {
                replica_dir: dir.to_path_buf(),
                metrics: std::sync::Arc::clone(self.metrics()),
            }),
            _ => None,
        }
    }

    /// The sorted LTX file names of one level of a `file` replica, read without a `stat` per
    /// file. Empty for other backends and for an absent level.
    pub async fn list_level_names(&self, level: u8) -> Result<Vec<FileName>, StorageError> {
        let Some(dir) = self.local_dir() else {
            return Ok(Vec::new());
        };
        let dir = dir.join("ltx").join(level.to_string());
        let read = tokio::task::spawn_blocking(move || read_level_names(&dir));
        read.await.map_err(|source| StorageError::Task {
            operation: "list level directory",
            source,
        })?
    }

    /// One file's listing entry (one HEAD request).
    pub async fn stat_ltx(&self, level: u8, name: FileName) -> Result<LtxFileInfo, StorageError> {
        let key = self.ltx_key(level, name);
        let meta = self
            .object_store()
            .head(&key)
            .await
            .map_err(self.store_error("stat LTX file", &key, Some(level), Some(name)))?;
        Ok(LtxFileInfo {
            level,
            min_txid: name.min_txid,
            max_txid: name.max_txid,
            size: meta.size,
            created_at: meta.last_modified,
        })
    }

    async fn window_from_listing(
        &self,
        level: u8,
        window: &LtxWindow,
        wanted: usize,
    ) -> Result<Vec<LtxFileInfo>, StorageError> {
        let prefix = self.layout().level_dir(level);
        let mut listing = match window.after {
            Some(after) => self
                .object_store()
                .list_with_offset(Some(&prefix), &self.ltx_key(level, after)),
            None => self.object_store().list(Some(&prefix)),
        };
        let mut files = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta =
                meta.map_err(self.store_error("list LTX files under", &prefix, Some(level), None))?;
            let Some((found, name)) = self.layout().parse_key(&meta.location) else {
                continue;
            };
            if found != level || !window.admits_name(name) {
                if found == level && window.past_end(name) {
                    break;
                }
                continue;
            }
            if !window.admits_time(meta.last_modified) {
                continue;
            }
            files.push(LtxFileInfo {
                level,
                min_txid: name.min_txid,
                max_txid: name.max_txid,
                size: meta.size,
                created_at: meta.last_modified,
            });
            if files.len() >= wanted {
                break;
            }
        }
        // S3, GCS, Azure and the in-memory store list in key order, which the early stops
        // above rely on; the sort only guards the order of what was kept.
        files.sort_by_key(LtxFileInfo::sort_key);
        Ok(files)
    }
}

/// The sorted LTX file names in a level directory of a `file` replica; empty when the level
/// does not exist.
fn read_level_names(dir: &Path) -> Result<Vec<FileName>, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StorageError::Io {
                operation: "list level directory",
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut names: Vec<FileName> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    names.sort_by_key(|n| sort_key(*n));
    Ok(names)
}

/// One file's listing entry from its `stat` (size, and CreatedAt as the modification time,
/// as the object store's HEAD of a local file reports them), counted as a GET like a HEAD;
/// `None` when the file no longer exists.
fn stat_local(
    dir: &Path,
    level: u8,
    name: FileName,
    metrics: &ReplicaMetrics,
) -> Result<Option<LtxFileInfo>, StorageError> {
    let started = Instant::now();
    let path = dir.join(name.to_string());
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            metrics.record(OperationKind::Get, started.elapsed(), 0, Some("Generic"));
            return Err(StorageError::Io {
                operation: "stat LTX file",
                path,
                source,
            });
        }
    };
    let modified = meta.modified().map_err(|source| StorageError::Io {
        operation: "read the modification time of",
        path: path.clone(),
        source,
    })?;
    metrics.record(OperationKind::Get, started.elapsed(), 0, None);
    Ok(Some(LtxFileInfo {
        level,
        min_txid: name.min_txid,
        max_txid: name.max_txid,
        size: meta.len(),
        created_at: DateTime::<Utc>::from(modified),
    }))
}

/// Windowed listings of a `file` replica's levels with blocking file system calls (the level's
/// names, then a `stat` of each candidate): run it on a blocking thread.
#[derive(Debug, Clone)]
pub struct LocalWindows {
    replica_dir: std::path::PathBuf,
    metrics: std::sync::Arc<ReplicaMetrics>,
}

impl LocalWindows {
    /// The files of `level` inside `window`, as [`ReplicaClient::list_ltx_window`] returns
    /// them. A file that vanishes between the directory read and its `stat` (compaction or
    /// retention removed it) is skipped, as a listing taken a moment later would not show it.
    pub fn list(&self, level: u8, window: &LtxWindow) -> Result<LtxWindowPage, StorageError> {
        if window.limit == 0 {
            return Ok(LtxWindowPage {
                files: Vec::new(),
                more: false,
            });
        }
        let wanted = window.limit.saturating_add(1);
        let dir = self.replica_dir.join("ltx").join(level.to_string());
        let stat = |name: FileName| stat_local(&dir, level, name, &self.metrics);
        let names: Vec<FileName> = read_level_names(&dir)?
            .into_iter()
            .filter(|n| window.admits_name(*n))
            .collect();
        let mut start = 0;
        if let Some(from) = window.created_from {
            // First name created at or after `from` (CreatedAt is non-decreasing by name); a
            // vanished file counts as older (compaction or retention removed it).
            let (mut lo, mut hi) = (0, names.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if stat(names[mid])?.is_none_or(|info| info.created_at < from) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            start = lo;
        }
        let mut files = Vec::new();
        for name in &names[start..] {
            let Some(info) = stat(*name)? else {
                continue;
            };
            if window.created_to.is_some_and(|to| info.created_at > to) {
                break;
            }
            if window.admits_time(info.created_at) {
                files.push(info);
                if files.len() >= wanted {
                    break;
                }
            }
        }
        let more = files.len() > window.limit;
        files.truncate(window.limit);
        Ok(LtxWindowPage { files, more })
    }
}
