//! `ltx-tui restore [flags] DB|URL`: Litestream's `restore` command, with its flags, messages,
//! dry-run table and JSON, over the restore room.
//!
//! The source is a replica URL (then `-o` is required) or a database path from the
//! configuration (its replica; the output defaults to the database path). Go-style
//! single-dash long flags (`-txid`, `-dry-run`, `-config`) are accepted as Litestream users
//! type them: `cli::go_flags` turns them into `--txid` before clap parses.
//!
//! Exit codes: 0 restored (or skipped by `-if-db-not-exists` / `-if-replica-exists`, or a dry
//! run), 1 the restore failed or was refused, 2 a usage or configuration error.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::CommandOutcome;
use crate::config::{self, Config, LoadOptions};
use crate::engine::{display_url, replica_spec};
use crate::ltx::Txid;
use crate::restore::{
    self, IntegrityCheck, Progress, RestoreError, RestoreOptions, RestoreOutcome, RestoreTarget,
};
use crate::storage::{ReplicaClient, ReplicaEnv, ReplicaSpec};

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

/// Where the restore reads from, resolved from the command line and the configuration.
struct Source {
    client: ReplicaClient,
    /// Shown in the plan's `source:` line.
    display: String,
    output: PathBuf,
    is_url: bool,
    replicated_dbs: Vec<PathBuf>,
}

fn usage(message: impl std::fmt::Display) -> CommandOutcome {
    eprintln!("error: {message}");
    CommandOutcome::UsageError
}

fn is_url(source: &str) -> bool {
    source.contains("://")
}

/// Runs `restore`; `config_path` is the global `--config`.
pub fn run(args: &RestoreArgs, config_path: Option<&Path>, expand_env: bool) -> CommandOutcome {
    let target = match parse_target(args) {
        Ok(target) => target,
        Err(message) => return usage(message),
    };
    let integrity_check = IntegrityCheck::parse(&args.integrity_check).unwrap_or_default();
    if args.parallelism == 0 {
        return usage("invalid -parallelism 0: must be at least 1");
    }
    let source = match resolve_source(args, config_path, expand_env) {
        Ok(source) => source,
        Err(outcome) => return outcome,
    };
    let opts = RestoreOptions {
        output: source.output.clone(),
        target,
        parallelism: args.parallelism,
        integrity_check,
        if_db_not_exists: args.if_db_not_exists,
        if_replica_exists: args.if_replica_exists,
        force: args.force,
        replicated_dbs: source.replicated_dbs.clone(),
    };
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
    let result = runtime.block_on(async {
        if source.is_url
            && let RestoreTarget::Timestamp(ts) = target
        {
            let files = restore::list_for_target(&source.client, &target).await?;
            restore::check_timestamp_in_range(&files, ts)?;
        }
        if args.dry_run {
            dry_run(&source, &opts, args.json).await
        } else {
            restore::restore(&source.client, &opts, &Progress::none())
                .await
                .map(|outcome| report(&source, &outcome, args.json))
        }
    });
    match result {
        Ok(()) => CommandOutcome::Ok,
        Err(RestoreError::InvalidOption { option, problem }) => {
            usage(format!("invalid -{option}: {problem}"))
        }
        Err(e) => {
            eprintln!("error: {e}");
            CommandOutcome::Failed
        }
    }
}

fn parse_target(args: &RestoreArgs) -> Result<RestoreTarget, String> {
    if let Some(text) = &args.txid {
        let txid: Txid = text.parse().map_err(|_| {
            format!("invalid value {text:?} for flag -txid: invalid txid format (16 hex digits)")
        })?;
        return Ok(RestoreTarget::Txid(txid));
    }
    if let Some(text) = &args.timestamp {
        let ts = DateTime::parse_from_rfc3339(text).map_err(|_| {
            "invalid -timestamp, must specify in RFC 3339 format (e.g. 2000-01-01T00:00:00Z)"
                .to_owned()
        })?;
        return Ok(RestoreTarget::Timestamp(ts.with_timezone(&Utc)));
    }
    Ok(RestoreTarget::Latest)
}

fn load_config(explicit: Option<&Path>, opts: &LoadOptions) -> Result<Config, config::ConfigError> {
    let located = config::locate(explicit, opts)?;
    config::load(&located.path, opts)
}

fn configured_paths(config: &Config) -> Vec<PathBuf> {
    config.dbs.iter().filter_map(|d| d.path.clone()).collect()
}

fn resolve_source(
    args: &RestoreArgs,
    config_path: Option<&Path>,
    expand_env: bool,
) -> Result<Source, CommandOutcome> {
    let mut load = LoadOptions::from_process();
    load.expand_env = expand_env;
    let env = ReplicaEnv::from_process();
    let client = |spec: &ReplicaSpec| {
        ReplicaClient::new(spec, &env).map_err(|e| usage(format!("cannot open the replica: {e}")))
    };
    if is_url(&args.source) {
        let Some(output) = &args.output else {
            return Err(usage(format!(
                "-o is required when restoring from a replica URL\nTry: ltx-tui restore -o /path/to/db {}",
                args.source
            )));
        };
        let spec = ReplicaSpec::from_url(&args.source).map_err(usage)?;
        // The configuration is optional here; it only names databases that must be protected.
        let replicated_dbs = match load_config(config_path, &load) {
            Ok(config) => configured_paths(&config),
            Err(e) if config_path.is_some() => return Err(usage(e)),
            Err(_) => Vec::new(),
        };
        return Ok(Source {
            client: client(&spec)?,
            display: args.source.clone(),
            output: config::absolutize(output, &load.cwd),
            is_url: true,
            replicated_dbs,
        });
    }
    let config = load_config(config_path, &load).map_err(usage)?;
    let expanded = config::expand_home(&args.source, load.home.as_deref()).map_err(usage)?;
    let db_path = config::absolutize(&expanded, &load.cwd);
    let Some(db) = config.db(&db_path) else {
        return Err(usage(format!(
            "database not found in config: {}",
            db_path.display()
        )));
    };
    let Some(replica) = &db.replica else {
        return Err(usage(format!(
            "database {} has no replica configured",
            db_path.display()
        )));
    };
    let spec = replica_spec(replica).map_err(usage)?;
    Ok(Source {
        client: client(&spec)?,
        display: display_url(replica, &spec),
        output: args
            .output
            .as_deref()
            .map_or_else(|| db_path.clone(), |o| config::absolutize(o, &load.cwd)),
        is_url: false,
        replicated_dbs: configured_paths(&config),
    })
}

async fn dry_run(source: &Source, opts: &RestoreOptions, json: bool) -> Result<(), RestoreError> {
    let plan = match restore::plan_restore(&source.client, &opts.target).await {
        Err(e) if e.is_no_backup() && opts.if_replica_exists => {
            eprintln!("no matching backups found");
            return Ok(());
        }
        result => result?,
    };
    let remote = source.client.local_dir().is_none();
    let estimate = restore::estimated_duration(&plan, remote, opts.parallelism);
    let doc = restore::plan_json(
        &plan,
        &source.display,
        &opts.output,
        source.client.replica_type(),
        estimate,
    );
    if json {
        print_json(&doc);
    } else {
        print!("{}", restore::plan_text(&plan, &doc));
    }
    Ok(())
}

fn print_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

fn report(source: &Source, outcome: &RestoreOutcome, json: bool) {
    match outcome {
        RestoreOutcome::SkippedDbExists { output } => {
            eprintln!("database already exists, skipping: {}", output.display());
        }
        RestoreOutcome::SkippedNoBackup { .. } => eprintln!("no matching backups found"),
        RestoreOutcome::Restored(r) if json => print_json(&serde_json::json!({
            "db_path": r.output.display().to_string(),
            "replica": source.client.replica_type(),
            "txid": r.txid,
            "duration_ms": r.duration_ms,
            "integrity_check": r.integrity_check.as_str(),
        })),
        RestoreOutcome::Restored(r) => eprintln!(
            "restored {} to TXID {} from {} ({} files, {} bytes, {} pages) in {} ms",
            r.output.display(),
            r.txid,
            source.display,
            r.plan.files.len(),
            r.bytes_fetched,
            r.page_count,
            r.duration_ms
        ),
    }
}
