//! `ltx-tui config check [FILE]`: find, read and validate the configuration, then print it.
//!
//! On success it prints, on stdout, which file was used and which lookup step chose it (as YAML
//! comments), any warnings, and the resolved configuration as YAML with every default filled in
//! and every secret shown as `***`; the output itself parses as a configuration. On failure it
//! prints the error (`FILE:LINE:COLUMN: PATH: MESSAGE`) on stderr and exits with code 2.

use std::path::{Path, PathBuf};

use crate::config::{self, Config, LoadOptions, Located};

/// Arguments of `ltx-tui config check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Config file; default: the lookup order ($LTX_TUI_CONFIG, ./ltx-tui.yml, the user config
    /// dir, /etc/litestream.yml).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Runs `config check`; `global_config` is `--config`, used when no `FILE` is given.
pub fn run(
    args: &CheckArgs,
    global_config: Option<&Path>,
    expand_env: bool,
) -> super::CommandOutcome {
    let mut opts = LoadOptions::from_process();
    opts.expand_env = expand_env;
    let explicit = args.file.as_deref().or(global_config);
    let located = match config::locate(explicit, &opts) {
        Ok(located) => located,
        Err(err) => {
            eprintln!("error: {err}");
            return super::CommandOutcome::UsageError;
        }
    };
    let config = match config::load(&located.path, &opts) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return super::CommandOutcome::UsageError;
        }
    };
    match report(&located, &config, expand_env) {
        Ok(text) => {
            print!("{text}");
            super::CommandOutcome::Ok
        }
        Err(err) => {
            eprintln!("error: cannot print the configuration: {err}");
            super::CommandOutcome::Failed
        }
    }
}

/// The text printed for a valid configuration.
fn report(
    located: &Located,
    config: &Config,
    expand_env: bool,
) -> Result<String, serde_yaml_ng::Error> {
    let mut out = format!(
        "# config: {}\n# chosen: {}\n",
        located.path.display(),
        located.source
    );
    for skipped in &located.skipped {
        out.push_str(&format!(
            "# not found: {} ({})\n",
            skipped.path.display(),
            skipped.source
        ));
    }
    if !expand_env {
        out.push_str("# environment expansion: off (--no-expand-env)\n");
    }
    let creds = &config.env_credentials;
    if let Some((_, from)) = &creds.access_key_id {
        out.push_str(&format!("# s3 access key id fallback from ${from}\n"));
    }
    if let Some((_, from)) = &creds.secret_access_key {
        out.push_str(&format!("# s3 secret access key fallback from ${from}\n"));
    }
    for warning in &config.warnings {
        out.push_str(&format!("# warning: {warning}\n"));
    }
    out.push_str("# resolved configuration (defaults filled in, secrets shown as ***):\n");
    out.push_str(&config.to_redacted_yaml()?);
    Ok(out)
}
