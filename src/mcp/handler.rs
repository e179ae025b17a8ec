//! The MCP face of [`McpTools`]: an rmcp [`ServerHandler`] offering the tools, dual-era (the
//! `initialize` handshake up to 2025-11-25 and the stateless 2026-07-28 protocol with
//! `server/discover`; rmcp negotiates both from [`ProtocolVersion::KNOWN_VERSIONS`]).
//!
//! Unknown tools and arguments that do not fit the input schema are protocol errors
//! (`-32602`); a tool that runs and fails is a result with `isError: true` and a message.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::dispatch::{CallError, McpTools, ToolOutput};
use super::tools::{catalogue, definition};

/// What the server tells clients about itself.
pub const INSTRUCTIONS: &str = "ltx-tui: SQLite replication (Litestream-compatible LTX replicas). \
Tools keep Litestream's names (litestream_*) and add ltx_timeline, ltx_preview, ltx_lag, \
ltx_mcp_servers, and the engine commands ltx_sync, ltx_snapshot, ltx_pause and ltx_resume (absent \
on a read-only server). Every result has structured content and a text table. Restores write \
only under the server's restore-dirs; try dry_run first.";

/// The rmcp handler: one per request (stateless) or session, all sharing one [`McpTools`].
#[derive(Debug, Clone)]
pub struct Handler {
    tools: McpTools,
}

impl Handler {
    /// A handler over `tools`.
    pub fn new(tools: McpTools) -> Handler {
        Handler { tools }
    }
}

/// A tool output as an MCP result: the text always, structured content on success.
pub fn call_result(out: ToolOutput) -> CallToolResult {
    let content = vec![ContentBlock::text(out.text)];
    if out.is_error {
        return CallToolResult::error(content);
    }
    let mut result = CallToolResult::success(content);
    result.structured_content = out.structured;
    result
}

impl ServerHandler for Handler {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ltx-tui", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(catalogue(
            self.tools.read_only(),
        )))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        definition(name, self.tools.read_only())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        match self.tools.call(&request.name, request.arguments).await {
            Ok(out) => Ok(CallToolResponse::Complete(call_result(out))),
            Err(e @ CallError::UnknownTool(_)) => Err(ErrorData::invalid_params(
                e.to_string(),
                Some(serde_json::json!({ "tool": request.name })),
            )),
            Err(e @ CallError::InvalidArguments { .. }) => {
                Err(ErrorData::invalid_params(e.to_string(), None))
            }
        }
    }
}
