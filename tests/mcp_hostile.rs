//! Hostile input against the MCP server: malformed JSON, wrong types, unknown tools, `../` and
//! symlink escapes in a restore's `o`, existing files, the replicated database, foreign `Host`
//! and `Origin`, a missing or wrong bearer token on a non-loopback bind (`0.0.0.0`, reached
//! through 127.0.0.1), and a non-loopback bind without a token. Each gets its status or error;
//! the server keeps running and nothing is written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::ltx_tui::{Headless, ltx_tui_bin};
use support::mcp_server::{McpServer, config, curl, listening_base, make_db};

fn rpc(server: &McpServer, body: &str, headers: &[&str]) -> (u16, String) {
    let url = server.mcp_url();
    let mut args = vec![
        "-X",
        "POST",
        url.as_str(),
        "-H",
        "Content-Type: application/json",
        "-H",
        "Accept: application/json, text/event-stream",
    ];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.extend(["--data-binary", body]);
    curl(&args)
}

fn call(server: &McpServer, tool: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": tool, "arguments": args}});
    let (status, text) = rpc(
        server,
        &body.to_string(),
        &["MCP-Protocol-Version: 2025-11-25"],
    );
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn malformed_requests_get_protocol_errors_and_nothing_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let db = server.db.display().to_string();

    let (status, text) = rpc(&server, "{\"jsonrpc\":", &[]);
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("-32700"), "{text}");
    let (status, _) = rpc(&server, "\u{1}garbage]]}", &[]);
    assert_eq!(status, 400);

    let r = call(&server, "litestream_ltx", json!({"path": 5}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = call(
        &server,
        "litestream_restore",
        json!({"path": db, "force": "yes"}),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = call(&server, "litestream_ltx", json!({"path": db, "bogus": 1}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = call(&server, "rm_rf", json!({}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // Semantic problems are tool errors a person can read.
    let r = call(
        &server,
        "litestream_ltx",
        json!({"path": db, "level": "12"}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    let r = call(
        &server,
        "litestream_restore",
        json!({"path": db, "o": server.restores.join("a.db"), "txid": "xyz"}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("txid"),
        "{r}"
    );

    let plain = |tool: &str, body: &str| {
        curl(&[
            "-X",
            "POST",
            &format!("{}/mcp/tools/{tool}", server.base),
            "-d",
            body,
        ])
    };
    assert_eq!(plain("litestream_ltx", "{not json").0, 400);
    assert_eq!(plain("litestream_ltx", "[1,2]").0, 400);
    assert_eq!(plain("litestream_ltx", r#"{"path": []}"#).0, 400);
    assert_eq!(plain("no_such_tool", "{}").0, 404);

    let (status, _) = curl(&[&format!("{}/healthz", server.base)]);
    assert_eq!(status, 200, "the server survived");
    assert!(files_in(&server.restores).is_empty());
}

#[test]
fn restores_cannot_escape_restore_dirs_or_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let db = server.db.display().to_string();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, server.restores.join("link")).unwrap();
    std::os::unix::fs::symlink(&server.db, server.restores.join("db-link.db")).unwrap();
    let before_db = std::fs::read(&server.db).unwrap();

    let refused = |o: String, extra: Value| {
        let mut args = json!({"path": db, "o": o});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = call(&server, "litestream_restore", args);
        assert_eq!(
            r["result"]["isError"], true,
            "restore to {o} was not refused: {r}"
        );
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = |p: &Path| p.display().to_string();
    refused(format!("{}/../escape.db", r(&server.restores)), json!({}));
    refused(
        format!("{}/../../escape.db", r(&server.restores)),
        json!({"force": true}),
    );
    refused(
        r(&server.restores.join("link/escape.db")),
        json!({"force": true}),
    );
    refused(r(&outside.join("x.db")), json!({}));
    refused("relative.db".to_owned(), json!({}));
    // The replicated database, directly and through a symlink inside restore-dirs.
    refused(db.clone(), json!({"force": true}));
    refused(
        r(&server.restores.join("db-link.db")),
        json!({"force": true}),
    );
    // No output at all: the default is the replicated database.
    let r0 = call(&server, "litestream_restore", json!({"path": db}));
    assert_eq!(r0["result"]["isError"], true, "{r0}");

    // An existing file needs force.
    let existing = server.restores.join("existing.db");
    std::fs::write(&existing, b"precious").unwrap();
    refused(r(&existing), json!({}));
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    let ok = call(
        &server,
        "litestream_restore",
        json!({"path": db, "o": existing, "force": true}),
    );
    assert_eq!(ok["result"]["isError"], false, "{ok}");

    assert!(files_in(&outside).is_empty(), "{:?}", files_in(&outside));
    assert!(!dir.path().join("escape.db").exists());
    assert!(!dir.path().join("relative.db").exists());
    assert_eq!(
        std::fs::read(&server.db).unwrap(),
        before_db,
        "the database was touched"
    );
}

#[test]
fn foreign_host_and_origin_are_forbidden() {
    let dir = tempfile::tempdir().unwrap();
    let server = McpServer::start(dir.path(), "", &[]);
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for bad in [
        "Host: evil.example",
        "Host: evil.example:3001",
        "Origin: http://evil.example",
        "Origin: null",
    ] {
        let (status, text) = rpc(&server, list, &[bad]);
        assert_eq!(status, 403, "{bad}: {text}");
    }
    let (status, _) = curl(&[
        "-H",
        "Host: evil.example",
        &format!("{}/mcp/tools", server.base),
    ]);
    assert_eq!(status, 403);
    let (status, text) = rpc(&server, list, &["Origin: http://localhost:6274"]);
    assert_eq!(
        status, 200,
        "a loopback origin (the inspector's web UI) is fine: {text}"
    );
}

#[test]
fn a_non_loopback_bind_requires_the_token() {
    let dir = tempfile::tempdir().unwrap();
    make_db(dir.path());
    let top = "mcp-addr: 0.0.0.0:0\nmcp-token: s3cret-token\n";
    let mut headless =
        Headless::start_with(dir.path(), "litestream.yml", &config(dir.path(), top), &[]);
    let base = listening_base(&mut headless);
    let port = base.rsplit(':').next().unwrap().to_owned();
    // Connect only through loopback.
    let base = format!("http://127.0.0.1:{port}");
    let tools = format!("{base}/mcp/tools");
    assert_eq!(curl(&[&tools]).0, 401);
    assert_eq!(curl(&["-H", "Authorization: Bearer wrong", &tools]).0, 401);
    assert_eq!(
        curl(&["-H", "Authorization: Bearer s3cret-token-x", &tools]).0,
        401
    );
    assert_eq!(
        curl(&["-H", "Authorization: Basic s3cret-token", &tools]).0,
        401
    );
    assert_eq!(
        curl(&["-H", "Authorization: Bearer s3cret-token", &tools]).0,
        200
    );
    let (status, _) = curl(&[
        "-X",
        "POST",
        &format!("{base}/mcp"),
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
    ]);
    assert_eq!(status, 401);
    assert_eq!(
        curl(&[&format!("{base}/healthz")]).0,
        200,
        "health needs no token"
    );
    let (status, _) = curl(&[
        "-X",
        "POST",
        &format!("{base}/mcp/tools/litestream_restore"),
        "-d",
        &json!({"path": dir.path().join("app.db"), "o": dir.path().join("restores/x.db")})
            .to_string(),
    ]);
    assert_eq!(status, 401);
    assert!(files_in(&dir.path().join("restores")).is_empty());
    assert!(headless.stop_with("TERM").success());
}

#[test]
fn a_non_loopback_bind_without_a_token_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    make_db(dir.path());
    // In the configuration: rejected by the configuration check.
    let mut h = Headless::start_with(
        dir.path(),
        "litestream.yml",
        &config(dir.path(), "mcp-addr: 0.0.0.0:0\n"),
        &[],
    );
    assert_eq!(
        h.wait_exit(Duration::from_secs(30)).code(),
        Some(2),
        "{}",
        h.log_tail(10)
    );
    assert!(h.log_tail(10).contains("mcp-token"), "{}", h.log_tail(10));
    // On the command line, over a configuration without a token.
    std::fs::write(dir.path().join("litestream.yml"), config(dir.path(), "")).unwrap();
    let out = std::process::Command::new(ltx_tui_bin())
        .args(["--headless", "--mcp-addr", "0.0.0.0:0", "--config"])
        .arg(dir.path().join("litestream.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mcp-token") && !err.contains("listening"),
        "{err}"
    );
}
