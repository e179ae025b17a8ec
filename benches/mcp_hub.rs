//! Client hub benchmark: the time from start to the first tool list for each reference server
//! (server-everything over stdio and Streamable HTTP, server-memory and the Python
//! mcp-server-time over stdio), through ltx-tui's hub beside the MCP Inspector CLI
//! (`inspector --cli … --method tools/list`) doing the same in the same run, runs interleaved.
//!
//! Ours: `HubHandle::start` with the one server until it is ready (spawned or connected,
//! handshake made, every page of `tools/list` read), in this process. Inspector: the whole CLI
//! process, which includes starting its own Node.js runtime; the HTTP server is started once
//! and both connect to it. Target (issue 7): not slower than Inspector.
//!
//! `LTX_BENCH_RUNS` (default 7) sets the runs per server and client. Run:
//! `cargo bench --bench mcp_hub`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ltx_tui::config::Transport;
use ltx_tui::mcp::hub::{HubHandle, HubOptions, ServerState};
use support::hub::{remote, stdio};
use support::ref_servers::{
    self, EverythingTransport, RefHttpServer, RefServerCommand, inspector_stdio, inspector_url,
    tool_names,
};

enum Target {
    Stdio(RefServerCommand),
    Http(String),
}

async fn ours(target: &Target, expected: usize) -> Duration {
    let config = match target {
        Target::Stdio(cmd) => stdio("bench", cmd),
        Target::Http(url) => remote("bench", Transport::Http, url),
    };
    let started = Instant::now();
    let hub = HubHandle::start(vec![config], HubOptions::default());
    let ready = hub
        .wait_until(Duration::from_secs(60), |h| {
            h.servers[0].state == ServerState::Ready
        })
        .await
        .unwrap_or_else(|h| panic!("not ready: {:#?}", h.servers[0]));
    let took = started.elapsed();
    assert_eq!(ready.servers[0].tools.len(), expected);
    hub.shutdown(Duration::from_secs(15)).await;
    took
}

fn inspector(target: &Target, home: &std::path::Path, expected: usize) -> Duration {
    let started = Instant::now();
    let run = match target {
        Target::Stdio(cmd) => inspector_stdio(cmd, &["--method", "tools/list"], home),
        Target::Http(url) => inspector_url(url, "http", &["--method", "tools/list"], home),
    };
    let took = started.elapsed();
    let listed = run.expect_ok("tools/list");
    // Inspector declares the roots capability: server-everything adds a tool for it.
    assert!(tool_names(&listed).len() >= expected);
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("LTX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let home = tempfile::tempdir().unwrap();
    let memory = home.path().join("memory.jsonl");
    let http = RefHttpServer::start(EverythingTransport::StreamableHttp, Duration::from_secs(60));
    let targets = vec![
        (
            "everything stdio",
            Target::Stdio(ref_servers::server_everything(EverythingTransport::Stdio)),
            ref_servers::SERVER_EVERYTHING_TOOLS,
        ),
        (
            "everything http",
            Target::Http(http.url.clone()),
            ref_servers::SERVER_EVERYTHING_TOOLS,
        ),
        (
            "memory stdio",
            Target::Stdio(ref_servers::server_memory(&memory)),
            ref_servers::SERVER_MEMORY_TOOLS,
        ),
        (
            "time stdio",
            Target::Stdio(ref_servers::mcp_server_time()),
            ref_servers::MCP_SERVER_TIME_TOOLS,
        ),
    ];
    let _ = support::mcp_peers::inspector();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("start to first tool list, median of {runs} runs (interleaved)");
    println!(
        "{:<18} {:>12} {:>12} {:>8}",
        "server", "ltx-tui hub", "inspector", "ratio"
    );
    for (name, target, expected) in &targets {
        // One warm-up of each (file caches, the venv's imports).
        rt.block_on(ours(target, *expected));
        inspector(target, home.path(), *expected);
        let mut a = Vec::new();
        let mut b = Vec::new();
        for _ in 0..runs {
            a.push(rt.block_on(ours(target, *expected)));
            b.push(inspector(target, home.path(), *expected));
        }
        let (ma, mb) = (median(a), median(b));
        println!(
            "{name:<18} {:>10.0}ms {:>10.0}ms {:>8.3}",
            ma.as_secs_f64() * 1000.0,
            mb.as_secs_f64() * 1000.0,
            ma.as_secs_f64() / mb.as_secs_f64()
        );
    }
    drop(http);
}
