//! The legacy HTTP+SSE client transport (protocol 2024-11-05), which rmcp does not have.
//!
//! `GET url` with `Accept: text/event-stream` opens the event stream; its first `endpoint`
//! event names the URL to POST messages to (resolved against `url`, and required to have the
//! same origin: a server must not redirect our messages, and their headers, elsewhere). Every
//! outgoing JSON-RPC message is one POST there (the server answers 202 or 200); every incoming
//! message arrives as a `message` event on the stream. The transport ends when the stream does.

use std::time::Duration;

use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Client, Url};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use sse_stream::SseStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Why the SSE transport failed.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    /// The URL does not parse.
    #[error("invalid SSE URL {url:?}: {message}")]
    BadUrl {
        /// The URL (without query).
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The HTTP request failed.
    #[error("{what} failed: {source}")]
    Http {
        /// Which request.
        what: &'static str,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an unexpected status.
    #[error("{what} answered HTTP {status}{hint}")]
    Status {
        /// Which request.
        what: &'static str,
        /// The status code.
        status: u16,
        /// A hint for the operator.
        hint: &'static str,
    },
    /// The stream ended or timed out before the `endpoint` event.
    #[error(
        "the event stream gave no `endpoint` event within {0:?}: is this a legacy SSE endpoint (often `/sse`)?"
    )]
    NoEndpoint(Duration),
    /// The endpoint event names another origin.
    #[error("the server's message endpoint {0:?} is on another origin than the SSE URL; refused")]
    ForeignEndpoint(String),
    /// A message could not be encoded.
    #[error("cannot encode a message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A connected legacy SSE transport.
pub struct SseClientTransport {
    client: Client,
    post_url: Url,
    headers: HeaderMap,
    inbound: mpsc::Receiver<ServerJsonRpcMessage>,
    reader: JoinHandle<()>,
}

impl Drop for SseClientTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check the token in `headers`)",
        404 | 405 => " (wrong path? legacy SSE servers usually serve `/sse`)",
        _ => "",
    }
}

impl SseClientTransport {
    /// Opens the event stream at `url` with `headers`, and waits up to `timeout` for the
    /// `endpoint` event.
    pub async fn connect(
        url: &str,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Result<SseClientTransport, SseError> {
        let base = Url::parse(url).map_err(|e| SseError::BadUrl {
            url: super::redactor::display_url(url),
            message: e.to_string(),
        })?;
        let client = Client::new();
        let response = client
            .get(base.clone())
            .headers(headers.clone())
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"))
            .send()
            .await
            .map_err(|source| SseError::Http {
                what: "GET of the event stream",
                source,
            })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(SseError::Status {
                what: "GET of the event stream",
                status,
                hint: status_hint(status),
            });
        }
        let mut events = SseStream::from_bytes_stream(response.bytes_stream());
        let endpoint = tokio::time::timeout(timeout, async {
            while let Some(Ok(event)) = events.next().await {
                if event.event.as_deref() == Some("endpoint") {
                    return event.data;
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or(SseError::NoEndpoint(timeout))?;
        let post_url = base.join(endpoint.trim()).map_err(|e| SseError::BadUrl {
            url: endpoint.clone(),
            message: e.to_string(),
        })?;
        if post_url.origin() != base.origin() {
            return Err(SseError::ForeignEndpoint(super::redactor::display_url(
                post_url.as_str(),
            )));
        }
        let (tx, inbound) = mpsc::channel(64);
        let reader = tokio::spawn(async move {
            while let Some(Ok(event)) = events.next().await {
                let is_message = matches!(event.event.as_deref(), None | Some("message"));
                let Some(data) = event.data.filter(|d| is_message && !d.trim().is_empty()) else {
                    continue;
                };
                match serde_json::from_str::<ServerJsonRpcMessage>(&data) {
                    Ok(message) => {
                        if tx.send(message).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => tracing::warn!(
                        target: "ltx_tui::mcp::hub",
                        "ignoring an SSE message that is not JSON-RPC: {e}"
                    ),
                }
            }
        });
        Ok(SseClientTransport {
            client,
            post_url,
            headers,
            inbound,
            reader,
        })
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseError;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let client = self.client.clone();
        let url = self.post_url.clone();
        let headers = self.headers.clone();
        async move {
            let body = serde_json::to_vec(&item)?;
            let response = client
                .post(url)
                .headers(headers)
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body)
                .send()
                .await
                .map_err(|source| SseError::Http {
                    what: "POST of a message",
                    source,
                })?;
            let status = response.status().as_u16();
            if response.status().is_success() {
                Ok(())
            } else {
                Err(SseError::Status {
                    what: "POST of a message",
                    status,
                    hint: status_hint(status),
                })
            }
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        self.inbound.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        self.inbound.close();
        Ok(())
    }
}
