//! A blocking `BufRead` over an async stream of byte chunks (a replica object being
//! downloaded), so the synchronous LTX room can decode a remote file while it streams in.
//!
//! It holds one chunk at a time: memory is bounded by the backend's chunk size, not by the file
//! size. Each missing chunk is awaited with `Handle::block_on`, so it must only be used on a
//! blocking thread (`tokio::task::spawn_blocking`), never on a runtime worker.

use std::io::{self, BufRead, Read};

use bytes::{Buf, Bytes};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::runtime::Handle;

use crate::storage::StorageError;

/// Reads a stream of chunks as one byte sequence, awaiting each chunk on `runtime`.
pub(crate) struct BlockingStreamReader {
    stream: BoxStream<'static, Result<Bytes, StorageError>>,
    chunk: Bytes,
    runtime: Handle,
    done: bool,
}

impl BlockingStreamReader {
    /// Wraps `stream`; chunks are awaited on `runtime` when the reader runs dry.
    pub(crate) fn new(
        stream: BoxStream<'static, Result<Bytes, StorageError>>,
        runtime: Handle,
    ) -> Self {
        BlockingStreamReader {
            stream,
            chunk: Bytes::new(),
            runtime,
            done: false,
        }
    }
}

impl BufRead for BlockingStreamReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.chunk.is_empty() && !self.done {
            match self.runtime.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
                None => self.done = true,
            }
        }
        Ok(&self.chunk)
    }

    fn consume(&mut self, amount: usize) {
        self.chunk.advance(amount.min(self.chunk.len()));
    }
}

impl Read for BlockingStreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_chunks_and_skips_empty_ones() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let chunks: Vec<Result<Bytes, StorageError>> = vec![
            Ok(Bytes::from_static(b"hel")),
            Ok(Bytes::new()),
            Ok(Bytes::from_static(b"lo, ")),
            Ok(Bytes::from_static(b"world")),
        ];
        let stream = futures::stream::iter(chunks).boxed();
        let mut r = BlockingStreamReader::new(stream, runtime.handle().clone());
        let mut out = String::new();
        r.read_to_string(&mut out).expect("read");
        assert_eq!(out, "hello, world");
        assert!(r.fill_buf().expect("eof").is_empty());
    }

    #[test]
    fn a_stream_error_is_an_io_error() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let chunks: Vec<Result<Bytes, StorageError>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Err(StorageError::TimestampOutOfRange {
                level: 1,
                name: crate::ltx::FileName::new(crate::ltx::Txid(1), crate::ltx::Txid(2)),
                timestamp_ms: 0,
            }),
        ];
        let stream = futures::stream::iter(chunks).boxed();
        let mut r = BlockingStreamReader::new(stream, runtime.handle().clone());
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).expect_err("stream error");
        assert_eq!(out, b"abc");
        assert!(err.to_string().contains("0000000000000001"), "{err}");
    }
}
