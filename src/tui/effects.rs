//! Performs the effects of `update` that reach the world (engine commands, `ops` calls, the
//! restore room, the file system) in background tasks, and sends their outcome back as
//! messages. Restores go through `ops::restore` (a dry run for the review step's plan). The
//! loop handles the terminal-side effects (quit, suspend, mouse) itself.

use std::sync::Arc;
use std::time::Instant;

use chrono::SecondsFormat;
use tokio::sync::mpsc;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::mcp::hub::{remote_command, remote_preview};
use crate::ops::{self, IntegrityCheck, PreviewParams, RestoreParams, RestoreScope};
use crate::restore::{self, Progress, RestoreProgress, RestoreTarget, SNAPSHOT_LEVEL};

use super::action::Action;
use tokio_util::sync::CancellationToken;

use super::effect::Effect;
use super::mcp_pane::McpServerCommand;
use super::msg::Msg;
use super::session::Session;
use super::timeline_io::load_timeline;
use super::wizard::{PlanSummary, RestoreSummary, WizardEffect, WizardEvent};

/// Why a remote database cannot be reached: this console attaches no MCP servers.
pub(crate) const NO_HUB: &str = "no MCP servers are attached (mcp-servers)";

/// Starts `effect` in the background; its outcome arrives on `tx`. Effects the loop owns
/// (quit, suspend, mouse, demo) are ignored here.
pub fn run_effect(effect: Effect, session: &Arc<Session>, tx: &mpsc::UnboundedSender<Msg>) {
    let session = Arc::clone(session);
    let tx = tx.clone();
    match effect {
        Effect::Engine { action, resume, db } => {
            tokio::spawn(async move {
                let engine = &session.engine;
                let result = match (action, resume) {
                    (Action::SyncNow, _) => engine.sync_now(&db).await,
                    (Action::SnapshotNow, _) => engine.snapshot_now(&db).await,
                    (Action::PauseResume, false) => engine.pause(&db).await,
                    (Action::PauseResume, true) => engine.resume(&db).await,
                    _ => return,
                };
                let name = db
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let result = result
                    .map(|txid| match (action, resume, txid) {
                        (Action::PauseResume, false, _) => "paused".to_owned(),
                        (Action::PauseResume, true, _) => "resumed".to_owned(),
                        (_, _, Some(t)) => format!("replica at TXID {t}"),
                        (_, _, None) => "done".to_owned(),
                    })
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::EngineReply {
                    action,
                    db: name,
                    result,
                });
            });
        }
        Effect::RemoteCommand(action) => {
            tokio::spawn(async move {
                let result = match &session.hub {
                    Some(hub) => {
                        remote_command(hub, &action.db.host, action.command, &action.db.path).await
                    }
                    None => Err(NO_HUB.to_owned()),
                };
                let _ = tx.send(Msg::RemoteCommandDone { action, result });
            });
        }
        Effect::RemotePreview { db, txid, compare } => {
            tokio::spawn(async move {
                let result = match &session.hub {
                    Some(hub) => remote_preview(hub, &db.host, &db.path, txid, compare).await,
                    None => Err(NO_HUB.to_owned()),
                };
                let _ = tx.send(Msg::PreviewLoaded(result));
            });
        }
        Effect::LoadTimeline(req) => {
            tokio::spawn(async move {
                let msg = load_timeline(&session, req).await;
                let _ = tx.send(msg);
            });
        }
        Effect::Preview { db, txid, compare } => {
            tokio::spawn(async move {
                let params = PreviewParams {
                    path: db.display().to_string(),
                    txid: Some(txid.to_string()),
                    compare_txid: compare.map(|t| t.to_string()),
                    ..PreviewParams::default()
                };
                let result = ops::preview(&session.ops, &params)
                    .await
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::PreviewLoaded(result));
            });
        }
        Effect::Wizard(w) => {
            tokio::spawn(async move {
                if let Some(event) = wizard_effect(&session, w, &tx).await {
                    let _ = tx.send(Msg::Wizard(event));
                }
            });
        }
        Effect::McpServer { server, command } => {
            let Some(hub) = session.hub.clone() else {
                return;
            };
            tokio::spawn(async move {
                let sent = match command {
                    McpServerCommand::Start => hub.start_server(&server).await,
                    McpServerCommand::Stop => hub.stop_server(&server).await,
                    McpServerCommand::Restart => hub.restart_server(&server).await,
                };
                if let Err(e) = sent {
                    let _ = tx.send(Msg::McpCommandFailed(e.to_string()));
                }
            });
        }
        Effect::McpCall {
            server,
            tool,
            arguments,
        } => {
            let Some(hub) = session.hub.clone() else {
                return;
            };
            let cancel = CancellationToken::new();
            if let Ok(mut slot) = session.mcp_call.lock() {
                *slot = Some(cancel.clone());
            }
            tokio::spawn(async move {
                let result = hub
                    .call_tool_cancellable(&server, &tool, Some(arguments), None, &cancel)
                    .await
                    .map_err(|e| e.to_string());
                let _ = tx.send(Msg::McpCallDone {
                    server,
                    tool,
                    result,
                });
            });
        }
        Effect::McpCancel => {
            if let Some(token) = session.mcp_call.lock().ok().and_then(|mut s| s.take()) {
                token.cancel();
            }
        }
        Effect::McpLoadLogs { server } => {
            let Some(hub) = session.hub.clone() else {
                return;
            };
            let stderr: Vec<_> = hub.stderr(&server, 0).unwrap_or_default();
            let wire: Vec<_> = hub.wire_log(&server, 0).unwrap_or_default();
            let seqs = (
                stderr.last().map_or(0, |l| l.seq),
                wire.last().map_or(0, |l| l.seq),
            );
            let _ = tx.send(Msg::McpLogs {
                server,
                stderr: stderr.into_iter().map(|l| l.item).collect(),
                wire: wire.into_iter().map(|l| l.item).collect(),
                seqs,
            });
        }
        Effect::StartDemo | Effect::Suspend | Effect::Mouse(_) | Effect::Quit => {}
    }
}

/// The `restore` parameters for `db` at `target`.
fn restore_params(db: &Path, target: &RestoreTarget) -> RestoreParams {
    let (txid, timestamp) = match target {
        RestoreTarget::Latest => (None, None),
        RestoreTarget::Txid(t) => (Some(t.to_string()), None),
        RestoreTarget::Timestamp(ts) => {
            (None, Some(ts.to_rfc3339_opts(SecondsFormat::Nanos, true)))
        }
    };
    RestoreParams {
        path: db.display().to_string(),
        txid,
        timestamp,
        ..RestoreParams::default()
    }
}

/// A dry run needs an output other than the live database (the guard refuses that one even
/// for planning); the plan does not depend on it.
fn wizard_plan_output(db: &Path) -> String {
    super::wizard::default_output(db).display().to_string()
}

async fn wizard_effect(
    session: &Session,
    effect: WizardEffect,
    tx: &mpsc::UnboundedSender<Msg>,
) -> Option<WizardEvent> {
    match effect {
        WizardEffect::Close => None,
        WizardEffect::InspectTarget(path) => {
            let exists = tokio::fs::symlink_metadata(&path).await.is_ok();
            let dir_ok = match path.parent() {
                Some(dir) => tokio::fs::metadata(dir).await.is_ok_and(|m| m.is_dir()),
                None => false,
            };
            Some(WizardEvent::TargetInspected { exists, dir_ok })
        }
        WizardEffect::Plan { db, target } => {
            let params = RestoreParams {
                dry_run: true,
                o: Some(wizard_plan_output(&db)),
                ..restore_params(&db, &target)
            };
            let result = ops::restore(&session.ops, params, RestoreScope::Cli, Progress::none())
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    if let Some(skipped) = r.skipped {
                        return Err(skipped);
                    }
                    Ok(PlanSummary {
                        files: r.plan.len(),
                        snapshots: r.plan.iter().filter(|f| f.level == SNAPSHOT_LEVEL).count(),
                        bytes: r.total_bytes,
                        txid: r.txid.parse().map_err(|_| format!("bad TXID {}", r.txid))?,
                        timestamp: r
                            .plan
                            .last()
                            .and_then(|f| DateTime::parse_from_rfc3339(&f.timestamp).ok())
                            .map_or_else(Utc::now, |t| t.with_timezone(&Utc)),
                        estimate_secs: r.estimated_ms.unwrap_or(0) as f64 / 1000.0,
                    })
                });
            Some(WizardEvent::PlanReady(result))
        }
        WizardEffect::Run {
            db,
            target,
            output,
            force,
            integrity,
        } => {
            let started = Instant::now();
            let progress_tx = tx.clone();
            let progress = Progress::new(move |event| {
                if let RestoreProgress::FileFetched {
                    files_fetched,
                    bytes_fetched,
                    ..
                } = event
                {
                    let _ = progress_tx.send(Msg::Wizard(WizardEvent::Progress {
                        bytes_fetched,
                        files_fetched,
                        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(0),
                    }));
                }
            });
            let params = RestoreParams {
                o: Some(output.display().to_string()),
                force,
                integrity_check: Some(match integrity {
                    restore::IntegrityCheck::None => IntegrityCheck::None,
                    restore::IntegrityCheck::Quick => IntegrityCheck::Quick,
                    restore::IntegrityCheck::Full => IntegrityCheck::Full,
                }),
                ..restore_params(&db, &target)
            };
            let result = ops::restore(&session.ops, params, RestoreScope::Cli, progress)
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    if let Some(skipped) = r.skipped {
                        return Err(format!("nothing restored: {skipped}"));
                    }
                    Ok(RestoreSummary {
                        output: PathBuf::from(&r.db_path),
                        txid: r.txid.parse().map_err(|_| format!("bad TXID {}", r.txid))?,
                        duration_ms: r.duration_ms,
                        bytes: r.total_bytes,
                        integrity: integrity.as_str(),
                    })
                });
            Some(WizardEvent::Finished(result))
        }
    }
}
