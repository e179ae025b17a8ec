//! The preview cache: restored databases and their summaries, one entry per (replica, TXID).
//!
//! An entry is `<key>.db` (the database restored at that TXID) and `<key>.json` (its
//! [`PointSummary`]), where `<key>` is `<crc64 of the replica URL, 16 hex>-<TXID>`. A point is
//! immutable — a replica's state at a TXID never changes — so an entry never goes stale. The
//! cache is bounded: after each insertion the least recently used databases are removed until
//! at most `max_entries` remain and their total size is at most `max_bytes` (the entry just
//! made is kept, even alone above the budget, until the next insertion). A summary without
//! its database is still a hit; summaries are bounded by `max_entries × 16`.
//!
//! Writers restore into a unique temporary name and rename, so concurrent previews of the same
//! point (in one process or several) never see a half-written entry.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::OpsError;
use super::preview_params::TablePreview;
use crate::ltx::Txid;

/// Default budget of cached databases.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;
/// Default number of cached databases.
pub const DEFAULT_MAX_ENTRIES: usize = 16;

/// What a preview reports about one point, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointSummary {
    /// The TXID.
    pub txid: Txid,
    /// Database page size.
    pub page_size: u32,
    /// Database size in pages.
    pub page_count: u32,
    /// Schema objects with row counts.
    pub tables: Vec<TablePreview>,
}

/// A bounded directory of restored points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewCache {
    dir: PathBuf,
    max_bytes: u64,
    max_entries: usize,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OpsError {
    let path = path.to_path_buf();
    move |source| OpsError::Io {
        operation,
        path,
        source,
    }
}

impl PreviewCache {
    /// A cache in `dir` with the default bounds.
    pub fn new(dir: impl Into<PathBuf>) -> PreviewCache {
        PreviewCache {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }

    /// The user cache directory (`…/ltx-tui/preview` from `directories`), else a directory
    /// under the system temp dir.
    pub fn default_dir() -> PathBuf {
        directories::ProjectDirs::from("", "", "ltx-tui")
            .map(|d| d.cache_dir().join("preview"))
            .unwrap_or_else(|| std::env::temp_dir().join("ltx-tui-preview"))
    }

    /// Sets the bounds (`max_entries` at least 1).
    pub fn with_bounds(mut self, max_bytes: u64, max_entries: usize) -> PreviewCache {
        self.max_bytes = max_bytes;
        self.max_entries = max_entries.max(1);
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key(replica: &str, txid: Txid) -> String {
        let hash = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64GoIso, replica.as_bytes());
        format!("{hash:016x}-{txid}")
    }

    /// The cached database of the point, if any.
    pub fn db_path(&self, replica: &str, txid: Txid) -> PathBuf {
        self.dir.join(format!("{}.db", Self::key(replica, txid)))
    }

    fn summary_path(&self, replica: &str, txid: Txid) -> PathBuf {
        self.dir.join(format!("{}.json", Self::key(replica, txid)))
    }

    /// The cached summary of the point (and marks it used). A missing or unreadable entry is
    /// a miss.
    pub fn get(&self, replica: &str, txid: Txid) -> Option<PointSummary> {
        let path = self.summary_path(replica, txid);
        let summary: PointSummary = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
        touch(&path);
        touch(&self.db_path(replica, txid));
        Some(summary)
    }

    /// A fresh, unique path in the cache directory for restoring the point (created if
    /// missing); [`PreviewCache::insert`] moves it into place.
    pub fn scratch_path(&self, replica: &str, txid: Txid) -> Result<PathBuf, OpsError> {
        std::fs::create_dir_all(&self.dir).map_err(io("create preview cache", &self.dir))?;
        let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
        Ok(self.dir.join(format!(
            "{}.scratch-{}-{n}.db",
            Self::key(replica, txid),
            std::process::id()
        )))
    }

    /// Moves the restored `scratch` database into place with its summary, then evicts.
    pub fn insert(
        &self,
        replica: &str,
        scratch: &Path,
        summary: &PointSummary,
    ) -> Result<PathBuf, OpsError> {
        let db = self.db_path(replica, summary.txid);
        std::fs::rename(scratch, &db).map_err(io("move preview database to", &db))?;
        let json = self.summary_path(replica, summary.txid);
        let tmp = json.with_extension(format!("json.tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(summary).map_err(|e| OpsError::Task {
            operation: "encode preview summary",
            message: e.to_string(),
        })?;
        std::fs::write(&tmp, bytes).map_err(io("write preview summary", &tmp))?;
        std::fs::rename(&tmp, &json).map_err(io("write preview summary", &json))?;
        self.evict(&db)?;
        Ok(db)
    }

    /// Removes least recently used entries beyond the bounds, never `keep`.
    fn evict(&self, keep: &Path) -> Result<(), OpsError> {
        let mut dbs = Vec::new();
        let mut summaries = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(io("list preview cache", &self.dir))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.contains(".scratch-") || name.contains(".tmp") {
                continue;
            }
            if name.ends_with(".db") {
                dbs.push((used, meta.len(), path));
            } else if name.ends_with(".json") {
                summaries.push((used, path));
            }
        }
        // Newest first; everything past the bounds goes.
        dbs.sort_by_key(|d| std::cmp::Reverse(d.0));
        let (mut total, mut kept) = (0u64, 0usize);
        for (_, len, path) in dbs {
            let fits = kept < self.max_entries && total + len <= self.max_bytes;
            if path == keep || fits {
                total += len;
                kept += 1;
            } else {
                remove_quietly(&path);
            }
        }
        summaries.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (_, path) in summaries.into_iter().skip(self.max_entries * 16) {
            remove_quietly(&path);
        }
        Ok(())
    }
}

/// Marks a file as just used (its mtime orders eviction); best effort.
fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Removes a file another process may already have removed.
fn remove_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn summary(txid: u64) -> PointSummary {
        PointSummary {
            txid: Txid(txid),
            page_size: 4096,
            page_count: 1,
            tables: Vec::new(),
        }
    }

    fn put(cache: &PreviewCache, replica: &str, txid: u64, len: usize) -> PathBuf {
        let scratch = cache.scratch_path(replica, Txid(txid)).unwrap();
        std::fs::write(&scratch, vec![0u8; len]).unwrap();
        let db = cache.insert(replica, &scratch, &summary(txid)).unwrap();
        // Distinct mtimes whatever the file system's timestamp granularity.
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + txid);
        std::fs::File::options()
            .append(true)
            .open(&db)
            .unwrap()
            .set_modified(t)
            .unwrap();
        db
    }

    #[test]
    fn entries_are_keyed_by_replica_and_txid() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PreviewCache::new(dir.path());
        assert_eq!(cache.get("file:///a", Txid(1)), None);
        put(&cache, "file:///a", 1, 10);
        assert_eq!(cache.get("file:///a", Txid(1)), Some(summary(1)));
        assert_eq!(cache.get("file:///b", Txid(1)), None);
        assert_eq!(cache.get("file:///a", Txid(2)), None);
        assert_ne!(
            cache.db_path("file:///a", Txid(1)),
            cache.db_path("file:///b", Txid(1))
        );
    }

    #[test]
    fn the_least_recently_used_databases_beyond_the_bounds_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PreviewCache::new(dir.path()).with_bounds(250, 2);
        let a = put(&cache, "r", 1, 100);
        let b = put(&cache, "r", 2, 100);
        assert!(a.exists() && b.exists());
        // A third: the oldest (1) goes by count.
        let c = put(&cache, "r", 3, 100);
        assert!(!a.exists() && b.exists() && c.exists());
        // One of 200 bytes: only it and nothing else fits 250.
        let d = put(&cache, "r", 4, 200);
        assert!(!b.exists() && !c.exists() && d.exists());
        // An entry bigger than the budget is kept until the next insertion.
        let e = put(&cache, "r", 5, 300);
        assert!(e.exists() && !d.exists());
        let f = put(&cache, "r", 6, 10);
        assert!(!e.exists() && f.exists());
        // The summaries outlive their databases (bounded separately).
        assert_eq!(cache.get("r", Txid(1)), Some(summary(1)));
    }
}
