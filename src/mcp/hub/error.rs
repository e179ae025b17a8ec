//! The hub's errors: each names the server and what was being done.

use std::time::Duration;

use super::snapshot::ServerState;

/// Why a hub operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HubError {
    /// No attached server of that name.
    #[error("no attached MCP server named {0:?} (see `mcp-servers` in the config)")]
    UnknownServer(String),
    /// The server is not connected.
    #[error("MCP server {server:?} is {state}, not ready{hint}")]
    NotReady {
        /// The server.
        server: String,
        /// Its state.
        state: ServerState,
        /// What to do.
        hint: &'static str,
    },
    /// Starting or connecting failed.
    #[error("MCP server {server:?}: {message}")]
    Connect {
        /// The server.
        server: String,
        /// What failed (scrubbed of secrets).
        message: String,
    },
    /// A tool call failed at the protocol level.
    #[error("MCP server {server:?}, tool {tool:?}: {message}")]
    Call {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
        /// The JSON-RPC error or transport failure (scrubbed of secrets).
        message: String,
    },
    /// No answer in time; the request was cancelled.
    #[error("MCP server {server:?}, {what}: no answer within {after:?} (request cancelled)")]
    Timeout {
        /// The server.
        server: String,
        /// What was asked (`tool echo`, `tools/list`, …).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// The caller cancelled the call.
    #[error("MCP server {server:?}, tool {tool:?}: cancelled")]
    Cancelled {
        /// The server.
        server: String,
        /// The tool.
        tool: String,
    },
    /// The hub has shut down.
    #[error("the MCP client hub has shut down")]
    HubGone,
}
