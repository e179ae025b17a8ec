//! Shared support for integration tests (each test file does `mod support;`): installing and
//! driving the real peers (Litestream), SQLite test databases, replicas built by the real
//! Litestream, and hand-made `file://` replica layouts.
//!
//! - `peers`: [`litestream`] / [`litestream_version`] install the real binary on first use.
//! - `litestream`: one-shot commands and a supervised `replicate` process.
//! - `sqlite_db`: [`TestDb`], canonical dumps, integrity checks, raw pages.
//! - `fixtures`: replicas built at test time ([`fixtures::litestream_replica`]).
//! - `replica_layout`: hand-made `file://` replicas ([`replica_layout::write_file_replica`]).
//! - `ltx_raw`: a minimal independent LTX header reader for pinning facts.
//! - `engine`: the engine in-process: test-speed parameters, waits on its watch channel, a
//!   steady writer, replica L0 listings.
//! - `tmpfs`: a tiny tmpfs (disk-full tests).
//! - `moto`, `azurite`, `gcs_emulator`: real S3, Azure Blob and GCS APIs on 127.0.0.1;
//!   `gcs_json_api`: a raw GCS JSON API client; `litestream_remote`: Litestream against them.
//! - `mcp_peers`: the Python MCP SDK and the MCP Inspector CLI.
//! - `ref_servers`: the reference MCP servers (server-everything, server-memory,
//!   mcp-server-time): installs, launch commands, an HTTP runner, Inspector CLI helpers.

// Each test binary uses only part of this module.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod azurite;
pub mod child_lines;
pub mod engine;
pub mod fixtures;
pub mod gcs_emulator;
pub mod gcs_json_api;
pub mod hub;
pub mod install;
pub mod litestream;
pub mod litestream_remote;
pub mod ltx_raw;
pub mod ltx_tui;
pub mod mcp_peers;
pub mod mcp_server;
pub mod moto;
pub mod peers;
pub mod ref_servers;
pub mod replica_layout;
pub mod sqlite_db;
pub mod tmpfs;

#[allow(unused_imports)]
pub use litestream::{
    LitestreamReplicate, ReplicaFiles, ReplicateConfig, litestream_cmd, litestream_cmd_with,
    replica_files,
};
#[allow(unused_imports)]
pub use peers::{litestream, litestream_version};
#[allow(unused_imports)]
pub use sqlite_db::TestDb;
