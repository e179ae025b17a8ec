//! Everything that can change the console's state arrives as a [`Msg`].

use crossterm::event::{KeyEvent, MouseEvent};

use crate::engine::{EngineEvent, EngineSnapshot};

use super::action::Action;
use super::log_capture::LogLine;
use super::remote_action::RemoteAction;
use super::timeline::WindowFiles;
use super::wizard::WizardEvent;

/// One input to [`super::update`].
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse did something (only when mouse capture is on).
    Mouse(MouseEvent),
    /// The terminal was resized.
    Resize(u16, u16),
    /// A time-driven change is due (see [`super::AppState::next_wakeup`]).
    Tick,
    /// The engine published a new state.
    Snapshot(EngineSnapshot),
    /// The engine did something.
    Engine(EngineEvent),
    /// A tracing event.
    Log(LogLine),
    /// An engine command finished.
    EngineReply {
        /// What was asked.
        action: Action,
        /// Database name.
        db: String,
        /// The outcome.
        result: Result<String, String>,
    },
    /// A host answered an engine command on one of its databases.
    RemoteCommandDone {
        /// What was sent.
        action: RemoteAction,
        /// The host's result, or why the call failed (the host's error text).
        result: Result<crate::ops::ReplicationCommandResult, String>,
    },
    /// A timeline window was listed.
    TimelineLoaded {
        /// The request's sequence number.
        seq: u64,
        /// Files, and the window they cover, or the error.
        result: WindowFiles,
    },
    /// A preview finished.
    PreviewLoaded(Result<crate::ops::PreviewResult, String>),
    /// Something for the restore wizard.
    Wizard(WizardEvent),
    /// The MCP client hub published a new state.
    Hub(Box<crate::mcp::hub::HubSnapshot>),
    /// A tool call of an attached server finished.
    McpCallDone {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// The result, or the protocol error, timeout or cancellation.
        result: Result<rmcp::model::CallToolResult, String>,
    },
    /// A server's logs were read.
    McpLogs {
        /// The server.
        server: String,
        /// Its stderr lines.
        stderr: Vec<String>,
        /// Its wire log.
        wire: Vec<crate::mcp::hub::WireEntry>,
        /// The stderr and wire sequence numbers read up to.
        seqs: (u64, u64),
    },
    /// A start, stop or restart could not be sent.
    McpCommandFailed(String),
    /// A signal asked the console to stop (SIGTERM, SIGHUP).
    Quit,
}
