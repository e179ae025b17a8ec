//! `ltx-tui mcp import FILE`: prints the `mcp-servers:` YAML for the servers of a Claude
//! Desktop style `mcpServers` JSON file, on stdout; secrets become `${VAR}` references, and the
//! variables to set (and any renamed servers) are listed on stderr. Errors name the file, and
//! for bad JSON the line and column; they exit with code 2.

use std::path::PathBuf;

use crate::config;

/// Arguments of `ltx-tui mcp import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A JSON file with an `mcpServers` object (as `claude_desktop_config.json`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Runs `mcp import`.
pub fn run(args: &ImportArgs) -> super::CommandOutcome {
    let import = match config::import_file(&args.file) {
        Ok(import) => import,
        Err(e) => {
            eprintln!("error: {e}");
            return super::CommandOutcome::UsageError;
        }
    };
    let yaml = match import.yaml() {
        Ok(yaml) => yaml,
        Err(e) => {
            eprintln!("error: cannot write the YAML: {e}");
            return super::CommandOutcome::Failed;
        }
    };
    print!("{yaml}");
    for note in &import.notes {
        eprintln!("note: {note}");
    }
    if !import.variables.is_empty() {
        eprintln!(
            "note: secrets are not copied; set these environment variables (the YAML refers to them):"
        );
        for (var, place) in &import.variables {
            eprintln!("  {var}  ({place})");
        }
    }
    super::CommandOutcome::Ok
}
