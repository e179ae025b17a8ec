//! The tool catalogue: every tool's name (Litestream's `litestream_*` names, ltx-tui's own
//! `ltx_*`), description, input schema (from the argument types in [`super::args`]), output
//! schema (from the operation's result type), and annotations (read-only, destructive,
//! idempotent, open-world). The schemas come from schemars, like [`crate::ops::schemas`].
//!
//! `--read-only` drops the tools that change anything: restore, and the engine commands (sync
//! now, snapshot now, pause, resume), the same set the console's `--readonly` refuses.

use std::sync::{Arc, OnceLock};

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::{Schema, schema_for};

use super::args::{ConfigArgs, PathArgs, RestoreArgs, StatusArgs};
use super::compat::{GenerationsResult, LagResult, SnapshotsResult};
use super::hub_tool::{McpServersArgs, McpServersResult};
use crate::ops::{
    DatabasesResult, InfoResult, LtxParams, LtxResult, PreviewParams, PreviewResult,
    ReplicationCommand, ReplicationCommandParams, ReplicationCommandResult, RestoreResult,
    StatusResult, VersionResult,
};

/// Which operation a tool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolId {
    /// `litestream_info`.
    Info,
    /// `litestream_databases`.
    Databases,
    /// `litestream_status`.
    Status,
    /// `litestream_ltx`.
    Ltx,
    /// `litestream_restore`.
    Restore,
    /// `litestream_version`.
    Version,
    /// `litestream_generations`.
    Generations,
    /// `litestream_snapshots`.
    Snapshots,
    /// `ltx_timeline`.
    Timeline,
    /// `ltx_preview`.
    Preview,
    /// `ltx_lag`.
    Lag,
    /// `ltx_mcp_servers`.
    McpServers,
    /// `ltx_sync`.
    Sync,
    /// `ltx_snapshot`.
    Snapshot,
    /// `ltx_pause`.
    Pause,
    /// `ltx_resume`.
    Resume,
}

/// Every tool, in the order `tools/list` returns them.
pub const ALL_TOOLS: [ToolId; 16] = [
    ToolId::Info,
    ToolId::Databases,
    ToolId::Status,
    ToolId::Ltx,
    ToolId::Restore,
    ToolId::Version,
    ToolId::Generations,
    ToolId::Snapshots,
    ToolId::Timeline,
    ToolId::Preview,
    ToolId::Lag,
    ToolId::McpServers,
    ToolId::Sync,
    ToolId::Snapshot,
    ToolId::Pause,
    ToolId::Resume,
];

impl ToolId {
    /// The tool's name.
    pub fn name(self) -> &'static str {
        match self {
            ToolId::Info => "litestream_info",
            ToolId::Databases => "litestream_databases",
            ToolId::Status => "litestream_status",
            ToolId::Ltx => "litestream_ltx",
            ToolId::Restore => "litestream_restore",
            ToolId::Version => "litestream_version",
            ToolId::Generations => "litestream_generations",
            ToolId::Snapshots => "litestream_snapshots",
            ToolId::Timeline => "ltx_timeline",
            ToolId::Preview => "ltx_preview",
            ToolId::Lag => "ltx_lag",
            ToolId::McpServers => "ltx_mcp_servers",
            ToolId::Sync => "ltx_sync",
            ToolId::Snapshot => "ltx_snapshot",
            ToolId::Pause => "ltx_pause",
            ToolId::Resume => "ltx_resume",
        }
    }

    /// The tool named `name`.
    pub fn from_name(name: &str) -> Option<ToolId> {
        ALL_TOOLS.into_iter().find(|t| t.name() == name)
    }

    /// True for the tools that change files or replication (left out by `--read-only`).
    pub fn mutates(self) -> bool {
        self.replication_command().is_some() || matches!(self, ToolId::Restore)
    }

    /// The engine command a tool runs (`ltx_sync`, `ltx_snapshot`, `ltx_pause`, `ltx_resume`).
    pub fn replication_command(self) -> Option<ReplicationCommand> {
        match self {
            ToolId::Sync => Some(ReplicationCommand::Sync),
            ToolId::Snapshot => Some(ReplicationCommand::Snapshot),
            ToolId::Pause => Some(ReplicationCommand::Pause),
            ToolId::Resume => Some(ReplicationCommand::Resume),
            _ => None,
        }
    }

    /// The tool that runs `command`.
    pub fn for_replication_command(command: ReplicationCommand) -> ToolId {
        match command {
            ReplicationCommand::Sync => ToolId::Sync,
            ReplicationCommand::Snapshot => ToolId::Snapshot,
            ReplicationCommand::Pause => ToolId::Pause,
            ReplicationCommand::Resume => ToolId::Resume,
        }
    }

    fn title(self) -> &'static str {
        match self {
            ToolId::Info => "Replication report",
            ToolId::Databases => "Configured databases",
            ToolId::Status => "Database status",
            ToolId::Ltx => "LTX files of a replica",
            ToolId::Restore => "Restore a database",
            ToolId::Version => "Version",
            ToolId::Generations => "Generations (LTX: one)",
            ToolId::Snapshots => "Snapshots (L9 files)",
            ToolId::Timeline => "Replica timeline",
            ToolId::Preview => "Preview a point in time",
            ToolId::Lag => "Replication lag",
            ToolId::McpServers => "Attached MCP servers",
            ToolId::Sync => "Sync a database now",
            ToolId::Snapshot => "Snapshot a database now",
            ToolId::Pause => "Pause replication of a database",
            ToolId::Resume => "Resume replication of a database",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ToolId::Info => {
                "Everything at once: version, configuration file, the configured databases, and per \
                 database its status and its replica's files summarised by level."
            }
            ToolId::Databases => {
                "The databases of the configuration with their replica type and URL (as \
                 `litestream databases`)."
            }
            ToolId::Status => {
                "Per database: status (ok, not initialized, no database, error), local TXID, WAL \
                 size, and the running engine's replication figures (as `litestream status`)."
            }
            ToolId::Ltx => {
                "The LTX files of a database's replica or of a replica URL at one level (default \
                 0) or `all`: level, TXID range, size, creation time (as `litestream ltx`)."
            }
            ToolId::Restore => {
                "Restore a database from its replica, to the latest state, a TXID or a point in \
                 time. Writes only under the server's restore-dirs, never over an existing file \
                 without force, never over a replicated database. dry_run shows the plan only."
            }
            ToolId::Version => {
                "The ltx-tui version and the Litestream release it is compatible with."
            }
            ToolId::Generations => {
                "Litestream 0.3's generations, from LTX data: an LTX replica is one generation \
                 spanning its files (first and last TXID, oldest and newest file, lag)."
            }
            ToolId::Snapshots => {
                "Litestream 0.3's snapshots, from LTX data: the level 9 (snapshot) files of a \
                 replica."
            }
            ToolId::Timeline => {
                "A replica's timeline, windowed: files at one level or all, filtered by TXID and \
                 time range, at most `limit` per call with a `next` cursor, optional page counts."
            }
            ToolId::Preview => {
                "What a database held at a point in time (tables, row counts, schema), and how it \
                 differs from a second point; reads the replica, writes nothing."
            }
            ToolId::Lag => {
                "How far each replica is behind its database: replica TXID, lag in seconds, \
                 pending bytes and TXIDs, last sync and upload, last error (running engine only)."
            }
            ToolId::McpServers => {
                "The MCP servers this ltx-tui attaches (mcp-servers): per server its transport, \
                 state (ready, degraded, failed, …), last round trip, negotiated protocol, tool \
                 count, restarts, and whether it is another ltx-tui."
            }
            ToolId::Sync => {
                "Sync a replicated database now: read its WAL and upload everything pending;                  answers the replica's TXID. Works while paused (one sync; it stays paused)."
            }
            ToolId::Snapshot => {
                "Sync a replicated database, then build and upload a full snapshot (an L9 file)                  now; answers the snapshot's TXID."
            }
            ToolId::Pause => {
                "Pause replication of a database: nothing is synced or uploaded until                  ltx_resume (the WAL is kept, nothing is lost; lag grows meanwhile)."
            }
            ToolId::Resume => "Resume replication of a paused database; it syncs at once.",
        }
    }

    fn annotations(self) -> ToolAnnotations {
        let base = ToolAnnotations::with_title(self.title());
        match self {
            ToolId::Restore => base
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
            // Listing a remote replica reads object storage: open world.
            ToolId::Ltx
            | ToolId::Info
            | ToolId::Generations
            | ToolId::Snapshots
            | ToolId::Timeline
            | ToolId::Preview => base
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(true),
            // Engine commands: none destroys data. A sync leaves the same replica when repeated;
            // a snapshot adds a new L9 file each time; pausing or resuming twice is pausing or
            // resuming once. Sync and snapshot write to object storage: open world.
            ToolId::Sync => base
                .read_only(false)
                .destructive(false)
                .idempotent(true)
                .open_world(true),
            ToolId::Snapshot => base
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(true),
            ToolId::Pause | ToolId::Resume => base
                .read_only(false)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
            ToolId::Databases
            | ToolId::Status
            | ToolId::Version
            | ToolId::Lag
            | ToolId::McpServers => base
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        }
    }

    fn schemas(self) -> (Schema, Schema) {
        match self {
            ToolId::Info => (schema_for!(ConfigArgs), schema_for!(InfoResult)),
            ToolId::Databases => (schema_for!(ConfigArgs), schema_for!(DatabasesResult)),
            ToolId::Status => (schema_for!(StatusArgs), schema_for!(StatusResult)),
            ToolId::Ltx => (schema_for!(PathArgs), schema_for!(LtxResult)),
            ToolId::Restore => (schema_for!(RestoreArgs), schema_for!(RestoreResult)),
            ToolId::Version => (schema_for!(ConfigArgs), schema_for!(VersionResult)),
            ToolId::Generations => (schema_for!(PathArgs), schema_for!(GenerationsResult)),
            ToolId::Snapshots => (schema_for!(PathArgs), schema_for!(SnapshotsResult)),
            ToolId::Timeline => (schema_for!(LtxParams), schema_for!(LtxResult)),
            ToolId::Preview => (schema_for!(PreviewParams), schema_for!(PreviewResult)),
            ToolId::Lag => (schema_for!(StatusArgs), schema_for!(LagResult)),
            ToolId::McpServers => (schema_for!(McpServersArgs), schema_for!(McpServersResult)),
            ToolId::Sync | ToolId::Snapshot | ToolId::Pause | ToolId::Resume => (
                schema_for!(ReplicationCommandParams),
                schema_for!(ReplicationCommandResult),
            ),
        }
    }

    fn build(self) -> Tool {
        let (input, output) = self.schemas();
        Tool::new(self.name(), self.description(), Arc::new(object(input)))
            .with_title(self.title())
            .with_raw_output_schema(Arc::new(object(output)))
            .with_annotations(self.annotations())
    }
}

/// A schema as a JSON object (schemars always produces one for these types).
fn object(schema: Schema) -> JsonObject {
    match schema.to_value() {
        serde_json::Value::Object(map) => map,
        other => {
            let mut map = JsonObject::new();
            map.insert("type".into(), "object".into());
            tracing::warn!("schema is not an object: {other}");
            map
        }
    }
}

/// The tool definitions (built once), optionally without the tools that change anything.
pub fn catalogue(read_only: bool) -> Vec<Tool> {
    static ALL: OnceLock<Vec<(ToolId, Tool)>> = OnceLock::new();
    ALL.get_or_init(|| ALL_TOOLS.iter().map(|t| (*t, t.build())).collect())
        .iter()
        .filter(|(id, _)| !(read_only && id.mutates()))
        .map(|(_, tool)| tool.clone())
        .collect()
}

/// The definition of `name`, if the server offers it.
pub fn definition(name: &str, read_only: bool) -> Option<Tool> {
    catalogue(read_only).into_iter().find(|t| t.name == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_object_schemas_and_annotations() {
        let tools = catalogue(false);
        assert_eq!(tools.len(), ALL_TOOLS.len());
        for tool in &tools {
            assert_eq!(
                tool.input_schema.get("type").unwrap(),
                "object",
                "{}",
                tool.name
            );
            let out = tool.output_schema.as_ref().unwrap();
            assert_eq!(out.get("type").unwrap(), "object", "{}", tool.name);
            assert!(tool.annotations.is_some());
            assert_eq!(ToolId::from_name(&tool.name).unwrap().name(), tool.name);
        }
    }

    #[test]
    fn read_only_drops_restore_and_the_engine_commands() {
        let names: Vec<_> = catalogue(true).into_iter().map(|t| t.name).collect();
        for gone in [
            "litestream_restore",
            "ltx_sync",
            "ltx_snapshot",
            "ltx_pause",
            "ltx_resume",
        ] {
            assert!(!names.iter().any(|n| n == gone), "{gone}");
        }
        assert_eq!(names.len(), ALL_TOOLS.len() - 5);
    }

    #[test]
    fn engine_commands_change_state_but_destroy_nothing() {
        for command in ReplicationCommand::ALL {
            let id = ToolId::for_replication_command(command);
            assert_eq!(id.replication_command(), Some(command));
            let a = id.annotations();
            assert_eq!(a.read_only_hint, Some(false), "{}", id.name());
            assert_eq!(a.destructive_hint, Some(false), "{}", id.name());
        }
        assert_eq!(ToolId::Snapshot.annotations().idempotent_hint, Some(false));
        assert_eq!(ToolId::Pause.annotations().idempotent_hint, Some(true));
    }
}
