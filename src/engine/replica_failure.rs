//! How the engine's maintenance work (compaction, retention, contiguity checks) turns a storage
//! failure into an [`EngineError::Replica`] when all it holds is the [`ReplicaClient`]: the
//! replica is named by its backend and root path (never by credentials), and the message keeps
//! the storage room's context (operation, object key, level, TXID range, hint).

use crate::storage::{ReplicaClient, StorageError};

use super::EngineError;

/// A name for the replica behind `client` that is safe to show: `file://<dir>` for file
/// replicas, `<type>:<root path>` otherwise (e.g. `s3:backups/app`).
pub(crate) fn replica_label(client: &ReplicaClient) -> String {
    match client.local_dir() {
        Some(dir) => format!("file://{}", dir.display()),
        None => format!("{}:{}", client.replica_type(), client.layout().root()),
    }
}

/// Wraps a storage error of `client`'s replica, prefixed with what the engine was doing.
pub(crate) fn replica_failure(
    client: &ReplicaClient,
    doing: &str,
    source: StorageError,
) -> EngineError {
    EngineError::Replica {
        url: replica_label(client),
        message: format!("{doing}: {source}"),
    }
}
