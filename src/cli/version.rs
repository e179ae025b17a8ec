//! `ltx-tui version [-verbose] [-json]`: the version string, as `litestream version` prints
//! its own.

use super::CommandOutcome;
use super::oneshot::print_json;
use crate::ops::{self, VersionParams};

/// Arguments of `ltx-tui version`.
#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Also print compatibility and platform facts.
    #[arg(long)]
    pub verbose: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &VersionArgs) -> CommandOutcome {
    let result = ops::version(&VersionParams::default());
    if args.json {
        return print_json(&result);
    }
    if args.verbose {
        print!("{}", result.verbose_text());
    } else {
        print!("{}", result.text());
    }
    CommandOutcome::Ok
}
