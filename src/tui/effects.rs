//! Performs the effects of `update` that reach the world (engine commands, `ops` calls, the
//! restore room, the file system) in background tasks, and sends their outcome back as
//! messages. The loop handles the terminal-side effects (quit, suspend, mouse) itself.

use std::sync::Arc;
use std::time::Instant;

use chrono::SecondsFormat;
use tokio::sync::mpsc;

use crate::ops::{self, LtxParams};
use crate::restore::{
    self, Progress, RestoreOptions, RestoreOutcome, RestoreProgress, SNAPSHOT_LEVEL,
    estimated_duration,
};

use super::action::Action;
use super::effect::Effect;
use super::msg::Msg;
use super::session::Session;
use super::timeline::{MAX_WINDOW_FILES, WindowRequest};
use super::wizard::{PlanSummary, RestoreSummary, WizardEffect, WizardEvent};

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
        Effect::LoadTimeline(req) => {
            tokio::spawn(async move {
                let msg = load_timeline(&session, req).await;
                let _ = tx.send(msg);
            });
        }
        Effect::Wizard(w) => {
            tokio::spawn(async move {
                if let Some(event) = wizard_effect(&session, w, &tx).await {
                    let _ = tx.send(Msg::Wizard(event));
                }
            });
        }
        Effect::StartDemo | Effect::Suspend | Effect::Mouse(_) | Effect::Quit => {}
    }
}

/// Lists one timeline window through `ops::ltx` (every level, the window's time range).
pub async fn load_timeline(session: &Session, req: WindowRequest) -> Msg {
    let params = LtxParams {
        path: req.db.display().to_string(),
        level: Some("all".into()),
        since: Some(req.since.to_rfc3339_opts(SecondsFormat::Secs, true)),
        until: Some(req.until.to_rfc3339_opts(SecondsFormat::Secs, true)),
        limit: Some(MAX_WINDOW_FILES),
        ..LtxParams::default()
    };
    let result = match session.replica(&req.db) {
        Ok(target) => ops::ltx_on(&target, &params)
            .await
            .map(|r| (r.files, req.since, req.until))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    Msg::TimelineLoaded {
        seq: req.seq,
        result,
    }
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
            let result = async {
                let replica = session.replica(&db)?;
                let plan = restore::plan_restore(&replica.client, &target)
                    .await
                    .map_err(|e| e.to_string())?;
                let remote = replica.client.local_dir().is_none();
                Ok(PlanSummary {
                    files: plan.files.len(),
                    snapshots: plan
                        .files
                        .iter()
                        .filter(|f| f.level == SNAPSHOT_LEVEL)
                        .count(),
                    bytes: plan.total_bytes,
                    txid: plan.txid,
                    timestamp: plan.timestamp,
                    estimate_secs: estimated_duration(&plan, remote, restore::DEFAULT_PARALLELISM)
                        .as_secs_f64(),
                })
            }
            .await;
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
                        elapsed_ms: started.elapsed().as_millis() as u64,
                    }));
                }
            });
            let result = async {
                let replica = session.replica(&db)?;
                let mut opts = RestoreOptions::new(output);
                opts.target = target;
                opts.force = force;
                opts.integrity_check = integrity;
                opts.replicated_dbs = session
                    .config
                    .dbs
                    .iter()
                    .filter_map(|d| d.path.clone())
                    .collect();
                match restore::restore(&replica.client, &opts, &progress).await {
                    Ok(RestoreOutcome::Restored(report)) => Ok(RestoreSummary {
                        output: report.output,
                        txid: report.txid,
                        duration_ms: report.duration_ms,
                        bytes: report.bytes_fetched,
                        integrity: report.integrity_check.as_str(),
                    }),
                    Ok(other) => Err(format!("nothing restored: {other:?}")),
                    Err(e) => Err(e.to_string()),
                }
            }
            .await;
            Some(WizardEvent::Finished(result))
        }
    }
}
