//! A console attached to a real `ltx-tui --headless` (127.0.0.1, port 0) as MCP server
//! `host1`, once the hub has polled its databases and one of them replicates.

use ltx_tui::mcp::hub::ServerState;

use super::harness::Harness;
use crate::support::mcp_server::McpServer;

/// The remote's directory (keep it alive), the remote, and the console attached to it.
pub async fn attached_to_remote() -> (tempfile::TempDir, McpServer, Harness) {
    let remote_dir = tempfile::tempdir().unwrap();
    let path = remote_dir.path().to_path_buf();
    let remote = tokio::task::spawn_blocking(move || McpServer::start(&path, "", &[]))
        .await
        .unwrap();
    let top = format!(
        "mcp-servers:\n  - name: host1\n    transport: http\n    url: {}\n",
        remote.mcp_url()
    );
    let mut h = Harness::start_with(1, (120, 40), &top).await;
    h.until_hub("the remote's databases", |s| {
        s.server("host1").is_some_and(|s| {
            s.state == ServerState::Ready
                && s.fleet
                    .as_ref()
                    .is_some_and(|f| f.databases.iter().any(|d| d.state == "replicating"))
        })
    })
    .await;
    (remote_dir, remote, h)
}
