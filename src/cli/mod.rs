//! The command line: argument parsing and dispatch, one file per subcommand.
//!
//! Each subcommand returns a [`CommandOutcome`]; this module alone turns outcomes into exit codes
//! so that every command follows the same contract: 0 ok, 1 operation failed, 2 usage or config
//! error.

mod config_check;
mod databases;
mod go_flags;
mod headless;
mod ltx_inspect;
mod ltx_list;
mod mcp_import;
mod oneshot;
mod preview;
mod restore;
mod status;
mod version;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::tui;

/// How a subcommand ended; mapped to the process exit code by [`main`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Exit code 0.
    Ok,
    /// Exit code 1: the operation was attempted and failed (for example an invalid LTX file).
    Failed,
    /// Exit code 2: the command line or the configuration is wrong.
    UsageError,
}

impl From<CommandOutcome> for ExitCode {
    fn from(outcome: CommandOutcome) -> Self {
        match outcome {
            CommandOutcome::Ok => ExitCode::SUCCESS,
            CommandOutcome::Failed => ExitCode::from(1),
            CommandOutcome::UsageError => ExitCode::from(2),
        }
    }
}

/// ltx-tui: an operations console for SQLite replication, byte-compatible with Litestream 0.5.
#[derive(Debug, Parser)]
#[command(name = "ltx-tui", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default lookup: $LTX_TUI_CONFIG, ./ltx-tui.yml, the user config dir,
    /// /etc/litestream.yml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run the replication engine without a terminal (logs to stderr; SIGTERM, SIGINT or
    /// SIGHUP make a final sync and exit 0).
    #[arg(long)]
    pub headless: bool,

    /// With --headless: serve the operations as MCP tools on this address (host:port; port 0
    /// picks a free one; overrides mcp-addr in the configuration).
    #[arg(long = "mcp-addr", value_name = "ADDR", requires = "headless")]
    pub mcp_addr: Option<String>,

    /// Refuse every action that changes replication or writes files: in the console sync now,
    /// snapshot now, pause/resume and restore; over MCP those tools are left out.
    #[arg(long = "read-only", visible_alias = "readonly", global = true)]
    pub read_only: bool,

    /// Do not expand $VAR and ${VAR} in the configuration file.
    #[arg(long = "no-expand-env", global = true)]
    pub no_expand_env: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the databases of the configuration (as `litestream databases`).
    Databases(databases::DatabasesArgs),
    /// Show each database's status, local TXID and WAL size (as `litestream status`).
    Status(status::StatusArgs),
    /// List the LTX files of a database's replica or a replica URL (as `litestream ltx`), or
    /// work with LTX files (`ltx inspect`).
    Ltx(LtxArgs),
    /// Print the version (as `litestream version`).
    Version(version::VersionArgs),
    /// Work with the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Restore a database from its replica (Litestream's flags; `-txid` and `--txid` both work).
    Restore(restore::RestoreArgs),
    /// Show a database's tables and row counts at a TXID or time of its replica, and what
    /// changed between two points (restores into a cache, never touches the live database).
    Preview(preview::PreviewArgs),
    /// Attached MCP servers: `mcp import FILE` converts a Claude Desktop style JSON file.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Open the console on a demo database with a steady write workload, replicated to a
    /// file:// replica in the user data directory.
    Demo(DemoArgs),
}

/// `ltx-tui demo [--reset] [--rate N]`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Delete the demo database and replica first and start afresh.
    #[arg(long)]
    pub reset: bool,
    /// Transactions per second of the demo workload (0 = none).
    #[arg(long, default_value_t = 3.0, value_name = "N")]
    pub rate: f64,
}

/// `ltx-tui ltx [-level N|all] [-json] DB|URL` or `ltx-tui ltx inspect FILE…`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LtxArgs {
    /// A subcommand working on LTX files.
    #[command(subcommand)]
    pub command: Option<LtxCommand>,
    /// Listing a replica's LTX files.
    #[command(flatten)]
    pub list: ltx_list::ListArgs,
}

/// `ltx-tui ltx …` subcommands.
#[derive(Debug, Subcommand)]
pub enum LtxCommand {
    /// Decode and verify LTX files: header fields, pages, page index and checksums.
    Inspect(ltx_inspect::InspectArgs),
}

/// `ltx-tui mcp …`
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Print the `mcp-servers:` YAML for a Claude Desktop style `mcpServers` JSON file.
    Import(mcp_import::ImportArgs),
}

/// `ltx-tui config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved configuration, or the errors in it (exit code 2).
    Check(config_check::CheckArgs),
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let args = go_flags::normalize(
        std::env::args_os().collect(),
        &go_flags::long_flag_names(&Cli::command()),
    );
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            // Printing the clap message can only fail if stdout/stderr are closed; nothing to do then.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    run(cli).into()
}

fn console(opts: tui::ConsoleOptions) -> CommandOutcome {
    match tui::run_console(opts) {
        0 => CommandOutcome::Ok,
        2 => CommandOutcome::UsageError,
        _ => CommandOutcome::Failed,
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CommandOutcome {
    if cli.headless {
        if cli.command.is_some() {
            eprintln!("ltx-tui: --headless takes no subcommand");
            return CommandOutcome::UsageError;
        }
        let args = headless::HeadlessArgs {
            mcp_addr: cli.mcp_addr.clone(),
            read_only: cli.read_only,
        };
        return headless::run(cli.config.as_deref(), !cli.no_expand_env, &args);
    }
    match cli.command {
        Some(Command::Databases(args)) => {
            databases::run(&args, cli.config.as_deref(), !cli.no_expand_env)
        }
        Some(Command::Status(args)) => {
            status::run(&args, cli.config.as_deref(), !cli.no_expand_env)
        }
        Some(Command::Version(args)) => version::run(&args),
        Some(Command::Ltx(LtxArgs {
            command: Some(LtxCommand::Inspect(args)),
            ..
        })) => ltx_inspect::run(&args),
        Some(Command::Ltx(LtxArgs {
            command: None,
            list,
        })) => ltx_list::run(&list, cli.config.as_deref(), !cli.no_expand_env),
        Some(Command::Config(ConfigCommand::Check(args))) => {
            config_check::run(&args, cli.config.as_deref(), !cli.no_expand_env)
        }
        Some(Command::Mcp(McpCommand::Import(args))) => mcp_import::run(&args),
        Some(Command::Preview(args)) => {
            preview::run(&args, cli.config.as_deref(), !cli.no_expand_env)
        }
        Some(Command::Restore(args)) => {
            restore::run(&args, cli.config.as_deref(), !cli.no_expand_env)
        }
        Some(Command::Demo(args)) => console(tui::ConsoleOptions {
            config_path: None,
            expand_env: !cli.no_expand_env,
            readonly: cli.read_only,
            demo: Some(tui::DemoOptions {
                reset: args.reset,
                rate: args.rate,
                dir: None,
            }),
        }),
        None => console(tui::ConsoleOptions {
            config_path: cli.config,
            expand_env: !cli.no_expand_env,
            readonly: cli.read_only,
            demo: None,
        }),
    }
}
