//! One task per attached server: connect, list the tools, probe health on an interval, follow
//! list-changed notifications, and on failure restart with exponential backoff, until the
//! operator stops the server or the hub shuts down.
//!
//! States: `stopped` → `connecting` → `ready` ⇄ `degraded` (a probe failed) → `failed` (the
//! connection ended, or too many probes failed; a restart is scheduled) → `connecting` …

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::model::{
    ClientRequest, DiscoverRequest, DiscoverRequestParams, PaginatedRequestParams, PingRequest,
    Tool,
};
use rmcp::service::{Peer, PeerRequestOptions, ServiceError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::connect::{Connection, connect};
use super::fleet::{FleetView, RemoteDatabase, poll_lag};
use super::options::HubOptions;
use super::restart_backoff::RestartBackoff;
use super::server_cell::{ServerCell, ServerCommand};
use super::snapshot::ServerState;

/// At most this many `tools/list` pages are read (a server repeating cursors must not loop).
pub const MAX_TOOL_PAGES: usize = 1000;

/// How a connection ended.
enum Exit {
    Shutdown,
    Stopped,
    Restart,
    Failed(String),
}

type ProbeFuture = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send>>;
type FleetFuture = Pin<Box<dyn Future<Output = Result<Vec<RemoteDatabase>, String>> + Send>>;

/// Runs `cell`'s server until `shutdown`.
pub async fn supervise(
    cell: Arc<ServerCell>,
    mut commands: mpsc::Receiver<ServerCommand>,
    options: HubOptions,
    shutdown: CancellationToken,
) {
    let mut run = cell.config.enabled;
    let mut backoff = RestartBackoff::new(options.restart_base, options.restart_max);
    let mut stop_reason = if run {
        None
    } else {
        Some("disabled in the config (enabled: false)".to_owned())
    };
    loop {
        if !run {
            let reason = stop_reason.take();
            cell.publish(|s| {
                s.set_state(ServerState::Stopped, reason);
                s.retry_in_ms = None;
                s.pid = None;
                s.round_trip_ms = None;
            });
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    cmd = commands.recv() => match cmd {
                        None => return,
                        Some(ServerCommand::Start | ServerCommand::Restart) => break,
                        Some(ServerCommand::Stop | ServerCommand::PollFleet) => {}
                    },
                }
            }
            run = true;
            backoff.succeed();
            cell.publish(|s| s.failures = 0);
        }
        cell.publish(|s| {
            s.set_state(ServerState::Connecting, None);
            s.retry_in_ms = None;
        });
        match attempt(&cell, &mut commands, &options, &shutdown, &mut backoff).await {
            Exit::Shutdown => {
                cell.publish(|s| {
                    s.set_state(ServerState::Stopped, Some("the hub shut down".into()));
                    s.pid = None;
                });
                return;
            }
            Exit::Stopped => {
                run = false;
                stop_reason = Some("stopped by the operator".into());
            }
            Exit::Restart => {}
            Exit::Failed(reason) => {
                let reason = cell.redactor.scrub(&reason).into_owned();
                let delay = backoff.fail();
                let failures = backoff.failures();
                tracing::warn!(
                    target: "ltx_tui::mcp::hub",
                    server = cell.name(), failures, retry_in_ms = delay.as_millis() as u64,
                    "attached MCP server failed: {reason}"
                );
                cell.publish(|s| {
                    s.set_state(ServerState::Failed, Some(reason));
                    s.failures = failures;
                    s.retry_in_ms = Some(delay.as_millis() as u64);
                    s.round_trip_ms = None;
                    s.pid = None;
                });
                let retry = tokio::time::sleep(delay);
                tokio::pin!(retry);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => {
                            cell.publish(|s| s.set_state(ServerState::Stopped, Some("the hub shut down".into())));
                            return;
                        }
                        () = &mut retry => {
                            cell.publish(|s| s.restarts += 1);
                            break;
                        }
                        cmd = commands.recv() => match cmd {
                            None => return,
                            Some(ServerCommand::Stop) => {
                                run = false;
                                stop_reason = Some("stopped by the operator".into());
                                break;
                            }
                            // Start and restart: connect now.
                            Some(ServerCommand::Start | ServerCommand::Restart) => break,
                            // Nothing to poll while disconnected.
                            Some(ServerCommand::PollFleet) => {}
                        },
                    }
                }
            }
        }
    }
}

/// One connection, from connecting to its end.
async fn attempt(
    cell: &ServerCell,
    commands: &mut mpsc::Receiver<ServerCommand>,
    options: &HubOptions,
    shutdown: &CancellationToken,
    backoff: &mut RestartBackoff,
) -> Exit {
    let timeout = request_timeout(cell);
    let connecting = tokio::time::timeout(timeout, connect(cell, timeout));
    tokio::pin!(connecting);
    let mut conn = loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Exit::Shutdown,
            cmd = commands.recv() => match cmd {
                None => return Exit::Shutdown,
                Some(ServerCommand::Stop) => return Exit::Stopped,
                Some(ServerCommand::Restart) => return Exit::Restart,
                Some(ServerCommand::Start | ServerCommand::PollFleet) => {}
            },
            result = &mut connecting => match result {
                Ok(Ok(conn)) => break conn,
                Ok(Err(e)) => return Exit::Failed(e),
                Err(_) => return Exit::Failed(format!("no answer to the handshake within {timeout:?}")),
            },
        }
    };
    let peer = conn.service.peer().clone();
    let info = peer.peer_info();
    let modern = info
        .as_ref()
        .is_some_and(|i| !i.protocol_version.has_initialize());
    let mut fleet_tick = tokio::time::interval(options.fleet_interval);
    fleet_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut fleet_in_flight: Option<FleetFuture> = None;
    let tools = match list_tools(&peer, timeout).await {
        Ok(tools) => tools,
        Err(e) => {
            close(conn, options).await;
            return Exit::Failed(format!("tools/list failed: {e}"));
        }
    };
    backoff.succeed();
    let pid = conn.pid;
    cell.set_peer(Some(peer.clone()));
    cell.publish(|s| {
        s.protocol_version = info.as_ref().map(|i| i.protocol_version.to_string());
        s.server_info = info.as_ref().and_then(|i| {
            i.server_info
                .as_ref()
                .map(|imp| format!("{} {}", imp.name, imp.version))
        });
        s.instructions = info.as_ref().and_then(|i| i.instructions.clone());
        s.tools = Arc::new(tools);
        s.tool_lists += 1;
        s.pid = pid;
        s.failures = 0;
        s.ready_since_ms = Some(chrono::Utc::now().timestamp_millis());
        s.set_state(ServerState::Ready, None);
    });

    let mut probe_tick = tokio::time::interval_at(
        tokio::time::Instant::now() + options.probe_interval,
        options.probe_interval,
    );
    probe_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probe_failures = 0u32;
    let mut in_flight: Option<ProbeFuture> = None;
    let exit = loop {
        tokio::select! {
            _ = shutdown.cancelled() => break Exit::Shutdown,
            cmd = commands.recv() => match cmd {
                None => break Exit::Shutdown,
                Some(ServerCommand::Stop) => break Exit::Stopped,
                Some(ServerCommand::Restart) => break Exit::Restart,
                Some(ServerCommand::Start) => {}
                // Poll now (or as soon as the poll in flight ends).
                Some(ServerCommand::PollFleet) => fleet_tick.reset_immediately(),
            },
            _ = conn.closed.cancelled() => {
                let tail = cell.stderr.tail_text(3);
                let mut why = String::from("the connection closed");
                if conn.pid.is_some() {
                    why.push_str(" (the process exited)");
                }
                if !tail.is_empty() {
                    why.push_str(&format!("; stderr: {tail}"));
                }
                break Exit::Failed(why);
            }
            Some(_notice) = conn.notices.recv() => {
                match list_tools(&peer, timeout).await {
                    Ok(tools) => cell.publish(|s| {
                        s.tools = Arc::new(tools);
                        s.tool_lists += 1;
                    }),
                    Err(e) => tracing::warn!(
                        target: "ltx_tui::mcp::hub",
                        server = cell.name(),
                        "re-listing tools after list_changed failed: {}", cell.redactor.scrub(&e)
                    ),
                }
            }
            _ = fleet_tick.tick(), if fleet_in_flight.is_none() && cell.is_ltx_tui() => {
                fleet_in_flight = Some(Box::pin(poll_lag(peer.clone(), timeout)));
            }
            polled = async {
                match fleet_in_flight.as_mut() {
                    Some(f) => f.await,
                    None => std::future::pending().await,
                }
            } => {
                fleet_in_flight = None;
                let at_ms = chrono::Utc::now().timestamp_millis();
                cell.publish(|s| match polled {
                    Ok(databases) => s.fleet = Some(FleetView { databases, error: None, at_ms }),
                    Err(e) => {
                        let error = Some(cell.redactor.scrub(&e).into_owned());
                        match s.fleet.as_mut() {
                            Some(f) => {
                                f.error = error;
                                f.at_ms = at_ms;
                            }
                            None => s.fleet = Some(FleetView { databases: Vec::new(), error, at_ms }),
                        }
                    }
                });
            }
            _ = probe_tick.tick(), if in_flight.is_none() => {
                in_flight = Some(Box::pin(probe(peer.clone(), timeout, modern)));
            }
            result = async {
                match in_flight.as_mut() {
                    Some(f) => f.await,
                    None => std::future::pending().await,
                }
            } => {
                in_flight = None;
                match result {
                    Ok(rtt) => {
                        probe_failures = 0;
                        cell.publish(|s| {
                            s.round_trip_ms = Some(rtt.as_secs_f64() * 1000.0);
                            s.failures = 0;
                            if s.state != ServerState::Ready {
                                s.set_state(ServerState::Ready, None);
                            }
                        });
                    }
                    Err(e) => {
                        probe_failures += 1;
                        if probe_failures >= options.probe_failures_before_restart {
                            break Exit::Failed(format!(
                                "{probe_failures} health probes failed in a row; last: {e}"
                            ));
                        }
                        let e = cell.redactor.scrub(&e).into_owned();
                        cell.publish(|s| {
                            s.failures = probe_failures;
                            s.set_state(ServerState::Degraded, Some(format!("health probe failed: {e}")));
                        });
                    }
                }
            }
        }
    };
    cell.set_peer(None);
    cell.publish(|s| s.fleet = None);
    close(conn, options).await;
    exit
}

/// The server's request timeout (config `timeout`, default 30 s).
pub fn request_timeout(cell: &ServerCell) -> Duration {
    cell.config
        .timeout
        .to_std()
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(30))
}

/// Closes the connection gracefully, within the stop timeout; then, for a stdio server, ends
/// whatever the server left behind in its process group (`npx` leaves the node process it
/// started, a shell wrapper its children).
async fn close(mut conn: Connection, options: &HubOptions) {
    let closed = conn.service.close_with_timeout(options.stop_timeout).await;
    #[cfg(unix)]
    if let Some(pid) = conn.pid {
        end_process_group(pid);
    }
    match closed {
        Ok(Some(_)) => {}
        Ok(None) => tracing::warn!(
            target: "ltx_tui::mcp::hub",
            "an attached MCP server did not close within {:?}; dropping the connection",
            options.stop_timeout
        ),
        Err(e) => tracing::warn!(target: "ltx_tui::mcp::hub", "closing a connection: {e}"),
    }
}

/// Sends SIGTERM to process group `pgid` (the stdio server was its leader: it was spawned with
/// `process_group(0)`). The group outlives its leader only through processes the server
/// started; when none is left the group is gone and this does nothing.
#[cfg(unix)]
fn end_process_group(pgid: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    if killpg(Pid::from_raw(pgid), Signal::SIGTERM).is_ok() {
        tracing::debug!(
            target: "ltx_tui::mcp::hub",
            "sent SIGTERM to what remained of process group {pgid}"
        );
    }
}

/// Every page of `tools/list`, each page within `timeout`.
pub async fn list_tools(peer: &Peer<RoleClient>, timeout: Duration) -> Result<Vec<Tool>, String> {
    let mut tools = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_TOOL_PAGES {
        let params = PaginatedRequestParams::default().with_cursor(cursor.clone());
        let page = tokio::time::timeout(timeout, peer.list_tools(Some(params)))
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))?
            .map_err(|e| e.to_string())?;
        tools.extend(page.tools);
        match page.next_cursor {
            Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                return Err(format!("the server repeated cursor {next:?}"));
            }
            Some(next) => cursor = Some(next),
            None => return Ok(tools),
        }
    }
    Err(format!("more than {MAX_TOOL_PAGES} pages of tools"))
}

/// One health probe: `ping` (up to 2025-11-25) or `server/discover` (2026-07-28, which has no
/// ping); the round trip. A JSON-RPC error is an answer too: the server is alive.
async fn probe(
    peer: Peer<RoleClient>,
    timeout: Duration,
    modern: bool,
) -> Result<Duration, String> {
    let request = if modern {
        ClientRequest::DiscoverRequest(DiscoverRequest::new(DiscoverRequestParams {}))
    } else {
        ClientRequest::PingRequest(PingRequest::default())
    };
    let started = Instant::now();
    let handle = peer
        .send_request_with_option(request, PeerRequestOptions::with_timeout(timeout))
        .await
        .map_err(|e| e.to_string())?;
    match handle.await_response().await {
        Ok(_) | Err(ServiceError::McpError(_)) => Ok(started.elapsed()),
        Err(e) => Err(e.to_string()),
    }
}
