//! The output guard: what a restore may overwrite. Checked before anything is listed or
//! written.
//!
//! The rule, in order:
//! 1. an output that is a database of the loaded configuration and is not empty needs
//!    `force` ([`RestoreError::ConfiguredDatabase`]); a missing or empty one is the normal
//!    restore-before-start case and is allowed;
//! 2. any other non-empty output needs `force` ([`RestoreError::OutputExists`]);
//! 3. an existing `-wal`, `-shm` or `-journal` of the output needs `force` (SQLite would apply
//!    a stale WAL or journal to the restored file);
//! 4. with `force`, an existing output is probed: if another process holds a SQLite lock on
//!    it — every WAL-mode connection holds a shared lock on the database file for as long as
//!    it is open, and a replicator (ltx-tui or Litestream) keeps one open — the restore is
//!    refused ([`RestoreError::DatabaseInUse`]). A rollback-journal database whose
//!    connections are idle holds no lock and cannot be detected; that is why rule 1 exists.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{RestoreError, RestoreOptions};

/// SQLite's sidecar suffixes that `force` removes.
pub const SIDECAR_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// `<path><suffix>`.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The sidecars of `output` that exist.
pub fn existing_sidecars(output: &Path) -> Vec<PathBuf> {
    SIDECAR_SUFFIXES
        .iter()
        .map(|s| with_suffix(output, s))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Applies the guard's rules to `output` (absolute); returns the sidecars to remove when the
/// restored file is moved into place.
pub fn check_output(output: &Path, opts: &RestoreOptions) -> Result<Vec<PathBuf>, RestoreError> {
    let size = match std::fs::metadata(output) {
        Ok(meta) if meta.is_dir() => {
            return Err(RestoreError::io(
                "restore to",
                output,
                std::io::Error::other("the output path is a directory"),
            ));
        }
        Ok(meta) => Some(meta.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(RestoreError::io("inspect output", output, e)),
    };
    let non_empty = size.is_some_and(|s| s > 0);
    if non_empty && !opts.force {
        if opts.replicated_dbs.iter().any(|db| same_file(db, output)) {
            return Err(RestoreError::ConfiguredDatabase {
                path: output.to_path_buf(),
            });
        }
        return Err(RestoreError::OutputExists {
            path: output.to_path_buf(),
        });
    }
    let sidecars = existing_sidecars(output);
    if let (Some(sidecar), false) = (sidecars.first(), opts.force) {
        return Err(RestoreError::SidecarExists {
            output: output.to_path_buf(),
            sidecar: sidecar.clone(),
        });
    }
    if non_empty && let Some(reason) = probe_in_use(output)? {
        return Err(RestoreError::DatabaseInUse {
            path: output.to_path_buf(),
            reason,
        });
    }
    Ok(sidecars)
}

/// Whether another process holds a SQLite lock on the database at `path`: `Some(what SQLite
/// said)` if so. The probe opens the file in exclusive locking mode and asks for an exclusive
/// transaction without waiting, then rolls back; a file that is not a database is not in use.
pub fn probe_in_use(path: &Path) -> Result<Option<String>, RestoreError> {
    let sqlite = |operation, source| RestoreError::Sqlite {
        operation,
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sqlite("open for the in-use probe", e))?;
    conn.busy_timeout(Duration::ZERO)
        .map_err(|e| sqlite("set busy timeout for the in-use probe", e))?;
    let result = conn
        .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| {
            r.get::<_, String>(0)
        })
        .and_then(|_| conn.execute_batch("BEGIN EXCLUSIVE; ROLLBACK;"));
    match result {
        Ok(()) => Ok(None),
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            Ok(Some(msg.unwrap_or_else(|| e.to_string())))
        }
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => Ok(None),
        Err(e) => Err(sqlite("probe whether another process uses", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_db(dir: &Path) -> PathBuf {
        let path = dir.join("app.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        path
    }

    #[test]
    fn a_wal_database_open_elsewhere_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let other = Connection::open(&path).unwrap();
        let _: i64 = other
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(probe_in_use(&path).unwrap().is_some());
        // A read transaction held open (what a replicator does) is in use too.
        other.execute_batch("BEGIN; SELECT * FROM t;").unwrap();
        assert!(probe_in_use(&path).unwrap().is_some());
        other.execute_batch("COMMIT").unwrap();
        drop(other);
        assert_eq!(probe_in_use(&path).unwrap(), None);
        // The probe left the database intact.
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_not_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk");
        std::fs::write(&path, vec![7u8; 8192]).unwrap();
        assert_eq!(probe_in_use(&path).unwrap(), None);
    }

    #[test]
    fn the_guard_refuses_existing_outputs_and_sidecars_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.db");
        let mut opts = RestoreOptions::new(&out);
        assert_eq!(check_output(&out, &opts).unwrap(), Vec::<PathBuf>::new());
        std::fs::write(&out, b"").unwrap();
        assert!(check_output(&out, &opts).is_ok(), "an empty output is fine");
        std::fs::write(&out, b"x").unwrap();
        let err = check_output(&out, &opts).unwrap_err();
        assert!(matches!(err, RestoreError::OutputExists { .. }), "{err}");
        opts.replicated_dbs = vec![out.clone()];
        let err = check_output(&out, &opts).unwrap_err();
        assert!(
            matches!(err, RestoreError::ConfiguredDatabase { .. }),
            "{err}"
        );
        std::fs::remove_file(&out).unwrap();
        assert!(
            check_output(&out, &opts).is_ok(),
            "a missing configured db is fine"
        );
        std::fs::write(with_suffix(&out, "-wal"), b"w").unwrap();
        let err = check_output(&out, &opts).unwrap_err();
        assert!(matches!(err, RestoreError::SidecarExists { .. }), "{err}");
        opts.force = true;
        assert_eq!(
            check_output(&out, &opts).unwrap(),
            vec![with_suffix(&out, "-wal")]
        );
    }

    #[test]
    fn force_still_refuses_a_database_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN; SELECT * FROM t;").unwrap();
        let mut opts = RestoreOptions::new(&path);
        opts.force = true;
        let err = check_output(&path, &opts).unwrap_err();
        assert!(matches!(err, RestoreError::DatabaseInUse { .. }), "{err}");
    }
}
