#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The client hub against the real reference MCP servers: server-everything over stdio,
//! Streamable HTTP and legacy HTTP+SSE, server-memory and the Python mcp-server-time over
//! stdio. Each connects, lists the exact number of tools its pinned version has, and answers a
//! call correctly. Secrets given to a server never come back through the hub.

mod support;

use std::time::Duration;

use ltx_tui::config::{Secret, Transport};
use ltx_tui::mcp::hub::{Direction, HubHandle};
use serde_json::json;
use support::hub::{fast_options, first_text, remote, stdio, wait_ready};
use support::ref_servers::{
    self, EverythingTransport, MCP_SERVER_TIME_TOOLS, RefHttpServer, SERVER_EVERYTHING_TOOLS,
    SERVER_MEMORY_TOOLS,
};

const READY: Duration = Duration::from_secs(60);

fn args(v: serde_json::Value) -> Option<rmcp::model::JsonObject> {
    v.as_object().cloned()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_stdio_lists_13_tools_echoes_and_hides_env_secrets() {
    let cmd = blocking(|| ref_servers::server_everything(EverythingTransport::Stdio)).await;
    let mut config = stdio("everything", &cmd);
    config.env.insert(
        "LTX_TEST_SECRET".into(),
        Secret::new("topsecret-value-4242"),
    );
    let hub = HubHandle::start(vec![config], fast_options());
    let server = wait_ready(&hub, "everything", READY).await;
    assert_eq!(
        server.tools.len(),
        SERVER_EVERYTHING_TOOLS,
        "{:?}",
        server.tools
    );
    assert!(server.pid.is_some());
    assert!(server.protocol_version.is_some());

    let echoed = hub
        .call_tool(
            "everything",
            "echo",
            args(json!({"message": "hello hub"})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        echoed.is_error,
        Some(false).filter(|_| echoed.is_error.is_some())
    );
    assert!(first_text(&echoed).contains("hello hub"), "{echoed:?}");

    // get-env returns the server's environment: the secret is there, scrubbed.
    let env = hub
        .call_tool("everything", "get-env", None, None)
        .await
        .unwrap();
    let shown = serde_json::to_string(&env).unwrap();
    assert!(shown.contains("LTX_TEST_SECRET"), "{shown}");
    assert!(!shown.contains("topsecret-value-4242"), "{shown}");
    let wire: Vec<String> = hub
        .wire_log("everything", 0)
        .unwrap()
        .into_iter()
        .map(|e| e.item.text)
        .collect();
    assert!(wire.iter().any(|t| t.contains("LTX_TEST_SECRET")));
    assert!(!wire.iter().any(|t| t.contains("topsecret-value-4242")));
    let snapshot = serde_json::to_string(&hub.snapshot()).unwrap();
    assert!(!snapshot.contains("topsecret-value-4242"));

    let figures = &hub.snapshot().servers[0].figures;
    assert_eq!(figures["echo"].calls, 1);
    assert_eq!(figures["echo"].ok, 1);
    assert!(figures["echo"].latency_max_ms.is_some());
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_streamable_http_lists_13_tools_and_adds() {
    let server = blocking(|| {
        RefHttpServer::start(EverythingTransport::StreamableHttp, Duration::from_secs(60))
    })
    .await;
    let hub = HubHandle::start(
        vec![remote("everything", Transport::Http, &server.url)],
        fast_options(),
    );
    let snap = wait_ready(&hub, "everything", READY).await;
    assert_eq!(snap.tools.len(), SERVER_EVERYTHING_TOOLS);
    // server-everything is a 2025-11-25 server: the automatic mode fell back to initialize.
    assert_eq!(snap.protocol_version.as_deref(), Some("2025-11-25"));
    let sum = hub
        .call_tool(
            "everything",
            "get-sum",
            args(json!({"a": 40, "b": 2})),
            None,
        )
        .await
        .unwrap();
    assert!(first_text(&sum).contains("42"), "{sum:?}");
    // The health probe answers: a round trip is measured.
    let probed = support::hub::wait_server(&hub, "everything", READY, "probed", |s| {
        s.round_trip_ms.is_some()
    })
    .await;
    assert!(probed.round_trip_ms.unwrap() >= 0.0);
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_over_legacy_sse_lists_13_tools_and_echoes() {
    let server =
        blocking(|| RefHttpServer::start(EverythingTransport::Sse, Duration::from_secs(60))).await;
    let hub = HubHandle::start(
        vec![remote("legacy", Transport::Sse, &server.url)],
        fast_options(),
    );
    let snap = wait_ready(&hub, "legacy", READY).await;
    assert_eq!(snap.tools.len(), SERVER_EVERYTHING_TOOLS);
    let echoed = hub
        .call_tool("legacy", "echo", args(json!({"message": "over sse"})), None)
        .await
        .unwrap();
    assert!(first_text(&echoed).contains("over sse"), "{echoed:?}");
    let wire = hub.wire_log("legacy", 0).unwrap();
    assert!(
        wire.iter()
            .any(|e| e.item.direction == Direction::Sent && e.item.text.contains("\"initialize\""))
    );
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_over_stdio_lists_9_tools_and_keeps_an_entity() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("memory.jsonl");
    let cmd = blocking(move || ref_servers::server_memory(&file)).await;
    let hub = HubHandle::start(vec![stdio("memory", &cmd)], fast_options());
    let snap = wait_ready(&hub, "memory", READY).await;
    assert_eq!(snap.tools.len(), SERVER_MEMORY_TOOLS);
    let created = hub
        .call_tool(
            "memory",
            "create_entities",
            args(
                json!({"entities": [{"name": "replica-7", "entityType": "replica",
                "observations": ["lives in s3"]}]}),
            ),
            None,
        )
        .await
        .unwrap();
    assert_ne!(created.is_error, Some(true), "{created:?}");
    let graph = hub
        .call_tool("memory", "read_graph", None, None)
        .await
        .unwrap();
    let text = serde_json::to_string(&graph).unwrap();
    assert!(
        text.contains("replica-7") && text.contains("lives in s3"),
        "{text}"
    );
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_time_server_lists_2_tools_and_tells_the_time_in_a_zone() {
    let cmd = blocking(ref_servers::mcp_server_time).await;
    let hub = HubHandle::start(vec![stdio("time", &cmd)], fast_options());
    let snap = wait_ready(&hub, "time", READY).await;
    assert_eq!(snap.tools.len(), MCP_SERVER_TIME_TOOLS);
    let now = hub
        .call_tool(
            "time",
            "get_current_time",
            args(json!({"timezone": "Asia/Tokyo"})),
            None,
        )
        .await
        .unwrap();
    let text = serde_json::to_string(&now).unwrap();
    assert!(
        text.contains("Asia/Tokyo") && text.contains("+09:00"),
        "{text}"
    );
    hub.shutdown(Duration::from_secs(15)).await;
}
