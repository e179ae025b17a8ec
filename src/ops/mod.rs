//! The operations surface: info, version, databases, status (with lag), the LTX timeline,
//! restore (with progress, and a [`RestoreScope`] for where it may write), preview, and the
//! engine commands (sync now, snapshot now, pause, resume). The command line, the console and
//! the MCP server all call these functions; each takes typed parameters and returns a typed
//! result (serde, with a JSON schema from [`schemars`]) that maps onto Litestream's MCP tools,
//! plus the text tables and JSON that Litestream's CLI prints for it.
//!
//! One file per operation. This room never imports the faces (the console or the MCP server)
//! nor any terminal crate; it reads configuration, local files and replicas, and takes
//! the running engine, when there is one, through its [`OpsContext`].

mod context;
mod databases;
mod error;
mod info;
mod litestream_text;
mod ltx;
mod ltx_cursor;
mod preview;
mod preview_cache;
mod preview_params;
mod replication_command;
mod restore;
mod restore_params;
mod restore_scope;
mod status;
pub mod tabwriter;
mod timestamp;
mod version;

/// Restore progress sinks and events, from the restore room, for `restore`'s callers.
pub use crate::restore::{Progress, RestoreProgress};
pub use context::{OpsContext, ReplicaTarget, is_replica_url};
pub use databases::{
    DatabaseEntry, DatabasesParams, DatabasesResult, LitestreamDatabaseRow, databases,
};
pub use error::{OpsError, OpsErrorKind};
pub use info::{DatabaseSummary, InfoParams, InfoResult, LevelSummary, info, level_summaries};
pub use litestream_text::{humanize_bytes, rfc3339_seconds, txid_or_dash};
pub use ltx::{
    LevelSelection, LitestreamLtxRow, LtxFileEntry, LtxParams, LtxResult, MAX_LEVEL,
    MAX_PAGE_COUNTS, ltx, ltx_on,
};
pub use ltx_cursor::LtxCursor;
pub use preview::{preview, preview_diff};
pub use preview_cache::{PointSummary, PreviewCache};
pub use preview_params::{
    PreviewDiff, PreviewParams, PreviewResult, TableChange, TableDiff, TablePreview,
};
pub use replication_command::{
    ReplicationCommand, ReplicationCommandParams, ReplicationCommandResult, replication_command,
};
pub use restore::restore;
pub use restore_params::{IntegrityCheck, PlannedFile, RestoreParams, RestoreResult};
pub use restore_scope::{RestoreScope, resolve_following_links};
pub use status::{
    DatabaseStatusEntry, LitestreamStatusRow, LocalStatus, ReplicationFigures, StatusParams,
    StatusResult, status, status_from,
};
pub use version::{LITESTREAM_COMPATIBLE, VersionParams, VersionResult, version};

/// The JSON schemas of every operation's parameters and result, by operation name: what the
/// MCP server publishes as input and output schemas.
pub fn schemas() -> Vec<(&'static str, schemars::Schema, schemars::Schema)> {
    use schemars::schema_for;
    vec![
        ("info", schema_for!(InfoParams), schema_for!(InfoResult)),
        (
            "version",
            schema_for!(VersionParams),
            schema_for!(VersionResult),
        ),
        (
            "databases",
            schema_for!(DatabasesParams),
            schema_for!(DatabasesResult),
        ),
        (
            "status",
            schema_for!(StatusParams),
            schema_for!(StatusResult),
        ),
        ("ltx", schema_for!(LtxParams), schema_for!(LtxResult)),
        (
            "restore",
            schema_for!(RestoreParams),
            schema_for!(RestoreResult),
        ),
        (
            "preview",
            schema_for!(PreviewParams),
            schema_for!(PreviewResult),
        ),
        (
            "replication_command",
            schema_for!(ReplicationCommandParams),
            schema_for!(ReplicationCommandResult),
        ),
    ]
}
