//! Replicas: where a database is replicated to, and the settings shared by every backend.
//!
//! [`ReplicaSettings`] holds every key Litestream accepts both inside a replica and at the top
//! level (where it is a default for all replicas): timing, S3, Azure Blob Storage, SFTP, WebDAV and
//! NATS options. [`ReplicaConfig`] is one resolved replica: its backend type (from the URL scheme,
//! else `type`, else `file`), its parsed URL, its path, and its settings with the top-level
//! defaults and Litestream's defaults filled in. Secret settings are [`Secret`]s.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::defaults;
use super::duration::GoDuration;
use super::keys::keyed_struct;
use super::replica_url::ReplicaUrl;
use super::secret::Secret;
use super::size::ByteSize;

/// The storage backend of a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplicaType {
    /// A local or mounted directory.
    File,
    /// Amazon S3 or an S3-compatible service.
    S3,
    /// Google Cloud Storage.
    Gs,
    /// Azure Blob Storage.
    Abs,
    /// An SFTP server.
    Sftp,
    /// A WebDAV server (`webdavs://` for TLS).
    Webdav,
    /// A NATS JetStream object store.
    Nats,
    /// Alibaba Cloud Object Storage Service.
    Oss,
}

/// The names `type` accepts.
pub const REPLICA_TYPES: &[&str] = &["file", "s3", "gs", "abs", "sftp", "webdav", "nats", "oss"];

impl ReplicaType {
    /// The type named by a `type` value, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "file" => ReplicaType::File,
            "s3" => ReplicaType::S3,
            "gs" => ReplicaType::Gs,
            "abs" => ReplicaType::Abs,
            "sftp" => ReplicaType::Sftp,
            "webdav" => ReplicaType::Webdav,
            "nats" => ReplicaType::Nats,
            "oss" => ReplicaType::Oss,
            _ => return None,
        })
    }

    /// The type a URL scheme selects (`webdavs` selects WebDAV).
    pub fn from_scheme(scheme: &str) -> Option<Self> {
        match scheme {
            "webdavs" => Some(ReplicaType::Webdav),
            other => ReplicaType::from_name(other),
        }
    }

    /// The lower-case name, as written in `type`.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaType::File => "file",
            ReplicaType::S3 => "s3",
            ReplicaType::Gs => "gs",
            ReplicaType::Abs => "abs",
            ReplicaType::Sftp => "sftp",
            ReplicaType::Webdav => "webdav",
            ReplicaType::Nats => "nats",
            ReplicaType::Oss => "oss",
        }
    }
}

impl fmt::Display for ReplicaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Age encryption settings: accepted by the parser only so they can be rejected clearly
/// (Litestream 0.5 does not support encryption).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgeConfig {
    /// Age identity files or keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<String>,
    /// Age recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}

keyed_struct! {
    serialize;
    /// Settings accepted per replica and, as defaults for every replica, at the top level.
    pub struct ReplicaSettings {
        /// How often L0 files are uploaded (default 1s).
        "sync-interval" => pub sync_interval: Option<GoDuration>,
        /// How often the replica is validated (unset disables).
        "validation-interval" => pub validation_interval: Option<GoDuration>,
        /// L0 files uploaded per sync run (default 256; 0 uploads all pending files).
        "max-sync-ltx-files" => pub max_sync_ltx_files: Option<u64>,
        /// Reset local state automatically when LTX errors are detected.
        "auto-recover" => pub auto_recover: Option<bool>,
        /// S3/OSS access key id.
        "access-key-id" => pub access_key_id: Option<String>,
        /// S3/OSS secret access key.
        "secret-access-key" => pub secret_access_key: Option<Secret>,
        /// S3/OSS region.
        "region" => pub region: Option<String>,
        /// Bucket (S3, GCS, OSS, NATS) or container (Azure).
        "bucket" => pub bucket: Option<String>,
        /// Custom endpoint (S3-compatible services, Azure, OSS; for GCS, the base URL of an
        /// emulator or gateway: an ltx-tui addition Litestream ignores).
        "endpoint" => pub endpoint: Option<String>,
        /// S3 path-style addressing (default: on when an endpoint is set).
        "force-path-style" => pub force_path_style: Option<bool>,
        /// Sign S3 request payloads (default true).
        "sign-payload" => pub sign_payload: Option<bool>,
        /// Send Content-MD5 on S3 requests (default true).
        "require-content-md5" => pub require_content_md5: Option<bool>,
        /// Skip TLS certificate verification for S3.
        "skip-verify" => pub skip_verify: Option<bool>,
        /// S3 storage class.
        "storage-class" => pub storage_class: Option<String>,
        /// Multipart upload part size (S3/OSS, e.g. `5MiB`).
        "part-size" => pub part_size: Option<ByteSize>,
        /// Multipart upload concurrency (S3/OSS).
        "concurrency" => pub concurrency: Option<u64>,
        /// S3 SSE-C algorithm (default AES256 when a key is set).
        "sse-customer-algorithm" => pub sse_customer_algorithm: Option<String>,
        /// S3 SSE-C key.
        "sse-customer-key" => pub sse_customer_key: Option<Secret>,
        /// File holding the S3 SSE-C key.
        "sse-customer-key-path" => pub sse_customer_key_path: Option<String>,
        /// S3 SSE-KMS key id.
        "sse-kms-key-id" => pub sse_kms_key_id: Option<String>,
        /// Azure storage account name.
        "account-name" => pub account_name: Option<String>,
        /// Azure shared key.
        "account-key" => pub account_key: Option<Secret>,
        /// Azure SAS token.
        "sas-token" => pub sas_token: Option<Secret>,
        /// SFTP host (`host:port`).
        "host" => pub host: Option<String>,
        /// SFTP user.
        "user" => pub user: Option<String>,
        /// SFTP or NATS password.
        "password" => pub password: Option<Secret>,
        /// SFTP private key file.
        "key-path" => pub key_path: Option<String>,
        /// SFTP concurrent writes (default true).
        "concurrent-writes" => pub concurrent_writes: Option<bool>,
        /// Expected SFTP host key (unset: not verified).
        "host-key" => pub host_key: Option<String>,
        /// WebDAV server URL.
        "webdav-url" => pub webdav_url: Option<String>,
        /// WebDAV user.
        "webdav-username" => pub webdav_username: Option<String>,
        /// WebDAV password.
        "webdav-password" => pub webdav_password: Option<Secret>,
        /// NATS user JWT.
        "jwt" => pub jwt: Option<Secret>,
        /// NATS NKey seed.
        "seed" => pub seed: Option<Secret>,
        /// NATS credentials file.
        "creds" => pub creds: Option<String>,
        /// NATS NKey.
        "nkey" => pub nkey: Option<Secret>,
        /// NATS user name.
        "username" => pub username: Option<String>,
        /// NATS token.
        "token" => pub token: Option<Secret>,
        /// NATS over TLS.
        "tls" => pub tls: Option<bool>,
        /// NATS root CA files.
        "root-cas" => pub root_cas: Option<Vec<String>>,
        /// NATS mutual-TLS client certificate file.
        "client-cert" => pub client_cert: Option<String>,
        /// NATS mutual-TLS client key file.
        "client-key" => pub client_key: Option<String>,
        /// NATS reconnect attempts (-1: forever).
        "max-reconnects" => pub max_reconnects: Option<i64>,
        /// NATS delay between reconnects.
        "reconnect-wait" => pub reconnect_wait: Option<GoDuration>,
        /// NATS connect timeout.
        "timeout" => pub timeout: Option<GoDuration>,
        /// Age encryption: always rejected when it lists identities or recipients.
        "age" => pub age: Option<AgeConfig>,
    }
}

keyed_struct! {
    /// The keys of a replica mapping that are not shared settings, as written.
    pub(crate) struct ReplicaKeys {
        /// Backend type.
        "type" => pub replica_type: Option<String>,
        /// Replica URL.
        "url" => pub url: Option<String>,
        /// Destination path.
        "path" => pub path: Option<String>,
        /// Replica name (deprecated).
        "name" => pub name: Option<String>,
    }
}

/// One resolved replica of a database.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaConfig {
    /// The backend: from the URL scheme, else `type`, else `file`.
    #[serde(rename = "type")]
    pub replica_type: ReplicaType,
    /// The replica name (deprecated in Litestream 0.5, kept for display).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The replica URL, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<ReplicaUrl>,
    /// The destination path: an absolute directory for `file`, an object prefix otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Settings, with top-level defaults and Litestream's defaults filled in.
    #[serde(flatten)]
    pub settings: ReplicaSettings,
}

impl ReplicaConfig {
    /// How often L0 files are uploaded.
    pub fn sync_interval(&self) -> GoDuration {
        self.settings
            .sync_interval
            .unwrap_or(defaults::SYNC_INTERVAL)
    }

    /// L0 files uploaded per sync run (0: all pending files).
    pub fn max_sync_ltx_files(&self) -> u64 {
        self.settings
            .max_sync_ltx_files
            .unwrap_or(defaults::MAX_SYNC_LTX_FILES)
    }

    /// The bucket (S3, GCS, OSS, NATS) or container (Azure): the `bucket` setting, else the
    /// URL's host (its path for NATS); `None` for the other backends.
    pub fn bucket(&self) -> Option<&str> {
        let from_url = self.url.as_ref().map(|u| match self.replica_type {
            ReplicaType::Nats => u.path.trim_matches('/'),
            _ => u.host.as_str(),
        });
        match self.replica_type {
            ReplicaType::S3
            | ReplicaType::Gs
            | ReplicaType::Abs
            | ReplicaType::Oss
            | ReplicaType::Nats => self
                .settings
                .bucket
                .as_deref()
                .or(from_url)
                .filter(|b| !b.is_empty()),
            ReplicaType::File | ReplicaType::Sftp | ReplicaType::Webdav => None,
        }
    }

    /// The destination path: the `path` setting, else the URL path.
    pub fn destination_path(&self) -> Option<&str> {
        self.path
            .as_deref()
            .or_else(|| self.url.as_ref().map(|u| u.path.as_str()))
    }
}
