//! The `s3` backend: `object_store`'s `AmazonS3`, configured from the spec alone (never from
//! the process environment: credentials fall back to the [`ReplicaEnv`] passed in).
//!
//! Addressing follows Litestream: path-style (`endpoint/bucket/key`) when `force-path-style`
//! is set or, unset, whenever a custom endpoint is given; otherwise virtual-hosted style (the
//! bucket moves into the endpoint's host name). An `http://` endpoint is allowed (S3-compatible
//! test servers such as moto); `skip-verify` accepts invalid TLS certificates. Without a region
//! the client uses `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1` (Litestream would look
//! the bucket's region up when no endpoint is set; this client does not).

use std::sync::Arc;

use object_store::ClientOptions;
use object_store::aws::AmazonS3Builder;

use super::{Backend, build_error, key_prefix, required_bucket, retry_config};
use crate::storage::{ReplicaEnv, ReplicaKind, ReplicaSpec, StorageError};

/// The region used when none is configured (Litestream's `DefaultRegion`).
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

pub(super) fn build(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<Backend, StorageError> {
    let bucket = required_bucket(spec, "bucket")?;
    let root = key_prefix(ReplicaKind::S3, &spec.path)?;
    let region = spec
        .region
        .as_deref()
        .filter(|r| !r.is_empty())
        .or_else(|| env.first(&["AWS_REGION", "AWS_DEFAULT_REGION"]))
        .unwrap_or(DEFAULT_REGION);
    let path_style = spec.force_path_style.unwrap_or(spec.endpoint.is_some());

    let mut options = ClientOptions::new();
    if spec.skip_verify {
        options = options.with_allow_invalid_certificates(true);
    }
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_virtual_hosted_style_request(!path_style);
    if let Some(endpoint) = spec.endpoint.as_deref() {
        let endpoint = endpoint.trim_end_matches('/');
        if endpoint.starts_with("http://") {
            options = options.with_allow_http(true);
        }
        let endpoint = if path_style {
            endpoint.to_owned()
        } else {
            virtual_hosted_endpoint(endpoint, bucket)
        };
        builder = builder.with_endpoint(endpoint);
    }
    let access_key = spec
        .access_key_id
        .as_deref()
        .filter(|k| !k.is_empty())
        .or_else(|| env.first(&["AWS_ACCESS_KEY_ID", "LITESTREAM_ACCESS_KEY_ID"]));
    let secret = spec
        .secret_access_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .or_else(|| env.first(&["AWS_SECRET_ACCESS_KEY", "LITESTREAM_SECRET_ACCESS_KEY"]));
    if let (Some(key), Some(secret)) = (access_key, secret) {
        builder = builder
            .with_access_key_id(key)
            .with_secret_access_key(secret);
        if let Some(token) = env.get("AWS_SESSION_TOKEN") {
            builder = builder.with_token(token);
        }
    }
    let store = builder
        .with_client_options(options)
        .with_retry(retry_config())
        .build()
        .map_err(build_error(
            ReplicaKind::S3,
            "check bucket, region and endpoint (it must start with http:// or https://)",
        ))?;
    Ok(Backend {
        store: Arc::new(store),
        root,
        file_root: None,
        endpoint: spec.endpoint.clone(),
    })
}

/// `https://host:port` becomes `https://bucket.host:port` (virtual-hosted addressing).
fn virtual_hosted_endpoint(endpoint: &str, bucket: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}"),
        None => format!("{bucket}.{endpoint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_endpoints_put_the_bucket_in_the_host() {
        assert_eq!(
            virtual_hosted_endpoint("https://s3.example.com:9000", "b"),
            "https://b.s3.example.com:9000"
        );
    }

    #[test]
    fn a_missing_bucket_is_a_spec_error() {
        let spec = ReplicaSpec::new(ReplicaKind::S3);
        assert!(matches!(
            build(&spec, &ReplicaEnv::empty()),
            Err(StorageError::InvalidSpec {
                field: "bucket",
                ..
            })
        ));
    }

    #[test]
    fn http_endpoints_build() {
        let spec = ReplicaSpec {
            endpoint: Some("http://127.0.0.1:9000".into()),
            ..ReplicaSpec::s3("bucket", "dbs/app")
        };
        let env =
            ReplicaEnv::from_pairs([("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")]);
        let backend = build(&spec, &env).unwrap();
        assert_eq!(backend.root.as_ref(), "dbs/app");
    }
}
