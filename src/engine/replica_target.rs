//! From a configured replica (`url` or `type` plus fields, with top-level defaults already
//! merged by the config room) to the storage room's [`ReplicaSpec`].

use crate::config::{ReplicaConfig, ReplicaType};
use crate::storage::{ReplicaKind, ReplicaSpec};

use super::EngineError;

/// Builds the storage spec for a configured replica; unsupported backends are a clear error.
pub fn replica_spec(replica: &ReplicaConfig) -> Result<ReplicaSpec, EngineError> {
    let s = &replica.settings;
    let mut spec = match &replica.url {
        Some(url) => {
            ReplicaSpec::from_url(url.expose()).map_err(|e| EngineError::Config(e.to_string()))?
        }
        None => {
            let kind = match replica.replica_type {
                ReplicaType::File => ReplicaKind::File,
                ReplicaType::S3 => ReplicaKind::S3,
                ReplicaType::Gs => ReplicaKind::Gs,
                ReplicaType::Abs => ReplicaKind::Abs,
                other => {
                    return Err(EngineError::Config(format!(
                        "replica type {:?} is not supported by ltx-tui yet (supported: file, s3, gs, abs)",
                        other.name()
                    )));
                }
            };
            let mut spec = ReplicaSpec::new(kind);
            spec.path = replica.path.clone().unwrap_or_default();
            spec.bucket = s.bucket.clone();
            spec
        }
    };
    if s.endpoint.is_some() {
        spec.endpoint = s.endpoint.clone();
    }
    if s.region.is_some() {
        spec.region = s.region.clone();
    }
    if s.force_path_style.is_some() {
        spec.force_path_style = s.force_path_style;
    }
    if let Some(v) = s.skip_verify {
        spec.skip_verify = v;
    }
    if s.access_key_id.is_some() {
        spec.access_key_id = s.access_key_id.clone();
    }
    if let Some(v) = &s.secret_access_key {
        spec.secret_access_key = Some(v.expose().to_string());
    }
    if s.account_name.is_some() {
        spec.account_name = s.account_name.clone();
    }
    if let Some(v) = &s.account_key {
        spec.account_key = Some(v.expose().to_string());
    }
    if let Some(v) = &s.sas_token {
        spec.sas_token = Some(v.expose().to_string());
    }
    Ok(spec)
}

/// The replica URL to show to people: the configured URL with secrets removed, or one built
/// from the type and fields.
pub fn display_url(replica: &ReplicaConfig, spec: &ReplicaSpec) -> String {
    if let Some(url) = &replica.url {
        return url.redacted();
    }
    match spec.kind {
        ReplicaKind::File => format!("file://{}", spec.path),
        kind => format!(
            "{}://{}/{}",
            kind.as_str(),
            spec.bucket.as_deref().unwrap_or(""),
            spec.path
        ),
    }
}
