//! The hub's side of each connection: rmcp's client handler, which introduces ltx-tui to the
//! server and passes on the notifications the hub acts on (the tool list changed). Server
//! `ping` requests are answered by rmcp's default.

use rmcp::ClientHandler;
use rmcp::RoleClient;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::NotificationContext;
use tokio::sync::mpsc;

/// A notification the hub acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `notifications/tools/list_changed`: list the tools again.
    ToolsChanged,
}

/// The client handler of one connection.
#[derive(Debug, Clone)]
pub struct HubClient {
    notices: mpsc::UnboundedSender<Notice>,
}

impl HubClient {
    /// A handler passing notices to `notices`.
    pub fn new(notices: mpsc::UnboundedSender<Notice>) -> HubClient {
        HubClient { notices }
    }
}

impl ClientHandler for HubClient {
    fn get_info(&self) -> ClientConfig {
        // `initialize` (legacy handshake, SSE) offers the newest version that has it.
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("ltx-tui", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        // The receiver is gone only when the connection is being torn down.
        let _ = self.notices.send(Notice::ToolsChanged);
    }
}
