//! `litestream_restore` and `ltx_preview` over `ops::restore` and `ops::preview`.
//!
//! Placeholder until the operations land: both answer an error result.

use std::path::PathBuf;

use super::dispatch::ToolOutput;
use crate::ops::{OpsContext, OpsError, PreviewParams, RestoreParams};

/// Restores as `params` say, writing only under `restore_dirs`.
pub async fn restore(
    _ctx: &OpsContext,
    _params: RestoreParams,
    _restore_dirs: &[PathBuf],
) -> ToolOutput {
    ToolOutput::failed("operation", "restore is not available in this build".to_owned())
}

/// Previews a point in time.
pub async fn preview(_ctx: &OpsContext, _params: PreviewParams) -> Result<ToolOutput, OpsError> {
    Ok(ToolOutput::failed(
        "operation",
        "preview is not available in this build".to_owned(),
    ))
}
