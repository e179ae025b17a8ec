//! The Prometheus endpoint: `GET /metrics` on the configured `addr`, served while the engine
//! runs (headless now, the console later), as Litestream serves it.
//!
//! `addr` is `host:port` as Litestream takes it; an empty host (`:9090`) listens on every
//! interface, IPv6 and IPv4 (`[::]`, falling back to `0.0.0.0` where IPv6 is unavailable), and
//! port 0 picks a free port, which [`serve_metrics`] returns. Every other path answers 404.
//! The server runs on its own task until the shutdown token is cancelled. Unlike Litestream,
//! which logs a failed bind and carries on, a bind failure is an error for the caller to
//! report, so an operator never runs without the metrics they configured.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::parse_listen_addr;

use super::error::EngineError;
use super::metrics::EngineMetrics;
use super::metrics_text::CONTENT_TYPE;

/// Where to listen for `addr`, in the order to try: one host (a name is resolved when
/// binding) or, for an empty host, `[::]` then `0.0.0.0`.
pub fn listen_targets(addr: &str) -> Result<Vec<(String, u16)>, EngineError> {
    let parsed = parse_listen_addr(addr).map_err(|e| EngineError::Config(format!("addr: {e}")))?;
    let port: u16 = parsed.port.parse().map_err(|_| {
        EngineError::Config(format!(
            "addr {addr:?}: named ports ({}) are not supported; use a port number such as :9090",
            parsed.port
        ))
    })?;
    if parsed.host.is_empty() {
        let any = [
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ];
        return Ok(any.iter().map(|ip| (ip.to_string(), port)).collect());
    }
    Ok(vec![(parsed.host, port)])
}

/// Binds `addr`, serves `GET /metrics` from `metrics` until `shutdown` is cancelled, and
/// returns the address actually bound.
pub async fn serve_metrics(
    addr: &str,
    metrics: EngineMetrics,
    shutdown: CancellationToken,
) -> Result<SocketAddr, EngineError> {
    let listener = bind(addr).await?;
    let local = listener
        .local_addr()
        .map_err(|source| EngineError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .fallback(not_found)
        .with_state(metrics);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        match served {
            Ok(()) => tracing::debug!("metrics server on {local} stopped"),
            Err(e) => tracing::error!("metrics server on {local} failed: {e}"),
        }
    });
    Ok(local)
}

async fn bind(addr: &str) -> Result<TcpListener, EngineError> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on");
    for (host, port) in listen_targets(addr)? {
        match TcpListener::bind((host.as_str(), port)).await {
            Ok(listener) => return Ok(listener),
            // A port in use or a privileged port fails the same way on every target.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
                ) =>
            {
                last = e;
                break;
            }
            Err(e) => last = e,
        }
    }
    Err(EngineError::Listen {
        addr: addr.to_string(),
        source: last,
    })
}

async fn scrape(State(metrics): State<EngineMetrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render())
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 page not found: metrics are served at /metrics\n",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::*;

    /// One HTTP/1.1 request over a plain socket; returns (status, headers, body).
    fn get_path(addr: SocketAddr, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_string(), body.to_string())
    }

    #[test]
    fn listen_targets_follow_litestream_addresses() {
        assert_eq!(
            listen_targets(":9090").unwrap(),
            vec![("::".to_string(), 9090), ("0.0.0.0".to_string(), 9090)]
        );
        assert_eq!(
            listen_targets("127.0.0.1:0").unwrap(),
            vec![("127.0.0.1".to_string(), 0)]
        );
        assert_eq!(
            listen_targets("[::1]:9090").unwrap(),
            vec![("::1".to_string(), 9090)]
        );
        for bad in ["9090", "localhost", "localhost:http", "h:99999"] {
            let e = listen_targets(bad).unwrap_err();
            assert!(matches!(e, EngineError::Config(_)), "{bad}: {e}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_metrics_404s_elsewhere_and_stops_on_shutdown() {
        let stop = CancellationToken::new();
        let addr = serve_metrics("127.0.0.1:0", EngineMetrics::default(), stop.clone())
            .await
            .unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let (status, head, body, missing) = tokio::task::spawn_blocking(move || {
            let (status, head, body) = get_path(addr, "/metrics");
            let (missing, _, _) = get_path(addr, "/nope");
            (status, head, body, missing)
        })
        .await
        .unwrap();
        assert_eq!(status, 200);
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
            "{head}"
        );
        assert!(body.contains("# TYPE litestream_txid gauge"), "{body}");
        assert_eq!(missing, 404);

        stop.cancel();
        let deadline = Instant::now() + Duration::from_secs(10);
        let refused = tokio::task::spawn_blocking(move || {
            loop {
                if TcpStream::connect(addr).is_err() {
                    return true;
                }
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .unwrap();
        assert!(refused, "the metrics server still accepts after shutdown");
    }

    #[tokio::test]
    async fn a_port_in_use_is_an_error_naming_the_address() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let e = serve_metrics(&addr, EngineMetrics::default(), CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(e, EngineError::Listen { .. }), "{e}");
        let message = e.to_string();
        assert!(message.contains(&addr), "{message}");
        assert!(
            message.contains("another process uses this port"),
            "{message}"
        );
    }
}
