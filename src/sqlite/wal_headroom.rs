//! Room past the end of the WAL's frames, reserved so that the end of a WAL generation is
//! always followed by bytes that are not one of its frames.
//!
//! When a WAL restarts while the engine holds no lock, the engine reads the old generation's
//! last frames after the fact, and must know where that generation ended. A frame that fails
//! verification right after the last valid one proves it; the end of the file does not (the
//! file may have been cut there). With the file extended ahead of the frames, the proof is
//! always there.
//!
//! The file is grown with `fallocate(2)` in its default mode, which allocates and extends but
//! never shrinks: SQLite may be appending frames at the same moment, and nothing it wrote can
//! be cut. The new bytes read as zeros, which no frame verifies against (SQLite's own
//! recovery stops there too). Where `fallocate` is missing (other systems, some file
//! systems), nothing is reserved and the caller keeps to the write barrier.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// What [`reserve`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headroom {
    /// The file is at least the size asked for (`grown`: it was extended now).
    Reserved {
        /// True when this call extended the file.
        grown: bool,
    },
    /// This system or file system cannot extend a file without the risk of cutting it.
    Unsupported,
}

/// Makes the file at `path` at least `size` bytes long without ever shortening it.
///
/// Errors are real failures (no space, permission); [`Headroom::Unsupported`] is not one.
pub fn reserve(path: &Path, size: u64) -> io::Result<Headroom> {
    let file = OpenOptions::new().write(true).open(path)?;
    let len = file.metadata()?.len();
    if len >= size {
        return Ok(Headroom::Reserved { grown: false });
    }
    extend(&file, len, size)
}

#[cfg(target_os = "linux")]
fn extend(file: &std::fs::File, from: u64, to: u64) -> io::Result<Headroom> {
    use nix::errno::Errno;
    use nix::fcntl::{FallocateFlags, fallocate};
    let off = i64::try_from(from).map_err(io::Error::other)?;
    let len = i64::try_from(to - from).map_err(io::Error::other)?;
    match fallocate(file, FallocateFlags::empty(), off, len) {
        Ok(()) => Ok(Headroom::Reserved { grown: true }),
        Err(Errno::EOPNOTSUPP | Errno::ENOSYS) => Ok(Headroom::Unsupported),
        Err(e) => Err(io::Error::from(e)),
    }
}

#[cfg(not(target_os = "linux"))]
fn extend(_file: &std::fs::File, _from: u64, _to: u64) -> io::Result<Headroom> {
    Ok(Headroom::Unsupported)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn extends_with_zeros_and_never_shortens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-wal");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(&[7u8; 100])
            .unwrap();

        let first = reserve(&path, 4096).unwrap();
        if first == Headroom::Unsupported {
            // Only where fallocate is missing; the engine then never relies on headroom.
            assert_eq!(std::fs::read(&path).unwrap(), vec![7u8; 100]);
            return;
        }
        assert_eq!(first, Headroom::Reserved { grown: true });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert_eq!(&bytes[..100], &[7u8; 100][..]);
        assert!(bytes[100..].iter().all(|b| *b == 0));

        // A smaller request leaves the file as it is.
        assert_eq!(
            reserve(&path, 50).unwrap(),
            Headroom::Reserved { grown: false }
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = reserve(&dir.path().join("nope-wal"), 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
