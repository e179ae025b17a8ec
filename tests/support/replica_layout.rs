//! Laying out LTX files exactly as Litestream 0.5's `file://` replica backend does, so tests
//! can hand a hand-made (or mutated) replica to ltx-tui or to the real `litestream`.
//!
//! Layout (checked against Litestream 0.5.17 and 0.5.15 by `tests/fixtures_litestream.rs`):
//!
//! ```text
//! <replica_dir>/ltx/<level in decimal>/<min txid>-<max txid>.ltx   (16 lowercase hex digits each)
//! ```
//!
//! For `file://`, Litestream takes a file's CreatedAt from its **mtime**, and sets that mtime
//! to the LTX header timestamp (whole milliseconds) when it writes the file. `ltx` listings,
//! compaction "too early" checks, retention and `restore -timestamp` all use it. So the mtime
//! written here should be the header timestamp of the bytes written.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Writes each `(level, file name, bytes, timestamp ms)` to `<replica_dir>/ltx/<level>/<name>`
/// (creating directories, replacing existing files) and sets the file's mtime to
/// `timestamp ms` after the Unix epoch (negative values are before it). The name is used as
/// given, so tests can also lay out malformed names; use
/// [`super::litestream::ltx_file_name`] for a proper one. Returns the written paths, in order.
pub fn write_file_replica(
    replica_dir: &Path,
    files: &[(u8, String, Vec<u8>, i64)],
) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(level, name, bytes, timestamp_ms)| {
            let dir = replica_dir.join("ltx").join(level.to_string());
            fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
            let path = dir.join(name);
            fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            let file = File::options()
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
            file.set_modified(system_time_from_ms(*timestamp_ms))
                .unwrap_or_else(|e| panic!("set mtime of {}: {e}", path.display()));
            path
        })
        .collect()
}

/// `UNIX_EPOCH ± ms`.
pub fn system_time_from_ms(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// A file's mtime in whole milliseconds since the Unix epoch (truncated toward negative
/// infinity for times before it).
pub fn mtime_ms(path: &Path) -> i64 {
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("mtime of {}: {e}", path.display()));
    match modified.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap(),
        Err(e) => -i64::try_from(e.duration().as_nanos().div_ceil(1_000_000)).unwrap(),
    }
}
