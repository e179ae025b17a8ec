//! The hub and its handle: [`HubHandle::start`] spawns one supervisor task per configured
//! server; the handle sends start/stop/restart, exposes the `watch` of the [`HubSnapshot`],
//! calls tools (with a timeout and cancellation, counting per-tool figures), reads each
//! server's stderr and wire log, and shuts everything down gracefully.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotificationParam,
    ClientRequest, JsonObject, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, ServiceError};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connect;
use super::error::HubError;
use super::line_ring::Numbered;
use super::options::HubOptions;
use super::server_cell::{ServerCell, ServerCommand};
use super::snapshot::{HubSnapshot, ServerSnapshot, ServerState};
use super::supervisor::{request_timeout, supervise};
use super::tool_figures::CallEnd;
use super::wire_log::WireEntry;
use crate::config::McpServerConfig;

/// A cloneable handle on the running hub.
#[derive(Debug, Clone)]
pub struct HubHandle {
    cells: Arc<BTreeMap<String, Arc<ServerCell>>>,
    snapshot: watch::Receiver<HubSnapshot>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl HubHandle {
    /// Starts the hub over `servers` (on the current Tokio runtime); enabled servers connect
    /// at once.
    pub fn start(servers: Vec<McpServerConfig>, options: HubOptions) -> HubHandle {
        let (tx, snapshot) = watch::channel(HubSnapshot::default());
        let tx = Arc::new(tx);
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let mut cells = BTreeMap::new();
        let mut initial = Vec::new();
        let mut receivers = Vec::new();
        for (index, config) in servers.into_iter().enumerate() {
            let (cmd_tx, cmd_rx) = mpsc::channel(8);
            let cell = Arc::new(ServerCell::new(config, index, tx.clone(), cmd_tx));
            initial.push(ServerSnapshot::new(
                cell.config.name.clone(),
                cell.config.transport,
                connect::target(&cell),
            ));
            receivers.push((cell.clone(), cmd_rx));
            cells.insert(cell.config.name.clone(), cell);
        }
        tx.send_replace(HubSnapshot { servers: initial });
        for (cell, rx) in receivers {
            tasks.spawn(supervise(cell, rx, options.clone(), shutdown.clone()));
        }
        tasks.close();
        HubHandle {
            cells: Arc::new(cells),
            snapshot,
            shutdown,
            tasks,
        }
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> HubSnapshot {
        self.snapshot.borrow().clone()
    }

    /// A receiver of every new snapshot.
    pub fn subscribe(&self) -> watch::Receiver<HubSnapshot> {
        self.snapshot.clone()
    }

    /// True when no server is configured.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn cell(&self, server: &str) -> Result<&Arc<ServerCell>, HubError> {
        self.cells
            .get(server)
            .ok_or_else(|| HubError::UnknownServer(server.to_owned()))
    }

    async fn command(&self, server: &str, command: ServerCommand) -> Result<(), HubError> {
        self.cell(server)?
            .commands
            .send(command)
            .await
            .map_err(|_| HubError::HubGone)
    }

    /// Connects `server` if it is stopped.
    pub async fn start_server(&self, server: &str) -> Result<(), HubError> {
        self.command(server, ServerCommand::Start).await
    }

    /// Disconnects `server` (stdio: the process is shut down) and keeps it stopped.
    pub async fn stop_server(&self, server: &str) -> Result<(), HubError> {
        self.command(server, ServerCommand::Stop).await
    }

    /// Disconnects `server` and connects it again at once.
    pub async fn restart_server(&self, server: &str) -> Result<(), HubError> {
        self.command(server, ServerCommand::Restart).await
    }

    /// Polls the databases of `server`, a headless ltx-tui, now rather than at the next
    /// interval (nothing happens while it is not connected).
    pub async fn poll_fleet(&self, server: &str) -> Result<(), HubError> {
        self.command(server, ServerCommand::PollFleet).await
    }

    /// Calls `tool` of `server` with `args`, waiting at most `timeout` (default: the server's
    /// configured timeout). On timeout the request is cancelled on the server.
    pub async fn call_tool(
        &self,
        server: &str,
        tool: &str,
        args: Option<JsonObject>,
        timeout: Option<Duration>,
    ) -> Result<CallToolResult, HubError> {
        self.call_tool_cancellable(server, tool, args, timeout, &CancellationToken::new())
            .await
    }

    /// As [`Self::call_tool`]; cancelling `cancel` abandons the call and cancels it on the
    /// server (`notifications/cancelled`).
    pub async fn call_tool_cancellable(
        &self,
        server: &str,
        tool: &str,
        args: Option<JsonObject>,
        timeout: Option<Duration>,
        cancel: &CancellationToken,
    ) -> Result<CallToolResult, HubError> {
        let cell = self.cell(server)?;
        let Some(peer) = cell.peer() else {
            let state = cell.state();
            return Err(HubError::NotReady {
                server: server.to_owned(),
                state,
                hint: match state {
                    ServerState::Stopped => ": start it first",
                    ServerState::Failed => ": it is restarting; see its stderr and wire log",
                    _ => "",
                },
            });
        };
        let timeout = timeout.unwrap_or_else(|| request_timeout(cell));
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = args;
        let started = Instant::now();
        let outcome = call_with_cancel(&peer, params, timeout, cancel).await;
        let took = started.elapsed();
        let (end, result) = match outcome {
            Ok(Ok(mut result)) => {
                scrub_result(cell, &mut result);
                let end = if result.is_error == Some(true) {
                    CallEnd::IsError
                } else {
                    CallEnd::Ok
                };
                (end, Ok(result))
            }
            Ok(Err(e)) => (
                CallEnd::ProtocolError,
                Err(HubError::Call {
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                    message: cell.redactor.scrub(&service_error(&e)).into_owned(),
                }),
            ),
            Err(CallEnd::Cancelled) => (
                CallEnd::Cancelled,
                Err(HubError::Cancelled {
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                }),
            ),
            Err(end) => (
                end,
                Err(HubError::Timeout {
                    server: server.to_owned(),
                    what: format!("tool {tool}"),
                    after: timeout,
                }),
            ),
        };
        cell.publish(|s| {
            s.figures
                .entry(tool.to_owned())
                .or_default()
                .record(end, took)
        });
        result
    }

    /// `server`'s stderr lines numbered above `after`.
    pub fn stderr(&self, server: &str, after: u64) -> Result<Vec<Numbered<String>>, HubError> {
        Ok(self.cell(server)?.stderr.since(after))
    }

    /// `server`'s wire-log entries numbered above `after`.
    pub fn wire_log(&self, server: &str, after: u64) -> Result<Vec<Numbered<WireEntry>>, HubError> {
        Ok(self.cell(server)?.wire.since(after))
    }

    /// Waits until `pred` holds for a snapshot, at most `timeout`; the last snapshot either way.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&HubSnapshot) -> bool,
    ) -> Result<HubSnapshot, HubSnapshot> {
        let mut rx = self.snapshot.clone();
        let found = tokio::time::timeout(timeout, rx.wait_for(|s| pred(s))).await;
        match found {
            Ok(Ok(s)) => Ok(s.clone()),
            _ => Err(self.snapshot()),
        }
    }

    /// Stops every server gracefully and waits for the supervisors (at most `timeout`).
    pub async fn shutdown(&self, timeout: Duration) {
        self.shutdown.cancel();
        if tokio::time::timeout(timeout, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                target: "ltx_tui::mcp::hub",
                "attached MCP servers did not stop within {timeout:?}"
            );
        }
    }
}

/// Sends `tools/call` and waits for its result at most `timeout`, or until `cancel`; a call
/// that times out or is cancelled is cancelled on the server (`notifications/cancelled`).
async fn call_with_cancel(
    peer: &Peer<RoleClient>,
    params: CallToolRequestParams,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Result<CallToolResult, ServiceError>, CallEnd> {
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    // rmcp's own timeout sends the cancellation notification when it fires.
    let handle = match peer
        .send_request_with_option(request, PeerRequestOptions::with_timeout(timeout))
        .await
    {
        Ok(handle) => handle,
        Err(e) => return Ok(Err(e)),
    };
    let id = handle.id.clone();
    let answer = tokio::select! {
        answer = handle.await_response() => answer,
        _ = cancel.cancelled() => {
            let note = CancelledNotificationParam::new(Some(id), Some("cancelled by the operator".into()));
            if let Err(e) = peer.notify_cancelled(note).await {
                tracing::debug!(target: "ltx_tui::mcp::hub", "sending a cancellation: {e}");
            }
            return Err(CallEnd::Cancelled);
        }
    };
    match answer {
        Ok(ServerResult::CallToolResult(result)) => Ok(Ok(result)),
        Ok(_) => Ok(Err(ServiceError::UnexpectedResponse)),
        Err(ServiceError::Timeout { .. }) => Err(CallEnd::Timeout),
        Err(e) => Ok(Err(e)),
    }
}

/// A protocol error as one line: the JSON-RPC error's code and message.
fn service_error(e: &ServiceError) -> String {
    match e {
        ServiceError::McpError(data) => format!("JSON-RPC error {}: {}", data.code.0, data.message),
        other => other.to_string(),
    }
}

/// Scrubs the server's secrets from a result (a server may echo its environment).
fn scrub_result(cell: &ServerCell, result: &mut CallToolResult) {
    if let Ok(mut value) = serde_json::to_value(&*result) {
        let before = value.clone();
        cell.redactor.scrub_value(&mut value);
        if value != before
            && let Ok(clean) = serde_json::from_value(value)
        {
            *result = clean;
        }
    }
}
