//! Fetching the plan's files in parallel, handed to the writer in plan order.
//!
//! A `file` replica's files are read in place (nothing is copied). A remote file is streamed
//! into `<spool>/<level>-<name>` beside the output; at most `parallelism` files are in flight
//! or waiting for the writer, so the spool holds a bounded number of files and memory holds
//! only the object store's chunks in flight.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use futures::stream::{self, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::{Progress, RestoreError, RestoreProgress};
use crate::storage::{LtxFileInfo, ReplicaClient};

/// A file of the plan, ready to be read locally.
#[derive(Debug)]
pub struct Fetched {
    /// The file.
    pub info: LtxFileInfo,
    /// Where its bytes are.
    pub path: PathBuf,
    /// True when `path` is a spooled copy the writer deletes after use.
    pub spooled: bool,
}

#[derive(Clone)]
struct Counters {
    files: Arc<AtomicUsize>,
    bytes: Arc<AtomicU64>,
    progress: Progress,
}

impl Counters {
    fn fetched(&self, info: &LtxFileInfo) {
        let files = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = self.bytes.fetch_add(info.size, Ordering::Relaxed) + info.size;
        self.progress.emit(RestoreProgress::FileFetched {
            level: info.level,
            name: info.name().to_string(),
            size: info.size,
            files_fetched: files,
            bytes_fetched: bytes,
        });
    }
}

/// Fetches `files` with up to `parallelism` at once and sends them, in order, into `tx`.
/// Stops at the first error (returned) or when the receiver is gone (the writer failed).
pub async fn fetch_all(
    client: &ReplicaClient,
    files: Vec<LtxFileInfo>,
    spool: Option<PathBuf>,
    parallelism: usize,
    progress: Progress,
    tx: mpsc::Sender<Fetched>,
) -> Result<(), RestoreError> {
    let counters = Counters {
        files: Arc::default(),
        bytes: Arc::default(),
        progress,
    };
    // Each fetch is its own task so downloads continue while the writer is busy; `buffered`
    // bounds how many are started ahead of the one the writer needs next.
    let mut fetches = stream::iter(files.into_iter().map(|info| {
        let client = client.clone();
        let spool = spool.clone();
        let counters = counters.clone();
        // Aborted when dropped: a failed restore stops its downloads.
        AbortOnDropHandle::new(tokio::spawn(async move {
            let fetched = fetch_one(&client, info, spool.as_deref()).await?;
            counters.fetched(&fetched.info);
            Ok::<_, RestoreError>(fetched)
        }))
    }))
    .buffered(parallelism.max(1));
    while let Some(joined) = fetches.next().await {
        let fetched = joined.map_err(|e| RestoreError::Task {
            operation: "fetching an LTX file",
            reason: e.to_string(),
        })??;
        if tx.send(fetched).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

async fn fetch_one(
    client: &ReplicaClient,
    info: LtxFileInfo,
    spool: Option<&Path>,
) -> Result<Fetched, RestoreError> {
    let name = info.name();
    if let Some(path) = client.local_path(info.level, name) {
        return Ok(Fetched {
            info,
            path,
            spooled: false,
        });
    }
    let Some(spool) = spool else {
        return Err(RestoreError::InvalidOption {
            option: "spool",
            problem: "a remote replica needs a spool directory".into(),
        });
    };
    let path = spool.join(format!("{}-{name}", info.level));
    let mut stream =
        client
            .open_ltx(info.level, name)
            .await
            .map_err(|source| RestoreError::Storage {
                operation: "fetch LTX file",
                source,
            })?;
    let mut out = tokio::fs::File::create(&path)
        .await
        .map_err(|e| RestoreError::io("create spool file", &path, e))?;
    while let Some(chunk) = stream.stream.next().await {
        let chunk = chunk.map_err(|source| RestoreError::Storage {
            operation: "fetch LTX file",
            source,
        })?;
        out.write_all(&chunk)
            .await
            .map_err(|e| RestoreError::io("write spool file", &path, e))?;
    }
    out.flush()
        .await
        .map_err(|e| RestoreError::io("write spool file", &path, e))?;
    Ok(Fetched {
        info,
        path,
        spooled: true,
    })
}
