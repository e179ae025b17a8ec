#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The client hub attached to ltx-tui's own headless MCP server over Streamable HTTP: it
//! speaks the stateless 2026-07-28 protocol (probing with `server/discover`), lists every tool,
//! recognises the server as an ltx-tui, and `litestream_databases` names the database.

mod support;

use std::time::Duration;

use ltx_tui::config::Transport;
use ltx_tui::mcp::hub::HubHandle;
use support::hub::{fast_options, first_text, remote, wait_ready, wait_server};
use support::mcp_server::McpServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaches_a_headless_ltx_tui_over_streamable_http() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let server = tokio::task::spawn_blocking(move || McpServer::start(&path, "", &[]))
        .await
        .unwrap();
    let hub = HubHandle::start(
        vec![remote("db1", Transport::Http, &server.mcp_url())],
        fast_options(),
    );
    let snap = wait_ready(&hub, "db1", Duration::from_secs(30)).await;
    assert_eq!(snap.tools.len(), ltx_tui::mcp::ALL_TOOLS.len());
    assert_eq!(snap.protocol_version.as_deref(), Some("2026-07-28"));
    assert!(snap.is_ltx_tui());
    // The modern probe (server/discover) measures a round trip.
    wait_server(&hub, "db1", Duration::from_secs(30), "probed", |s| {
        s.round_trip_ms.is_some()
    })
    .await;

    let listed = hub
        .call_tool("db1", "litestream_databases", None, None)
        .await
        .unwrap();
    let db = server.db.display().to_string();
    assert!(first_text(&listed).contains(&db), "{listed:?}");
    let structured = listed.structured_content.unwrap();
    assert_eq!(structured["databases"][0]["path"], db, "{structured}");
    hub.shutdown(Duration::from_secs(15)).await;
}
