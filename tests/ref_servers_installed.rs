//! The reference MCP servers install and answer: each entry point is launched the way the hub
//! will launch it and driven by the real MCP Inspector CLI (initialize, tools/list, one call).
//! The tool counts pin the versions in `support::ref_servers`.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::ref_servers::{
    EverythingTransport, MCP_SERVER_TIME_TOOLS, RefHttpServer, SERVER_EVERYTHING_TOOLS_WITH_ROOTS,
    SERVER_MEMORY_TOOLS, inspector_stdio, inspector_url, mcp_server_time, server_everything,
    server_memory, tool_names,
};

const LIST: [&str; 2] = ["--method", "tools/list"];

fn text_of(result: &Value) -> String {
    result["content"]
        .as_array()
        .unwrap_or_else(|| panic!("no content in {result}"))
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn server_everything_over_stdio_lists_its_tools_and_echoes() {
    let home = tempfile::tempdir().unwrap();
    let server = server_everything(EverythingTransport::Stdio);
    let listed = inspector_stdio(&server, &LIST, home.path()).expect_ok("tools/list");
    let names = tool_names(&listed);
    assert_eq!(names.len(), SERVER_EVERYTHING_TOOLS_WITH_ROOTS, "{names:?}");
    for expected in ["echo", "get-sum", "get-tiny-image", "get-roots-list"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let call = [
        "--method",
        "tools/call",
        "--tool-name",
        "echo",
        "--tool-arg",
        "message=hello hub",
    ];
    let result = inspector_stdio(&server, &call, home.path()).expect_ok("echo");
    assert_ne!(result["isError"], true, "{result}");
    assert!(text_of(&result).contains("hello hub"), "{result}");
}

#[test]
fn server_everything_over_streamable_http_lists_its_tools_and_adds() {
    let home = tempfile::tempdir().unwrap();
    let server = RefHttpServer::start(EverythingTransport::StreamableHttp, Duration::from_secs(60));
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(server.url.ends_with("/mcp"), "{}", server.url);
    let listed = inspector_url(&server.url, "http", &LIST, home.path()).expect_ok("tools/list");
    assert_eq!(
        tool_names(&listed).len(),
        SERVER_EVERYTHING_TOOLS_WITH_ROOTS
    );
    let call = [
        "--method",
        "tools/call",
        "--tool-name",
        "get-sum",
        "--tool-arg",
        "a=40",
        "b=2",
    ];
    let result = inspector_url(&server.url, "http", &call, home.path()).expect_ok("get-sum");
    assert_ne!(result["isError"], true, "{result}");
    assert!(text_of(&result).contains("42"), "{result}");
}

#[test]
fn server_everything_over_sse_lists_its_tools() {
    let home = tempfile::tempdir().unwrap();
    let server = RefHttpServer::start(EverythingTransport::Sse, Duration::from_secs(60));
    assert!(server.url.ends_with("/sse"), "{}", server.url);
    let listed = inspector_url(&server.url, "sse", &LIST, home.path()).expect_ok("tools/list");
    assert_eq!(
        tool_names(&listed).len(),
        SERVER_EVERYTHING_TOOLS_WITH_ROOTS
    );
}

#[test]
fn server_memory_over_stdio_lists_its_tools_and_stores_an_entity() {
    let home = tempfile::tempdir().unwrap();
    let memory = home.path().join("memory.jsonl");
    let server = server_memory(&memory);
    let listed = inspector_stdio(&server, &LIST, home.path()).expect_ok("tools/list");
    let names = tool_names(&listed);
    assert_eq!(names.len(), SERVER_MEMORY_TOOLS, "{names:?}");
    assert!(names.iter().any(|n| n == "create_entities"), "{names:?}");
    let call = [
        "--method",
        "tools/call",
        "--tool-name",
        "create_entities",
        "--tool-arg",
        r#"entities=[{"name":"replica","entityType":"bucket","observations":["holds LTX files"]}]"#,
    ];
    let result = inspector_stdio(&server, &call, home.path()).expect_ok("create_entities");
    assert_ne!(result["isError"], true, "{result}");
    let stored = std::fs::read_to_string(&memory).unwrap();
    assert!(stored.contains("holds LTX files"), "{stored}");
}

#[test]
fn mcp_server_time_over_stdio_lists_its_tools_and_tells_the_time() {
    let home = tempfile::tempdir().unwrap();
    let server = mcp_server_time();
    let listed = inspector_stdio(&server, &LIST, home.path()).expect_ok("tools/list");
    let names = tool_names(&listed);
    assert_eq!(names.len(), MCP_SERVER_TIME_TOOLS, "{names:?}");
    assert_eq!(names, ["get_current_time", "convert_time"]);
    let call = [
        "--method",
        "tools/call",
        "--tool-name",
        "get_current_time",
        "--tool-arg",
        "timezone=UTC",
    ];
    let result = inspector_stdio(&server, &call, home.path()).expect_ok("get_current_time");
    assert_ne!(result["isError"], true, "{result}");
    assert_eq!(result["structuredContent"]["timezone"], "UTC", "{result}");
}
