//! A read-only handle on a database's `-wal` file with positional reads (`pread`): no seek
//! state, so one handle serves the scanner and on-demand page reads alike, and nothing is
//! buffered beyond what a call asks for. Closing it releases no SQLite lock (SQLite locks
//! the database file and the `-shm` file, never the WAL), so it may be opened per sync.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::Result;
use super::error::{SqliteError, WalNotReady};
use super::wal_frame::{FrameHeader, WAL_FRAME_HEADER_SIZE, frame_index};
use super::wal_header::WalHeader;

/// An open WAL file.
#[derive(Debug)]
pub struct WalFile {
    file: File,
    path: PathBuf,
}

impl WalFile {
    /// Opens `path` read-only; a missing file is [`SqliteError::WalNotReady`] (retryable).
    pub fn open(path: impl AsRef<Path>) -> Result<WalFile> {
        let path = path.as_ref();
        match File::open(path) {
            Ok(file) => Ok(WalFile {
                file,
                path: path.to_path_buf(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(SqliteError::WalNotReady {
                path: path.to_path_buf(),
                reason: WalNotReady::Missing,
            }),
            Err(e) => Err(SqliteError::io("opening WAL", path, e)),
        }
    }

    /// Wraps an already open file; `path` names it in errors.
    pub fn from_file(file: File, path: impl Into<PathBuf>) -> WalFile {
        WalFile {
            file,
            path: path.into(),
        }
    }

    /// The WAL's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current file size in bytes.
    pub fn size(&self) -> Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| SqliteError::io("sizing WAL", &self.path, e))
    }

    /// Reads and validates the 32-byte header (see [`WalHeader::decode`] for the error cases).
    pub fn read_header(&self) -> Result<WalHeader> {
        let mut buf = [0u8; 32];
        let n = self.read_at_most(0, &mut buf, "reading WAL header")?;
        WalHeader::decode(&buf[..n], &self.path)
    }

    /// Reads the header of the frame at `offset`, or `None` when the file ends before it.
    pub fn read_frame_header(&self, offset: u64) -> Result<Option<FrameHeader>> {
        let mut buf = [0u8; WAL_FRAME_HEADER_SIZE as usize];
        let n = self.read_at_most(offset, &mut buf, "reading WAL frame header")?;
        Ok((n == buf.len()).then(|| FrameHeader::decode(&buf)))
    }

    /// Reads the frame at `offset` (header plus page into `page`, which must be one page long),
    /// without verifying it; the frame must be complete in the file.
    pub fn read_frame(&self, offset: u64, page: &mut [u8]) -> Result<FrameHeader> {
        let mut head = [0u8; WAL_FRAME_HEADER_SIZE as usize];
        self.file
            .read_exact_at(&mut head, offset)
            .and_then(|()| {
                self.file
                    .read_exact_at(page, offset + WAL_FRAME_HEADER_SIZE)
            })
            .map_err(|e| SqliteError::io("reading WAL frame", &self.path, e))?;
        Ok(FrameHeader::decode(&head))
    }

    /// Fills `buf` from `offset` until it is full or the file ends; returns the bytes read.
    pub(crate) fn read_at_most(
        &self,
        offset: u64,
        buf: &mut [u8],
        operation: &'static str,
    ) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SqliteError::io(operation, &self.path, e)),
            }
        }
        Ok(filled)
    }

    /// Index of the frame at `offset` for `page_size`, or a [`SqliteError::MisalignedOffset`].
    pub(crate) fn frame_index_at(&self, page_size: u32, offset: u64) -> Result<u64> {
        frame_index(page_size, offset).ok_or_else(|| SqliteError::MisalignedOffset {
            path: self.path.clone(),
            offset,
            page_size,
        })
    }
}
