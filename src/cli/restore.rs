//! `ltx-tui restore [flags] DB|URL`: Litestream's `restore` command, with its flags, messages,
//! dry-run table and JSON, over the restore room.
//!
//! The work is [`ops::restore`] (scope [`RestoreScope::Cli`]); this file maps flags to its
//! parameters and prints its result. The source is a replica URL (then `-o` is required) or a database path from the
//! configuration (its replica; the output defaults to the database path). Go-style
//! single-dash long flags (`-txid`, `-dry-run`, `-config`) are accepted as Litestream users
//! type them: `cli::go_flags` turns them into `--txid` before clap parses.
//!
//! Exit codes: 0 restored (or skipped by `-if-db-not-exists` / `-if-replica-exists`, or a dry
//! run), 1 the restore failed or was refused, 2 a usage or configuration error.

use std::path::{Path, PathBuf};

use super::{CommandOutcome, oneshot};
use crate::ops::{
    self, IntegrityCheck, Progress, RestoreParams, RestoreResult, RestoreScope, is_replica_url,
};
use crate::restore::{self, PlanFileJson, PlanJson, plan_text};

/// Arguments of `ltx-tui restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Output path of the restored database (required for a replica URL; default: the
    /// database path).
    #[arg(short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Restore up to this TXID (16 hex digits, inclusive).
    #[arg(long, value_name = "TXID", conflicts_with = "timestamp")]
    pub txid: Option<String>,
    /// Restore to this point in time (RFC 3339, e.g. 2000-01-01T00:00:00Z).
    #[arg(long, value_name = "TIMESTAMP")]
    pub timestamp: Option<String>,
    /// Number of LTX files downloaded in parallel.
    #[arg(long, value_name = "NUM", default_value_t = restore::DEFAULT_PARALLELISM)]
    pub parallelism: usize,
    /// Exit 0 without restoring if the output database already exists.
    #[arg(long = "if-db-not-exists")]
    pub if_db_not_exists: bool,
    /// Exit 0 without restoring if the replica has no matching backup.
    #[arg(long = "if-replica-exists")]
    pub if_replica_exists: bool,
    /// Print the restore plan and exit without writing a database.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Overwrite an existing output database and remove its -wal, -shm and -journal (never a
    /// database another process has open).
    #[arg(long)]
    pub force: bool,
    /// Check the restored database: none, quick or full.
    #[arg(long = "integrity-check", value_name = "MODE", default_value = "none",
          value_parser = ["none", "quick", "full"])]
    pub integrity_check: String,
    /// Print a JSON summary (or the plan, with -dry-run) on stdout.
    #[arg(long)]
    pub json: bool,
    /// A database path from the configuration, or a replica URL.
    #[arg(value_name = "DB|URL")]
    pub source: String,
}

fn usage(message: impl std::fmt::Display) -> CommandOutcome {
    eprintln!("error: {message}");
    CommandOutcome::UsageError
}

/// Runs `restore`; `config_path` is the global `--config`.
pub fn run(args: &RestoreArgs, config_path: Option<&Path>, expand_env: bool) -> CommandOutcome {
    if args.parallelism == 0 {
        return usage("invalid -parallelism 0: must be at least 1");
    }
    if is_replica_url(&args.source) && args.output.is_none() {
        return usage(format!(
            "-o is required when restoring from a replica URL\nTry: ltx-tui restore -o /path/to/db {}",
            args.source
        ));
    }
    let params = RestoreParams {
        path: args.source.clone(),
        o: args.output.as_ref().map(|o| o.display().to_string()),
        config: None,
        txid: args.txid.clone(),
        timestamp: args.timestamp.clone(),
        parallelism: Some(u32::try_from(args.parallelism).unwrap_or(u32::MAX)),
        if_db_not_exists: args.if_db_not_exists,
        if_replica_exists: args.if_replica_exists,
        dry_run: args.dry_run,
        force: args.force,
        integrity_check: Some(match args.integrity_check.as_str() {
            "quick" => IntegrityCheck::Quick,
            "full" => IntegrityCheck::Full,
            _ => IntegrityCheck::None,
        }),
    };
    let ctx = oneshot::context(config_path, expand_env);
    // A multi-threaded runtime: downloads proceed while the writer thread applies files.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return CommandOutcome::Failed;
        }
    };
    let result = runtime.block_on(ops::restore(
        &ctx,
        params,
        RestoreScope::Cli,
        Progress::none(),
    ));
    match result {
        Ok(result) => report(&result, &args.source, args.json),
        Err(e) => oneshot::fail(&e),
    }
}

fn report(r: &RestoreResult, source: &str, json: bool) -> CommandOutcome {
    if let Some(skipped) = &r.skipped {
        if skipped.starts_with("database already exists") {
            eprintln!("{skipped}");
        } else {
            eprintln!("no matching backups found");
        }
        return CommandOutcome::Ok;
    }
    if r.dry_run {
        let doc = PlanJson {
            // The plan's source line: the URL as typed, or the configured replica's URL.
            source: if is_replica_url(source) {
                source.to_owned()
            } else {
                r.replica.clone()
            },
            target_path: r.db_path.clone(),
            replica: r.replica_type.clone(),
            min_txid: r.min_txid.clone().unwrap_or_default(),
            max_txid: r.txid.clone(),
            files: r
                .plan
                .iter()
                .map(|f| PlanFileJson {
                    level: f.level,
                    name: f.file.clone(),
                    min_txid: f.min_txid.clone(),
                    max_txid: f.max_txid.clone(),
                    size: f.size,
                    timestamp: f.timestamp.clone(),
                })
                .collect(),
            total_bytes: r.total_bytes,
            estimated_ms: r.estimated_ms.unwrap_or_default(),
        };
        return if json {
            oneshot::print_json(&doc)
        } else {
            print!("{}", plan_text(&doc));
            CommandOutcome::Ok
        };
    }
    if json {
        return oneshot::print_json(&serde_json::json!({
            "db_path": r.db_path,
            "replica": r.replica_type,
            "txid": r.txid,
            "duration_ms": r.duration_ms,
            "integrity_check": r.integrity_check,
        }));
    }
    eprintln!(
        "restored {} to TXID {} from {} ({} files, {} bytes, {} pages) in {} ms",
        r.db_path,
        r.txid,
        r.replica,
        r.plan.len(),
        r.total_bytes,
        r.page_count.unwrap_or_default(),
        r.duration_ms
    );
    CommandOutcome::Ok
}
