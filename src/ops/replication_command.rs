//! Commands to the running engine on one database: sync now, snapshot now, pause, resume. The
//! console's `s`, `n` and `P` and the MCP tools `ltx_sync`, `ltx_snapshot`, `ltx_pause` and
//! `ltx_resume` all end here. Each needs the running engine (the console's or the headless
//! server's) and a database it replicates; the result says what the replica reached and the
//! engine's state of the database afterwards.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::context::unknown_database;
use super::{OpsContext, OpsError};
use crate::engine::EngineError;
use crate::ltx::Txid;

/// What the operator asks of the engine for one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationCommand {
    /// Sync the WAL and upload everything pending now (also while paused: one sync, the
    /// database stays paused).
    Sync,
    /// Sync, then build and upload an L9 snapshot now.
    Snapshot,
    /// Stop syncing and uploading until resumed (the WAL stays pinned; nothing is lost).
    Pause,
    /// Resume after a pause.
    Resume,
}

impl ReplicationCommand {
    /// Every command.
    pub const ALL: [ReplicationCommand; 4] = [
        ReplicationCommand::Sync,
        ReplicationCommand::Snapshot,
        ReplicationCommand::Pause,
        ReplicationCommand::Resume,
    ];

    /// The lower-case word (`sync`, `snapshot`, `pause`, `resume`).
    pub fn word(self) -> &'static str {
        match self {
            ReplicationCommand::Sync => "sync",
            ReplicationCommand::Snapshot => "snapshot",
            ReplicationCommand::Pause => "pause",
            ReplicationCommand::Resume => "resume",
        }
    }
}

/// Parameters of a replication command (MCP `ltx_sync`, `ltx_snapshot`, `ltx_pause`,
/// `ltx_resume`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationCommandParams {
    /// A database path as configured (relative paths are resolved); the running engine must
    /// replicate it.
    pub path: String,
    /// Configuration file: must be the configuration the engine runs; default: that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// What a replication command did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReplicationCommandResult {
    /// The database path.
    pub database: String,
    /// The command run (`sync`, `snapshot`, `pause`, `resume`).
    pub command: ReplicationCommand,
    /// The replica's TXID after the command (for `snapshot`: the snapshot's TXID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub replica_txid: Option<Txid>,
    /// The engine's state of the database afterwards (`replicating`, `paused`, `error`, …).
    pub state: String,
}

impl ReplicationCommandResult {
    /// One line for people: `synced /data/app.db: replica at TXID 0000000000000007
    /// (replicating)`.
    pub fn text(&self) -> String {
        let done = match self.command {
            ReplicationCommand::Sync => "synced",
            ReplicationCommand::Snapshot => "snapshot taken of",
            ReplicationCommand::Pause => "paused",
            ReplicationCommand::Resume => "resumed",
        };
        let txid = match (self.command, self.replica_txid) {
            (ReplicationCommand::Snapshot, Some(t)) => format!(": snapshot at TXID {t}"),
            (_, Some(t)) => format!(": replica at TXID {t}"),
            (_, None) => ": the replica holds nothing yet".to_owned(),
        };
        format!("{done} {}{txid} ({})\n", self.database, self.state)
    }
}

/// Runs `command` on the database `params.path` through the context's running engine.
///
/// Fails with a usage error when the engine does not replicate that database, and with an
/// operation error when there is no engine or the engine fails (the replica's error).
pub async fn replication_command(
    ctx: &OpsContext,
    command: ReplicationCommand,
    params: &ReplicationCommandParams,
) -> Result<ReplicationCommandResult, OpsError> {
    let operation = command.word();
    let engine = ctx.engine().ok_or(OpsError::NoEngine { operation })?;
    let path = ctx.resolve_path(&params.path);
    if !engine.databases().contains(&path) {
        let config = ctx.config(params.config.as_deref())?;
        return Err(unknown_database(&path, &config));
    }
    let reached = match command {
        ReplicationCommand::Sync => engine.sync_now(&path).await,
        ReplicationCommand::Snapshot => engine.snapshot_now(&path).await,
        ReplicationCommand::Pause => engine.pause(&path).await,
        ReplicationCommand::Resume => engine.resume(&path).await,
    }
    .map_err(|source| engine_error(operation, &path, source))?;
    let state = engine
        .snapshot()
        .database(&path)
        .map_or("-", |d| d.state.label())
        .to_owned();
    Ok(ReplicationCommandResult {
        database: path.display().to_string(),
        command,
        replica_txid: reached,
        state,
    })
}

fn engine_error(operation: &'static str, path: &std::path::Path, source: EngineError) -> OpsError {
    OpsError::Engine {
        operation,
        path: PathBuf::from(path),
        source: Box::new(source),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn commands_serialize_as_their_words() {
        for c in ReplicationCommand::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.word());
        }
    }

    #[test]
    fn the_text_names_what_was_done_and_the_txid() {
        let r = ReplicationCommandResult {
            database: "/data/app.db".into(),
            command: ReplicationCommand::Sync,
            replica_txid: Some(Txid(7)),
            state: "replicating".into(),
        };
        assert_eq!(
            r.text(),
            "synced /data/app.db: replica at TXID 0000000000000007 (replicating)\n"
        );
    }

    #[tokio::test]
    async fn without_an_engine_the_command_is_refused() {
        let ctx = OpsContext::from_process();
        let params = ReplicationCommandParams {
            path: "/nowhere/app.db".into(),
            config: None,
        };
        let e = replication_command(&ctx, ReplicationCommand::Pause, &params)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("running engine"), "{e}");
        assert_eq!(e.kind(), crate::ops::OpsErrorKind::Operation);
    }
}
