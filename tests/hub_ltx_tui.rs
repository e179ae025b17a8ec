#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The client hub attached to ltx-tui's own headless MCP server over Streamable HTTP: it
//! speaks the stateless 2026-07-28 protocol (probing with `server/discover`), lists every tool,
//! recognises the server as an ltx-tui (and polls its databases' lag), and
//! `litestream_databases` names the database. A headless ltx-tui reports its own attached
//! servers through `ltx_mcp_servers`.

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

    // Recognised as an ltx-tui: its databases and their lag are polled (`ltx_lag`).
    let polled = wait_server(&hub, "db1", Duration::from_secs(30), "polled", |s| {
        s.fleet
            .as_ref()
            .is_some_and(|f| f.databases.iter().any(|d| d.state == "replicating"))
    })
    .await;
    let fleet = polled.fleet.unwrap();
    assert_eq!(fleet.databases.len(), 1, "{fleet:?}");
    assert_eq!(fleet.databases[0].database, db);
    assert!(fleet.databases[0].lag_seconds.is_some());
    assert!(fleet.error.is_none());
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_ltx_tui_reports_its_own_attached_servers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mcp/scripted_server.py");
    let top = format!(
        "mcp-servers:\n  - name: helper\n    command: python3\n    args: [{}, hang-calls]\n    env:\n      HELPER_TOKEN: ${{HELPER_TOKEN}}\n",
        script.display()
    );
    // The token reaches the helper through the headless server's config expansion.
    let server = tokio::task::spawn_blocking(move || {
        McpServer::start_with_env(&path, &top, &[], &[("HELPER_TOKEN", "helper-secret-77")])
    })
    .await
    .unwrap();
    let hub = HubHandle::start(
        vec![remote("fleet1", Transport::Http, &server.mcp_url())],
        fast_options(),
    );
    wait_ready(&hub, "fleet1", Duration::from_secs(30)).await;
    // The headless server connects its helper in the background: ask until it is ready.
    let mut last = None;
    for _ in 0..100 {
        let r = hub
            .call_tool("fleet1", "ltx_mcp_servers", None, None)
            .await
            .unwrap();
        let s = r.structured_content.clone().unwrap();
        if s["servers"][0]["state"] == "ready" {
            last = Some(r);
            break;
        }
        last = Some(r);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = last.unwrap();
    let s = r.structured_content.clone().unwrap();
    assert_eq!(s["servers"][0]["name"], "helper", "{s}");
    assert_eq!(s["servers"][0]["state"], "ready", "{s}");
    assert_eq!(s["servers"][0]["tools"], 3, "{s}");
    assert_eq!(s["servers"][0]["ltx_tui"], false, "{s}");
    let text = first_text(&r);
    assert!(text.contains("helper") && text.contains("ready"), "{text}");
    assert!(
        !serde_json::to_string(&r)
            .unwrap()
            .contains("helper-secret-77")
    );
    let def = hub.snapshot().servers[0]
        .tool("ltx_mcp_servers")
        .cloned()
        .unwrap();
    assert_eq!(def.annotations.and_then(|a| a.read_only_hint), Some(true));
    hub.shutdown(Duration::from_secs(15)).await;
}
