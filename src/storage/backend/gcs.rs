//! The `gs` backend: `object_store`'s `GoogleCloudStorage`.
//!
//! Credentials come from the service account file named by `GOOGLE_APPLICATION_CREDENTIALS`
//! in the [`ReplicaEnv`], else from `object_store`'s application-default chain. A custom
//! endpoint (a GCS emulator) is used as the base URL; without a credentials file it is reached
//! with an empty bearer token, as emulators expect, and `http://` is allowed.

use std::sync::Arc;

use object_store::gcp::{GcpCredential, GoogleCloudStorageBuilder};
use object_store::{ClientOptions, StaticCredentialProvider};

use super::{Backend, build_error, key_prefix, required_bucket, retry_config};
use crate::storage::{ReplicaEnv, ReplicaKind, ReplicaSpec, StorageError};

pub(super) fn build(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<Backend, StorageError> {
    let bucket = required_bucket(spec, "bucket")?;
    let root = key_prefix(ReplicaKind::Gs, &spec.path)?;
    let credentials_file = env.get("GOOGLE_APPLICATION_CREDENTIALS");
    let mut options = ClientOptions::new();
    if spec.skip_verify {
        options = options.with_allow_invalid_certificates(true);
    }
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    if let Some(path) = credentials_file {
        builder = builder.with_application_credentials(path);
    }
    if let Some(endpoint) = spec.endpoint.as_deref() {
        let endpoint = endpoint.trim_end_matches('/');
        if endpoint.starts_with("http://") {
            options = options.with_allow_http(true);
        }
        builder = builder.with_base_url(endpoint);
        if credentials_file.is_none() {
            builder =
                builder.with_credentials(Arc::new(StaticCredentialProvider::new(GcpCredential {
                    bearer: String::new(),
                })));
        }
    }
    let store = builder
        .with_client_options(options)
        .with_retry(retry_config())
        .build()
        .map_err(build_error(
            ReplicaKind::Gs,
            "check the bucket and GOOGLE_APPLICATION_CREDENTIALS",
        ))?;
    Ok(Backend {
        store: Arc::new(store),
        root,
        file_root: None,
    })
}
