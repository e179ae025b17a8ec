//! The JSON-RPC wire log of one attached server: every message sent and received, as the
//! JSON text on the wire (scrubbed of the server's secrets, long messages cut), plus notes on
//! the connection (opened, closed). [`WireLogged`] wraps any rmcp client transport and records
//! through it; it also signals when the transport ends (the peer closed it or the process
//! exited), which is how the hub notices a crash without polling.

use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::line_ring::{LineRing, Numbered};
use super::redactor::Redactor;

/// Messages longer than this are cut in the log (a tool list can be large).
pub const MAX_LOGGED_CHARS: usize = 8 * 1024;

/// The wire log keeps this many entries per server.
pub const WIRE_LOG_LEN: usize = 1000;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the hub to the server.
    Sent,
    /// From the server to the hub.
    Received,
    /// Not a message: a note on the connection.
    Note,
}

impl Direction {
    /// A short arrow for the pane: `→`, `←`, `·`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Sent => "→",
            Direction::Received => "←",
            Direction::Note => "·",
        }
    }
}

/// One wire-log entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireEntry {
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Which way.
    pub direction: Direction,
    /// The message's JSON (or the note).
    pub text: String,
}

/// A server's wire log: a ring of entries behind a lock, shared by the transport wrapper and
/// the readers.
#[derive(Clone)]
pub struct WireLog {
    ring: Arc<Mutex<LineRing<WireEntry>>>,
    redactor: Redactor,
    on_push: Arc<dyn Fn(u64) + Send + Sync>,
}

impl std::fmt::Debug for WireLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireLog").finish_non_exhaustive()
    }
}

impl WireLog {
    /// An empty log scrubbing with `redactor`; `on_push` is told each new entry's number.
    pub fn new(redactor: Redactor, on_push: Arc<dyn Fn(u64) + Send + Sync>) -> WireLog {
        WireLog {
            ring: Arc::new(Mutex::new(LineRing::new(WIRE_LOG_LEN))),
            redactor,
            on_push,
        }
    }

    /// Records `text` going `direction`.
    pub fn push(&self, direction: Direction, text: &str) {
        let clean = self.redactor.scrub(text);
        let text = cut(&clean, MAX_LOGGED_CHARS);
        let entry = WireEntry {
            at_ms: chrono::Utc::now().timestamp_millis(),
            direction,
            text,
        };
        let seq = match self.ring.lock() {
            Ok(mut ring) => ring.push(entry),
            Err(poisoned) => poisoned.into_inner().push(entry),
        };
        (self.on_push)(seq);
    }

    /// Records a JSON-RPC message.
    fn message<T: Serialize>(&self, direction: Direction, message: &T) {
        match serde_json::to_string(message) {
            Ok(text) => self.push(direction, &text),
            Err(e) => self.push(Direction::Note, &format!("unencodable message: {e}")),
        }
    }

    /// The entries numbered above `after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<Numbered<WireEntry>> {
        match self.ring.lock() {
            Ok(ring) => ring.since(after),
            Err(poisoned) => poisoned.into_inner().since(after),
        }
    }
}

/// `text` cut to at most `max` characters, with a note of how much was left out.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!(
            "{}… ({} more bytes)",
            &text[..at],
            text.len().saturating_sub(at)
        ),
    }
}

/// A client transport whose messages go to a [`WireLog`], and whose end cancels `closed`.
pub struct WireLogged<T> {
    inner: T,
    log: WireLog,
    closed: CancellationToken,
}

impl<T> WireLogged<T> {
    /// Wraps `inner`; `closed` is cancelled when the transport has no more messages.
    pub fn new(inner: T, log: WireLog, closed: CancellationToken) -> Self {
        WireLogged { inner, log, closed }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for WireLogged<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.log.message(Direction::Sent, &item);
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let message = self.inner.receive().await;
        match &message {
            Some(m) => self.log.message(Direction::Received, m),
            None => {
                if !self.closed.is_cancelled() {
                    self.log
                        .push(Direction::Note, "connection closed by the server");
                }
                self.closed.cancel();
            }
        }
        message
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.log.push(Direction::Note, "closing the connection");
        let result = self.inner.close().await;
        self.closed.cancel();
        result
    }
}
