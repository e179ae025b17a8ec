//! What the hub shares about one attached server between its supervisor task and the handle:
//! the configuration, the logs, the live connection's peer (for calls), the command channel,
//! and a way to update the server's part of the published snapshot.

use std::sync::{Arc, RwLock};

use rmcp::RoleClient;
use rmcp::service::Peer;
use tokio::sync::{mpsc, watch};

use super::redactor::Redactor;
use super::snapshot::{HubSnapshot, ServerSnapshot, ServerState};
use super::stderr_log::StderrLog;
use super::wire_log::WireLog;
use crate::config::McpServerConfig;

/// What the operator asks of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCommand {
    /// Connect (if stopped).
    Start,
    /// Disconnect and stay stopped.
    Stop,
    /// Disconnect and connect again now.
    Restart,
    /// Poll a headless ltx-tui's databases now (after a command changed them).
    PollFleet,
}

/// One server's shared state.
#[derive(Debug)]
pub struct ServerCell {
    /// The configuration (with its secrets: only the connector exposes them).
    pub config: McpServerConfig,
    /// Scrubs the server's secrets.
    pub redactor: Redactor,
    /// Captured stderr (stdio).
    pub stderr: StderrLog,
    /// The JSON-RPC wire log.
    pub wire: WireLog,
    /// Commands to the supervisor.
    pub commands: mpsc::Sender<ServerCommand>,
    index: usize,
    snapshot: Arc<watch::Sender<HubSnapshot>>,
    peer: RwLock<Option<Peer<RoleClient>>>,
}

impl ServerCell {
    /// The cell of server number `index` in `snapshot`.
    pub fn new(
        config: McpServerConfig,
        index: usize,
        snapshot: Arc<watch::Sender<HubSnapshot>>,
        commands: mpsc::Sender<ServerCommand>,
    ) -> ServerCell {
        let redactor = Redactor::for_server(&config);
        let tx = snapshot.clone();
        let stderr = StderrLog::new(
            redactor.clone(),
            Arc::new(move |seq| {
                tx.send_modify(|h| {
                    if let Some(s) = h.servers.get_mut(index) {
                        s.stderr_seq = seq;
                    }
                })
            }),
        );
        let tx = snapshot.clone();
        let wire = WireLog::new(
            redactor.clone(),
            Arc::new(move |seq| {
                tx.send_modify(|h| {
                    if let Some(s) = h.servers.get_mut(index) {
                        s.wire_seq = seq;
                    }
                })
            }),
        );
        ServerCell {
            config,
            redactor,
            stderr,
            wire,
            commands,
            index,
            snapshot,
            peer: RwLock::new(None),
        }
    }

    /// The server's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Changes the server's part of the snapshot and publishes it.
    pub fn publish(&self, change: impl FnOnce(&mut ServerSnapshot)) {
        self.snapshot.send_modify(|h| {
            if let Some(s) = h.servers.get_mut(self.index) {
                change(s);
            }
        });
    }

    /// The server's state.
    pub fn state(&self) -> ServerState {
        self.snapshot
            .borrow()
            .servers
            .get(self.index)
            .map_or(ServerState::Stopped, |s| s.state)
    }

    /// True when the server's tools mark it as a headless ltx-tui.
    pub fn is_ltx_tui(&self) -> bool {
        self.snapshot
            .borrow()
            .servers
            .get(self.index)
            .is_some_and(ServerSnapshot::is_ltx_tui)
    }

    /// The live connection's peer, if connected.
    pub fn peer(&self) -> Option<Peer<RoleClient>> {
        match self.peer.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Sets (or clears) the live connection's peer.
    pub fn set_peer(&self, peer: Option<Peer<RoleClient>>) {
        match self.peer.write() {
            Ok(mut p) => *p = peer,
            Err(poisoned) => *poisoned.into_inner() = peer,
        }
    }
}
