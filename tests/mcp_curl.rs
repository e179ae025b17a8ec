//! The `curl` examples of Litestream's MCP integration guide, run as written (host and port
//! aside) against `ltx-tui --headless --mcp-addr 127.0.0.1:0`, and a restore through MCP
//! compared with the same restore through `ltx-tui restore`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::ltx_tui::ltx_tui_bin;
use support::mcp_server::{McpServer, curl};
use support::sqlite_db::canonical_dump_of;

fn post(server: &McpServer, tool: &str, body: &Value) -> (u16, Value) {
    let (status, text) = curl(&[
        "-X",
        "POST",
        &format!("{}/mcp/tools/{tool}", server.base),
        "-H",
        "Content-Type: application/json",
        "-d",
        &body.to_string(),
    ]);
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool}: {e}: {text}"));
    (status, doc)
}

#[test]
fn the_guides_curl_examples_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let db = server.db.display().to_string();

    // curl -i http://localhost:3001/
    let (status, body) = curl(&["-i", &format!("{}/", server.base)]);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("application/json") && body.contains("\"status\":\"ok\""),
        "{body}"
    );
    // The health-check script: curl -s -f "${MCP_URL}"
    let (status, _) = curl(&["-f", &server.base]);
    assert_eq!(status, 200);

    // curl http://localhost:3001/mcp/tools
    let (status, body) = curl(&[&format!("{}/mcp/tools", server.base)]);
    assert_eq!(status, 200);
    let tools: Value = serde_json::from_str(&body).unwrap();
    assert!(tools["tools"].as_array().unwrap().len() >= 8);

    // litestream_info with {} and with the config
    for args in [json!({}), json!({"config": "litestream.yml"})] {
        let (status, doc) = post(&server, "litestream_info", &args);
        assert_eq!(status, 200, "{doc}");
        assert!(
            doc["text"]
                .as_str()
                .unwrap()
                .starts_with("=== Litestream Status Report ===")
        );
    }
    let (status, doc) = post(
        &server,
        "litestream_databases",
        &json!({"config": "litestream.yml"}),
    );
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["structuredContent"]["databases"][0]["path"], db);
    for tool in ["litestream_generations", "litestream_snapshots"] {
        let (status, doc) = post(
            &server,
            tool,
            &json!({"path": db, "config": "litestream.yml"}),
        );
        assert_eq!(status, 200, "{tool}: {doc}");
        assert_eq!(doc["isError"], false);
    }

    // Restore to a new location (the guide's /tmp/restored.db, under restore-dirs here).
    let out = server.restores.join("restored.db");
    let (status, doc) = post(
        &server,
        "litestream_restore",
        &json!({"path": db, "o": out, "config": "litestream.yml"}),
    );
    assert_eq!(status, 200, "{doc}");
    assert_eq!(canonical_dump_of(&out), canonical_dump_of(&server.db));

    // Point-in-time restore.
    let now = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let pit = server.restores.join("restored-pit.db");
    let (status, doc) = post(
        &server,
        "litestream_restore",
        &json!({"path": db, "o": pit, "timestamp": now, "config": "litestream.yml"}),
    );
    assert_eq!(status, 200, "{doc}");
    assert!(pit.exists());

    // ltx-tui's engine commands through the plain endpoint: pause, sync while paused (one
    // upload; it stays paused), resume; an unknown database is a usage error (400).
    let (status, doc) = post(&server, "ltx_pause", &json!({"path": db}));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["structuredContent"]["state"], "paused", "{doc}");
    let (status, doc) = post(&server, "ltx_sync", &json!({"path": db}));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["structuredContent"]["state"], "paused", "{doc}");
    assert!(
        doc["text"].as_str().unwrap().starts_with("synced "),
        "{doc}"
    );
    let (status, doc) = post(&server, "ltx_resume", &json!({"path": db}));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["structuredContent"]["state"], "replicating", "{doc}");
    let (status, doc) = post(&server, "ltx_sync", &json!({"path": "/nowhere/x.db"}));
    assert_eq!(status, 400, "{doc}");
    assert!(
        doc["text"].as_str().unwrap().contains("database not found"),
        "{doc}"
    );

    // A config that is not the server's is a clear error.
    let (status, doc) = post(
        &server,
        "litestream_databases",
        &json!({"config": "/etc/other.yml"}),
    );
    assert_eq!(status, 400, "{doc}");
    assert!(
        doc["text"]
            .as_str()
            .unwrap()
            .contains("not the configuration this server runs")
    );
}

#[test]
fn a_restore_through_mcp_equals_a_restore_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let db = server.db.display().to_string();
    let via_mcp = server.restores.join("mcp.db");
    let via_cli = dir.path().join("cli.db");

    let (status, doc) = post(
        &server,
        "litestream_restore",
        &json!({"path": db, "o": via_mcp, "integrity_check": "full"}),
    );
    assert_eq!(status, 200, "{doc}");
    let out = Command::new(ltx_tui_bin())
        .args(["restore", "-config"])
        .arg(dir.path().join("litestream.yml"))
        .arg("-o")
        .arg(&via_cli)
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&via_mcp).unwrap(),
        std::fs::read(&via_cli).unwrap(),
        "the two restores differ byte for byte"
    );
    assert_eq!(
        doc["structuredContent"]["db_path"],
        via_mcp.display().to_string()
    );
    assert_eq!(doc["structuredContent"]["integrity_check"], "full");

    // A dry run through MCP plans the same TXID and writes nothing.
    let dry = server.restores.join("dry.db");
    let (status, plan) = post(
        &server,
        "litestream_restore",
        &json!({"path": db, "o": dry, "dry_run": true}),
    );
    assert_eq!(status, 200, "{plan}");
    assert_eq!(
        plan["structuredContent"]["txid"],
        doc["structuredContent"]["txid"]
    );
    assert!(!dry.exists());
}
