//! The door of the MCP server, in front of every endpoint: the `Host` check (DNS rebinding),
//! the `Origin` check (browsers), and the bearer token.
//!
//! - `Host` must name this machine: `localhost` or a loopback IP on a loopback bind; on a
//!   non-loopback bind also any IP literal (a rebinding attack needs a host *name*), the bind
//!   host and the machine's hostname. Otherwise **403**.
//! - `Origin`, when present, must be a loopback origin (`http://localhost:…`,
//!   `http://127.0.0.1:…`, `http://[::1]:…`, e.g. the MCP Inspector's web UI). Otherwise
//!   **403**. Requests without `Origin` (every non-browser client) pass.
//! - With a token (required off loopback), every request but `GET /healthz` needs
//!   `Authorization: Bearer <token>`, compared in constant time. Otherwise **401** with
//!   `WWW-Authenticate: Bearer` (no OAuth metadata: none is offered).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// What the door lets in.
#[derive(Debug, Clone)]
pub struct Guard {
    token: Option<Arc<[u8]>>,
    loopback_only: bool,
    names: Vec<String>,
}

impl Guard {
    /// A door for a server bound to `bind_host` (loopback or not), with an optional token.
    pub fn new(bind_host: &str, loopback_only: bool, token: Option<&str>) -> Guard {
        let mut names = vec!["localhost".to_owned()];
        if !loopback_only {
            if !bind_host.is_empty() {
                names.push(bind_host.to_ascii_lowercase());
            }
            if let Some(h) = machine_hostname() {
                names.push(h);
            }
        }
        Guard {
            token: token.map(|t| Arc::from(t.as_bytes())),
            loopback_only,
            names,
        }
    }

    /// Whether a `Host` value (`name`, `name:port`, `[v6]:port`) names this server.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        if let Ok(ip) = name.parse::<IpAddr>() {
            return ip.is_loopback() || !self.loopback_only;
        }
        self.names.contains(&name)
    }

    /// Whether an `Origin` value is a loopback origin.
    pub fn origin_allowed(origin: &str) -> bool {
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        if !matches!(scheme, "http" | "https") || rest.contains('/') {
            return false;
        }
        let name = host_name(rest).to_ascii_lowercase();
        name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Whether the request carries the token (always true without one).
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
        else {
            return false;
        };
        bool::from(given.as_bytes().ct_eq(token))
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The host part of `host[:port]` or `[v6][:port]`.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => authority,
    }
}

fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let body = axum::Json(serde_json::json!({ "error": message }));
    if status == StatusCode::UNAUTHORIZED {
        return (status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response();
    }
    (status, body).into_response()
}

/// The middleware: 403 for a foreign `Host` or `Origin`, 401 without the token.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        Some(h) if guard.host_allowed(&h) => {}
        Some(h) => {
            tracing::warn!(target: "ltx_tui::mcp", host = %h, "refused: Host not allowed");
            return refuse(StatusCode::FORBIDDEN, "Host header is not allowed");
        }
        None => return refuse(StatusCode::FORBIDDEN, "Host header is missing"),
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(Guard::origin_allowed);
        if !ok {
            tracing::warn!(target: "ltx_tui::mcp", origin = ?origin, "refused: Origin not allowed");
            return refuse(StatusCode::FORBIDDEN, "Origin is not allowed");
        }
    }
    let health = request.uri().path() == "/healthz";
    if !health && !guard.authorized(headers) {
        tracing::warn!(target: "ltx_tui::mcp", path = request.uri().path(), "refused: missing or wrong bearer token");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (send Authorization: Bearer <mcp-token>)",
        );
    }
    next.run(request).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn loopback_binds_accept_only_loopback_hosts() {
        let g = Guard::new("127.0.0.1", true, None);
        for ok in [
            "127.0.0.1:3001",
            "localhost:1",
            "[::1]:80",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3001",
            "192.0.2.1:3001",
            "127.0.0.1.evil:1",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn other_binds_accept_ip_literals_but_not_foreign_names() {
        let g = Guard::new("0.0.0.0", false, Some("t"));
        assert!(g.host_allowed("192.0.2.1:3001"));
        assert!(!g.host_allowed("evil.example:3001"));
    }

    #[test]
    fn origins_must_be_loopback() {
        assert!(Guard::origin_allowed("http://localhost:6274"));
        assert!(Guard::origin_allowed("http://127.0.0.1:5173"));
        assert!(Guard::origin_allowed("http://[::1]:1"));
        for bad in [
            "null",
            "http://evil.example",
            "http://localhost.evil:1",
            "file://x",
        ] {
            assert!(!Guard::origin_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_are_compared_whole() {
        let g = Guard::new("0.0.0.0", false, Some("secret"));
        let mut h = HeaderMap::new();
        assert!(!g.authorized(&h));
        h.insert(header::AUTHORIZATION, "Bearer secre".parse().unwrap());
        assert!(!g.authorized(&h));
        h.insert(header::AUTHORIZATION, "bearer secret".parse().unwrap());
        assert!(g.authorized(&h));
        h.insert(header::AUTHORIZATION, "Basic secret".parse().unwrap());
        assert!(!g.authorized(&h));
    }
}
