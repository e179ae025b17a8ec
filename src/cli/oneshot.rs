//! What the one-shot commands (`databases`, `status`, `ltx`, `version`) share: the operations
//! context from the process and the global flags, a small async runtime, printing results as
//! text or JSON, and turning an operation error into a message and an exit code.

use std::future::Future;
use std::path::Path;

use serde::Serialize;

use super::CommandOutcome;
use crate::config::LoadOptions;
use crate::ops::{OpsContext, OpsError, OpsErrorKind};
use crate::storage::ReplicaEnv;

/// The context of a one-shot command: `--config` (else the lookup order), `--no-expand-env`.
pub fn context(config: Option<&Path>, expand_env: bool) -> OpsContext {
    let mut load = LoadOptions::from_process();
    load.expand_env = expand_env;
    OpsContext::new(load, ReplicaEnv::from_process())
        .with_config_path(config.map(Path::to_path_buf))
}

/// Runs `future` to completion on a current-thread runtime.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, CommandOutcome> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Ok(runtime.block_on(future)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            Err(CommandOutcome::Failed)
        }
    }
}

/// Prints the error and returns the outcome its kind maps to (2 usage/config, 1 operation).
pub fn fail(err: &OpsError) -> CommandOutcome {
    eprintln!("error: {err}");
    match err.kind() {
        OpsErrorKind::Usage | OpsErrorKind::Config => CommandOutcome::UsageError,
        OpsErrorKind::Operation => CommandOutcome::Failed,
    }
}

/// Prints `value` as indented JSON (two spaces, as Go's `json.MarshalIndent` in Litestream).
pub fn print_json<T: Serialize>(value: &T) -> CommandOutcome {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            CommandOutcome::Ok
        }
        Err(e) => {
            eprintln!("error: cannot encode JSON: {e}");
            CommandOutcome::Failed
        }
    }
}
