//! The restore's writes, off the decoding thread: the database is produced as one sequential
//! stream of pages, decoded straight into large buffers ([`PageWriter::slot`]); a full buffer
//! is handed to a writer thread, which writes it with one positioned write while the decoder
//! fills the next.
//!
//! The writes bypass the page cache (`O_DIRECT`) where the filesystem allows it: the data goes
//! from the buffer to the disk while the next buffer is decoded, so the final fsync finds
//! nothing left to write, and the kernel spends no time copying pages into the cache (its
//! buffered write path was ~45% of a restore's CPU). Buffers are aligned to [`ALIGN`] bytes
//! and every write but the last is a whole buffer at a multiple of its size; the last is
//! padded to the alignment and the file cut to its size afterwards. Where the filesystem
//! refuses `O_DIRECT` (tmpfs: `EINVAL` on open or on write), plain buffered writes are used.
//!
//! Memory is bounded: [`BUFFERS`] buffers of [`BUFFER_BYTES`] circulate between the threads.

use std::fs::File;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::RestoreError;

/// Size of one write buffer (a multiple of every page size and of [`ALIGN`]).
pub const BUFFER_BYTES: usize = 8 * 1024 * 1024;
/// Buffers in circulation (one filling, the rest queued or being written).
pub const BUFFERS: usize = 4;
/// Alignment of direct writes: buffer address, file offset and length.
pub const ALIGN: usize = 4096;

/// One aligned buffer, the bytes filled in it and where they go in the file.
struct Batch {
    storage: Vec<u8>,
    start: usize,
    len: usize,
    offset: u64,
}

impl Batch {
    fn new() -> Batch {
        let storage = vec![0u8; BUFFER_BYTES + ALIGN];
        let start = storage.as_ptr().align_offset(ALIGN).min(ALIGN);
        Batch {
            storage,
            start,
            len: 0,
            offset: 0,
        }
    }

    fn buf(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + BUFFER_BYTES]
    }
}

/// How the writer thread reaches the disk.
struct Sink {
    path: PathBuf,
    buffered: File,
    direct: Option<File>,
}

impl Sink {
    fn write(&mut self, batch: &mut Batch) -> Result<(), RestoreError> {
        let len = batch.len;
        if let Some(direct) = &self.direct {
            let padded = len.next_multiple_of(ALIGN);
            let offset = batch.offset;
            let buf = batch.buf();
            buf[len..padded].fill(0);
            match direct.write_all_at(&buf[..padded], offset) {
                Ok(()) => return Ok(()),
                // The filesystem takes no direct writes after all: write through the cache.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.direct = None,
                Err(e) => return Err(RestoreError::io("write restored pages to", &self.path, e)),
            }
        }
        let offset = batch.offset;
        self.buffered
            .write_all_at(&batch.buf()[..len], offset)
            .map_err(|e| RestoreError::io("write restored pages to", &self.path, e))
    }
}

fn write_batches(
    mut sink: Sink,
    batches: Receiver<Batch>,
    free: SyncSender<Batch>,
) -> Result<(), RestoreError> {
    while let Ok(mut batch) = batches.recv() {
        sink.write(&mut batch)?;
        batch.len = 0;
        // The decoder may have finished and gone; then the buffer is simply dropped.
        let _ = free.send(batch);
    }
    Ok(())
}

/// Opens `path` for direct writes, or `None` where the filesystem refuses them.
fn open_direct(path: &Path) -> Option<File> {
    File::options()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

/// Writes the database, page after page, into the temp file through the writer thread.
pub struct PageWriter {
    path: PathBuf,
    batch: Batch,
    /// File offset of the current batch.
    offset: u64,
    to_writer: Option<SyncSender<Batch>>,
    free: Receiver<Batch>,
    thread: Option<JoinHandle<Result<(), RestoreError>>>,
    file: Option<File>,
}

impl PageWriter {
    /// Creates (truncating) the temp database at `path` and starts the writer thread.
    pub fn create(path: &Path) -> Result<PageWriter, RestoreError> {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| RestoreError::io("create temp database", path, e))?;
        let sink = Sink {
            path: path.to_path_buf(),
            buffered: file
                .try_clone()
                .map_err(|e| RestoreError::io("open the temp database for writing", path, e))?,
            direct: open_direct(path),
        };
        let (to_writer, batches) = sync_channel::<Batch>(BUFFERS - 1);
        let (free_tx, free) = sync_channel::<Batch>(BUFFERS);
        for _ in 1..BUFFERS {
            // Cannot fail: the channel has room for every buffer and its receiver is held.
            let _ = free_tx.send(Batch::new());
        }
        let thread = std::thread::Builder::new()
            .name("ltx-restore-write".into())
            .spawn(move || write_batches(sink, batches, free_tx))
            .map_err(|e| RestoreError::io("start the writer thread for", path, e))?;
        Ok(PageWriter {
            path: path.to_path_buf(),
            batch: Batch::new(),
            offset: 0,
            to_writer: Some(to_writer),
            free,
            thread: Some(thread),
            file: Some(file),
        })
    }

    /// Room for the next page of `page_size` bytes (sending the buffer first when it is
    /// full). Decode into it, then [`PageWriter::commit`] it — or don't, and the bytes are
    /// ignored.
    pub fn slot(&mut self, page_size: usize) -> Result<&mut [u8], RestoreError> {
        if self.batch.len + page_size > BUFFER_BYTES {
            self.send()?;
        }
        let start = self.batch.len;
        Ok(&mut self.batch.buf()[start..start + page_size])
    }

    /// Keeps the page just decoded into [`PageWriter::slot`] as the next page of the file.
    pub fn commit(&mut self, page_size: usize) {
        self.batch.len += page_size;
    }

    /// Bytes committed so far: the size of the file once finished.
    pub fn len(&self) -> u64 {
        self.offset + self.batch.len as u64
    }

    fn send(&mut self) -> Result<(), RestoreError> {
        if self.batch.len == 0 {
            return Ok(());
        }
        let next = match self.free.recv() {
            Ok(batch) => batch,
            // The writer thread stopped: its error says why.
            Err(_) => return Err(self.stop().err().unwrap_or_else(|| self.gone())),
        };
        let mut full = std::mem::replace(&mut self.batch, next);
        full.offset = self.offset;
        self.offset += full.len as u64;
        let sent = self.to_writer.as_ref().map(|tx| tx.send(full));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stop().err().unwrap_or_else(|| self.gone())),
        }
    }

    fn gone(&self) -> RestoreError {
        RestoreError::Task {
            operation: "writing the restored database",
            reason: format!("the writer thread for {} stopped", self.path.display()),
        }
    }

    /// Closes the channel and waits for the writer thread.
    fn stop(&mut self) -> Result<(), RestoreError> {
        self.to_writer = None;
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| RestoreError::Task {
                operation: "writing the restored database",
                reason: "the writer thread panicked".into(),
            })?,
            None => Ok(()),
        }
    }

    /// Writes everything committed, waits for the writer thread, cuts the file to the bytes
    /// committed and gives it back (not yet synced).
    pub fn finish(mut self) -> Result<File, RestoreError> {
        let size = self.len();
        self.send()?;
        self.stop()?;
        let file = self.file.take().ok_or_else(|| self.gone())?;
        file.set_len(size)
            .map_err(|e| RestoreError::io("set the size of", &self.path, e))?;
        Ok(file)
    }
}

impl Drop for PageWriter {
    fn drop(&mut self) {
        // A failed restore: let the writer thread drain and end (its result no longer matters).
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pages(path: &Path, pages: u64, ps: usize) {
        let mut w = PageWriter::create(path).unwrap();
        for p in 0..pages {
            w.slot(ps).unwrap().fill((p % 251) as u8);
            w.commit(ps);
            // A page decoded but not committed is ignored.
            if p % 1000 == 7 {
                w.slot(ps).unwrap().fill(0xEE);
            }
        }
        assert_eq!(w.len(), pages * ps as u64);
        drop(w.finish().unwrap());
    }

    fn check_pages(path: &Path, pages: u64, ps: usize) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(bytes.len() as u64, pages * ps as u64);
        for (p, page) in bytes.chunks(ps).enumerate() {
            assert!(page.iter().all(|&b| b == (p % 251) as u8), "page {p}");
        }
    }

    #[test]
    fn pages_are_written_in_sequence_across_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        // Enough pages to cycle every buffer several times, ending mid-buffer.
        let pages = (BUFFER_BYTES * BUFFERS * 2 / 4096) as u64 + 3;
        write_pages(&path, pages, 4096);
        check_pages(&path, pages, 4096);
    }

    #[test]
    fn a_size_that_is_not_a_multiple_of_the_alignment_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        // 512-byte pages: the last direct write is padded, then the file is cut.
        let pages = (BUFFER_BYTES / 512) as u64 + 5;
        write_pages(&path, pages, 512);
        check_pages(&path, pages, 512);
    }
}
