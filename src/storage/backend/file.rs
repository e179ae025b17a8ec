//! The `file` backend: `object_store`'s `LocalFileSystem` (atomic puts through a staging file,
//! fsync on), plus what it cannot do and Litestream does: set a written file's mtime to the LTX
//! header timestamp (CreatedAt of `file` listings is the mtime), and `delete_all` as one
//! recursive removal of the replica directory.
//!
//! The replica directory need not exist yet (Litestream creates it on first write, and a
//! listing of an absent replica is empty): the store is rooted at its longest existing
//! ancestor, and the missing components become the key prefix.

use std::path::{Component, Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use object_store::local::LocalFileSystem;
use object_store::path::{Path, PathPart};

use super::{Backend, build_error};
use crate::storage::{ReplicaKind, ReplicaSpec, StorageError};

/// The local side of a `file` replica.
#[derive(Debug, Clone)]
pub(crate) struct FileRoot {
    local: Arc<LocalFileSystem>,
    replica_dir: PathBuf,
}

impl FileRoot {
    /// The replica directory (absolute; its existing part canonicalised).
    pub(crate) fn replica_dir(&self) -> &FsPath {
        &self.replica_dir
    }

    /// Sets the mtime of the file at `key` (blocking: call from a blocking task).
    pub(crate) fn set_mtime(&self, key: &Path, mtime: SystemTime) -> Result<(), StorageError> {
        let path = self.local.path_to_filesystem(key).map_err(|source| {
            let replica = format!("file://{}", self.replica_dir.display());
            StorageError::backend(&replica, "locate file of", key, None, None, source)
        })?;
        std::fs::File::open(&path)
            .and_then(|f| f.set_modified(mtime))
            .map_err(|source| StorageError::Io {
                operation: "set mtime of",
                path,
                source,
            })
    }

    /// Removes the replica directory and everything in it; absent is fine (blocking).
    pub(crate) fn remove_all(&self) -> Result<(), StorageError> {
        match std::fs::remove_dir_all(&self.replica_dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StorageError::Io {
                operation: "remove replica directory",
                path: self.replica_dir.clone(),
                source,
            }),
        }
    }
}

fn invalid(value: &str, problem: &'static str, hint: &'static str) -> StorageError {
    StorageError::InvalidSpec {
        kind: "file",
        field: "path",
        value: value.to_owned(),
        problem,
        hint,
    }
}

pub(super) fn build(spec: &ReplicaSpec) -> Result<Backend, StorageError> {
    let dir = FsPath::new(&spec.path);
    if !dir.is_absolute() {
        return Err(invalid(
            &spec.path,
            "must be an absolute directory",
            "write file:///abs/path or an absolute path",
        ));
    }
    if dir
        .components()
        .any(|c| matches!(c, Component::CurDir | Component::ParentDir))
    {
        return Err(invalid(
            &spec.path,
            "must not contain `.` or `..` components",
            "give the directory's plain absolute path",
        ));
    }

    // Walk up to the longest existing ancestor; remember the missing components.
    let mut existing = dir;
    let mut missing: Vec<&str> = Vec::new();
    while !existing.exists() {
        let (Some(name), Some(parent)) = (existing.file_name(), existing.parent()) else {
            break;
        };
        let name = name.to_str().ok_or_else(|| {
            invalid(
                &spec.path,
                "has a component that is not UTF-8",
                "create the directory first",
            )
        })?;
        missing.push(name);
        existing = parent;
    }
    if !existing.is_dir() {
        return Err(invalid(
            &spec.path,
            "is (inside) a file, not a directory",
            "point the replica at a directory",
        ));
    }
    missing.reverse();
    for name in &missing {
        // The name must map to itself as an object_store path part, or keys would land on
        // percent-encoded file names.
        if PathPart::from(*name).as_ref() != *name {
            return Err(invalid(
                &spec.path,
                "has a not-yet-existing component with characters object_store escapes",
                "create the replica directory first",
            ));
        }
    }

    let local = LocalFileSystem::new_with_prefix(existing)
        .map_err(build_error(
            ReplicaKind::File,
            "the replica directory's parent must be readable",
        ))?
        .with_fsync(true);
    let canonical = std::fs::canonicalize(existing).map_err(|source| StorageError::Io {
        operation: "resolve replica directory",
        path: existing.to_owned(),
        source,
    })?;
    let replica_dir = missing.iter().fold(canonical, |p, name| p.join(name));
    let root = Path::from_iter(missing.iter().copied());
    let local = Arc::new(local);
    Ok(Backend {
        store: local.clone(),
        root,
        file_root: Some(FileRoot { local, replica_dir }),
        endpoint: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_replica_dir_becomes_the_key_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        let backend = build(&ReplicaSpec::file(dir.to_str().unwrap())).unwrap();
        assert_eq!(backend.root.as_ref(), "a/b");
        let file_root = backend.file_root.unwrap();
        assert_eq!(
            file_root.replica_dir(),
            std::fs::canonicalize(tmp.path())
                .unwrap()
                .join("a")
                .join("b")
        );
        assert!(!dir.exists(), "building must not create the directory");
    }

    #[test]
    fn relative_and_dotted_paths_are_refused() {
        for bad in ["relative/dir", "/tmp/../etc"] {
            assert!(matches!(
                build(&ReplicaSpec::file(bad)),
                Err(StorageError::InvalidSpec { field: "path", .. })
            ));
        }
    }
}
