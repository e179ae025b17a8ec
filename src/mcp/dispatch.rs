//! Calling a tool: arguments checked against the tool's argument type (a mismatch is a
//! protocol error: [`CallError`]), then the operation run, its result turned into structured
//! content plus a readable text table, or — when the operation fails — an error result with a
//! message a person understands. Every call is logged (tracing, target `ltx_tui::mcp`) with
//! its arguments (replica URL query strings redacted), outcome and duration.
//!
//! Both the MCP handler and the plain `POST /mcp/tools/{name}` endpoint call [`McpTools::call`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::JsonObject;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::args::{ConfigArgs, PathArgs, RestoreArgs, StatusArgs};
use super::compat::{self, check_config_arg};
use super::hub::HubHandle;
use super::hub_tool::{McpServersArgs, McpServersResult};
use super::restore_tool;
use super::text;
use super::tools::ToolId;
use crate::ops::{
    self, LtxParams, OpsContext, OpsError, PreviewParams, ReplicaTarget, ReplicationCommandParams,
    VersionParams,
};

/// What a tool call produced: structured content and text, or an error message.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The structured result (absent for errors).
    pub structured: Option<Value>,
    /// The readable text (the message, for errors).
    pub text: String,
    /// True when the operation failed.
    pub is_error: bool,
    /// For errors: `usage`, `config` or `operation`.
    pub error_kind: Option<&'static str>,
}

impl ToolOutput {
    /// A successful result: `result` as structured content, and `text`.
    pub fn ok<T: Serialize>(result: &T, text: String) -> ToolOutput {
        match serde_json::to_value(result) {
            Ok(v) => ToolOutput {
                structured: Some(v),
                text,
                is_error: false,
                error_kind: None,
            },
            Err(e) => ToolOutput::failed("operation", format!("cannot encode the result: {e}")),
        }
    }

    /// An error result.
    pub fn failed(kind: &'static str, message: String) -> ToolOutput {
        ToolOutput {
            structured: None,
            text: message,
            is_error: true,
            error_kind: Some(kind),
        }
    }

    /// The error result of an operation's failure.
    pub fn from_ops(e: &OpsError) -> ToolOutput {
        let kind = match e.kind() {
            ops::OpsErrorKind::Usage => "usage",
            ops::OpsErrorKind::Config => "config",
            ops::OpsErrorKind::Operation => "operation",
        };
        ToolOutput::failed(kind, e.to_string())
    }
}

/// Why a call was not run: the protocol's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No tool of that name (or a tool that changes anything, on a read-only server).
    #[error("unknown tool {0:?}")]
    UnknownTool(String),
    /// The arguments do not fit the tool's input schema.
    #[error("invalid arguments for {tool}: {message}")]
    InvalidArguments {
        /// The tool.
        tool: &'static str,
        /// What is wrong (serde's message: field, expected type).
        message: String,
    },
}

/// The tools over one operations context.
#[derive(Debug, Clone)]
pub struct McpTools {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ctx: OpsContext,
    read_only: bool,
    restore_dirs: Vec<PathBuf>,
    hub: Option<HubHandle>,
    restore_lock: tokio::sync::Mutex<()>,
    /// Replica clients by the `path` they were opened for (a database or a URL): building a
    /// client (an HTTP client, for object storage) on every call would dominate cheap calls.
    targets: std::sync::Mutex<HashMap<String, ReplicaTarget>>,
}

/// At most this many replica clients are kept.
const MAX_CACHED_TARGETS: usize = 64;

impl McpTools {
    /// Tools over `ctx`; `read_only` removes restore; restores may write only under
    /// `restore_dirs` (none: every restore is refused); `hub` is reported by
    /// `ltx_mcp_servers` (none: no attached servers).
    pub fn new(
        ctx: OpsContext,
        read_only: bool,
        restore_dirs: Vec<PathBuf>,
        hub: Option<HubHandle>,
    ) -> McpTools {
        McpTools {
            inner: Arc::new(Inner {
                ctx,
                read_only,
                restore_dirs,
                hub,
                restore_lock: tokio::sync::Mutex::new(()),
                targets: std::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// True when the tools that write are left out.
    pub fn read_only(&self) -> bool {
        self.inner.read_only
    }

    /// The operations context.
    pub fn context(&self) -> &OpsContext {
        &self.inner.ctx
    }

    /// The replica of `path` (a configured database or a replica URL), opened once and kept.
    fn target(&self, path: &str) -> Result<ReplicaTarget, OpsError> {
        let cached = self
            .inner
            .targets
            .lock()
            .ok()
            .and_then(|t| t.get(path).cloned());
        if let Some(target) = cached {
            return Ok(target);
        }
        let target = self.inner.ctx.replica(path, None)?;
        if let Ok(mut targets) = self.inner.targets.lock() {
            if targets.len() >= MAX_CACHED_TARGETS {
                targets.clear();
            }
            targets.insert(path.to_owned(), target.clone());
        }
        Ok(target)
    }

    /// Resolves `name` to a tool this server offers.
    pub fn tool(&self, name: &str) -> Result<ToolId, CallError> {
        match ToolId::from_name(name) {
            Some(id) if !(self.inner.read_only && id.mutates()) => Ok(id),
            _ => Err(CallError::UnknownTool(name.to_owned())),
        }
    }

    /// Runs tool `name` with `args`, logging the call and its outcome.
    pub async fn call(
        &self,
        name: &str,
        args: Option<JsonObject>,
    ) -> Result<ToolOutput, CallError> {
        let started = Instant::now();
        let shown = redact_args(args.as_ref());
        let result = self.run(name, args).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(out) if out.is_error => tracing::warn!(
                target: "ltx_tui::mcp",
                tool = name, args = %shown, outcome = "error", duration_ms = ms,
                "tool call failed: {}", out.text
            ),
            Ok(_) => tracing::info!(
                target: "ltx_tui::mcp",
                tool = name, args = %shown, outcome = "ok", duration_ms = ms,
                "tool call"
            ),
            Err(e) => tracing::warn!(
                target: "ltx_tui::mcp",
                tool = name, args = %shown, outcome = "rejected", duration_ms = ms,
                "tool call rejected: {e}"
            ),
        }
        result
    }

    async fn run(&self, name: &str, args: Option<JsonObject>) -> Result<ToolOutput, CallError> {
        let id = self.tool(name)?;
        let ctx = &self.inner.ctx;
        let out = match id {
            ToolId::Info => {
                let a: ConfigArgs = parse(id, args)?;
                self.with_config(a.config.as_deref(), || async {
                    ops::info(ctx, &a.info())
                        .await
                        .map(|r| ToolOutput::ok(&r, text::info(&r)))
                })
                .await
            }
            ToolId::Databases => {
                let a: ConfigArgs = parse(id, args)?;
                self.with_config(a.config.as_deref(), || async {
                    ops::databases(ctx, &a.databases()).map(|r| ToolOutput::ok(&r, r.table()))
                })
                .await
            }
            ToolId::Status => {
                let a: StatusArgs = parse(id, args)?;
                self.with_config(a.config.as_deref(), || async {
                    ops::status(ctx, &a.status())
                        .await
                        .map(|r| ToolOutput::ok(&r, text::status(&r)))
                })
                .await
            }
            ToolId::Version => {
                let a: ConfigArgs = parse(id, args)?;
                self.with_config(a.config.as_deref(), || async {
                    let r = ops::version(&VersionParams::default());
                    Ok(ToolOutput::ok(&r, r.verbose_text()))
                })
                .await
            }
            ToolId::Ltx => {
                let a: PathArgs = parse(id, args)?;
                self.with_path_config(&a.path, a.config.as_deref(), || async {
                    let target = self.target(&a.path)?;
                    ops::ltx_on(&target, &a.ltx(None))
                        .await
                        .map(|r| ToolOutput::ok(&r, text::ltx(&r)))
                })
                .await
            }
            ToolId::Generations => {
                let a: PathArgs = parse(id, args)?;
                self.with_path_config(&a.path, a.config.as_deref(), || async {
                    compat::generations(ctx, &a.path)
                        .await
                        .map(|r| ToolOutput::ok(&r, text::generations(&r)))
                })
                .await
            }
            ToolId::Snapshots => {
                let a: PathArgs = parse(id, args)?;
                self.with_path_config(&a.path, a.config.as_deref(), || async {
                    compat::snapshots(ctx, &a.path)
                        .await
                        .map(|r| ToolOutput::ok(&r, text::snapshots(&r)))
                })
                .await
            }
            ToolId::Timeline => {
                let mut p: LtxParams = parse(id, args)?;
                let config = p.config.take();
                let path = p.path.clone();
                self.with_path_config(&path, config.as_deref(), || async {
                    let target = self.target(&path)?;
                    ops::ltx_on(&target, &p)
                        .await
                        .map(|r| ToolOutput::ok(&r, text::ltx(&r)))
                })
                .await
            }
            ToolId::Preview => {
                let mut p: PreviewParams = parse(id, args)?;
                let config = p.config.take();
                let path = p.path.clone();
                self.with_path_config(&path, config.as_deref(), || async {
                    restore_tool::preview(ctx, p).await
                })
                .await
            }
            ToolId::Lag => {
                let a: StatusArgs = parse(id, args)?;
                if let Err(e) = check_config_arg(ctx, a.config.as_deref()) {
                    return Ok(ToolOutput::failed("config", e));
                }
                match compat::lag(ctx, a.path.clone()).await {
                    Ok(r) => ToolOutput::ok(&r, text::lag(&r)),
                    Err(e) => ToolOutput::failed("operation", e),
                }
            }
            ToolId::McpServers => {
                let _: McpServersArgs = parse(id, args)?;
                let r = McpServersResult::of(self.inner.hub.as_ref());
                ToolOutput::ok(&r, r.table())
            }
            ToolId::Sync | ToolId::Snapshot | ToolId::Pause | ToolId::Resume => {
                let mut p: ReplicationCommandParams = parse(id, args)?;
                let config = p.config.take();
                let Some(command) = id.replication_command() else {
                    return Err(CallError::UnknownTool(name.to_owned()));
                };
                self.with_config(config.as_deref(), || async {
                    ops::replication_command(ctx, command, &p)
                        .await
                        .map(|r| ToolOutput::ok(&r, r.text()))
                })
                .await
            }
            ToolId::Restore => {
                let a: RestoreArgs = parse(id, args)?;
                if let Err(e) = check_config_arg(ctx, a.config.as_deref()) {
                    return Ok(ToolOutput::failed("config", e));
                }
                let params = match a.restore() {
                    Ok(p) => p,
                    Err(e) => return Ok(ToolOutput::failed("usage", e)),
                };
                // One restore at a time: two restores racing for one output must not interleave.
                let _one = self.inner.restore_lock.lock().await;
                restore_tool::restore(ctx, params, &self.inner.restore_dirs).await
            }
        };
        Ok(out)
    }

    /// Checks `config`, then runs `op`; an operation error becomes an error result.
    async fn with_config<F, Fut>(&self, config: Option<&str>, op: F) -> ToolOutput
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<ToolOutput, OpsError>>,
    {
        if let Err(e) = check_config_arg(&self.inner.ctx, config) {
            return ToolOutput::failed("config", e);
        }
        match op().await {
            Ok(out) => out,
            Err(e) => ToolOutput::from_ops(&e),
        }
    }

    /// As [`Self::with_config`]; for a replica URL the `config` argument is ignored (as
    /// Litestream does).
    async fn with_path_config<F, Fut>(&self, path: &str, config: Option<&str>, op: F) -> ToolOutput
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<ToolOutput, OpsError>>,
    {
        let config = if ops::is_replica_url(path) {
            None
        } else {
            config
        };
        self.with_config(config, op).await
    }
}

/// The arguments as `T`; absent arguments are an empty object.
fn parse<T: DeserializeOwned>(id: ToolId, args: Option<JsonObject>) -> Result<T, CallError> {
    serde_json::from_value(Value::Object(args.unwrap_or_default())).map_err(|e| {
        CallError::InvalidArguments {
            tool: id.name(),
            message: e.to_string(),
        }
    })
}

/// The arguments as JSON for the log, with query strings of URL-valued strings replaced (they
/// may carry credentials such as SAS tokens).
fn redact_args(args: Option<&JsonObject>) -> String {
    let Some(args) = args else {
        return "{}".to_owned();
    };
    let redacted: JsonObject = args
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) if s.contains("://") && s.contains('?') => {
                    Value::String(format!("{}?…", s.split('?').next().unwrap_or_default()))
                }
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    Value::Object(redacted).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn url_queries_are_redacted_in_logs() {
        let args: JsonObject =
            serde_json::from_str(r#"{"path":"abs://c/p?sig=SECRET","o":"/x"}"#).unwrap();
        let shown = redact_args(Some(&args));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("/x"));
    }
}
