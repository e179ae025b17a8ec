//! The output side of a restore: the temp file `<output>.tmp`, the spool directory
//! `<output>.tmp-ltx/` for remote files, moving the finished file into place (fsync, rename,
//! fsync of the directory) and the optional integrity check.
//!
//! [`Staging`] removes its temp file and spool when dropped before [`Staging::commit`], so a
//! failed or cancelled restore leaves nothing at the output path. A process killed midway
//! leaves only `<output>.tmp` and the spool, which the next restore to that path removes.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::guard::with_suffix;
use super::{IntegrityCheck, RestoreError};

/// The temp file and spool of one restore.
#[derive(Debug)]
pub struct Staging {
    output: PathBuf,
    tmp: PathBuf,
    spool: PathBuf,
    armed: bool,
}

fn remove_file_if_exists(path: &Path) -> Result<(), RestoreError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(RestoreError::io("remove", path, e))
        }
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(path: &Path) -> Result<(), RestoreError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(RestoreError::io("remove", path, e))
        }
        _ => Ok(()),
    }
}

/// Fsyncs a directory so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), RestoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| RestoreError::io("fsync directory", dir, e))
}

impl Staging {
    /// Creates the output's parent directory if missing, removes what an earlier killed
    /// restore to the same path left, and creates the spool directory.
    pub fn prepare(output: &Path) -> Result<Staging, RestoreError> {
        if let Some(parent) = output.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| RestoreError::io("create output directory", parent, e))?;
        }
        let staging = Staging {
            output: output.to_path_buf(),
            tmp: with_suffix(output, ".tmp"),
            spool: with_suffix(output, ".tmp-ltx"),
            armed: true,
        };
        remove_file_if_exists(&staging.tmp)?;
        remove_dir_if_exists(&staging.spool)?;
        std::fs::create_dir(&staging.spool)
            .map_err(|e| RestoreError::io("create spool directory", &staging.spool, e))?;
        Ok(staging)
    }

    /// The temp database file.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// The spool directory: remote files as they are fetched, and the overlay.
    pub fn spool(&self) -> &Path {
        &self.spool
    }

    /// Removes `sidecars`, renames the (already fsynced) temp file to the output and fsyncs
    /// the directory; removes the spool.
    pub fn commit(mut self, sidecars: &[PathBuf]) -> Result<(), RestoreError> {
        for sidecar in sidecars {
            remove_file_if_exists(sidecar)?;
        }
        std::fs::rename(&self.tmp, &self.output)
            .map_err(|e| RestoreError::io("rename the restored file to", &self.output, e))?;
        self.armed = false;
        if let Some(parent) = self.output.parent() {
            sync_dir(parent)?;
        }
        remove_dir_if_exists(&self.spool)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the error that got us here is the one worth reporting.
            let _ = std::fs::remove_file(&self.tmp);
        }
        let _ = std::fs::remove_dir_all(&self.spool);
    }
}

/// Runs the integrity check on the restored database; on failure removes it and its `-wal`
/// and `-shm` and returns [`RestoreError::IntegrityCheckFailed`].
pub fn integrity_check(path: &Path, mode: IntegrityCheck) -> Result<(), RestoreError> {
    let pragma = match mode {
        IntegrityCheck::None => return Ok(()),
        IntegrityCheck::Quick => "PRAGMA quick_check",
        IntegrityCheck::Full => "PRAGMA integrity_check",
    };
    let rows = run_check(path, pragma);
    let result = match rows {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => return Ok(()),
        Ok(rows) => rows.into_iter().take(5).collect::<Vec<_>>().join("; "),
        Err(e) => e.to_string(),
    };
    for p in [
        path.to_path_buf(),
        with_suffix(path, "-wal"),
        with_suffix(path, "-shm"),
    ] {
        remove_file_if_exists(&p)?;
    }
    Err(RestoreError::IntegrityCheckFailed {
        mode: mode.as_str(),
        path: path.to_path_buf(),
        result,
    })
}

fn run_check(path: &Path, pragma: &str) -> Result<Vec<String>, rusqlite::Error> {
    let conn = Connection::open(path)?;
    let mut stmt = conn.prepare(pragma)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
