//! Connecting one attached server: builds the transport its configuration asks for, wraps it
//! in the wire log, and runs the MCP handshake.
//!
//! - stdio: the command is spawned in its own process group (terminal signals go to the
//!   console, which then stops the server gracefully), with piped stderr drained into the
//!   server's stderr log; rmcp's `graceful_shutdown` closes stdin, waits, sends SIGTERM, waits,
//!   then kills.
//! - http: rmcp's Streamable HTTP client. Both protocol generations: the hub probes with
//!   `server/discover` (2026-07-28) and falls back to `initialize` (rmcp's automatic mode).
//! - sse: the legacy transport of [`super::sse_client`], with the `initialize` handshake.
//!
//! Secret values (env, headers) are exposed here only, to the child or the HTTP client.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use rmcp::RoleClient;
use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client_handler::{HubClient, Notice};
use super::server_cell::ServerCell;
use super::sse_client::SseClientTransport;
use super::wire_log::{Direction, WireLogged};
use crate::config::Transport;

/// A live connection.
pub struct Connection {
    /// The running rmcp client.
    pub service: RunningService<RoleClient, HubClient>,
    /// Cancelled when the transport ends (the server closed it, the process exited).
    pub closed: CancellationToken,
    /// Notifications the hub acts on.
    pub notices: mpsc::UnboundedReceiver<Notice>,
    /// The child's process id (stdio).
    pub pid: Option<u32>,
}

/// How the handshake is made: both generations, newest first (`server/discover` with
/// 2026-07-28), falling back to `initialize` with the newest version that has it.
fn auto() -> ClientLifecycleMode {
    ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::LATEST],
        legacy_version: Some(ProtocolVersion::LATEST_WITH_INITIALIZE),
    }
}

/// Connects `cell`'s server; errors are scrubbed of its secrets.
pub async fn connect(cell: &ServerCell, timeout: Duration) -> Result<Connection, String> {
    let config = &cell.config;
    let closed = CancellationToken::new();
    let (tx, notices) = mpsc::unbounded_channel();
    let handler = HubClient::new(tx);
    let wire = cell.wire.clone();
    let (service, pid) = match config.transport {
        Transport::Stdio => {
            let program = config
                .command
                .as_deref()
                .ok_or("no `command` configured for a stdio server")?;
            let mut cmd = tokio::process::Command::new(program);
            cmd.args(&config.args);
            for (k, v) in &config.env {
                cmd.env(k, v.expose());
            }
            if let Some(cwd) = &config.cwd {
                cmd.current_dir(cwd);
            }
            #[cfg(unix)]
            cmd.process_group(0);
            let (child, stderr) = TokioChildProcess::builder(cmd)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start `{program}`: {e}"))?;
            let pid = child.id();
            wire.push(
                Direction::Note,
                &format!("started `{}` (pid {})", target(cell), pid.unwrap_or(0)),
            );
            if let Some(stderr) = stderr {
                tokio::spawn(cell.stderr.clone().drain(stderr));
            }
            let transport = WireLogged::new(child, wire, closed.clone());
            let service = handler
                .serve_with_lifecycle(transport, auto())
                .await
                .map_err(|e| {
                    let tail = cell.stderr.tail_text(3);
                    if tail.is_empty() {
                        format!("handshake failed: {e}")
                    } else {
                        format!("handshake failed: {e}; stderr: {tail}")
                    }
                })?;
            (service, pid)
        }
        Transport::Http => {
            let url = config.url.as_deref().ok_or("no `url` configured")?;
            let (auth, headers) = http_headers(cell)?;
            let mut http = StreamableHttpClientTransportConfig::with_uri(url.to_owned())
                .custom_headers(headers.into_iter().collect::<HashMap<_, _>>());
            if let Some(token) = auth {
                http = http.auth_header(token);
            }
            wire.push(Direction::Note, &format!("connecting to {}", target(cell)));
            let transport = StreamableHttpClientTransport::from_config(http);
            let transport = WireLogged::new(transport, wire, closed.clone());
            let service = handler
                .serve_with_lifecycle(transport, auto())
                .await
                .map_err(|e| format!("handshake failed: {e}"))?;
            (service, None)
        }
        Transport::Sse => {
            let url = config.url.as_deref().ok_or("no `url` configured")?;
            let (auth, headers) = http_headers(cell)?;
            let mut map: HeaderMap = headers.into_iter().collect();
            if let Some(token) = auth {
                let value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| "the Authorization header value is not valid in HTTP")?;
                map.insert(AUTHORIZATION, value);
            }
            wire.push(Direction::Note, &format!("connecting to {}", target(cell)));
            let transport = SseClientTransport::connect(url, map, timeout)
                .await
                .map_err(|e| e.to_string())?;
            let transport = WireLogged::new(transport, wire, closed.clone());
            let service = handler
                .serve_with_lifecycle(transport, ClientLifecycleMode::Initialize)
                .await
                .map_err(|e| format!("handshake failed: {e}"))?;
            (service, None)
        }
    };
    Ok(Connection {
        service,
        closed,
        notices,
        pid,
    })
}

/// HTTP headers in configuration order.
type HeaderList = Vec<(HeaderName, HeaderValue)>;

/// The configured headers: a bearer token from `Authorization` (given to rmcp's auth header,
/// which sends it on every request, the GET stream too) and the rest.
fn http_headers(cell: &ServerCell) -> Result<(Option<String>, HeaderList), String> {
    let mut auth = None;
    let mut rest = Vec::new();
    for (name, value) in &cell.config.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name {name:?} is not valid in HTTP"))?;
        let v = value.expose();
        if header == AUTHORIZATION
            && let Some(token) = v.strip_prefix("Bearer ").or(v.strip_prefix("bearer "))
        {
            auth = Some(token.trim().to_owned());
            continue;
        }
        let value = HeaderValue::from_str(v)
            .map_err(|_| format!("the value of header {name:?} is not valid in HTTP"))?;
        rest.push((header, value));
    }
    Ok((auth, rest))
}

/// What the server is, for display: the command line, or the URL without secrets.
pub fn target(cell: &ServerCell) -> String {
    let c = &cell.config;
    match c.transport {
        Transport::Stdio => {
            let mut parts = vec![c.command.clone().unwrap_or_default()];
            parts.extend(c.args.iter().cloned());
            cell.redactor.scrub(&parts.join(" ")).into_owned()
        }
        Transport::Http | Transport::Sse => {
            super::redactor::display_url(c.url.as_deref().unwrap_or_default())
        }
    }
}
