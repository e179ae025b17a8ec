//! `ltx-tui ltx [-level N|all] [-json] DB|URL`: the LTX files of a database's replica or of a
//! replica URL, in `litestream ltx`'s columns (`level  min_txid  max_txid  size  created`) or
//! JSON keys (`level, min_txid, max_txid, size, timestamp`). ltx-tui adds a window (TXID and
//! time ranges, a limit and a cursor; the next cursor is printed on stderr) and page counts.

use std::path::Path;

use super::CommandOutcome;
use super::oneshot::{block_on, context, fail, print_json};
use crate::ops::{self, LtxParams};

/// Arguments of `ltx-tui ltx DB|URL`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// A database path from the configuration, or a replica URL (file://, s3://, gs://, abs://).
    #[arg(value_name = "DB|URL", required = true)]
    pub path: Option<String>,
    /// Level to list, 0-9, or `all` (default 0).
    #[arg(long, value_name = "N|all")]
    pub level: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only files whose TXID range reaches this TXID (16 hex digits).
    #[arg(long, value_name = "TXID")]
    pub min_txid: Option<String>,
    /// Only files starting at or before this TXID (16 hex digits).
    #[arg(long, value_name = "TXID")]
    pub max_txid: Option<String>,
    /// Only files created at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only files created at or before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// At most this many files (the next cursor is printed on stderr).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Continue after this cursor.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Read each file's header and page index and add a `pages` column.
    #[arg(long)]
    pub page_count: bool,
}

/// Runs the command.
pub fn run(args: &ListArgs, config: Option<&Path>, expand_env: bool) -> CommandOutcome {
    let Some(path) = args.path.clone().filter(|p| !p.is_empty()) else {
        eprintln!("error: database path or replica URL required");
        return CommandOutcome::UsageError;
    };
    let ctx = context(config, expand_env);
    let params = LtxParams {
        path,
        config: None,
        level: args.level.clone(),
        min_txid: args.min_txid.clone(),
        max_txid: args.max_txid.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        limit: args.limit,
        cursor: args.cursor.clone(),
        page_count: args.page_count,
    };
    let result = match block_on(ops::ltx(&ctx, &params)) {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => return fail(&e),
        Err(outcome) => return outcome,
    };
    if let Some(next) = &result.next {
        eprintln!("more files: continue with --cursor {next}");
    }
    if result.page_counts_omitted > 0 {
        eprintln!(
            "page counts omitted for {} files (at most {} per call)",
            result.page_counts_omitted,
            ops::MAX_PAGE_COUNTS
        );
    }
    if args.json {
        return print_json(&result.litestream_json(args.page_count));
    }
    print!("{}", result.table(args.page_count));
    CommandOutcome::Ok
}
