//! Tracing for the console: events go into a bounded channel that the loop turns into Logs
//! pane lines, never to stderr (which would scribble over the screen). When the channel is
//! full, lines are dropped rather than blocking the engine.

use std::fmt::Write as _;
use std::time::SystemTime;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Lines waiting for the console before new ones are dropped.
const CHANNEL_CAPACITY: usize = 4096;

/// One captured tracing event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it happened.
    pub at: SystemTime,
    /// Its level.
    pub level: Level,
    /// The module that logged it.
    pub target: String,
    /// The message with its fields (`key=value`).
    pub message: String,
}

/// The tracing layer sending each event to the console.
#[derive(Debug, Clone)]
pub struct LogSink {
    tx: mpsc::Sender<LogLine>,
}

impl LogSink {
    /// A sink and the receiver the console reads.
    pub fn channel() -> (LogSink, mpsc::Receiver<LogLine>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        (LogSink { tx }, rx)
    }
}

struct MessageVisitor<'a>(&'a mut String, &'a mut String);

impl Visit for MessageVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.1, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.1, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for LogSink {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut message = String::new();
        let mut fields = String::new();
        event.record(&mut MessageVisitor(&mut message, &mut fields));
        message.push_str(&fields);
        // A full channel drops the line: the engine must never wait for the screen.
        let _ = self.tx.try_send(LogLine {
            at: SystemTime::now(),
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            message,
        });
    }
}

/// Installs the console's global subscriber (`RUST_LOG` directives, else `ltx_tui=<level>`)
/// and returns the receiver of its lines. Fails when a subscriber is already installed.
pub fn install_log_capture(level: &str) -> Option<mpsc::Receiver<LogLine>> {
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("ltx_tui={level},warn"));
    let filter = tracing_subscriber::EnvFilter::try_new(directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (sink, rx) = LogSink::channel();
    tracing_subscriber::registry()
        .with(filter)
        .with(sink)
        .try_init()
        .ok()
        .map(|()| rx)
}
