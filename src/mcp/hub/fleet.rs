//! The fleet: an attached server that is a headless ltx-tui (it offers `litestream_databases`
//! and `ltx_timeline`) is asked for its databases' lag (`ltx_lag`) on an interval, so the
//! console can show every host's databases beside its own.

use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::CallToolRequestParams;
use rmcp::service::Peer;
use serde::Serialize;

use crate::mcp::LagResult;

/// One database of a remote ltx-tui.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteDatabase {
    /// The database path on that host.
    pub database: String,
    /// The remote engine's state (`replicating`, `paused`, `error`, …), `-` when it does not
    /// replicate the database.
    pub state: String,
    /// Lag in seconds.
    pub lag_seconds: Option<f64>,
    /// The replica's TXID.
    pub replica_txid: Option<String>,
    /// The remote engine's last error.
    pub last_error: Option<String>,
}

/// The last poll of a remote ltx-tui.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetView {
    /// Its databases.
    pub databases: Vec<RemoteDatabase>,
    /// Why the last poll failed (the databases are from the poll before).
    pub error: Option<String>,
    /// When it was polled, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// Asks a remote ltx-tui for its databases' lag.
pub async fn poll_lag(
    peer: Peer<RoleClient>,
    timeout: Duration,
) -> Result<Vec<RemoteDatabase>, String> {
    let call = peer.call_tool(CallToolRequestParams::new("ltx_lag"));
    let result = tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| format!("ltx_lag: no answer within {timeout:?}"))?
        .map_err(|e| format!("ltx_lag: {e}"))?;
    if result.is_error == Some(true) {
        return Err("ltx_lag answered with an error".to_owned());
    }
    let structured = result
        .structured_content
        .ok_or("ltx_lag: no structured content")?;
    let lag: LagResult = serde_json::from_value(structured)
        .map_err(|e| format!("ltx_lag: unexpected answer: {e}"))?;
    Ok(lag
        .databases
        .into_iter()
        .map(|d| match d.replication {
            Some(f) => RemoteDatabase {
                database: d.database,
                state: f.state,
                lag_seconds: Some(f.lag_seconds),
                replica_txid: f.replica_txid.map(|t| t.to_string()),
                last_error: f.last_error,
            },
            None => RemoteDatabase {
                database: d.database,
                state: "-".to_owned(),
                lag_seconds: None,
                replica_txid: None,
                last_error: None,
            },
        })
        .collect())
}
