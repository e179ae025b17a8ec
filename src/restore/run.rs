//! The restore itself: guard the output, list, plan, then fetch (async tasks) and apply (one
//! blocking writer thread) concurrently, move the result into place and check it.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use tokio::sync::mpsc;

use super::fetch::{Fetched, fetch_all};
use super::merge::{Merged, merge, open_snapshot};
use super::output::{Staging, integrity_check};
use super::overlay::OverlayBuilder;
use super::write_pipe::PageWriter;
use super::{
    Progress, RestoreError, RestoreOptions, RestoreOutcome, RestorePlan, RestoreProgress,
    RestoreReport, RestoreTarget, guard, plan,
};
use crate::storage::{LtxFileInfo, ReplicaClient};

/// Read buffer of each LTX file while it is applied.
const READ_BUFFER_BYTES: usize = 1024 * 1024;

/// Every LTX file of the replica, with CreatedAt from the timestamp metadata for timestamp
/// targets (one HEAD per file on object stores, as Litestream does).
pub async fn list_for_target(
    client: &ReplicaClient,
    target: &RestoreTarget,
) -> Result<Vec<LtxFileInfo>, RestoreError> {
    let storage = |source| RestoreError::Storage {
        operation: "list the replica's LTX files",
        source,
    };
    let mut files = client.list_all().await.map_err(storage)?;
    if matches!(target, RestoreTarget::Timestamp(_)) {
        client
            .created_at_from_metadata(&mut files)
            .await
            .map_err(storage)?;
    }
    Ok(files)
}

/// The dry run: lists the replica and plans a restore to `target` without writing anything.
pub async fn plan_restore(
    client: &ReplicaClient,
    target: &RestoreTarget,
) -> Result<RestorePlan, RestoreError> {
    plan(&list_for_target(client, target).await?, target)
}

/// Restores the replica behind `client` as `opts` says, reporting to `progress`.
///
/// Nothing is written to the output path unless the whole restore succeeds: the database is
/// built in `<output>.tmp`, fsynced, renamed over the output, and the directory fsynced. On
/// any error (a corrupt file, a failed download, a full disk) the temp files are removed and
/// the error names the file and the problem.
pub async fn restore(
    client: &ReplicaClient,
    opts: &RestoreOptions,
    progress: &Progress,
) -> Result<RestoreOutcome, RestoreError> {
    let started = Instant::now();
    if opts.parallelism == 0 {
        return Err(RestoreError::InvalidOption {
            option: "parallelism",
            problem: "must be at least 1".into(),
        });
    }
    let output = std::path::absolute(&opts.output)
        .map_err(|e| RestoreError::io("resolve output path", &opts.output, e))?;
    if opts.if_db_not_exists && output.exists() {
        return Ok(RestoreOutcome::SkippedDbExists { output });
    }
    let sidecars = guard::check_output(&output, opts)?;
    let plan = match plan_restore(client, &opts.target).await {
        Err(e) if e.is_no_backup() && opts.if_replica_exists => {
            return Ok(RestoreOutcome::SkippedNoBackup {
                reason: e.to_string(),
            });
        }
        result => result?,
    };
    progress.emit(RestoreProgress::Planned {
        files: plan.files.len(),
        total_bytes: plan.total_bytes,
        txid: plan.txid,
    });

    let staging = Staging::prepare(&output)?;
    let applied = fetch_and_apply(client, &plan, &staging, opts.parallelism, progress).await?;
    progress.emit(RestoreProgress::Finishing {
        page_count: applied.page_count,
    });
    staging.commit(&sidecars)?;
    if opts.integrity_check != super::IntegrityCheck::None {
        progress.emit(RestoreProgress::Checking {
            mode: opts.integrity_check.as_str().into(),
        });
        let (path, mode) = (output.clone(), opts.integrity_check);
        tokio::task::spawn_blocking(move || integrity_check(&path, mode))
            .await
            .map_err(|e| RestoreError::Task {
                operation: "running the integrity check",
                reason: e.to_string(),
            })??;
    }
    progress.emit(RestoreProgress::Done {
        txid: applied.txid,
        pages_written: applied.pages_written,
    });
    Ok(RestoreOutcome::Restored(RestoreReport {
        output,
        txid: applied.txid,
        bytes_fetched: plan.total_bytes,
        pages_written: applied.pages_written,
        page_size: applied.page_size,
        page_count: applied.page_count,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        integrity_check: opts.integrity_check,
        plan,
    }))
}

async fn fetch_and_apply(
    client: &ReplicaClient,
    plan: &RestorePlan,
    staging: &Staging,
    parallelism: usize,
    progress: &Progress,
) -> Result<Merged, RestoreError> {
    // A `file` replica's files need no spool: the whole plan may wait for the writer, which
    // then never sleeps between small files (a few dozen bytes each in the channel).
    let capacity = if client.local_dir().is_some() {
        plan.files.len().max(1)
    } else {
        parallelism
    };
    let (tx, rx) = mpsc::channel(capacity);
    let writer = {
        let tmp = staging.tmp().to_path_buf();
        let spool = staging.spool().to_path_buf();
        let expected = plan.files.len();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || write_all(&tmp, &spool, rx, expected, &progress))
    };
    let spool = client
        .local_dir()
        .is_none()
        .then(|| staging.spool().to_path_buf());
    let fetched = fetch_all(
        client,
        plan.files.clone(),
        spool,
        parallelism,
        progress.clone(),
        tx,
    )
    .await;
    let written = writer.await.map_err(|e| RestoreError::Task {
        operation: "writing the restored database",
        reason: e.to_string(),
    });
    // A fetch error explains a writer that stopped early, so it comes first.
    fetched?;
    written?
}

/// The writer thread: verifies and indexes the overlay (every file after the snapshot), then
/// streams the snapshot merged with it into the temp file, and syncs it.
fn write_all(
    tmp: &Path,
    spool: &Path,
    mut rx: mpsc::Receiver<Fetched>,
    expected: usize,
    progress: &Progress,
) -> Result<Merged, RestoreError> {
    let stopped = |received: usize| RestoreError::Task {
        operation: "applying LTX files",
        reason: format!("the fetcher stopped after {received} of {expected} files"),
    };
    let first = rx.blocking_recv().ok_or_else(|| stopped(0))?;
    let (snapshot, dec) = open_snapshot(&first.info, open_ltx(&first)?)?;
    // The open file stays readable: a spooled snapshot leaves the disk when it is closed.
    remove_spooled(&first)?;
    let mut builder = OverlayBuilder::new(&spool.join("overlay"), *dec.header())?;
    let mut received = 1usize;
    while let Some(fetched) = rx.blocking_recv() {
        builder.add(&fetched.info, open_ltx(&fetched)?, progress)?;
        remove_spooled(&fetched)?;
        received += 1;
    }
    if received != expected {
        return Err(stopped(received));
    }
    let mut overlay = builder.finish()?;
    let writer = PageWriter::create(tmp)?;
    let (file, merged) = merge(snapshot, dec, &mut overlay, writer, progress)?;
    file.sync_all()
        .map_err(|e| RestoreError::io("fsync", tmp, e))?;
    Ok(merged)
}

/// Opens a fetched file for decoding.
fn open_ltx(fetched: &Fetched) -> Result<BufReader<File>, RestoreError> {
    let path = &fetched.path;
    let file = File::open(path).map_err(|e| RestoreError::io("open LTX file", path, e))?;
    // A small L0 file needs no large buffer (allocating one per file costs page faults).
    let capacity = usize::try_from(fetched.info.size)
        .unwrap_or(READ_BUFFER_BYTES)
        .clamp(8 * 1024, READ_BUFFER_BYTES);
    Ok(BufReader::with_capacity(capacity, file))
}

/// Removes a spooled copy once it is open or read.
fn remove_spooled(fetched: &Fetched) -> Result<(), RestoreError> {
    if fetched.spooled {
        std::fs::remove_file(&fetched.path)
            .map_err(|e| RestoreError::io("remove spooled file", &fetched.path, e))?;
    }
    Ok(())
}
