//! What [`super::update`] asks the loop to do: the only way the console touches the world.

use std::path::PathBuf;

use crate::ltx::Txid;

use super::action::Action;
use super::fleet::RemoteDbRef;
use super::remote_action::RemoteAction;
use super::timeline::WindowRequest;
use super::wizard::WizardEffect;

/// A request from the pure core to the loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// An engine command on one database (sync now, snapshot now, pause, resume).
    Engine {
        /// Which command ([`Action::SyncNow`], [`Action::SnapshotNow`], [`Action::PauseResume`]).
        action: Action,
        /// Resume rather than pause (for [`Action::PauseResume`]).
        resume: bool,
        /// Database path.
        db: PathBuf,
    },
    /// An engine command on a database of an attached ltx-tui (confirmed by the operator).
    RemoteCommand(RemoteAction),
    /// List the LTX files of a timeline window (`ops::ltx`, or the host's `ltx_timeline`).
    LoadTimeline(WindowRequest),
    /// What the database held at `txid` (`ops::preview`), and what changed up to `compare`.
    Preview {
        /// Database path.
        db: PathBuf,
        /// The point.
        txid: Txid,
        /// The newer point to diff against (the replica's newest TXID).
        compare: Option<Txid>,
    },
    /// What a remote database held at `txid` (the host's `ltx_preview`).
    RemotePreview {
        /// The database and its host.
        db: RemoteDbRef,
        /// The point.
        txid: Txid,
        /// The newer point to diff against (the replica's newest TXID, as last polled).
        compare: Option<Txid>,
    },
    /// Something for the restore wizard.
    Wizard(WizardEffect),
    /// Start, stop or restart an attached MCP server.
    McpServer {
        /// The server.
        server: String,
        /// What to do.
        command: super::mcp_pane::McpServerCommand,
    },
    /// Call a tool of an attached MCP server.
    McpCall {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// The arguments.
        arguments: rmcp::model::JsonObject,
    },
    /// Cancel the tool call in flight.
    McpCancel,
    /// Read a server's stderr and wire log.
    McpLoadLogs {
        /// The server.
        server: String,
    },
    /// Set up and start the demo (first-run screen).
    StartDemo,
    /// Suspend to the shell.
    Suspend,
    /// Turn mouse capture on or off.
    Mouse(bool),
    /// Stop: final sync, restore the terminal, exit.
    Quit,
}
