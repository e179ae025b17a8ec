//! A reader that counts the bytes it has delivered, so errors can name byte offsets.

use std::io::{self, BufRead, Read};

/// Wraps a reader and tracks the absolute offset of the next byte.
#[derive(Debug)]
pub(crate) struct CountingReader<R> {
    inner: R,
    offset: u64,
}

impl<R: BufRead> CountingReader<R> {
    /// Starts counting at `offset`.
    pub(crate) fn new(inner: R, offset: u64) -> Self {
        CountingReader { inner, offset }
    }

    /// The offset of the next byte to be read.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Gives back the wrapped reader.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.offset += amount as u64;
    }
}
