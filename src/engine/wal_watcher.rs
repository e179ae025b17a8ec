//! File-change notifications for a database's WAL, so a commit is noticed in milliseconds
//! instead of at the next poll. Watches the database's directory (the WAL may not exist yet)
//! and wakes the task for changes to `<db>-wal` or `<db>`. Polling stays the fallback.
//!
//! A watch costs the writer: with it in place every `write` to the WAL queues an event and
//! wakes the watcher's thread (measured: tens of thousands of context switches a second under
//! a write storm). So the task pauses the watch while syncs keep finding new frames (it syncs
//! on its batch interval then), and resumes it once a sync finds the WAL quiet, looking once
//! more right after so a commit just before the resume is not missed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// A running watcher; dropping it stops the notifications.
pub struct WalWatcher {
    watcher: RecommendedWatcher,
    dir: PathBuf,
    active: bool,
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
        Ok(WalWatcher {
            watcher,
            dir,
            active: true,
        })
    }

    /// Stops the notifications until [`WalWatcher::resume`] (events already queued may still
    /// arrive).
    pub fn pause(&mut self) -> notify::Result<()> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        self.watcher.unwatch(&self.dir)
    }

    /// Pauses or resumes the watch.
    pub fn set_paused(&mut self, paused: bool) -> notify::Result<()> {
        if paused { self.pause() } else { self.resume() }
    }

    /// Watches again after [`WalWatcher::pause`].
    pub fn resume(&mut self) -> notify::Result<()> {
        if self.active {
            return Ok(());
        }
        self.watcher.watch(&self.dir, RecursiveMode::NonRecursive)?;
        self.active = true;
        Ok(())
    }
}
