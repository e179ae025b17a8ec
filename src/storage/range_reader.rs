//! A blocking adapter from an object to the LTX room's synchronous [`RangeRead`] trait, so
//! `ltx::read_page_index` and `ltx::read_page` run unchanged against a remote object.
//!
//! Design choice: `RangeRead` is sync and the LTX room stays free of tokio, so instead of an
//! async copy of the page-index logic, each `read_range` here blocks on the async object store
//! through a runtime [`Handle`]. It must therefore run on a thread where blocking is allowed
//! (`tokio::task::spawn_blocking` or a plain thread), never on an async worker thread: there,
//! `Handle::block_on` panics. [`super::ReplicaClient::read_page_index`] and
//! [`super::ReplicaClient::read_page`] do exactly that for you and are the async API to use.

use std::io;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::runtime::Handle;

use crate::ltx::RangeRead;

/// [`RangeRead`] over one object, one ranged GET per call (blocking; see the module docs).
#[derive(Debug, Clone)]
pub struct BlockingRangeReader {
    store: Arc<dyn ObjectStore>,
    key: Path,
    size: Option<u64>,
    runtime: Handle,
}

impl BlockingRangeReader {
    /// Reads `key` from `store`, driving the I/O through `runtime`.
    pub fn new(store: Arc<dyn ObjectStore>, key: Path, runtime: Handle) -> BlockingRangeReader {
        BlockingRangeReader {
            store,
            key,
            size: None,
            runtime,
        }
    }

    /// Uses a size already known (saves the HEAD request of [`RangeRead::size`]).
    pub fn with_size(mut self, size: u64) -> BlockingRangeReader {
        self.size = Some(size);
        self
    }

    /// The object's key.
    pub fn key(&self) -> &Path {
        &self.key
    }
}

/// An I/O error carrying the object store error; a missing object is `NotFound`.
fn to_io(err: object_store::Error) -> io::Error {
    let kind = match err {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err)
}

impl RangeRead for BlockingRangeReader {
    fn size(&mut self) -> io::Result<u64> {
        if let Some(size) = self.size {
            return Ok(size);
        }
        let meta = self
            .runtime
            .block_on(self.store.head(&self.key))
            .map_err(to_io)?;
        self.size = Some(meta.size);
        Ok(meta.size)
    }

    fn read_range(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "range overflows u64"))?;
        let bytes = self
            .runtime
            .block_on(self.store.get_range(&self.key, offset..end))
            .map_err(to_io)?;
        if bytes.len() != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: asked {len} bytes at {offset}, got {}",
                    self.key,
                    bytes.len()
                ),
            ));
        }
        Ok(bytes.to_vec())
    }
}
