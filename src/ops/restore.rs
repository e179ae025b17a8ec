//! `restore`: rebuild a database from its replica at the latest TXID, a TXID or a time, or
//! (dry run) report the plan — files, bytes and an estimate of the time — without writing.
//!
//! Over the restore room (`crate::restore`), with the policy every face shares:
//! - the source is a replica URL (then `o` is required) or a configured database (its
//!   replica; the output defaults to the database path);
//! - the output guard of the restore room (never over an existing file or its sidecars without
//!   `force`, never over a configured database without `force`, never over a database another
//!   process holds open), plus: never over a database the running engine replicates, even
//!   with `force`;
//! - the caller's [`RestoreScope`]: the MCP server restricts outputs to `restore-dirs`;
//! - `if_db_not_exists`, `if_replica_exists`, `integrity_check` as Litestream;
//! - a timestamp given with a replica URL must lie within the replica's files' times
//!   (Litestream's check), otherwise the plan's "no matching backup files" rule decides.
//!
//! Progress is reported to the caller's [`Progress`] (a callback or a channel) while it runs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::context::ReplicaTarget;
use super::litestream_text::rfc3339_seconds;
use super::ltx::txid_param;
use super::restore_params::{PlannedFile, RestoreParams, RestoreResult};
use super::restore_scope::RestoreScope;
use super::timestamp::parse_param;
use super::{OpsContext, OpsError};
use crate::config;
use crate::restore::{
    self as room, Progress, RestoreOptions, RestoreOutcome, RestorePlan, RestoreTarget,
};

/// Restores (or plans, with `dry_run`) as `params` say, writing only where `scope` allows, and
/// reports progress to `progress`.
pub async fn restore(
    ctx: &OpsContext,
    params: RestoreParams,
    scope: RestoreScope<'_>,
    progress: Progress,
) -> Result<RestoreResult, OpsError> {
    let started = Instant::now();
    let target = parse_target(params.txid.as_deref(), params.timestamp.as_deref())?;
    let parallelism = match params.parallelism {
        None => room::DEFAULT_PARALLELISM,
        Some(0) => {
            return Err(OpsError::InvalidParam {
                param: "parallelism",
                value: "0".into(),
                problem: "must be at least 1",
            });
        }
        Some(n) => n as usize,
    };
    let source = ctx.replica(&params.path, params.config.as_deref())?;
    let output = output_path(ctx, &params, &source, scope)?;
    let replicated_dbs = configured_dbs(ctx, &params, &source)?;
    refuse_engine_database(ctx, &output)?;

    let is_url = source.db_path.is_none();
    if is_url && let RestoreTarget::Timestamp(ts) = target {
        let files = room::list_for_target(&source.client, &target).await?;
        room::check_timestamp_in_range(&files, ts)?;
    }
    let integrity_check = params.integrity_check.unwrap_or_default();
    let mut result = RestoreResult {
        db_path: output.display().to_string(),
        replica: source.url.clone(),
        replica_type: source.client.replica_type().to_owned(),
        txid: String::new(),
        duration_ms: 0,
        integrity_check,
        dry_run: params.dry_run,
        skipped: None,
        plan: Vec::new(),
        min_txid: None,
        total_bytes: 0,
        estimated_ms: None,
        page_size: None,
        page_count: None,
        pages_written: None,
    };
    if params.dry_run {
        match room::plan_restore(&source.client, &target).await {
            Err(e) if e.is_no_backup() && params.if_replica_exists => {
                result.skipped = Some(e.to_string());
            }
            Err(e) => return Err(e.into()),
            Ok(plan) => {
                let remote = source.client.local_dir().is_none();
                let estimate = room::estimated_duration(&plan, remote, parallelism);
                result.estimated_ms = Some(u64::try_from(estimate.as_millis()).unwrap_or(u64::MAX));
                fill_plan(&mut result, &plan);
            }
        }
        result.duration_ms = elapsed_ms(started);
        return Ok(result);
    }

    let opts = RestoreOptions {
        output,
        target,
        parallelism,
        integrity_check: integrity_check.into(),
        if_db_not_exists: params.if_db_not_exists,
        if_replica_exists: params.if_replica_exists,
        force: params.force,
        replicated_dbs,
    };
    match room::restore(&source.client, &opts, &progress).await? {
        RestoreOutcome::SkippedDbExists { output } => {
            result.skipped = Some(format!(
                "database already exists, skipping: {}",
                output.display()
            ));
        }
        RestoreOutcome::SkippedNoBackup { reason } => result.skipped = Some(reason),
        RestoreOutcome::Restored(report) => {
            fill_plan(&mut result, &report.plan);
            result.db_path = report.output.display().to_string();
            result.page_size = Some(report.page_size);
            result.page_count = Some(report.page_count);
            result.pages_written = Some(report.pages_written);
        }
    }
    result.duration_ms = elapsed_ms(started);
    Ok(result)
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn fill_plan(result: &mut RestoreResult, plan: &RestorePlan) {
    result.txid = plan.txid.to_string();
    result.min_txid = Some(plan.min_txid().to_string());
    result.total_bytes = plan.total_bytes;
    result.plan = plan
        .files
        .iter()
        .map(|f| PlannedFile {
            level: f.level,
            file: f.name().to_string(),
            min_txid: f.min_txid.to_string(),
            max_txid: f.max_txid.to_string(),
            size: f.size,
            timestamp: rfc3339_seconds(f.created_at),
        })
        .collect();
}

/// The restore target of `txid` / `timestamp` (at most one), else the latest.
pub(crate) fn parse_target(
    txid: Option<&str>,
    timestamp: Option<&str>,
) -> Result<RestoreTarget, OpsError> {
    match (txid, timestamp) {
        (Some(_), Some(ts)) => Err(OpsError::InvalidParam {
            param: "timestamp",
            value: ts.to_owned(),
            problem: "cannot be given together with txid",
        }),
        (Some(_), None) => Ok(RestoreTarget::Txid(
            txid_param("txid", txid)?.unwrap_or_default(),
        )),
        (None, Some(ts)) => {
            let at: DateTime<Utc> = parse_param("timestamp", ts)?;
            Ok(RestoreTarget::Timestamp(at))
        }
        (None, None) => Ok(RestoreTarget::Latest),
    }
}

/// The output path: `o` (absolute against the working directory), else the configured
/// database's path; then the scope's check, whose resolved path is the one written.
fn output_path(
    ctx: &OpsContext,
    params: &RestoreParams,
    source: &ReplicaTarget,
    scope: RestoreScope<'_>,
) -> Result<PathBuf, OpsError> {
    let given = match (
        params.o.as_deref().filter(|o| !o.is_empty()),
        &source.db_path,
    ) {
        (Some(o), _) => match scope {
            RestoreScope::Cli => ctx.resolve_path(o),
            // Not cleaned lexically: `link/..` must mean what the kernel makes of it.
            RestoreScope::Restricted(_) => absolute_uncleaned(ctx, o),
        },
        (None, Some(db)) => db.clone(),
        (None, None) => {
            return Err(OpsError::InvalidParam {
                param: "o",
                value: String::new(),
                problem: "is required when restoring from a replica URL (the output path)",
            });
        }
    };
    scope.check_output(&given)
}

fn absolute_uncleaned(ctx: &OpsContext, path: &str) -> PathBuf {
    let load = ctx.load_options();
    let expanded =
        config::expand_home(path, load.home.as_deref()).unwrap_or_else(|_| PathBuf::from(path));
    if expanded.is_absolute() {
        expanded
    } else {
        load.cwd.join(expanded)
    }
}

/// The databases of the configuration, which a restore overwrites only with `force`. For a
/// replica URL the configuration is optional (one named in `config` must load).
fn configured_dbs(
    ctx: &OpsContext,
    params: &RestoreParams,
    source: &ReplicaTarget,
) -> Result<Vec<PathBuf>, OpsError> {
    let config = match ctx.config(params.config.as_deref()) {
        Ok(config) => config,
        Err(e) if source.db_path.is_some() || params.config.is_some() => return Err(e),
        Err(_) => return Ok(Vec::new()),
    };
    Ok(config.dbs.iter().filter_map(|d| d.path.clone()).collect())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// Refuses an output that the running engine replicates (even with `force`).
fn refuse_engine_database(ctx: &OpsContext, output: &Path) -> Result<(), OpsError> {
    let Some(engine) = ctx.engine() else {
        return Ok(());
    };
    let snapshot = engine.snapshot();
    match snapshot
        .databases
        .iter()
        .find(|d| same_file(&d.path, output))
    {
        Some(_) => Err(OpsError::ReplicatedDatabase {
            path: output.to_path_buf(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltx::Txid;

    #[test]
    fn targets_parse_and_exclude_each_other() {
        assert_eq!(parse_target(None, None).unwrap(), RestoreTarget::Latest);
        assert_eq!(
            parse_target(Some("000000000000000a"), None).unwrap(),
            RestoreTarget::Txid(Txid(10))
        );
        assert!(matches!(
            parse_target(Some("12"), None),
            Err(OpsError::InvalidParam { param: "txid", .. })
        ));
        assert!(matches!(
            parse_target(None, Some("2026-01-02T03:04:05Z")),
            Ok(RestoreTarget::Timestamp(_))
        ));
        assert!(matches!(
            parse_target(None, Some("yesterday")),
            Err(OpsError::InvalidParam {
                param: "timestamp",
                ..
            })
        ));
        assert!(parse_target(Some("000000000000000a"), Some("2026-01-02T03:04:05Z")).is_err());
    }
}
