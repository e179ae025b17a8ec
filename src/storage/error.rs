//! The one error type of the storage room. Every variant names the operation, the object key
//! (or the URL / spec field) at fault, the level and TXID range when a file is involved, and,
//! where a user can act, a hint. Errors from the store also name the replica: its bucket (or
//! container or directory) and the custom endpoint it was reached at.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::PathBuf;

use crate::ltx::{FileName, LtxError};

/// An error listing, reading, writing or deleting replica objects, or building a client.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The LTX file does not exist at that level (the typed not-found of the replica client).
    #[error("{operation}: LTX file {name} (TXIDs {}-{}) not found at level {level} (key {key} in {replica})", name.min_txid, name.max_txid)]
    NotFound {
        /// What the client was doing, e.g. "read LTX file".
        operation: &'static str,
        /// The replica: `gs://bucket/path at http://127.0.0.1:4443`, `file:///dir`, ….
        replica: String,
        /// The level searched.
        level: u8,
        /// The file (its TXID range).
        name: FileName,
        /// The object key.
        key: String,
    },

    /// The object store failed.
    #[error("{operation} {key}{} in {replica}: {source} (hint: {})", FileContext(*.level, *.name), backend_hint(.source))]
    Backend {
        /// What the client was doing, e.g. "list level".
        operation: &'static str,
        /// The replica: `gs://bucket/path at http://127.0.0.1:4443`, `file:///dir`, ….
        replica: String,
        /// The object key or prefix.
        key: String,
        /// The level, when one level was involved.
        level: Option<u8>,
        /// The file, when one file was involved.
        name: Option<FileName>,
        /// The object store error (boxed: it is large).
        #[source]
        source: Box<object_store::Error>,
    },

    /// A replica URL is malformed or unsupported; `part` names the part that is wrong.
    #[error("invalid replica URL {url:?}: {part} {value:?} {problem}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// The part at fault: `scheme`, `bucket`, `container`, `account`, `path`, `query`,
        /// or `query key <name>`.
        part: String,
        /// The offending text.
        value: String,
        /// What is wrong with it.
        problem: String,
    },

    /// A replica spec field is missing or invalid for its kind.
    #[error("invalid {kind} replica: {field} {value:?} {problem} (hint: {hint})")]
    InvalidSpec {
        /// The replica kind (`file`, `s3`, `gs`, `abs`, `memory`).
        kind: &'static str,
        /// The field at fault, e.g. `bucket`.
        field: &'static str,
        /// The value found (empty if missing).
        value: String,
        /// What is wrong with it.
        problem: &'static str,
        /// What to do about it.
        hint: &'static str,
    },

    /// `object_store` refused to build the backend client.
    #[error("cannot build the {kind} client: {source} (hint: {hint})")]
    Build {
        /// The replica kind.
        kind: &'static str,
        /// The builder's error (boxed: it is large).
        #[source]
        source: Box<object_store::Error>,
        /// What to check.
        hint: &'static str,
    },

    /// A local file system operation of the `file` backend failed.
    #[error("{operation} {}: {source}", .path.display())]
    Io {
        /// What the client was doing, e.g. "set mtime of".
        operation: &'static str,
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },

    /// An object's bytes are not a valid LTX file (page index or page reads).
    #[error("{operation} {key} (level {level}, {name}): {source}")]
    Ltx {
        /// What the client was doing, e.g. "read page index".
        operation: &'static str,
        /// The level.
        level: u8,
        /// The file.
        name: FileName,
        /// The object key.
        key: String,
        /// The codec's error (boxed: it is large).
        #[source]
        source: Box<LtxError>,
    },

    /// A ranged read returned a different number of bytes than asked for.
    #[error("read range {}..{} of {key} (level {level}, {name}): got {got} bytes (hint: the range must lie inside the object)", .range.start, .range.end)]
    ShortRead {
        /// The level.
        level: u8,
        /// The file.
        name: FileName,
        /// The object key.
        key: String,
        /// The range asked for.
        range: Range<u64>,
        /// The number of bytes returned.
        got: u64,
    },

    /// The object's timestamp metadata is present but not RFC 3339.
    #[error("object {key} has timestamp metadata {metadata_key}={value:?}, which is not RFC 3339")]
    InvalidTimestampMetadata {
        /// The object key.
        key: String,
        /// The metadata key (`litestream-timestamp` or `litestreamtimestamp`).
        metadata_key: &'static str,
        /// The value found.
        value: String,
    },

    /// An LTX header timestamp cannot be represented as a date (or as a file mtime).
    #[error("write {name} at level {level}: header timestamp {timestamp_ms} ms is out of range")]
    TimestampOutOfRange {
        /// The level.
        level: u8,
        /// The file.
        name: FileName,
        /// The timestamp in milliseconds since the Unix epoch.
        timestamp_ms: i64,
    },

    /// A background task (blocking file or range I/O) panicked or was cancelled.
    #[error("{operation}: background task failed: {source}")]
    Task {
        /// What the task was doing.
        operation: &'static str,
        /// The join error.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl StorageError {
    /// True for the typed not-found (a missing LTX file), including a backend not-found that
    /// had no file context.
    pub fn is_not_found(&self) -> bool {
        match self {
            StorageError::NotFound { .. } => true,
            StorageError::Backend { source, .. } => {
                matches!(**source, object_store::Error::NotFound { .. })
            }
            _ => false,
        }
    }

    /// What a user can do about this error, when there is something to do.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            StorageError::NotFound { .. } => {
                Some("list the level to see which files the replica holds")
            }
            StorageError::Backend { source, .. } => Some(backend_hint(source)),
            StorageError::InvalidSpec { hint, .. } | StorageError::Build { hint, .. } => Some(hint),
            StorageError::InvalidUrl { .. } => Some(
                "use file:///abs/path, s3://bucket/path?endpoint=…&region=…&forcePathStyle=true, gs://bucket/path or abs://[account@]container/path",
            ),
            _ => None,
        }
    }

    /// Wraps an object store error of the replica at `replica` (see
    /// [`super::ReplicaClient::location`]); a not-found with a file in context becomes
    /// [`StorageError::NotFound`].
    pub(crate) fn backend(
        replica: &str,
        operation: &'static str,
        key: impl fmt::Display,
        level: Option<u8>,
        name: Option<FileName>,
        source: object_store::Error,
    ) -> StorageError {
        match (&source, level, name) {
            (object_store::Error::NotFound { .. }, Some(level), Some(name)) => {
                StorageError::NotFound {
                    operation,
                    replica: replica.to_owned(),
                    level,
                    name,
                    key: key.to_string(),
                }
            }
            _ => StorageError::Backend {
                operation,
                replica: replica.to_owned(),
                key: key.to_string(),
                level,
                name,
                source: Box::new(source),
            },
        }
    }
}

/// ` (level N, <min>-<max>.ltx)` or ` (level N)` or nothing.
struct FileContext(Option<u8>, Option<FileName>);

impl fmt::Display for FileContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(level), Some(name)) => write!(f, " (level {level}, {name})"),
            (Some(level), None) => write!(f, " (level {level})"),
            (None, Some(name)) => write!(f, " ({name})"),
            (None, None) => Ok(()),
        }
    }
}

/// A hint for an object store error, by kind.
fn backend_hint(source: &object_store::Error) -> &'static str {
    use object_store::Error as E;
    match source {
        E::NotFound { .. } => "the object is missing: list the level to see what the replica holds",
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
            "check the credentials: access-key-id/secret-access-key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, LITESTREAM_ACCESS_KEY_ID/LITESTREAM_SECRET_ACCESS_KEY), account-key or sas-token for abs"
        }
        E::AlreadyExists { .. } | E::Precondition { .. } => {
            "another writer changed the object at the same time"
        }
        E::InvalidPath { .. } => "the replica path contains characters object stores reject",
        E::NotSupported { .. } | E::NotImplemented { .. } => {
            "this backend does not support the operation"
        }
        _ => {
            "check that the endpoint is reachable, the bucket or container exists, and the region is right"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltx::Txid;

    #[test]
    fn backend_not_found_with_a_file_becomes_the_typed_not_found() {
        let name = FileName::new(Txid(1), Txid(2));
        let err = StorageError::backend(
            "gs://bucket/db at http://127.0.0.1:4443",
            "read LTX file",
            "db/ltx/0/x",
            Some(0),
            Some(name),
            object_store::Error::NotFound {
                path: "db/ltx/0/x".into(),
                source: "gone".into(),
            },
        );
        assert!(matches!(err, StorageError::NotFound { level: 0, .. }));
        assert!(err.is_not_found());
        let text = err.to_string();
        assert!(text.contains("0000000000000001-0000000000000002"), "{text}");
        assert!(
            text.contains("in gs://bucket/db at http://127.0.0.1:4443"),
            "{text}"
        );
    }

    #[test]
    fn backend_errors_carry_level_and_range_context_and_a_hint() {
        let err = StorageError::backend(
            "s3://bucket/db",
            "write LTX file",
            "db/0000/x",
            Some(3),
            Some(FileName::new(Txid(5), Txid(9))),
            object_store::Error::PermissionDenied {
                path: "db/0000/x".into(),
                source: "denied".into(),
            },
        );
        let text = err.to_string();
        assert!(text.contains("level 3"), "{text}");
        assert!(
            text.contains("0000000000000005-0000000000000009.ltx"),
            "{text}"
        );
        assert!(text.contains("credentials"), "{text}");
        assert!(text.contains("in s3://bucket/db:"), "{text}");
        assert!(!err.is_not_found());
    }
}
