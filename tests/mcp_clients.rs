//! The MCP server against real clients: the Python MCP SDK (auto mode, which speaks the
//! stateless 2026-07-28 protocol, and legacy mode, the `initialize` handshake) and the MCP
//! Inspector CLI list every tool and call each one against `ltx-tui --headless --mcp-addr
//! 127.0.0.1:0`. The Python client validates each structured result against the tool's output
//! schema, so these calls also check the schemas. The engine commands (`ltx_sync`,
//! `ltx_snapshot`, `ltx_pause`, `ltx_resume`) run for real on the server's engine; a
//! `--read-only` server offers none of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::mcp_peers::{inspector, python_mcp};
use support::mcp_server::McpServer;

const EXPECTED_TOOLS: [&str; 16] = [
    "litestream_info",
    "litestream_databases",
    "litestream_status",
    "litestream_ltx",
    "litestream_restore",
    "litestream_version",
    "litestream_generations",
    "litestream_snapshots",
    "ltx_timeline",
    "ltx_preview",
    "ltx_lag",
    "ltx_mcp_servers",
    "ltx_sync",
    "ltx_snapshot",
    "ltx_pause",
    "ltx_resume",
];

/// The tools a `--read-only` server leaves out.
const MUTATING_TOOLS: [&str; 5] = [
    "litestream_restore",
    "ltx_sync",
    "ltx_snapshot",
    "ltx_pause",
    "ltx_resume",
];

const CLIENT: &str = r#"
import sys, json, asyncio
from mcp import Client

async def main():
    url, mode, plan = sys.argv[1], sys.argv[2], json.loads(open(sys.argv[3]).read())
    async with Client(url, mode=mode) as c:
        tools = await c.list_tools()
        out = {"protocol": c.protocol_version, "tools": {}, "results": []}
        for t in tools.tools:
            out["tools"][t.name] = t.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name, args in plan:
            try:
                r = await c.call_tool(name, args)
                out["results"].append({
                    "name": name,
                    "is_error": bool(r.is_error),
                    "structured": r.structured_content,
                    "text": "".join(getattr(b, "text", "") for b in r.content),
                })
            except Exception as e:
                out["results"].append({"name": name, "exception": f"{type(e).__name__}: {e}"})
        print(json.dumps(out))

asyncio.run(main())
"#;

/// One call of every tool, with arguments that work against `server`.
fn plan(server: &McpServer) -> Vec<(String, Value)> {
    let db = server.db.display().to_string();
    let url = format!("file://{}", server.replica.display());
    vec![
        ("litestream_info".into(), json!({})),
        (
            "litestream_databases".into(),
            json!({"config": "litestream.yml"}),
        ),
        ("litestream_status".into(), json!({"path": db})),
        ("litestream_ltx".into(), json!({"path": db, "level": "all"})),
        (
            "litestream_restore".into(),
            json!({"path": db, "o": server.restores.join("dry.db"), "dry_run": true}),
        ),
        ("litestream_version".into(), json!({})),
        ("litestream_generations".into(), json!({"path": db})),
        ("litestream_snapshots".into(), json!({"path": url})),
        (
            "ltx_timeline".into(),
            json!({"path": db, "level": "all", "limit": 2}),
        ),
        (
            "ltx_preview".into(),
            json!({"path": db, "compare_txid": "0000000000000001"}),
        ),
        ("ltx_lag".into(), json!({})),
        ("ltx_mcp_servers".into(), json!({})),
        // Last, so the other calls see a replicating engine; resume ends the pause.
        ("ltx_sync".into(), json!({"path": db})),
        ("ltx_snapshot".into(), json!({"path": db})),
        ("ltx_pause".into(), json!({"path": db})),
        ("ltx_resume".into(), json!({"path": db})),
    ]
}

fn python(server: &McpServer, mode: &str) -> Value {
    let dir = &server.dir;
    std::fs::write(dir.join("client.py"), CLIENT).unwrap();
    std::fs::write(
        dir.join("plan.json"),
        serde_json::to_string(&plan(server)).unwrap(),
    )
    .unwrap();
    let out = Command::new(python_mcp())
        .arg(dir.join("client.py"))
        .arg(server.mcp_url())
        .arg(mode)
        .arg(dir.join("plan.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python client ({mode}) failed: {}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
        server.headless.log_tail(30)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check_results(report: &Value, what: &str) {
    let tools = report["tools"].as_object().unwrap();
    for name in EXPECTED_TOOLS {
        let t = &tools[name];
        assert!(
            t["inputSchema"]["type"] == "object",
            "{what}: {name} input schema"
        );
        assert!(
            t["outputSchema"]["type"] == "object",
            "{what}: {name} output schema"
        );
        assert!(t["annotations"].is_object(), "{what}: {name} annotations");
    }
    assert_eq!(
        tools.len(),
        EXPECTED_TOOLS.len(),
        "{what}: {:?}",
        tools.keys()
    );
    assert_eq!(
        tools["litestream_restore"]["annotations"]["destructiveHint"],
        true
    );
    assert_eq!(tools["litestream_ltx"]["annotations"]["readOnlyHint"], true);
    for name in ["ltx_sync", "ltx_snapshot", "ltx_pause", "ltx_resume"] {
        let a = &tools[name]["annotations"];
        assert_eq!(a["readOnlyHint"], false, "{what}: {name}");
        assert_eq!(a["destructiveHint"], false, "{what}: {name}");
    }
    for r in report["results"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        assert!(r.get("exception").is_none(), "{what}: {name}: {r}");
        assert_eq!(r["is_error"], false, "{what}: {name} failed: {}", r["text"]);
        assert!(r["structured"].is_object(), "{what}: {name}: {r}");
        assert!(
            !r["text"].as_str().unwrap().is_empty(),
            "{what}: {name} has no text"
        );
    }
}

#[test]
fn python_sdk_auto_and_legacy_list_and_call_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    // New rows after the first snapshot: `ltx_snapshot` must upload a newer L9 file.
    let first_l9 = support::litestream::ReplicaFiles::read(&server.replica)
        .max_txid(9)
        .unwrap();
    let mut db = support::sqlite_db::TestDb::open(&server.db);
    db.insert_rows("t", 5);
    db.close();

    let auto = python(&server, "auto");
    assert_eq!(
        auto["protocol"], "2026-07-28",
        "auto mode speaks the stateless protocol"
    );
    check_results(&auto, "auto");

    let legacy = python(&server, "legacy");
    assert_eq!(
        legacy["protocol"], "2025-11-25",
        "legacy mode uses the handshake"
    );
    check_results(&legacy, "legacy");

    // The results carry what the operations found.
    let results = auto["results"].as_array().unwrap();
    let ltx = &results[3]["structured"];
    assert!(!ltx["files"].as_array().unwrap().is_empty());
    let snapshots = &results[7]["structured"]["snapshots"];
    assert!(
        snapshots
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["level"] == 9)
    );
    let lag = &results[10]["structured"]["databases"][0]["replication"];
    assert!(lag["lag_seconds"].is_number(), "{lag}");
    // The engine commands ran on the server's engine and say what they reached.
    let db = server.db.display().to_string();
    let synced = &results[12]["structured"];
    assert_eq!(synced["command"], "sync", "{synced}");
    assert_eq!(synced["database"], db, "{synced}");
    assert!(synced["replica_txid"].is_string(), "{synced}");
    let snapshot = &results[13]["structured"];
    assert_eq!(snapshot["command"], "snapshot", "{snapshot}");
    assert_eq!(results[14]["structured"]["state"], "paused");
    assert_eq!(results[15]["structured"]["state"], "replicating");
    let snapshot_txid =
        u64::from_str_radix(snapshot["replica_txid"].as_str().unwrap(), 16).unwrap();
    assert!(snapshot_txid > first_l9, "{snapshot}");
    let l9 = support::litestream::ReplicaFiles::read(&server.replica);
    assert!(
        l9.level(9).iter().any(|f| f.max_txid == snapshot_txid),
        "ltx_snapshot uploaded no L9 file at its TXID {snapshot_txid:x}: {:?}",
        l9.names(9)
    );
    assert!(
        !server.restores.join("dry.db").exists(),
        "a dry run writes nothing"
    );
    // Every call was logged with its outcome.
    let log = std::fs::read_to_string(server.dir.join("ltx-tui.log")).unwrap();
    for name in EXPECTED_TOOLS {
        assert!(
            log.lines()
                .any(|l| l.contains("tool call") && l.contains(name)),
            "no log line for {name}"
        );
    }
}

fn inspector_cli(server: &McpServer, extra: &[&str]) -> Value {
    let (ok, v, err) = inspector_run(server, extra);
    assert!(ok, "inspector {extra:?} failed: {err}\n{v}");
    v
}

/// Runs the inspector CLI; (exit success, stdout as JSON, stderr).
fn inspector_run(server: &McpServer, extra: &[&str]) -> (bool, Value, String) {
    let out = Command::new(inspector())
        .args(["--cli", &server.mcp_url(), "--transport", "http"])
        .args(extra)
        .env("MCP_CATALOG_PATH", server.dir.join("mcp-catalog.json"))
        .env("HOME", &server.dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "inspector {extra:?} output is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.success(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn inspector_cli_lists_and_calls_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let listed = inspector_cli(&server, &["--method", "tools/list"]);
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, EXPECTED_TOOLS);
    for (name, args) in plan(&server) {
        let args = args.to_string();
        let call = [
            "--method",
            "tools/call",
            "--tool-name",
            &name,
            "--tool-args-json",
            &args,
        ];
        let r = inspector_cli(&server, &call);
        assert_eq!(r["isError"], false, "{name}: {r}");
        assert!(r["structuredContent"].is_object(), "{name}: {r}");
        assert_eq!(r["content"][0]["type"], "text", "{name}: {r}");
    }
}

#[test]
fn read_only_servers_offer_no_tool_that_changes_anything() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &["--read-only"]);
    let listed = inspector_cli(&server, &["--method", "tools/list"]);
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for gone in MUTATING_TOOLS {
        assert!(!names.contains(&gone), "{gone} offered: {names:?}");
    }
    assert_eq!(names.len(), EXPECTED_TOOLS.len() - MUTATING_TOOLS.len());
    // Pausing through the plain endpoint is refused as an unknown tool too.
    let (status, body) = support::mcp_server::curl(&[
        "-X",
        "POST",
        &format!("{}/mcp/tools/ltx_pause", server.base),
        "-d",
        &json!({"path": server.db}).to_string(),
    ]);
    assert_eq!(status, 404, "{body}");
    let (status, body) = support::mcp_server::curl(&[
        "-X",
        "POST",
        &format!("{}/mcp/tools/litestream_restore", server.base),
        "-d",
        &json!({"path": server.db, "o": server.restores.join("x.db")}).to_string(),
    ]);
    assert_eq!(status, 404, "{body}");
    assert!(!server.restores.join("x.db").exists());
}
