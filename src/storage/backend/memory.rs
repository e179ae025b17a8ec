//! The `memory` backend, for tests: a fresh `object_store::memory::InMemory` per client (use
//! [`crate::storage::ReplicaClient::from_store`] to share one store between clients).

use std::sync::Arc;

use object_store::memory::InMemory;

use super::{Backend, key_prefix};
use crate::storage::{ReplicaKind, ReplicaSpec, StorageError};

pub(super) fn build(spec: &ReplicaSpec) -> Result<Backend, StorageError> {
    Ok(Backend {
        store: Arc::new(InMemory::new()),
        root: key_prefix(ReplicaKind::Memory, &spec.path)?,
        file_root: None,
        endpoint: None,
    })
}
