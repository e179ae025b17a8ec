//! An `ObjectStore` wrapper that counts every call into [`ReplicaMetrics`]: GET (and HEAD),
//! PUT (and multipart uploads, copies), LIST, DELETE; count, bytes, errors by code, durations.
//!
//! It changes nothing about the calls themselves. A listing counts once, when its stream ends
//! (or fails, or is dropped); a delete stream counts once per object; a multipart upload counts
//! once, at `complete`, with the bytes of all its parts.

use std::fmt;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result, UploadPart,
};

use super::operation_metrics::{OperationKind, ReplicaMetrics, error_code};

/// Counts the calls made through it (see the module docs for what counts when).
#[derive(Debug)]
pub struct InstrumentedStore {
    inner: Arc<dyn ObjectStore>,
    metrics: Arc<ReplicaMetrics>,
}

impl InstrumentedStore {
    /// Wraps `inner`, counting into `metrics`.
    pub fn new(inner: Arc<dyn ObjectStore>, metrics: Arc<ReplicaMetrics>) -> InstrumentedStore {
        InstrumentedStore { inner, metrics }
    }

    /// The counters.
    pub fn metrics(&self) -> &Arc<ReplicaMetrics> {
        &self.metrics
    }

    fn record<T>(&self, op: OperationKind, started: Instant, bytes: u64, result: &Result<T>) {
        record(&self.metrics, op, started.elapsed(), bytes, result);
    }
}

fn record<T>(
    metrics: &ReplicaMetrics,
    op: OperationKind,
    elapsed: Duration,
    bytes: u64,
    result: &Result<T>,
) {
    let code = result.as_ref().err().map(error_code);
    metrics.record(op, elapsed, bytes, code);
}

impl fmt::Display for InstrumentedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instrumented({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for InstrumentedStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let started = Instant::now();
        let bytes = payload.content_length() as u64;
        let result = self.inner.put_opts(location, payload, opts).await;
        self.record(OperationKind::Put, started, bytes, &result);
        result
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let started = Instant::now();
        match self.inner.put_multipart_opts(location, opts).await {
            Ok(upload) => Ok(Box::new(InstrumentedUpload {
                inner: upload,
                metrics: Arc::clone(&self.metrics),
                started,
                bytes: 0,
            })),
            Err(e) => {
                let code = error_code(&e);
                self.metrics
                    .record(OperationKind::Put, started.elapsed(), 0, Some(code));
                Err(e)
            }
        }
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let started = Instant::now();
        let head = options.head;
        let result = self.inner.get_opts(location, options).await;
        let bytes = match (&result, head) {
            (Ok(r), false) => r.range.end.saturating_sub(r.range.start),
            _ => 0,
        };
        self.record(OperationKind::Get, started, bytes, &result);
        result
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let started = Instant::now();
        let result = self.inner.get_ranges(location, ranges).await;
        let bytes = result
            .as_ref()
            .map_or(0, |parts| parts.iter().map(|b| b.len() as u64).sum());
        self.record(OperationKind::Get, started, bytes, &result);
        result
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let metrics = Arc::clone(&self.metrics);
        let started = Instant::now();
        self.inner
            .delete_stream(locations)
            .inspect(move |result| {
                record(
                    &metrics,
                    OperationKind::Delete,
                    started.elapsed(),
                    0,
                    result,
                );
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        CountedList::new(self.inner.list(prefix), Arc::clone(&self.metrics)).boxed()
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        CountedList::new(
            self.inner.list_with_offset(prefix, offset),
            Arc::clone(&self.metrics),
        )
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let started = Instant::now();
        let result = self.inner.list_with_delimiter(prefix).await;
        self.record(OperationKind::List, started, 0, &result);
        result
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.copy_opts(from, to, options).await;
        self.record(OperationKind::Put, started, 0, &result);
        result
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.rename_opts(from, to, options).await;
        self.record(OperationKind::Put, started, 0, &result);
        result
    }
}

/// A multipart upload counted as one PUT when it completes.
#[derive(Debug)]
struct InstrumentedUpload {
    inner: Box<dyn MultipartUpload>,
    metrics: Arc<ReplicaMetrics>,
    started: Instant,
    bytes: u64,
}

#[async_trait]
impl MultipartUpload for InstrumentedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.bytes += data.content_length() as u64;
        self.inner.put_part(data)
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let result = self.inner.complete().await;
        record(
            &self.metrics,
            OperationKind::Put,
            self.started.elapsed(),
            self.bytes,
            &result,
        );
        result
    }

    async fn abort(&mut self) -> Result<()> {
        self.inner.abort().await
    }
}

/// A listing stream that records one LIST when it ends, fails, or is dropped.
struct CountedList {
    inner: BoxStream<'static, Result<ObjectMeta>>,
    metrics: Arc<ReplicaMetrics>,
    started: Instant,
    recorded: bool,
}

impl CountedList {
    fn new(inner: BoxStream<'static, Result<ObjectMeta>>, metrics: Arc<ReplicaMetrics>) -> Self {
        CountedList {
            inner,
            metrics,
            started: Instant::now(),
            recorded: false,
        }
    }

    fn finish(&mut self, error: Option<&object_store::Error>) {
        if !self.recorded {
            self.recorded = true;
            let code = error.map(error_code);
            self.metrics
                .record(OperationKind::List, self.started.elapsed(), 0, code);
        }
    }
}

impl Stream for CountedList {
    type Item = Result<ObjectMeta>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(None) => self.finish(None),
            Poll::Ready(Some(Err(e))) => self.finish(Some(e)),
            _ => {}
        }
        polled
    }
}

impl Drop for CountedList {
    fn drop(&mut self) {
        self.finish(None);
    }
}
