//! The MCP server: rmcp's Streamable HTTP service under axum, at `/mcp` and at `/` (Litestream
//! serves any path), beside the plain endpoints of [`super::http_api`], all behind the
//! [`super::guard`] door.
//!
//! - Both protocol generations: the `initialize` handshake (2024-11-05 … 2025-11-25) and the
//!   stateless 2026-07-28 protocol (`server/discover`, per-request `_meta`). No sessions are
//!   kept (rmcp's `legacy_session_mode` off): handshake clients initialize, then every POST
//!   is served on its own; `GET` and `DELETE` on the MCP endpoint answer 405.
//! - JSON or SSE replies as the client accepts: the `Accept` header's preference (by `q`, then
//!   order) picks a JSON-answering or an SSE-answering rmcp service; a client that accepts
//!   only one of the two gets that one (rmcp itself insists on both, so the header is
//!   completed before it sees it). `*/*` or no `Accept` means JSON.
//! - Loopback by default; any other bind refuses to start without a token.
//!
//! [`start`] binds, logs `MCP server listening on http://ADDR/mcp`, and serves until the
//! shutdown token is cancelled; headless mode and the console both call it.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::dispatch::McpTools;
use super::guard::{self, Guard};
use super::handler::Handler;
use super::http_api;
use super::hub::HubHandle;
use crate::config::{Config, is_loopback, parse_listen_addr};
use crate::engine::listen_targets;
use crate::ops::OpsContext;

/// How to run the MCP server.
#[derive(Debug, Clone, Default)]
pub struct McpServeOptions {
    /// `host:port` to listen on (port 0 picks a free port).
    pub addr: String,
    /// The bearer token every request must carry (required off loopback).
    pub token: Option<String>,
    /// Leave out the tools that change anything (restore, the engine commands).
    pub read_only: bool,
    /// Where restores may write (`restore-dirs`); empty refuses every restore.
    pub restore_dirs: Vec<PathBuf>,
    /// The client hub of attached MCP servers, reported by `ltx_mcp_servers`.
    pub hub: Option<HubHandle>,
}

impl McpServeOptions {
    /// The options of `config` (`mcp-addr`, `mcp-token`, `restore-dirs`), with `addr`
    /// (e.g. `--mcp-addr`) taking precedence; `None` when no address is set anywhere.
    pub fn from_config(config: &Config, addr: Option<&str>, read_only: bool) -> Option<Self> {
        let addr = addr.or(config.mcp_addr.as_deref())?;
        Some(McpServeOptions {
            addr: addr.to_owned(),
            token: config
                .mcp_token
                .as_ref()
                .map(|t| t.expose().to_owned())
                .filter(|t| !t.is_empty()),
            read_only,
            restore_dirs: config.restore_dirs.clone(),
            hub: None,
        })
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum McpServeError {
    /// The address or the security settings are wrong (exit code 2).
    #[error("mcp-addr {addr:?}: {message}")]
    Config {
        /// The address.
        addr: String,
        /// What is wrong.
        message: String,
    },
    /// The address cannot be bound (exit code 1).
    #[error("mcp-addr {addr:?}: cannot listen: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The bind error.
        #[source]
        source: io::Error,
    },
}

type Mcp = StreamableHttpService<Handler, LocalSessionManager>;

#[derive(Clone)]
struct AppState {
    tools: McpTools,
    json: Mcp,
    sse: Mcp,
}

impl axum::extract::FromRef<AppState> for McpTools {
    fn from_ref(state: &AppState) -> McpTools {
        state.tools.clone()
    }
}

/// Starts the server on `options.addr` over `ctx` (which should carry the running engine);
/// returns the bound address. Stops when `shutdown` is cancelled.
pub async fn start(
    ctx: OpsContext,
    options: McpServeOptions,
    shutdown: CancellationToken,
) -> Result<SocketAddr, McpServeError> {
    let config_error = |message: String| McpServeError::Config {
        addr: options.addr.clone(),
        message,
    };
    let parsed = parse_listen_addr(&options.addr).map_err(config_error)?;
    let loopback = is_loopback(&parsed.host);
    let token = options.token.clone().filter(|t| !t.is_empty());
    if !loopback && token.is_none() {
        return Err(config_error(format!(
            "listens on {}, not only on loopback, so mcp-token is required; set mcp-token in \
             the configuration, or bind 127.0.0.1",
            if parsed.host.is_empty() {
                "every interface"
            } else {
                parsed.host.as_str()
            }
        )));
    }
    let listener = bind(&options.addr).await?;
    let local = listener
        .local_addr()
        .map_err(|source| McpServeError::Listen {
            addr: options.addr.clone(),
            source,
        })?;
    let tools = McpTools::new(
        ctx,
        options.read_only,
        options.restore_dirs.clone(),
        options.hub.clone(),
    );
    let app = router(
        tools,
        Guard::new(&parsed.host, loopback, token.as_deref()),
        &shutdown,
    );
    tracing::info!(
        target: "ltx_tui::mcp",
        read_only = options.read_only,
        token = token.is_some(),
        restore_dirs = options.restore_dirs.len(),
        "MCP server listening on http://{local}/mcp"
    );
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        match served {
            Ok(()) => tracing::debug!(target: "ltx_tui::mcp", "MCP server on {local} stopped"),
            Err(e) => tracing::error!(target: "ltx_tui::mcp", "MCP server on {local} failed: {e}"),
        }
    });
    Ok(local)
}

async fn bind(addr: &str) -> Result<TcpListener, McpServeError> {
    let targets = listen_targets(addr).map_err(|e| McpServeError::Config {
        addr: addr.to_owned(),
        message: e.to_string(),
    })?;
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on");
    for (host, port) in targets {
        match TcpListener::bind((host.as_str(), port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(McpServeError::Listen {
        addr: addr.to_owned(),
        source: last,
    })
}

fn mcp_service(tools: &McpTools, json: bool, shutdown: &CancellationToken) -> Mcp {
    let tools = tools.clone();
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(json)
        .with_sse_keep_alive(None)
        .with_cancellation_token(shutdown.child_token())
        // The guard checks Host and Origin for every endpoint.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    StreamableHttpService::new(
        move || Ok(Handler::new(tools.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

fn router(tools: McpTools, guard: Guard, shutdown: &CancellationToken) -> Router {
    let state = AppState {
        json: mcp_service(&tools, true, shutdown),
        sse: mcp_service(&tools, false, shutdown),
        tools,
    };
    Router::new()
        .route("/healthz", get(http_api::healthz))
        .route("/mcp/tools", get(http_api::list))
        .route(
            "/mcp/tools/{name}",
            get(http_api::describe).post(http_api::call),
        )
        .route("/mcp", any(mcp_endpoint))
        .route("/", any(root))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            guard::check,
        ))
}

/// `/`: the status document for a plain `GET`, the MCP endpoint otherwise.
async fn root(State(state): State<AppState>, request: Request) -> Response {
    if request.method() == Method::GET && !accepts_sse_only_or_first(request.headers()) {
        return axum::Json(http_api::status_document(&state.tools)).into_response();
    }
    mcp_endpoint(State(state), request).await
}

fn accepts_sse_only_or_first(headers: &axum::http::HeaderMap) -> bool {
    matches!(reply_format(headers), Some(Format::Sse))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Sse,
}

/// The reply format the `Accept` header prefers, `None` when it accepts neither.
fn reply_format(headers: &axum::http::HeaderMap) -> Option<Format> {
    let mut entries = Vec::new();
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for entry in value.split(',') {
            let mut parts = entry.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            entries.push((essence, q));
        }
    }
    if entries.is_empty() {
        return Some(Format::Json);
    }
    let weight = |names: &[&str]| {
        entries
            .iter()
            .enumerate()
            .filter(|(_, (e, q))| names.contains(&e.as_str()) && *q > 0.0)
            .map(|(i, (_, q))| (*q, i))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
    };
    let json = weight(&["application/json", "application/*", "*/*"]);
    let sse = weight(&["text/event-stream", "text/*", "*/*"]);
    match (json, sse) {
        (None, None) => None,
        (Some(_), None) => Some(Format::Json),
        (None, Some(_)) => Some(Format::Sse),
        (Some((jq, ji)), Some((sq, si))) => {
            if sq > jq || (sq == jq && si < ji) {
                Some(Format::Sse)
            } else {
                Some(Format::Json)
            }
        }
    }
}

/// The largest request body accepted (rmcp's own limit).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A body that is not JSON gets the JSON-RPC parse error (HTTP 400), as the protocol says,
/// instead of rmcp's 415; the checked bytes are handed on.
async fn check_json_body(request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return Err((
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body too large or unreadable: {e}"),
            )
                .into_response());
        }
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        let doc = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": -32700, "message": format!("Parse error: {e}") },
        });
        return Err((axum::http::StatusCode::BAD_REQUEST, axum::Json(doc)).into_response());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// `/mcp` (and `/`): hands the request to the JSON- or SSE-answering rmcp service.
async fn mcp_endpoint(State(state): State<AppState>, mut request: Request) -> Response {
    if request.method() == Method::POST {
        request = match check_json_body(request).await {
            Ok(r) => r,
            Err(response) => return response,
        };
    }
    let mut service = match reply_format(request.headers()) {
        Some(Format::Sse) => state.sse,
        Some(Format::Json) => state.json,
        // Accepts neither: rmcp answers 406 with its message.
        None => state.json,
    };
    if reply_format(request.headers()).is_some() {
        request.headers_mut().insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
    }
    match tower_service::Service::call(&mut service, request.map(Body::new)).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn accept(v: &str) -> Option<Format> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, v.parse().unwrap());
        reply_format(&h)
    }

    #[test]
    fn the_accept_header_picks_json_or_sse() {
        assert_eq!(reply_format(&HeaderMap::new()), Some(Format::Json));
        assert_eq!(
            accept("application/json, text/event-stream"),
            Some(Format::Json)
        );
        assert_eq!(
            accept("text/event-stream, application/json"),
            Some(Format::Sse)
        );
        assert_eq!(accept("text/event-stream"), Some(Format::Sse));
        assert_eq!(accept("application/json"), Some(Format::Json));
        assert_eq!(accept("*/*"), Some(Format::Json));
        assert_eq!(
            accept("application/json;q=0.5, text/event-stream"),
            Some(Format::Sse)
        );
        assert_eq!(accept("text/html"), None);
    }
}
