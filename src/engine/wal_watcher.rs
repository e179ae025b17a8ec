//! File-change notifications for a database's WAL, so a commit is noticed in milliseconds
//! instead of at the next poll. Watches the database's directory (the WAL may not exist yet)
//! and wakes the task for changes to `<db>-wal` or `<db>`. Polling stays the fallback.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// A running watcher; dropping it stops the notifications.
pub struct WalWatcher {
    _watcher: RecommendedWatcher,
}

impl WalWatcher {
    /// Starts watching `db_path`'s WAL; `changed` is notified on every relevant change.
    pub fn start(db_path: &Path, changed: Arc<Notify>) -> notify::Result<Self> {
        let dir = db_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let db = db_path.to_path_buf();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            if let Ok(event) = event
                && event.kind.is_modify() | event.kind.is_create()
                && event.paths.iter().any(|p| *p == wal || *p == db)
            {
                changed.notify_one();
            }
        })?;
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
        Ok(WalWatcher { _watcher: watcher })
    }
}
