//! The `abs` backend: `object_store`'s `MicrosoftAzure` (blob storage).
//!
//! The container is the spec's bucket. Credentials: the account key (or
//! `LITESTREAM_AZURE_ACCOUNT_KEY`, as Litestream reads it), else a SAS token. With
//! `use_emulator`, the Azurite well-known account (`devstoreaccount1`) and key are the
//! defaults; the endpoint is the spec's (it must include the account:
//! `http://127.0.0.1:10000/devstoreaccount1`, as in Litestream's config) or, unset,
//! `object_store`'s emulator default (`AZURITE_BLOB_STORAGE_URL` or `http://127.0.0.1:10000`).
//! `http://` endpoints are allowed.

use std::sync::Arc;

use object_store::ClientOptions;
use object_store::azure::MicrosoftAzureBuilder;

use super::{Backend, build_error, key_prefix, required_bucket, retry_config};
use crate::storage::{ReplicaEnv, ReplicaKind, ReplicaSpec, StorageError};

/// Azurite's well-known account.
pub(crate) const EMULATOR_ACCOUNT: &str = "devstoreaccount1";

/// Azurite's well-known account key (public, documented by Microsoft).
pub(crate) const EMULATOR_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub(super) fn build(spec: &ReplicaSpec, env: &ReplicaEnv) -> Result<Backend, StorageError> {
    let container = required_bucket(spec, "bucket")?;
    let root = key_prefix(ReplicaKind::Abs, &spec.path)?;
    let account_key = spec
        .account_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .or_else(|| env.get("LITESTREAM_AZURE_ACCOUNT_KEY"));
    let mut options = ClientOptions::new();
    if spec.skip_verify {
        options = options.with_allow_invalid_certificates(true);
    }
    let mut builder = MicrosoftAzureBuilder::new().with_container_name(container);

    let account = spec.account_name.as_deref().filter(|a| !a.is_empty());
    if spec.use_emulator && spec.endpoint.is_none() {
        builder = builder.with_use_emulator(true);
        if let Some(account) = account {
            builder = builder.with_account(account);
        }
    } else {
        let account = match (account, spec.use_emulator) {
            (Some(a), _) => a,
            (None, true) => EMULATOR_ACCOUNT,
            (None, false) => {
                return Err(StorageError::InvalidSpec {
                    kind: "abs",
                    field: "account-name",
                    value: String::new(),
                    problem: "is missing",
                    hint: "set account-name, or write abs://account@container/path",
                });
            }
        };
        builder = builder.with_account(account);
        if let Some(endpoint) = spec.endpoint.as_deref() {
            let endpoint = endpoint.trim_end_matches('/');
            if endpoint.starts_with("http://") {
                options = options.with_allow_http(true);
            }
            builder = builder.with_endpoint(endpoint.to_owned());
        }
    }
    let sas = spec.sas_token.as_deref().filter(|s| !s.is_empty());
    match (account_key, sas, spec.use_emulator) {
        (Some(key), _, _) => builder = builder.with_access_key(key),
        (None, Some(sas), _) => {
            builder = builder.with_config(
                object_store::azure::AzureConfigKey::SasKey,
                sas.trim_start_matches('?'),
            );
        }
        (None, None, true) => builder = builder.with_access_key(EMULATOR_ACCOUNT_KEY),
        (None, None, false) => {}
    }
    let store = builder
        .with_client_options(options)
        .with_retry(retry_config())
        .build()
        .map_err(build_error(
            ReplicaKind::Abs,
            "check account-name, account-key (or LITESTREAM_AZURE_ACCOUNT_KEY) or sas-token, and the endpoint",
        ))?;
    Ok(Backend {
        store: Arc::new(store),
        root,
        file_root: None,
        endpoint: spec.endpoint.clone(),
    })
}
