//! `ltx-tui status [-config FILE] [-json] [DB]`: per database its status, local TXID and WAL
//! size, in `litestream status`'s columns (`database  status  local txid  wal size`) or JSON
//! keys. Unlike Litestream, a `DB` that is not configured is an error (exit 2), not an empty
//! table.

use std::path::Path;

use super::CommandOutcome;
use super::oneshot::{block_on, context, fail, print_json};
use crate::ops::{self, StatusParams};

/// Arguments of `ltx-tui status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this database.
    #[arg(value_name = "DB")]
    pub db: Option<String>,
    /// Print JSON (`[{"database", "status", "local_txid", "wal_size"}]`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &StatusArgs, config: Option<&Path>, expand_env: bool) -> CommandOutcome {
    let ctx = context(config, expand_env);
    let params = StatusParams {
        config: None,
        path: args.db.clone(),
    };
    let result = match block_on(ops::status(&ctx, &params)) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    match result {
        Ok(result) if args.json => print_json(&result.litestream_json()),
        Ok(result) => {
            print!("{}", result.table());
            CommandOutcome::Ok
        }
        Err(e) => fail(&e),
    }
}
