//! Loading a timeline window from its source: a local database's replica through `ops::ltx`
//! (every level, the window's time range, up to [`MAX_WINDOW_FILES`]), or a remote database
//! through its host's `ltx_timeline` tool (paged, up to
//! [`REMOTE_MAX_FILES`](crate::mcp::hub::REMOTE_MAX_FILES)). Both answer
//! with the same message, so the model never knows where its files came from.

use chrono::SecondsFormat;

use crate::mcp::hub::remote_timeline;
use crate::ops::{self, LtxParams};

use super::effects::NO_HUB;
use super::msg::Msg;
use super::session::Session;
use super::timeline::{LoadedWindow, MAX_WINDOW_FILES, WindowFiles, WindowRequest};
use super::timeline_source::TimelineSource;

/// Lists the files of one timeline window.
pub async fn load_timeline(session: &Session, req: WindowRequest) -> Msg {
    let result = match &req.source {
        TimelineSource::Local(db) => load_local(session, db, &req).await,
        TimelineSource::Remote(db) => match &session.hub {
            Some(hub) => remote_timeline(hub, &db.host, &db.path, req.since, req.until)
                .await
                .map(|w| LoadedWindow {
                    files: w.files,
                    from: req.since,
                    to: req.until,
                    truncated: w.truncated,
                }),
            None => Err(format!("{}: {NO_HUB}", db.host)),
        },
    };
    Msg::TimelineLoaded {
        seq: req.seq,
        result,
    }
}

async fn load_local(session: &Session, db: &std::path::Path, req: &WindowRequest) -> WindowFiles {
    let params = LtxParams {
        path: db.display().to_string(),
        level: Some("all".into()),
        since: Some(req.since.to_rfc3339_opts(SecondsFormat::Secs, true)),
        until: Some(req.until.to_rfc3339_opts(SecondsFormat::Secs, true)),
        limit: Some(MAX_WINDOW_FILES),
        ..LtxParams::default()
    };
    let target = session.replica(db)?;
    ops::ltx_on(&target, &params)
        .await
        .map(|r| LoadedWindow {
            truncated: r.files.len() >= MAX_WINDOW_FILES,
            files: r.files,
            from: req.since,
            to: req.until,
        })
        .map_err(|e| e.to_string())
}
