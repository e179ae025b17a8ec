//! `ltx-tui databases [-config FILE] [-json]`: the configured databases and their replica
//! types, in `litestream databases`'s columns (`path  replica`) or JSON keys.

use std::path::Path;

use super::CommandOutcome;
use super::oneshot::{context, fail, print_json};
use crate::ops::{self, DatabasesParams};

/// Arguments of `ltx-tui databases`.
#[derive(Debug, clap::Args)]
pub struct DatabasesArgs {
    /// Print JSON (`[{"path", "replica"}]`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &DatabasesArgs, config: Option<&Path>, expand_env: bool) -> CommandOutcome {
    let ctx = context(config, expand_env);
    match ops::databases(&ctx, &DatabasesParams::default()) {
        Ok(result) if args.json => print_json(&result.litestream_json()),
        Ok(result) => {
            print!("{}", result.table());
            CommandOutcome::Ok
        }
        Err(e) => fail(&e),
    }
}
