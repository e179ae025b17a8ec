//! The main database file, seen through one long-lived read-only handle with positional
//! reads: page `N` (1-based) lives at `(N-1) * page_size`. Snapshots read the pages the WAL
//! does not hold from here, and growth pages (`prevCommit+1..commit`) too.
//!
//! Why long-lived: SQLite locks the database file with POSIX advisory locks, which belong to
//! the process, and closing *any* descriptor of that file releases *all* of the process's
//! locks on it, including the ones SQLite holds for the engine's connection. SQLite's own VFS
//! defers such closes; code outside it cannot. So open the file once and drop it only after
//! every SQLite connection of the process on this database is closed (Litestream does the
//! same); [`super::EngineConnection`] owns one and drops it last.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::Result;
use super::error::SqliteError;

/// The 16 bytes every SQLite database file starts with.
pub const SQLITE_HEADER_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The page size stored in a database header's bytes 16..18 (the value 1 means 65536), or
/// `None` if it is not a power of two from 512 to 65536 or the header is shorter than 18 bytes.
pub fn page_size_from_header(header: &[u8]) -> Option<u32> {
    let raw = u16::from_be_bytes([*header.get(16)?, *header.get(17)?]);
    let size = if raw == 1 { 65536 } else { u32::from(raw) };
    (size.is_power_of_two() && size >= 512).then_some(size)
}

/// A read-only handle on a SQLite database file.
#[derive(Debug)]
pub struct DbFile {
    file: File,
    path: PathBuf,
}

impl DbFile {
    /// Opens `path` read-only; a missing file is [`SqliteError::DatabaseMissing`].
    pub fn open(path: impl AsRef<Path>) -> Result<DbFile> {
        let path = path.as_ref();
        match File::open(path) {
            Ok(file) => Ok(DbFile {
                file,
                path: path.to_path_buf(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(SqliteError::DatabaseMissing {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(SqliteError::io("opening database file", path, e)),
        }
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current file size in bytes.
    pub fn size(&self) -> Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| SqliteError::io("sizing database file", &self.path, e))
    }

    /// The page size from the file's header (bytes 16..18, 1 meaning 65536), after checking the
    /// header magic; a file shorter than the 100-byte header is [`SqliteError::DbHeader`] with
    /// field `length` (a new database in WAL mode whose first page is still only in the WAL).
    pub fn page_size(&self) -> Result<u32> {
        let mut head = [0u8; 100];
        let n = read_at_most(&self.file, &mut head)
            .map_err(|e| SqliteError::io("reading database header", &self.path, e))?;
        let bad = |field, value: String, rule| SqliteError::DbHeader {
            path: self.path.clone(),
            field,
            value,
            rule,
        };
        if n < head.len() {
            return Err(bad(
                "length",
                n.to_string(),
                "the file is shorter than the 100-byte database header (no checkpoint has written page 1 yet)",
            ));
        }
        if &head[..16] != SQLITE_HEADER_MAGIC {
            return Err(bad(
                "magic",
                format!("{:02x?}", &head[..16]),
                "expected \"SQLite format 3\\0\" (not a SQLite database, or encrypted)",
            ));
        }
        page_size_from_header(&head).ok_or_else(|| {
            bad(
                "page_size",
                u16::from_be_bytes([head[16], head[17]]).to_string(),
                "expected a power of two from 512 to 32768, or 1 for 65536",
            )
        })
    }

    /// Number of whole pages of `page_size` bytes in the file (its size divided by the page size).
    pub fn page_count(&self, page_size: u32) -> Result<u32> {
        let pages = self.size()? / u64::from(page_size.max(1));
        u32::try_from(pages).map_err(|_| SqliteError::DbHeader {
            path: self.path.clone(),
            field: "length",
            value: pages.to_string(),
            rule: "SQLite databases hold at most 4294967294 pages",
        })
    }

    /// Reads page `pgno` (1-based) of `page_size` bytes into `buf` (exactly one page long);
    /// a page 0 or a page not wholly inside the file is [`SqliteError::PageOutOfRange`].
    pub fn read_page(&self, pgno: u32, page_size: u32, buf: &mut [u8]) -> Result<()> {
        if buf.len() != page_size as usize {
            return Err(SqliteError::BufferSize {
                what: "database page buffer",
                expected: page_size as usize,
                found: buf.len(),
            });
        }
        let out_of_range = |page_count: u64| SqliteError::PageOutOfRange {
            path: self.path.clone(),
            pgno,
            page_count,
            page_size,
        };
        let ps = u64::from(page_size);
        let size = self.size()?;
        let Some(offset) = u64::from(pgno).checked_sub(1).map(|i| i * ps) else {
            return Err(out_of_range(size / ps));
        };
        if offset + ps > size {
            return Err(out_of_range(size / ps));
        }
        match self.file.read_exact_at(buf, offset) {
            Ok(()) => Ok(()),
            // The file shrank between the size check and the read.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(out_of_range(self.size()? / ps))
            }
            Err(e) => Err(SqliteError::io("reading database page", &self.path, e)),
        }
    }
}

fn read_at_most(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_page_size_decoding() {
        let mut h = [0u8; 100];
        h[..16].copy_from_slice(SQLITE_HEADER_MAGIC);
        for (raw, want) in [
            (1u16, Some(65536)),
            (512, Some(512)),
            (4096, Some(4096)),
            (32768, Some(32768)),
            (0, None),
            (256, None),
            (1000, None),
        ] {
            h[16..18].copy_from_slice(&raw.to_be_bytes());
            assert_eq!(page_size_from_header(&h), want, "raw {raw}");
        }
        assert_eq!(page_size_from_header(&h[..17]), None);
    }

    #[test]
    fn real_database_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(
                "PRAGMA page_size=1024; CREATE TABLE t(x); INSERT INTO t VALUES(randomblob(3000));",
            )
            .unwrap();
        }
        let db = DbFile::open(&path).unwrap();
        assert_eq!(db.page_size().unwrap(), 1024);
        let n = db.page_count(1024).unwrap();
        assert_eq!(u64::from(n) * 1024, db.size().unwrap());
        assert!(n >= 4, "{n}");
        let mut page = vec![0u8; 1024];
        db.read_page(1, 1024, &mut page).unwrap();
        assert_eq!(&page[..16], SQLITE_HEADER_MAGIC);
        db.read_page(n, 1024, &mut page).unwrap();
        for bad in [0, n + 1] {
            let e = db.read_page(bad, 1024, &mut page).unwrap_err();
            assert!(
                matches!(e, SqliteError::PageOutOfRange { pgno, page_count, .. } if pgno == bad && page_count == u64::from(n)),
                "{e}"
            );
        }
        let e = db.read_page(1, 1024, &mut [0u8; 4]).unwrap_err();
        assert!(matches!(e, SqliteError::BufferSize { .. }));
    }

    #[test]
    fn short_foreign_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        let e = DbFile::open(&empty).unwrap().page_size().unwrap_err();
        assert!(
            matches!(
                e,
                SqliteError::DbHeader {
                    field: "length",
                    ..
                }
            ),
            "{e}"
        );
        let text = dir.path().join("text.db");
        std::fs::write(&text, [b'x'; 200]).unwrap();
        let e = DbFile::open(&text).unwrap().page_size().unwrap_err();
        assert!(
            matches!(e, SqliteError::DbHeader { field: "magic", .. }),
            "{e}"
        );
        let e = DbFile::open(dir.path().join("nope.db")).unwrap_err();
        assert!(matches!(e, SqliteError::DatabaseMissing { .. }), "{e}");
    }
}
