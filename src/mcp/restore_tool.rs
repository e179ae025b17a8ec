//! `litestream_restore` over `ops::restore`, and `ltx_preview`.
//!
//! Restores are scoped to the server's own `restore-dirs` ([`RestoreScope::Restricted`]: the
//! output, symlinks followed and `..` resolved, must lie under one of them; none configured
//! refuses every restore). `ops::restore` adds the rest of the policy: never over an existing
//! file or its sidecars without `force`, never over a database the engine replicates or the
//! configuration names, `dry_run` writes nothing.
//!
//! `ltx_preview` runs `ops::preview` (it restores each point into the preview cache, never
//! into `restore-dirs`, and reads it).

use std::path::PathBuf;

use super::dispatch::ToolOutput;
use super::text;
use crate::ops::{
    self, OpsContext, OpsError, PreviewParams, Progress, RestoreParams, RestoreScope,
};

/// Restores as `params` say, writing only under `restore_dirs`.
pub async fn restore(
    ctx: &OpsContext,
    params: RestoreParams,
    restore_dirs: &[PathBuf],
) -> ToolOutput {
    let dry_run = params.dry_run;
    match ops::restore(
        ctx,
        params,
        RestoreScope::Restricted(restore_dirs),
        Progress::none(),
    )
    .await
    {
        Ok(r) => {
            let text = text::restore(&r, dry_run);
            ToolOutput::ok(&r, text)
        }
        Err(e) => ToolOutput::from_ops(&e),
    }
}

/// Previews a point in time (and compares it with a second one, when given).
pub async fn preview(ctx: &OpsContext, params: PreviewParams) -> Result<ToolOutput, OpsError> {
    let r = ops::preview(ctx, &params).await?;
    Ok(ToolOutput::ok(&r, text::preview(&r)))
}
