//! What a replica client is built from: a plain [`ReplicaSpec`] (the engine fills it from the
//! config; [`ReplicaSpec::from_url`] fills it from a replica URL), and the [`ReplicaKind`]s with
//! Litestream's type names.
//!
//! This file holds data only: no I/O, no environment reads (credentials fall back to variables
//! passed in as a [`super::ReplicaEnv`] when the client is built).

use std::fmt;

/// The storage backend of a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReplicaKind {
    /// A local directory (`file://`).
    File,
    /// Amazon S3 or an S3-compatible service (`s3://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gs,
    /// Azure Blob Storage (`abs://`).
    Abs,
    /// An in-memory store, for tests (never produced by a URL).
    Memory,
}

impl ReplicaKind {
    /// Litestream's name of the replica type: `file`, `s3`, `gs`, `abs` (and `memory`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaKind::File => "file",
            ReplicaKind::S3 => "s3",
            ReplicaKind::Gs => "gs",
            ReplicaKind::Abs => "abs",
            ReplicaKind::Memory => "memory",
        }
    }

    /// The kind named by Litestream's `type` value (or `memory`); `None` for anything else.
    pub fn from_name(name: &str) -> Option<ReplicaKind> {
        match name {
            "file" => Some(ReplicaKind::File),
            "s3" => Some(ReplicaKind::S3),
            "gs" => Some(ReplicaKind::Gs),
            "abs" => Some(ReplicaKind::Abs),
            "memory" => Some(ReplicaKind::Memory),
            _ => None,
        }
    }
}

impl fmt::Display for ReplicaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything needed to reach one replica. Fields a kind does not use are ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplicaSpec {
    /// The backend.
    pub kind: ReplicaKind,
    /// The bucket (s3, gs) or container (abs); unused for file and memory.
    pub bucket: Option<String>,
    /// The path prefix inside the bucket (no leading `/`), or the absolute directory of a file
    /// replica. Empty means the bucket root.
    pub path: String,
    /// A custom endpoint: an S3-compatible service (`http://127.0.0.1:9000`), an Azure blob
    /// endpoint including the account (`http://127.0.0.1:10000/devstoreaccount1`), or a GCS
    /// base URL.
    pub endpoint: Option<String>,
    /// The S3 region; falls back to `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`.
    pub region: Option<String>,
    /// Path-style S3 requests (`endpoint/bucket/key`); `None` means "yes when an endpoint is
    /// set", which is what S3-compatible services need.
    pub force_path_style: Option<bool>,
    /// The S3 access key id; falls back to `AWS_ACCESS_KEY_ID`, then `LITESTREAM_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// The S3 secret; falls back to `AWS_SECRET_ACCESS_KEY`, then
    /// `LITESTREAM_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// Accept invalid TLS certificates (self-signed endpoints).
    pub skip_verify: bool,
    /// The Azure storage account.
    pub account_name: Option<String>,
    /// The Azure account key; falls back to `LITESTREAM_AZURE_ACCOUNT_KEY`.
    pub account_key: Option<String>,
    /// An Azure SAS token (query string form, with or without the leading `?`).
    pub sas_token: Option<String>,
    /// Talk to the Azurite emulator (well-known account and key unless given).
    pub use_emulator: bool,
}

impl ReplicaSpec {
    /// A spec of `kind` with every optional field empty.
    pub fn new(kind: ReplicaKind) -> ReplicaSpec {
        ReplicaSpec {
            kind,
            bucket: None,
            path: String::new(),
            endpoint: None,
            region: None,
            force_path_style: None,
            access_key_id: None,
            secret_access_key: None,
            skip_verify: false,
            account_name: None,
            account_key: None,
            sas_token: None,
            use_emulator: false,
        }
    }

    /// A `file` replica rooted at the absolute directory `dir`.
    pub fn file(dir: impl Into<String>) -> ReplicaSpec {
        ReplicaSpec {
            path: dir.into(),
            ..ReplicaSpec::new(ReplicaKind::File)
        }
    }

    /// An `s3` replica of `bucket` under `path`.
    pub fn s3(bucket: impl Into<String>, path: impl Into<String>) -> ReplicaSpec {
        ReplicaSpec {
            bucket: Some(bucket.into()),
            path: path.into(),
            ..ReplicaSpec::new(ReplicaKind::S3)
        }
    }

    /// An in-memory replica under `path` (each client built from it gets its own store).
    pub fn memory(path: impl Into<String>) -> ReplicaSpec {
        ReplicaSpec {
            path: path.into(),
            ..ReplicaSpec::new(ReplicaKind::Memory)
        }
    }
}

/// Secrets are never printed.
impl fmt::Debug for ReplicaSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("ReplicaSpec")
            .field("kind", &self.kind)
            .field("bucket", &self.bucket)
            .field("path", &self.path)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("force_path_style", &self.force_path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redact(&self.secret_access_key))
            .field("skip_verify", &self.skip_verify)
            .field("account_name", &self.account_name)
            .field("account_key", &redact(&self.account_key))
            .field("sas_token", &redact(&self.sas_token))
            .field("use_emulator", &self.use_emulator)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_use_litestream_type_names() {
        for kind in [
            ReplicaKind::File,
            ReplicaKind::S3,
            ReplicaKind::Gs,
            ReplicaKind::Abs,
            ReplicaKind::Memory,
        ] {
            assert_eq!(ReplicaKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ReplicaKind::from_name("sftp"), None);
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let spec = ReplicaSpec {
            secret_access_key: Some("hunter2".into()),
            account_key: Some("key".into()),
            sas_token: Some("sig=x".into()),
            ..ReplicaSpec::s3("b", "p")
        };
        let text = format!("{spec:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("sig=x"),
            "{text}"
        );
    }
}
