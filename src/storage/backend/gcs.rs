//! The `gs` backend: `object_store`'s `GoogleCloudStorage`.
//!
//! Credentials come from the service account file named by `GOOGLE_APPLICATION_CREDENTIALS`
//! in the [`ReplicaEnv`], else from `object_store`'s application-default chain.
//!
//! A custom endpoint (a GCS emulator or gateway) is the base URL of every request: the
//! replica's `endpoint`, else `STORAGE_EMULATOR_HOST` as Google's clients (and so Litestream)
//! read it (`host:port` means `http://host:port`). An endpoint from `STORAGE_EMULATOR_HOST` is
//! always reached without credentials, as Google's clients do; a configured `endpoint` is
//! reached with the credentials file when one is named, else with an empty bearer token.
//! `http://` is allowed for both.
//!
//! `object_store` speaks the XML API to that base URL (`PUT`/`GET`/`HEAD`/`DELETE
//! {base}/{bucket}/{key}`, listing with `GET {base}/{bucket}?list-type=2&prefix=…`), so the
//! endpoint must serve it: real GCS does; an emulator that serves only the JSON API (what
//! Litestream's Go client uses) does not.

use std::sync::Arc;

use object_store::gcp::{GcpCredential, GoogleCloudStorageBuilder};
use object_store::{ClientOptions, StaticCredentialProvider};

use super::{Backend, build_error, key_prefix, required_bucket, retry_config};
use crate::storage::{ReplicaEnv, ReplicaKind, ReplicaSpec, StorageError};

/// The variable Google's storage clients read an emulator's address from.
pub(crate) const STORAGE_EMULATOR_HOST: &str = "STORAGE_EMULATOR_HOST";

/// Where a gs replica's requests go, and whether they carry credentials.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    /// Google's own (no custom base URL).
    Google,
    /// A configured `endpoint`.
    Configured(String),
    /// `STORAGE_EMULATOR_HOST`: no credentials.
    Emulator(String),
}

fn endpoint(spec: &ReplicaSpec, env: &ReplicaEnv) -> Endpoint {
    if let Some(configured) = spec.endpoint.as_deref().filter(|e| !e.is_empty()) {
        return Endpoint::Configured(configured.trim_end_matches('/').to_owned());
    }
    match env.get(STORAGE_EMULATOR_HOST) {
        Some(host) if host.contains("://") => {
            Endpoint::Emulator(host.trim_end_matches('/').to_owned())
        }
        Some(host) => Endpoint::Emulator(format!("http://{}", host.trim_end_matches('/'))),
        None => Endpoint::Google,
    }
}

pub(super) fn build(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<Backend, StorageError> {
    let bucket = required_bucket(spec, "bucket")?;
    let root = key_prefix(ReplicaKind::Gs, &spec.path)?;
    let credentials_file = env.get("GOOGLE_APPLICATION_CREDENTIALS");
    let mut options = ClientOptions::new();
    if spec.skip_verify {
        options = options.with_allow_invalid_certificates(true);
    }
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    let endpoint = endpoint(spec, env);
    let (base_url, anonymous) = match &endpoint {
        Endpoint::Google => (None, false),
        Endpoint::Configured(url) => (Some(url.as_str()), credentials_file.is_none()),
        Endpoint::Emulator(url) => (Some(url.as_str()), true),
    };
    if let (Some(path), false) = (credentials_file, anonymous) {
        builder = builder.with_application_credentials(path);
    }
    if let Some(url) = base_url {
        if url.starts_with("http://") {
            options = options.with_allow_http(true);
        }
        builder = builder.with_base_url(url);
    }
    if anonymous {
        builder =
            builder.with_credentials(Arc::new(StaticCredentialProvider::new(GcpCredential {
                bearer: String::new(),
            })));
    }
    let store = builder
        .with_client_options(options)
        .with_retry(retry_config())
        .build()
        .map_err(build_error(
            ReplicaKind::Gs,
            "check the bucket, the endpoint (or STORAGE_EMULATOR_HOST) and GOOGLE_APPLICATION_CREDENTIALS",
        ))?;
    Ok(Backend {
        store: Arc::new(store),
        root,
        file_root: None,
        endpoint: base_url.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gs(endpoint: Option<&str>) -> ReplicaSpec {
        ReplicaSpec {
            bucket: Some("b".to_owned()),
            endpoint: endpoint.map(str::to_owned),
            ..ReplicaSpec::new(ReplicaKind::Gs)
        }
    }

    #[test]
    fn storage_emulator_host_is_the_endpoint_unless_one_is_configured() {
        let bare = ReplicaEnv::from_pairs([(STORAGE_EMULATOR_HOST, "127.0.0.1:4443")]);
        assert_eq!(
            endpoint(&gs(None), &bare),
            Endpoint::Emulator("http://127.0.0.1:4443".to_owned())
        );
        let with_scheme = ReplicaEnv::from_pairs([(STORAGE_EMULATOR_HOST, "https://gcs.test/")]);
        assert_eq!(
            endpoint(&gs(None), &with_scheme),
            Endpoint::Emulator("https://gcs.test".to_owned())
        );
        assert_eq!(
            endpoint(&gs(Some("http://10.0.0.1:9000/")), &bare),
            Endpoint::Configured("http://10.0.0.1:9000".to_owned())
        );
        assert_eq!(endpoint(&gs(None), &ReplicaEnv::empty()), Endpoint::Google);
    }

    #[test]
    fn the_built_backend_reports_the_endpoint_it_talks_to() {
        let env = ReplicaEnv::from_pairs([(STORAGE_EMULATOR_HOST, "127.0.0.1:4443")]);
        let built = build(&gs(None), &env).unwrap();
        assert_eq!(built.endpoint.as_deref(), Some("http://127.0.0.1:4443"));
        let google = build(&gs(None), &ReplicaEnv::empty()).unwrap();
        assert_eq!(google.endpoint, None);
    }
}
