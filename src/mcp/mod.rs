//! The MCP server: the operations of [`crate::ops`] as MCP tools over Streamable HTTP, for AI
//! assistants and scripts (`ltx-tui --headless --mcp-addr ADDR`, or from the console).
//!
//! One file per concept:
//! - [`server`]: binding, routing, protocol generations, JSON or SSE replies;
//! - `guard`: Host and Origin checks, the bearer token;
//! - `http_api`: `GET /healthz`, `GET /mcp/tools`, `POST /mcp/tools/{name}`;
//! - `handler`: the rmcp server handler;
//! - `tools`: the catalogue (names, schemas, annotations);
//! - `args`: the tools' arguments (Litestream's parameter names);
//! - `dispatch`: running a tool, logging every call;
//! - `compat`: Litestream-only answers (`config`, generations, snapshots) and `ltx_lag`;
//! - `restore_tool`: restore (scoped to `restore-dirs`) and preview;
//! - `text`: the readable text tables;
//! - [`hub`]: the client hub of attached MCP servers; `hub_tool`: `ltx_mcp_servers`.
//!
//! This room imports `ops`, `engine` and `config`, never the console.

mod args;
mod compat;
mod dispatch;
mod guard;
mod handler;
mod http_api;
pub mod hub;
mod hub_tool;
mod restore_tool;
pub mod server;
mod text;
mod tools;

pub use compat::{GenerationsResult, LagResult, SnapshotsResult};
pub use dispatch::{CallError, McpTools, ToolOutput};
pub use hub_tool::{AttachedServer, McpServersResult};
pub use server::{McpServeError, McpServeOptions, start};
pub use tools::{ALL_TOOLS, ToolId, catalogue};
