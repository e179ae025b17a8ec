//! One module per backend: each turns a [`ReplicaSpec`] into an `object_store` client and the
//! root prefix of the replica's keys. Only construction lives here; the replica client does
//! everything else the same way for every backend (the `file` backend also hands back its local
//! root, for the mtime and `delete_all` that `object_store` cannot do).

mod azure;
mod file;
mod gcs;
mod memory;
mod s3;

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

pub(crate) use file::FileRoot;

use super::{ReplicaEnv, ReplicaKind, ReplicaSpec, StorageError};

/// A built backend.
#[derive(Debug)]
pub(crate) struct Backend {
    /// The raw store (no wrappers yet).
    pub store: Arc<dyn ObjectStore>,
    /// The prefix every key of the replica starts with.
    pub root: Path,
    /// For `file` replicas: the local directory.
    pub file_root: Option<FileRoot>,
    /// The custom endpoint the store talks to (`None`: the provider's default), for messages.
    pub endpoint: Option<String>,
}

/// Builds the backend `spec.kind` names.
pub(crate) fn build(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<Backend, StorageError> {
    match spec.kind {
        ReplicaKind::File => file::build(spec),
        ReplicaKind::S3 => s3::build(spec, env),
        ReplicaKind::Gs => gcs::build(spec, env),
        ReplicaKind::Abs => azure::build(spec, env),
        ReplicaKind::Memory => memory::build(spec),
    }
}

/// Where the replica `spec` describes lives, for messages: its URL without credentials
/// (`gs://bucket/path`, `abs://account@container/path`, `file:///dir`) and, when the store talks
/// to a custom endpoint, ` at <endpoint>` (user info and query removed).
pub(crate) fn location(spec: &ReplicaSpec, endpoint: Option<&str>) -> String {
    let bucket = spec.bucket.as_deref().unwrap_or("");
    let path = spec.path.trim_matches('/');
    let mut text = match spec.kind {
        ReplicaKind::File => format!("file://{}", spec.path),
        ReplicaKind::Memory => format!("memory://{path}"),
        ReplicaKind::Abs => match spec.account_name.as_deref().filter(|a| !a.is_empty()) {
            Some(account) => format!("abs://{account}@{bucket}/{path}"),
            None => format!("abs://{bucket}/{path}"),
        },
        kind => format!("{kind}://{bucket}/{path}"),
    };
    if path.is_empty() && spec.kind != ReplicaKind::File {
        text.truncate(text.trim_end_matches('/').len());
    }
    if let Some(endpoint) = endpoint {
        text.push_str(" at ");
        text.push_str(&endpoint_for_messages(endpoint));
    }
    text
}

/// `endpoint` without user info (`user:pass@`) or query string.
fn endpoint_for_messages(endpoint: &str) -> String {
    let endpoint = endpoint.split(['?', '#']).next().unwrap_or("");
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{tail}")
}

/// The key prefix for an object-store `path` (no leading or trailing `/` needed).
pub(crate) fn key_prefix(kind: ReplicaKind, path: &str) -> Result<Path, StorageError> {
    Path::parse(path.trim_matches('/')).map_err(|_| StorageError::InvalidSpec {
        kind: kind.as_str(),
        field: "path",
        value: path.to_owned(),
        problem: "is not a valid object key prefix (empty segments, `.`/`..`, or control characters)",
        hint: "use a plain prefix such as dbs/app",
    })
}

/// The bucket (or container) of `spec`, or an error naming `field`.
pub(crate) fn required_bucket<'a>(
    spec: &'a ReplicaSpec,
    field: &'static str,
) -> Result<&'a str, StorageError> {
    spec.bucket
        .as_deref()
        .filter(|b| !b.is_empty())
        .ok_or(StorageError::InvalidSpec {
            kind: spec.kind.as_str(),
            field,
            value: String::new(),
            problem: "is missing",
            hint: "set bucket in the replica config, or give it as the URL host",
        })
}

/// Wraps a builder error with the kind and a hint.
pub(crate) fn build_error(
    kind: ReplicaKind,
    hint: &'static str,
) -> impl FnOnce(object_store::Error) -> StorageError {
    move |source| StorageError::Build {
        kind: kind.as_str(),
        source: Box::new(source),
        hint,
    }
}

/// How the network backends retry a failed request: 3 retries (the AWS SDK's default attempt
/// budget) within 30 s, instead of `object_store`'s 10 retries over up to 3 minutes, so a dead
/// endpoint surfaces as an error quickly and the engine's own backoff takes over.
pub(crate) fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_bucket_path_and_endpoint_without_credentials() {
        let gs = ReplicaSpec {
            bucket: Some("b".to_owned()),
            path: "/dbs/app/".to_owned(),
            ..ReplicaSpec::new(ReplicaKind::Gs)
        };
        assert_eq!(location(&gs, None), "gs://b/dbs/app");
        assert_eq!(
            location(&gs, Some("https://user:secret@gcs.test:8443/base?token=x")),
            "gs://b/dbs/app at https://gcs.test:8443/base"
        );
        let at_root = ReplicaSpec {
            bucket: Some("b".to_owned()),
            ..ReplicaSpec::new(ReplicaKind::S3)
        };
        assert_eq!(
            location(&at_root, Some("http://127.0.0.1:9000")),
            "s3://b at http://127.0.0.1:9000"
        );
        let abs = ReplicaSpec {
            bucket: Some("c".to_owned()),
            account_name: Some("acct".to_owned()),
            path: "db".to_owned(),
            ..ReplicaSpec::new(ReplicaKind::Abs)
        };
        assert_eq!(location(&abs, None), "abs://acct@c/db");
        assert_eq!(
            location(&ReplicaSpec::file("/var/backups/app"), None),
            "file:///var/backups/app"
        );
    }
}
