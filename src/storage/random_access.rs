//! Random access to remote LTX files: byte ranges, sizes, and single pages through the page
//! index, so a restore preview or an inspector reads a few KiB of a large snapshot instead of
//! all of it. The page-index logic is the LTX room's own (`ltx::read_page_index`,
//! `ltx::read_page`), run on a blocking thread over a [`BlockingRangeReader`].

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStoreExt;

use super::range_reader::BlockingRangeReader;
use super::{ReplicaClient, StorageError};
use crate::ltx::{FileName, LtxError, PageIndexView};

impl ReplicaClient {
    /// Bytes `range` of the file; fails with [`StorageError::ShortRead`] unless exactly that
    /// many bytes came back. An empty range returns no bytes without a request.
    pub async fn read_range(
        &self,
        level: u8,
        name: FileName,
        range: Range<u64>,
    ) -> Result<Bytes, StorageError> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let key = self.ltx_key(level, name);
        let bytes = self
            .object_store()
            .get_range(&key, range.clone())
            .await
            .map_err(self.store_error("read range of", &key, Some(level), Some(name)))?;
        if bytes.len() as u64 != range.end - range.start {
            return Err(StorageError::ShortRead {
                level,
                name,
                key: key.to_string(),
                range,
                got: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }

    /// The file's size in bytes (one HEAD request).
    pub async fn ltx_size(&self, level: u8, name: FileName) -> Result<u64, StorageError> {
        let key = self.ltx_key(level, name);
        let meta = self
            .object_store()
            .head(&key)
            .await
            .map_err(self.store_error("stat LTX file", &key, Some(level), Some(name)))?;
        Ok(meta.size)
    }

    /// A blocking [`crate::ltx::RangeRead`] over the file, driven by `runtime` (see
    /// [`BlockingRangeReader`]: use it only on a blocking thread).
    pub fn range_reader(
        &self,
        level: u8,
        name: FileName,
        runtime: tokio::runtime::Handle,
    ) -> BlockingRangeReader {
        BlockingRangeReader::new(
            Arc::clone(self.object_store()),
            self.ltx_key(level, name),
            runtime,
        )
    }

    /// The file's header and page index, without its pages: a HEAD plus at most three ranged
    /// reads (run on a blocking thread through [`crate::ltx::read_page_index`]).
    pub async fn read_page_index(
        &self,
        level: u8,
        name: FileName,
    ) -> Result<PageIndexView, StorageError> {
        let size = self.ltx_size(level, name).await?;
        let mut reader = self
            .range_reader(level, name, tokio::runtime::Handle::current())
            .with_size(size);
        let result = tokio::task::spawn_blocking(move || crate::ltx::read_page_index(&mut reader))
            .await
            .map_err(|source| StorageError::Task {
                operation: "read page index",
                source,
            })?;
        result.map_err(|source| self.ltx_error("read page index of", level, name, source))
    }

    /// Page `pgno` of the file through its page index (one ranged read); `None` if the file
    /// does not hold that page.
    pub async fn read_page(
        &self,
        level: u8,
        name: FileName,
        view: &PageIndexView,
        pgno: u32,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(entry) = view.entry(pgno).copied() else {
            return Ok(None);
        };
        // Only the one entry travels to the blocking thread.
        let one = PageIndexView {
            header: view.header,
            entries: vec![entry],
            file_size: view.file_size,
        };
        let mut reader = self
            .range_reader(level, name, tokio::runtime::Handle::current())
            .with_size(view.file_size);
        let result =
            tokio::task::spawn_blocking(move || crate::ltx::read_page(&mut reader, &one, pgno))
                .await
                .map_err(|source| StorageError::Task {
                    operation: "read page",
                    source,
                })?;
        result.map_err(|source| self.ltx_error("read page of", level, name, source))
    }

    fn ltx_error(
        &self,
        operation: &'static str,
        level: u8,
        name: FileName,
        source: LtxError,
    ) -> StorageError {
        let key = self.ltx_key(level, name).to_string();
        if let LtxError::Io { source: io, .. } = &source
            && io.kind() == std::io::ErrorKind::NotFound
        {
            return StorageError::NotFound {
                operation,
                replica: self.location().to_owned(),
                level,
                name,
                key,
            };
        }
        StorageError::Ltx {
            operation,
            level,
            name,
            key,
            source: Box::new(source),
        }
    }
}
