//! [`ReplicaClient`]: list, read, write and delete the LTX files of one replica, by level, in
//! Litestream 0.5.17's key layout and with its object metadata, over any `object_store`
//! backend. One client per replica; cheap to clone (everything inside is shared).
//!
//! The store stack is: backend → optional caller layer (e.g. [`super::FaultyStore`]) →
//! [`super::InstrumentedStore`] (so injected faults count as errors in the metrics). Every
//! error is a [`StorageError`] naming the operation, key, level and TXID range; a missing file
//! is [`StorageError::NotFound`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryFutureExt;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
};

use super::backend::{self, FileRoot};
use super::key_layout::KeyLayout;
use super::timestamp_metadata::{
    datetime_from_ms, format_rfc3339_nano, parse_rfc3339, timestamp_metadata_key,
};
use super::{
    InstrumentedStore, LtxFileInfo, ReplicaEnv, ReplicaKind, ReplicaMetrics, ReplicaSpec,
    StorageError,
};
use crate::ltx::{FileName, Txid};

/// How many HEAD requests [`ReplicaClient::created_at_from_metadata`] runs at once (as
/// Litestream does).
pub const METADATA_CONCURRENCY: usize = 50;

/// The Content-Type of every LTX object Litestream uploads.
pub const LTX_CONTENT_TYPE: &str = "application/octet-stream";

/// The bytes of one LTX file as a stream, with its size.
pub struct LtxReadStream {
    /// The object size in bytes.
    pub size: u64,
    /// The bytes, in order; errors carry the file's context.
    pub stream: BoxStream<'static, Result<Bytes, StorageError>>,
}

impl std::fmt::Debug for LtxReadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LtxReadStream")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A client for the LTX files of one replica.
#[derive(Debug, Clone)]
pub struct ReplicaClient {
    kind: ReplicaKind,
    location: Arc<str>,
    layout: KeyLayout,
    store: Arc<dyn ObjectStore>,
    metrics: Arc<ReplicaMetrics>,
    file_root: Option<FileRoot>,
}

impl ReplicaClient {
    /// Builds the client `spec` describes; credentials fall back to `env`.
    pub fn new(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<ReplicaClient, StorageError> {
        ReplicaClient::with_layer(spec, env, |store| store)
    }

    /// Like [`ReplicaClient::new`], with `layer` wrapped around the backend store (inside the
    /// instrumentation), e.g. `|s| Arc::new(FaultyStore::new(s, control))`.
    pub fn with_layer(
        spec: &ReplicaSpec,
        env: &ReplicaEnv,
        layer: impl FnOnce(Arc<dyn ObjectStore>) -> Arc<dyn ObjectStore>,
    ) -> Result<ReplicaClient, StorageError> {
        let built = backend::build(spec, env)?;
        let location = backend::location(spec, built.endpoint.as_deref());
        Ok(ReplicaClient::assemble(
            spec.kind,
            location,
            built.root,
            layer(built.store),
            built.file_root,
        ))
    }

    /// A client of `kind`'s layout over a store the caller built (e.g. a shared `InMemory`),
    /// with keys under `path`. `file` replicas must come from a [`ReplicaSpec`] (their mtime
    /// handling needs the local directory).
    pub fn from_store(
        kind: ReplicaKind,
        path: &str,
        store: Arc<dyn ObjectStore>,
    ) -> Result<ReplicaClient, StorageError> {
        if kind == ReplicaKind::File {
            return Err(StorageError::InvalidSpec {
                kind: "file",
                field: "kind",
                value: "file".to_owned(),
                problem: "cannot be built from a bare store",
                hint: "use ReplicaClient::new with ReplicaSpec::file(dir)",
            });
        }
        let root = backend::key_prefix(kind, path)?;
        let location = format!("{kind} replica {:?} in a caller-built store", root.as_ref());
        Ok(ReplicaClient::assemble(kind, location, root, store, None))
    }

    fn assemble(
        kind: ReplicaKind,
        location: String,
        root: Path,
        store: Arc<dyn ObjectStore>,
        file_root: Option<FileRoot>,
    ) -> ReplicaClient {
        let metrics = Arc::new(ReplicaMetrics::new(kind.as_str()));
        ReplicaClient {
            kind,
            location: location.into(),
            layout: KeyLayout::for_kind(kind, root),
            store: Arc::new(InstrumentedStore::new(store, Arc::clone(&metrics))),
            metrics,
            file_root,
        }
    }

    /// Litestream's name of the replica type: `file`, `s3`, `gs`, `abs` (or `memory`).
    pub fn replica_type(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The backend kind.
    pub fn kind(&self) -> ReplicaKind {
        self.kind
    }

    /// Where the replica lives, as errors name it: its URL without credentials and, when the
    /// store talks to a custom endpoint, ` at <endpoint>` (`gs://bucket/path at
    /// http://127.0.0.1:4443`, `s3://bucket/path`, `file:///dir`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Turns an `object_store` error of `operation` on `key` into a [`StorageError`] naming
    /// this replica, and the level and file when given (a missing file becomes
    /// [`StorageError::NotFound`]).
    pub(crate) fn store_error<'a, K: fmt::Display + ?Sized>(
        &'a self,
        operation: &'static str,
        key: &'a K,
        level: Option<u8>,
        name: Option<FileName>,
    ) -> impl Fn(object_store::Error) -> StorageError + 'a {
        move |e| StorageError::backend(&self.location, operation, key, level, name, e)
    }

    /// The key layout.
    pub fn layout(&self) -> &KeyLayout {
        &self.layout
    }

    /// The (instrumented) store under the client, for raw access in tools and tests.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The operation counters of this client.
    pub fn metrics(&self) -> &Arc<ReplicaMetrics> {
        &self.metrics
    }

    /// The local replica directory of a `file` replica.
    pub fn local_dir(&self) -> Option<&std::path::Path> {
        self.file_root.as_ref().map(FileRoot::replica_dir)
    }

    /// The key of file `name` at `level`.
    pub fn ltx_key(&self, level: u8, name: FileName) -> Path {
        self.layout.ltx_key(level, name)
    }

    /// The local file holding `name` at `level` for a `file` replica (readers may open it
    /// directly instead of copying it through the store); `None` for remote replicas.
    pub fn local_path(&self, level: u8, name: FileName) -> Option<std::path::PathBuf> {
        let root = self.file_root.as_ref()?;
        // The store is rooted at the replica dir's longest existing ancestor, so the key's
        // parts below the layout root are the path below the replica dir.
        let key = self.layout.ltx_key(level, name);
        let below_root = key.prefix_match(self.layout.root())?;
        Some(
            below_root.fold(root.replica_dir().to_path_buf(), |p, part| {
                p.join(part.as_ref())
            }),
        )
    }

    /// The LTX files at `level` whose min TXID is at least `seek`, sorted by (min, max) TXID.
    /// Names that are not `<16 hex>-<16 hex>.ltx` are skipped; an absent level is empty.
    /// CreatedAt is the mtime (`file`) or LastModified (object stores).
    pub async fn list_ltx_files(
        &self,
        level: u8,
        seek: Txid,
    ) -> Result<Vec<LtxFileInfo>, StorageError> {
        let prefix = self.layout.level_dir(level);
        let mut files = self
            .list_under(&prefix, Some(level))
            .await?
            .into_iter()
            .filter(|f| f.level == level && f.min_txid >= seek)
            .collect::<Vec<_>>();
        files.sort_by_key(LtxFileInfo::sort_key);
        Ok(files)
    }

    /// [`ReplicaClient::list_ltx_files`] with CreatedAt taken from the timestamp metadata
    /// (one HEAD per file; see [`ReplicaClient::created_at_from_metadata`]), as Litestream
    /// does for timestamp restores.
    pub async fn list_ltx_files_using_metadata(
        &self,
        level: u8,
        seek: Txid,
    ) -> Result<Vec<LtxFileInfo>, StorageError> {
        let mut files = self.list_ltx_files(level, seek).await?;
        self.created_at_from_metadata(&mut files).await?;
        Ok(files)
    }

    /// Every LTX file of every level, sorted by (level, min, max), from one recursive listing.
    pub async fn list_all(&self) -> Result<Vec<LtxFileInfo>, StorageError> {
        let mut files = self.list_under(&self.layout.levels_parent(), None).await?;
        files.sort_by_key(LtxFileInfo::sort_key);
        Ok(files)
    }

    /// The levels that hold at least one LTX file, ascending.
    pub async fn list_levels(&self) -> Result<Vec<u8>, StorageError> {
        let mut levels: Vec<u8> = self.list_all().await?.iter().map(|f| f.level).collect();
        levels.dedup();
        Ok(levels)
    }

    async fn list_under(
        &self,
        prefix: &Path,
        level: Option<u8>,
    ) -> Result<Vec<LtxFileInfo>, StorageError> {
        let mut listing = self.store.list(Some(prefix));
        let mut files = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta =
                meta.map_err(self.store_error("list LTX files under", prefix, level, None))?;
            let Some((level, name)) = self.layout.parse_key(&meta.location) else {
                continue;
            };
            files.push(LtxFileInfo {
                level,
                min_txid: name.min_txid,
                max_txid: name.max_txid,
                size: meta.size,
                created_at: meta.last_modified,
            });
        }
        Ok(files)
    }

    /// Replaces each file's CreatedAt with its timestamp metadata (the LTX header timestamp
    /// Litestream and this client store), fetched with up to [`METADATA_CONCURRENCY`] HEAD
    /// requests at once; files without the metadata keep their CreatedAt. A no-op for `file`
    /// replicas, whose listing CreatedAt already is that timestamp (the mtime).
    pub async fn created_at_from_metadata(
        &self,
        files: &mut [LtxFileInfo],
    ) -> Result<(), StorageError> {
        let Some(metadata_key) = timestamp_metadata_key(self.kind) else {
            return Ok(());
        };
        // Owned lookups (not `&mut` items) keep the future `Send` for any caller.
        let lookups: Vec<(usize, u8, FileName)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (i, f.level, f.name()))
            .collect();
        let found: Vec<(usize, Option<DateTime<Utc>>)> = stream::iter(lookups)
            .map(|(i, level, name)| {
                self.timestamp_metadata(level, name, metadata_key)
                    .map_ok(move |at| (i, at))
            })
            .buffer_unordered(METADATA_CONCURRENCY)
            .try_collect()
            .await?;
        for (i, at) in found {
            if let (Some(at), Some(file)) = (at, files.get_mut(i)) {
                file.created_at = at;
            }
        }
        Ok(())
    }

    async fn timestamp_metadata(
        &self,
        level: u8,
        name: FileName,
        metadata_key: &'static str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let key = self.ltx_key(level, name);
        let head = self
            .store
            .get_opts(&key, GetOptions::new().with_head(true))
            .await
            .map_err(self.store_error("read metadata of", &key, Some(level), Some(name)))?;
        let Some(value) = head
            .attributes
            .get(&Attribute::Metadata(metadata_key.into()))
        else {
            return Ok(None);
        };
        parse_rfc3339(value)
            .map(Some)
            .ok_or_else(|| StorageError::InvalidTimestampMetadata {
                key: key.to_string(),
                metadata_key,
                value: value.to_string(),
            })
    }

    /// The whole file.
    pub async fn read_ltx(&self, level: u8, name: FileName) -> Result<Bytes, StorageError> {
        let key = self.ltx_key(level, name);
        let context = self.store_error("read LTX file", &key, Some(level), Some(name));
        let result = self.store.get(&key).await.map_err(&context)?;
        result.bytes().await.map_err(context)
    }

    /// The file as a stream of chunks (for large files and streaming restores).
    pub async fn open_ltx(&self, level: u8, name: FileName) -> Result<LtxReadStream, StorageError> {
        let key = self.ltx_key(level, name);
        let result = self.store.get(&key).await.map_err(self.store_error(
            "open LTX file",
            &key,
            Some(level),
            Some(name),
        ))?;
        let size = result.meta.size;
        let location = Arc::clone(&self.location);
        let stream = result
            .into_stream()
            .map_err(move |e| {
                StorageError::backend(
                    &location,
                    "stream LTX file",
                    &key,
                    Some(level),
                    Some(name),
                    e,
                )
            })
            .boxed();
        Ok(LtxReadStream { size, stream })
    }

    /// Writes (or overwrites) the file with Litestream's metadata: object stores get the
    /// header timestamp as `litestream-timestamp` (abs: `litestreamtimestamp`) in RFC3339Nano
    /// and Content-Type `application/octet-stream`; `file` replicas get it as the file's mtime.
    /// Returns the file's info with CreatedAt = that timestamp.
    pub async fn write_ltx(
        &self,
        level: u8,
        name: FileName,
        bytes: Bytes,
        header_timestamp_ms: i64,
    ) -> Result<LtxFileInfo, StorageError> {
        let out_of_range = || StorageError::TimestampOutOfRange {
            level,
            name,
            timestamp_ms: header_timestamp_ms,
        };
        let created_at = datetime_from_ms(header_timestamp_ms).ok_or_else(out_of_range)?;
        let key = self.ltx_key(level, name);
        let size = bytes.len() as u64;
        let mut attributes = Attributes::new();
        if let Some(metadata_key) = timestamp_metadata_key(self.kind) {
            attributes.insert(Attribute::ContentType, LTX_CONTENT_TYPE.into());
            attributes.insert(
                Attribute::Metadata(metadata_key.into()),
                format_rfc3339_nano(created_at).into(),
            );
        }
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&key, PutPayload::from(bytes), options)
            .await
            .map_err(self.store_error("write LTX file", &key, Some(level), Some(name)))?;
        if let Some(file_root) = self.file_root.clone() {
            let mtime = system_time_from_ms(header_timestamp_ms).ok_or_else(out_of_range)?;
            tokio::task::spawn_blocking(move || file_root.set_mtime(&key, mtime))
                .await
                .map_err(|source| StorageError::Task {
                    operation: "set mtime",
                    source,
                })??;
        }
        Ok(LtxFileInfo {
            level,
            min_txid: name.min_txid,
            max_txid: name.max_txid,
            size,
            created_at,
        })
    }

    /// Deletes the named files at `level`; names that do not exist are not an error.
    pub async fn delete_ltx_files(
        &self,
        level: u8,
        names: &[FileName],
    ) -> Result<(), StorageError> {
        let keys: Vec<Path> = names.iter().map(|n| self.ltx_key(level, *n)).collect();
        self.delete_keys(
            keys,
            "delete LTX files in",
            &self.layout.level_dir(level),
            Some(level),
        )
        .await
    }

    /// Deletes everything under the replica's path, LTX files or not, as Litestream's
    /// `DeleteAll` does (a `file` replica's directory is removed; with an empty path, the
    /// whole bucket is emptied).
    pub async fn delete_all(&self) -> Result<(), StorageError> {
        if let Some(file_root) = self.file_root.clone() {
            return tokio::task::spawn_blocking(move || file_root.remove_all())
                .await
                .map_err(|source| StorageError::Task {
                    operation: "delete replica directory",
                    source,
                })?;
        }
        let root = self.layout.root().clone();
        let keys: Vec<Path> = self
            .store
            .list(Some(&root))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(self.store_error("list for delete_all", &root, None, None))?;
        self.delete_keys(keys, "delete_all under", &root, None)
            .await
    }

    async fn delete_keys(
        &self,
        keys: Vec<Path>,
        operation: &'static str,
        context_key: &Path,
        level: Option<u8>,
    ) -> Result<(), StorageError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut results = self
            .store
            .delete_stream(stream::iter(keys.into_iter().map(Ok)).boxed());
        while let Some(result) = results.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    return Err(self.store_error(operation, context_key, level, None)(e));
                }
            }
        }
        Ok(())
    }
}

/// `UNIX_EPOCH ± ms`, if representable.
fn system_time_from_ms(ms: i64) -> Option<SystemTime> {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The engine runs the client on a multi-threaded runtime: every future must be `Send`.
    #[test]
    fn client_futures_are_send() {
        let client = ReplicaClient::new(&ReplicaSpec::memory("db"), &ReplicaEnv::empty()).unwrap();
        let name = FileName::new(Txid(1), Txid(1));
        let mut files = Vec::new();
        assert_send(&client.list_ltx_files(0, Txid(0)));
        assert_send(&client.list_ltx_files_using_metadata(0, Txid(0)));
        assert_send(&client.list_all());
        assert_send(&client.list_levels());
        assert_send(&client.created_at_from_metadata(&mut files));
        assert_send(&client.read_ltx(0, name));
        assert_send(&client.open_ltx(0, name));
        assert_send(&client.read_range(0, name, 0..1));
        assert_send(&client.ltx_size(0, name));
        assert_send(&client.read_page_index(0, name));
        assert_send(&client.write_ltx(0, name, Bytes::new(), 0));
        assert_send(&client.delete_ltx_files(0, &[name]));
        assert_send(&client.delete_all());
        fn assert_sync<T: Send + Sync + Clone>(_: &T) {}
        assert_sync(&client);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn pages_read_through_the_blocking_adapter_on_a_current_thread_runtime() {
        let client = ReplicaClient::new(&ReplicaSpec::memory("db"), &ReplicaEnv::empty()).unwrap();
        let header = crate::ltx::Header::new(512, 2, Txid(1), Txid(1), 1_000);
        let mut enc = crate::ltx::Encoder::new(Vec::new(), header).unwrap();
        enc.encode_page(1, &[1u8; 512]).unwrap();
        enc.encode_page(2, &[2u8; 512]).unwrap();
        let bytes = enc.finish(crate::ltx::Checksum::ZERO).unwrap().0;
        let name = FileName::new(Txid(1), Txid(1));
        client
            .write_ltx(0, name, Bytes::from(bytes), 1_000)
            .await
            .unwrap();
        let view = client.read_page_index(0, name).await.unwrap();
        let page = client.read_page(0, name, &view, 2).await.unwrap();
        assert_eq!(page, Some(vec![2u8; 512]));
    }
}
