//! `ltx-tui --headless`: the replication engine with no terminal. Logs go to stderr; SIGTERM,
//! SIGINT and SIGHUP make a final sync of every database and exit 0. With `addr` set, the
//! Prometheus metrics are served at `http://<addr>/metrics` (the bound address is logged as
//! `metrics listening on http://HOST:PORT/metrics`); an address that cannot be bound stops
//! the start with exit code 1.
//!
//! With `--mcp-addr` or `mcp-addr` in the configuration, the MCP server runs beside the engine
//! (`crate::mcp`): the bound address is logged as `MCP server listening on
//! http://HOST:PORT/mcp` (port 0 picks a free one); a non-loopback address without
//! `mcp-token` stops the start with exit code 2; `--read-only` leaves out the tools that change
//! anything (restore, sync, snapshot, pause, resume).
//!
//! The servers of `mcp-servers` are attached through the client hub (`crate::mcp::hub`) and
//! reported by the `ltx_mcp_servers` tool; they are stopped gracefully at exit.

use std::path::Path;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use super::CommandOutcome;
use crate::config::{self, Config, LoadOptions};
use crate::engine::{Engine, EngineError, serve_metrics};
use crate::mcp::hub::{HubHandle, HubOptions};
use crate::mcp::{self, McpServeError, McpServeOptions};
use crate::ops::OpsContext;
use crate::storage::ReplicaEnv;

/// How long attached MCP servers may take to stop at exit.
const HUB_STOP: std::time::Duration = std::time::Duration::from_secs(10);

/// What `--headless` was asked for besides the configuration.
#[derive(Debug, Clone, Default)]
pub struct HeadlessArgs {
    /// `--mcp-addr`: serve MCP here (overrides `mcp-addr`).
    pub mcp_addr: Option<String>,
    /// `--read-only`: leave out the MCP tools that change anything.
    pub read_only: bool,
}

/// Runs the engine until a signal arrives.
pub fn run(config_path: Option<&Path>, expand_env: bool, args: &HeadlessArgs) -> CommandOutcome {
    let mut opts = LoadOptions::from_process();
    opts.expand_env = expand_env;
    let located = match config::locate(config_path, &opts) {
        Ok(located) => located,
        Err(e) => {
            eprintln!("ltx-tui: {e}");
            return CommandOutcome::UsageError;
        }
    };
    let config = match config::load(&located.path, &opts) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ltx-tui: {e}");
            return CommandOutcome::UsageError;
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ltx-tui: cannot start the async runtime: {e}");
            return CommandOutcome::Failed;
        }
    };
    runtime.block_on(serve(config, opts, args))
}

async fn serve(config: Config, opts: LoadOptions, args: &HeadlessArgs) -> CommandOutcome {
    let mcp_options =
        McpServeOptions::from_config(&config, args.mcp_addr.as_deref(), args.read_only);
    // Refuse an unsafe MCP address before anything starts replicating.
    if let Some(o) = &mcp_options
        && let Err(message) = check_mcp_security(o)
    {
        eprintln!("ltx-tui: {message}");
        return CommandOutcome::UsageError;
    }
    let engine = match Engine::start(&config, &ReplicaEnv::from_process()) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("ltx-tui: {e}");
            return CommandOutcome::UsageError;
        }
    };
    tracing::info!(
        config = %config.origin.display(),
        databases = engine.databases().len(),
        "ltx-tui headless: replicating"
    );
    let metrics_stop = CancellationToken::new();
    if let Some(addr) = config.addr.as_deref() {
        match serve_metrics(addr, engine.metrics(), metrics_stop.clone()).await {
            Ok(bound) => tracing::info!("metrics listening on http://{bound}/metrics"),
            Err(e) => {
                eprintln!("ltx-tui: {e}");
                engine.shutdown().await;
                return match e {
                    EngineError::Config(_) => CommandOutcome::UsageError,
                    _ => CommandOutcome::Failed,
                };
            }
        }
    }
    // Attached MCP servers (`mcp-servers`): connected in the background, never blocking start.
    let hub = (!config.mcp_servers.is_empty())
        .then(|| HubHandle::start(config.mcp_servers.clone(), HubOptions::default()));
    if let Some(mut options) = mcp_options {
        options.hub = hub.clone();
        let ctx = OpsContext::new(opts, ReplicaEnv::from_process())
            .with_config(std::sync::Arc::new(config.clone()))
            .with_engine(engine.clone());
        if let Err(e) = mcp::start(ctx, options, metrics_stop.clone()).await {
            eprintln!("ltx-tui: {e}");
            engine.shutdown().await;
            metrics_stop.cancel();
            if let Some(hub) = &hub {
                hub.shutdown(HUB_STOP).await;
            }
            return match e {
                McpServeError::Config { .. } => CommandOutcome::UsageError,
                McpServeError::Listen { .. } => CommandOutcome::Failed,
            };
        }
    }
    let signals = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    );
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = signals else {
        eprintln!("ltx-tui: cannot install signal handlers");
        engine.shutdown().await;
        metrics_stop.cancel();
        return CommandOutcome::Failed;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
        _ = hup.recv() => "SIGHUP",
    };
    tracing::info!("{name} received: final sync, then exit");
    if let Some(hub) = &hub {
        hub.shutdown(HUB_STOP).await;
    }
    engine.shutdown().await;
    metrics_stop.cancel();
    tracing::info!("stopped");
    CommandOutcome::Ok
}

/// A non-loopback MCP address needs a token (checked again by the server itself).
fn check_mcp_security(options: &McpServeOptions) -> Result<(), String> {
    let parsed =
        config::parse_listen_addr(&options.addr).map_err(|e| format!("--mcp-addr: {e}"))?;
    if !config::is_loopback(&parsed.host) && options.token.is_none() {
        return Err(format!(
            "mcp-addr {:?} is not a loopback address: refusing to start the MCP server without \
             mcp-token (set mcp-token in the configuration, or bind 127.0.0.1)",
            options.addr
        ));
    }
    Ok(())
}

/// Logs to stderr at `LOG_LEVEL` / `logging.level` (already merged by the config room);
/// `RUST_LOG`, when set, replaces that filter with its own directives (for example
/// `RUST_LOG=ltx_tui::checkpoint=debug`). Colours only on a terminal.
fn init_logging(config: &Config) {
    let level = config.logging.level.clone();
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("ltx_tui={level},warn"));
    let filter = tracing_subscriber::EnvFilter::try_new(directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.logging.format {
        crate::config::LogFormat::Json => builder.json().try_init(),
        crate::config::LogFormat::Text | crate::config::LogFormat::Pretty => builder.try_init(),
    };
}
