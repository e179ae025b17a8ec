//! The client hub: ltx-tui's connections to attached MCP servers (`mcp-servers` in the
//! config). One supervisor task per server connects it (stdio child process, Streamable HTTP
//! in both protocol generations, or legacy HTTP+SSE), lists its tools, probes its health,
//! restarts it with backoff when it fails, and records its stderr and JSON-RPC wire log. The
//! console and the headless server read the hub through [`HubHandle`]: a `watch` of the
//! [`HubSnapshot`], commands, and tool calls.
//!
//! Secrets (env and header values) are exposed only to the child process or the HTTP client;
//! everything the hub shows is scrubbed of them.
//!
//! One file per concept:
//! - `handle`: the hub and its handle (commands, calls, logs, shutdown);
//! - `supervisor`: one server's lifecycle (connect, list, probe, restart);
//! - `connect`: transports and handshakes per configuration;
//! - `sse_client`: the legacy HTTP+SSE transport;
//! - `client_handler`: rmcp's client handler (notifications);
//! - `server_cell`: what the supervisor and the handle share about a server;
//! - `snapshot`: the published state; `tool_figures`: per-tool call figures;
//! - `wire_log`, `stderr_log`, `line_ring`: the logs;
//! - `fleet`: polling the lag of attached headless ltx-tui instances; `fleet_ops`: the
//!   console's operations on them (remote timeline, preview, engine commands);
//! - `redactor`: keeping secrets out; `restart_backoff`, `options`, `error`.

mod client_handler;
mod connect;
mod error;
mod fleet;
mod fleet_ops;
mod handle;
mod line_ring;
mod options;
mod redactor;
mod restart_backoff;
mod server_cell;
mod snapshot;
mod sse_client;
mod stderr_log;
mod supervisor;
mod tool_figures;
mod wire_log;

pub use error::HubError;
pub use fleet::{FleetView, RemoteDatabase};
pub use fleet_ops::{
    REMOTE_MAX_FILES, REMOTE_PAGE_FILES, RemoteWindow, command_tool, decode, remote_command,
    remote_preview, remote_timeline, timeline_arguments, unavailable_reason,
};
pub use handle::HubHandle;
pub use line_ring::Numbered;
pub use options::HubOptions;
pub use redactor::display_url;
pub use snapshot::{HISTORY_LEN, HubSnapshot, ServerSnapshot, ServerState, StateChange};
pub use sse_client::{SseClientTransport, SseError};
pub use tool_figures::{CallEnd, ToolFigures};
pub use wire_log::{Direction, WireEntry};
