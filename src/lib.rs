//! ltx-tui: an operations console for SQLite replication, byte-compatible with Litestream 0.5.
//!
//! The crate is one house of rooms, each with one job; data flows downward only
//! (see `DESIGN.md` in the shared folder and the README):
//!
//! - [`ltx`]: the LTX v3 file format (pure: no I/O beyond `Read`/`Write`).
//! - [`config`]: the YAML configuration (Litestream keys plus ltx-tui's own).
//! - [`engine`]: background replication: one task per database, publishing state and events.
//! - [`sqlite`]: the SQLite side: WAL parsing, database pages, the engine's own connection.
//! - [`storage`]: the replica client over `object_store`, with each backend's key layout.
//! - [`ops`]: the operations surface the command line, console and MCP server share.
//! - [`restore`]: restore planning (Litestream's algorithm), streaming apply, verification.
//! - [`mcp`]: the MCP server: the operations as MCP tools over HTTP.
//! - [`tui`]: the console (ratatui): event loop, panes, restore wizard, demo.
//! - [`cli`]: the command line, one file per subcommand.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod engine;
pub mod ltx;
pub mod mcp;
pub mod ops;
pub mod restore;
pub mod sqlite;
pub mod storage;
pub mod tui;
