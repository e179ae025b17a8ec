//! The arguments of the MCP tools, with Litestream's parameter names (`path`, `o`, `config`,
//! `txid`, `timestamp`, `parallelism`, `if_db_not_exists`, `if_replica_exists`) plus ltx-tui's
//! (`dry_run`, `force`, `integrity_check`, `level`). Each struct is the tool's input schema
//! (schemars) and rejects unknown fields and wrong types: the server answers those with the
//! protocol's invalid-params error before any operation runs.
//!
//! Litestream's own server takes every parameter as a string; where a client may reasonably
//! send a number as text (`parallelism`, `level`) both forms are accepted.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ops::{
    DatabasesParams, InfoParams, IntegrityCheck, LtxParams, RestoreParams, StatusParams,
};

/// `config` alone (`litestream_info`, `litestream_databases`, `litestream_version`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigArgs {
    /// Configuration file: must be the configuration this server runs (its path, relative
    /// paths against the server's working directory); default: that configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// `litestream_status` and `ltx_lag`: `config`, and `path` to report one database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {
    /// Configuration file (see `litestream_info`); default: the running configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Only this database (a path as configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A level as text (`0`…`9`, `all`) or as a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LevelArg {
    /// `0`…`9` or `all`.
    Text(String),
    /// `0`…`9`.
    Number(u8),
}

impl LevelArg {
    fn text(&self) -> String {
        match self {
            LevelArg::Text(t) => t.clone(),
            LevelArg::Number(n) => n.to_string(),
        }
    }
}

/// `litestream_ltx`, `litestream_generations`, `litestream_snapshots`: a database or a
/// replica URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathArgs {
    /// A database path from the configuration, or a replica URL (`file:///…`, `s3://…`).
    pub path: String,
    /// Configuration file (see `litestream_info`); unused for replica URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Level `0`…`9` or `all` (`litestream_ltx` only; default `0`, as Litestream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelArg>,
}

/// A count as a number or as text (Litestream sends strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CountArg {
    /// A positive number.
    Number(u32),
    /// A positive number written as text.
    Text(String),
}

/// `litestream_restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreArgs {
    /// A database path from the configuration (its replica is restored) or a replica URL.
    pub path: String,
    /// The output file. Required in practice: it must lie under a `restore-dirs` entry, and
    /// the default (the database path itself) is a replicated database, which is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o: Option<String>,
    /// Configuration file (see `litestream_info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Restore up to this TXID, inclusive (16 hex digits); exclusive with `timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// Restore to this point in time (RFC 3339); exclusive with `txid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// LTX files downloaded at once (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<CountArg>,
    /// Succeed without restoring when the output file already exists.
    #[serde(default)]
    pub if_db_not_exists: bool,
    /// Succeed without restoring when the replica has no backup.
    #[serde(default)]
    pub if_replica_exists: bool,
    /// Only plan: report the files that would be applied, write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Replace an existing output file (and its -wal/-shm/-journal); never a replicated
    /// database.
    #[serde(default)]
    pub force: bool,
    /// Check the restored database: `none` (default), `quick` or `full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity_check: Option<IntegrityCheck>,
}

/// Why arguments could not be turned into an operation's parameters.
pub type ArgProblem = String;

impl ConfigArgs {
    /// `info`'s parameters.
    pub fn info(&self) -> InfoParams {
        InfoParams {
            config: None,
            skip_replicas: false,
        }
    }

    /// `databases`' parameters.
    pub fn databases(&self) -> DatabasesParams {
        DatabasesParams { config: None }
    }
}

impl StatusArgs {
    /// `status`' parameters (the configuration was already checked).
    pub fn status(&self) -> StatusParams {
        StatusParams {
            config: None,
            path: self.path.clone(),
        }
    }
}

impl PathArgs {
    /// `ltx`'s parameters at `level` (the argument's, else `default_level`).
    pub fn ltx(&self, default_level: Option<&str>) -> LtxParams {
        LtxParams {
            path: self.path.clone(),
            level: self
                .level
                .as_ref()
                .map(LevelArg::text)
                .or_else(|| default_level.map(str::to_owned)),
            ..LtxParams::default()
        }
    }
}

impl RestoreArgs {
    /// `restore`'s parameters; a `parallelism` that is not a positive number is a problem.
    pub fn restore(&self) -> Result<RestoreParams, ArgProblem> {
        let parallelism = match &self.parallelism {
            None => None,
            Some(CountArg::Number(n)) => Some(*n),
            Some(CountArg::Text(t)) => Some(t.trim().parse::<u32>().map_err(|_| {
                format!("invalid parallelism {t:?}: expected a positive whole number")
            })?),
        };
        if parallelism == Some(0) {
            return Err("invalid parallelism 0: expected a positive whole number".to_owned());
        }
        Ok(RestoreParams {
            path: self.path.clone(),
            o: self.o.clone(),
            config: None,
            txid: self.txid.clone(),
            timestamp: self.timestamp.clone(),
            parallelism,
            if_db_not_exists: self.if_db_not_exists,
            if_replica_exists: self.if_replica_exists,
            dry_run: self.dry_run,
            force: self.force,
            integrity_check: self.integrity_check,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_wrong_types_are_rejected() {
        assert!(serde_json::from_str::<RestoreArgs>(r#"{"path":"a","bogus":1}"#).is_err());
        assert!(serde_json::from_str::<RestoreArgs>(r#"{"path":7}"#).is_err());
        assert!(serde_json::from_str::<RestoreArgs>(r#"{"path":"a","force":"yes"}"#).is_err());
        assert!(serde_json::from_str::<RestoreArgs>(r#"{}"#).is_err());
    }

    #[test]
    fn parallelism_as_number_or_text() {
        let a: RestoreArgs = serde_json::from_str(r#"{"path":"a","parallelism":"4"}"#).unwrap();
        assert_eq!(a.restore().unwrap().parallelism, Some(4));
        let a: RestoreArgs = serde_json::from_str(r#"{"path":"a","parallelism":3}"#).unwrap();
        assert_eq!(a.restore().unwrap().parallelism, Some(3));
        let a: RestoreArgs = serde_json::from_str(r#"{"path":"a","parallelism":"x"}"#).unwrap();
        assert!(a.restore().is_err());
    }

    #[test]
    fn levels_as_number_or_text() {
        let a: PathArgs = serde_json::from_str(r#"{"path":"a","level":9}"#).unwrap();
        assert_eq!(a.ltx(None).level.as_deref(), Some("9"));
        let a: PathArgs = serde_json::from_str(r#"{"path":"a","level":"all"}"#).unwrap();
        assert_eq!(a.ltx(None).level.as_deref(), Some("all"));
        let a: PathArgs = serde_json::from_str(r#"{"path":"a"}"#).unwrap();
        assert_eq!(a.ltx(Some("9")).level.as_deref(), Some("9"));
    }
}
