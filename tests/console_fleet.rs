//! The fleet in the console: databases of attached headless ltx-tui instances selected in the
//! databases pane, their detail, the confirmation before an action on one, and their timeline
//! in the Timeline pane (loading, loaded, failed).
//!
//! The snapshots are drawn from the real app state (real engine, real `update`, effects and
//! views) with the hub's state built from the real types: `ServerSnapshot`s offering the real
//! tool catalogue, and a remote timeline decoded from a real `ltx_timeline` result through the
//! same decoder the console uses. The integration test attaches a real `ltx-tui --headless`
//! (127.0.0.1, port 0) through the real hub and checks that a confirmed action really changes
//! the remote engine, that a cancelled one sends nothing, and that the remote timeline holds
//! the remote replica's files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console;
mod support;

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ltx_tui::config::Transport;
use ltx_tui::ltx::Txid;
use ltx_tui::mcp::hub::{FleetView, HubSnapshot, RemoteDatabase, ServerSnapshot, ServerState};
use ltx_tui::ops::{LtxFileEntry, LtxResult, ReplicationCommand, ReplicationCommandResult};
use ltx_tui::tui::{Effect, LoadedWindow, Msg, Overlay, Pane, TimelineSource};
use serde_json::Value;

use console::harness::Harness;
use support::litestream::ReplicaFiles;

/// Snapshots the screen without toasts (dates filtered too), then leaves the state at 120×40.
fn shoot(h: &mut Harness, name: &str) {
    h.state.toasts.clear();
    console::shoot::shoot(h, name, &[(r"\d{4}-\d{2}-\d{2}", "[DATE]")]);
    h.state.size = (120, 40);
}

fn remote_db(path: &str, state: &str, lag: f64, txid: u64) -> RemoteDatabase {
    RemoteDatabase {
        database: path.into(),
        state: state.into(),
        lag_seconds: Some(lag),
        replica_txid: Some(Txid(txid).to_string()),
        last_error: None,
    }
}

/// A ready headless ltx-tui offering the real catalogue (`read_only`: as `--read-only` does).
fn host(name: &str, read_only: bool, dbs: Vec<RemoteDatabase>, at: SystemTime) -> ServerSnapshot {
    let mut s = ServerSnapshot::new(
        name.into(),
        Transport::Http,
        format!("http://127.0.0.1:7001/{name}/mcp"),
    );
    s.state = ServerState::Ready;
    s.tools = Arc::new(ltx_tui::mcp::catalogue(read_only));
    s.fleet = Some(FleetView {
        databases: dbs,
        error: None,
        at_ms: DateTime::<Utc>::from(at).timestamp_millis(),
    });
    s
}

/// The remote timeline as the host's `ltx_timeline` answers it, decoded by the console's
/// decoder: L9 and L1 files and a run of L0 files over the last minutes.
fn remote_window(
    now: SystemTime,
    req_since: DateTime<Utc>,
    req_until: DateTime<Utc>,
) -> LoadedWindow {
    let now: DateTime<Utc> = now.into();
    let file = |level: u8, min: u64, max: u64, ago: i64, size: u64| LtxFileEntry {
        level,
        min_txid: Txid(min),
        max_txid: Txid(max),
        size,
        created_at: now - TimeDelta::seconds(ago),
        page_count: None,
        commit: None,
        page_count_error: None,
    };
    let mut files = vec![file(9, 1, 20, 420, 81_920), file(1, 21, 30, 250, 12_288)];
    for (i, ago) in [230, 200, 170, 140, 90, 60, 30].into_iter().enumerate() {
        let t = 31 + i as u64;
        files.push(file(0, t, t, ago, 4_096));
    }
    let answer = LtxResult {
        replica_url: "s3://fleet/orders".into(),
        replica_type: "s3".into(),
        database: Some("/srv/app/orders.db".into()),
        files,
        next: None,
        page_counts_omitted: 0,
    };
    let result = rmcp::model::CallToolResult::structured(serde_json::to_value(&answer).unwrap());
    let decoded: LtxResult = ltx_tui::mcp::hub::decode("db2", "ltx_timeline", &result).unwrap();
    LoadedWindow {
        files: decoded.files,
        from: req_since,
        to: req_until,
        truncated: false,
    }
}

fn click(h: &mut Harness, text: &str) {
    let screen = h.screen((120, 40));
    let y = screen
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not on screen:\n{screen}"));
    h.send(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 20,
        row: u16::try_from(y).unwrap(),
        modifiers: KeyModifiers::NONE,
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_databases_are_selected_detailed_confirmed_and_browsed() {
    let mut h = Harness::start(1, (120, 40)).await;
    let now = h.now();
    h.send(Msg::Hub(Box::new(HubSnapshot {
        servers: vec![
            host(
                "db2",
                false,
                vec![
                    remote_db("/srv/app/orders.db", "replicating", 0.4, 0x25),
                    remote_db("/srv/app/audit.db", "paused", 12.5, 0x11),
                ],
                now,
            ),
            host(
                "old1",
                true,
                vec![remote_db("/srv/old/app.db", "replicating", 0.1, 7)],
                now,
            ),
        ],
    })));

    // One list: the local row, then db2's two databases, then old1's.
    h.press(KeyCode::Char('j'));
    let row = h.state.selected_remote().expect("a remote row");
    assert_eq!(row.db_ref().label(), "db2: orders.db");
    assert!(h.state.selected_db().is_none());
    assert_eq!(
        h.state.timeline.source,
        Some(TimelineSource::Remote(row.db_ref())),
        "the timeline follows the selection"
    );
    shoot(&mut h, "fleet_selected");
    h.press(KeyCode::Enter);
    shoot(&mut h, "fleet_detail");
    h.press(KeyCode::Esc);

    // A click on a remote row selects it.
    click(&mut h, "audit.db");
    assert_eq!(
        h.state.selected_remote().unwrap().db.database,
        "/srv/app/audit.db"
    );
    // Pause / resume follows the state the host reported: audit.db is paused.
    let effects = h.press(KeyCode::Char('P'));
    assert!(
        effects.is_empty(),
        "nothing is sent before the yes: {effects:?}"
    );
    let Overlay::Confirm(asked) = &h.state.overlay else {
        panic!("no confirmation: {:?}", h.state.overlay);
    };
    assert_eq!(asked.command, ReplicationCommand::Resume);
    h.press(KeyCode::Esc);
    assert!(matches!(h.state.overlay, Overlay::None));

    // Sync now on orders.db: the confirmation names the action, the host and the database.
    h.press(KeyCode::Char('k'));
    let effects = h.press(KeyCode::Char('s'));
    assert!(effects.is_empty(), "{effects:?}");
    shoot(&mut h, "fleet_confirm");
    // Keys other than yes or no leave the question open; `n` cancels without sending.
    assert!(h.press(KeyCode::Char('x')).is_empty());
    assert!(matches!(h.state.overlay, Overlay::Confirm(_)));
    let effects = h.press(KeyCode::Char('n'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(h.state.overlay, Overlay::None));
    // `y` sends it; with no hub attached the console says so on the status line and in the logs.
    h.press(KeyCode::Char('s'));
    let effects = h.press(KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::RemoteCommand(a)] if a.command == ReplicationCommand::Sync && a.db.path == "/srv/app/orders.db"),
        "{effects:?}"
    );
    h.until("the remote command's answer", |m| {
        matches!(m, Msg::RemoteCommandDone { .. })
    })
    .await;
    let error = h.state.last_error.clone().unwrap();
    assert!(
        error.contains("sync now on db2: orders.db") && error.contains("no MCP servers"),
        "{error}"
    );

    // old1 runs --read-only: it offers no engine commands, and the action says so.
    h.press(KeyCode::Char('G'));
    assert_eq!(h.state.selected_remote().unwrap().host.name, "old1");
    h.state.toasts.clear();
    let effects = h.press(KeyCode::Char('s'));
    assert!(effects.is_empty());
    assert!(matches!(h.state.overlay, Overlay::None));
    assert!(
        h.state
            .toasts
            .iter()
            .any(|t| t.text.contains("old1 does not offer ltx_sync")),
        "{:?}",
        h.state.toasts
    );

    // The Timeline pane on orders.db: loading, failed (the real loader, without a hub), loaded.
    h.press(KeyCode::Char('g'));
    h.press(KeyCode::Char('j'));
    let effects = h.press(KeyCode::Char('3'));
    let [Effect::LoadTimeline(req)] = effects.as_slice() else {
        panic!("the timeline asks for its window: {effects:?}");
    };
    assert_eq!(req.source, h.state.timeline.source.clone().unwrap());
    assert!(h.state.timeline.loading);
    shoot(&mut h, "timeline_remote_loading");
    h.until("the failed load", |m| {
        matches!(m, Msg::TimelineLoaded { .. })
    })
    .await;
    assert!(h.state.timeline.error.is_some());
    shoot(&mut h, "timeline_remote_error");
    let effects = h.press(KeyCode::Char('G'));
    let [Effect::LoadTimeline(req)] = effects.as_slice() else {
        panic!("a new window: {effects:?}");
    };
    let window = remote_window(h.now(), req.since, req.until);
    h.send(Msg::TimelineLoaded {
        seq: req.seq,
        result: Ok(window),
    });
    assert_eq!(h.state.timeline.file_count(), 9);
    assert_eq!(h.state.timeline.error, None);
    shoot(&mut h, "timeline_remote");
    // The same scrubbing and file navigation as a local timeline.
    h.press(KeyCode::Char('['));
    assert_eq!(h.state.timeline.at_cursor().txid, Some(Txid(37)));
    h.press(KeyCode::Char('['));
    assert_eq!(h.state.timeline.at_cursor().txid, Some(Txid(36)));
    assert!(!h.state.timeline.follow);
    // Preview goes to the host's ltx_preview; restore is refused with where to go instead.
    let effects = h.press(KeyCode::Char('p'));
    assert!(
        matches!(effects.as_slice(), [Effect::RemotePreview { txid, compare, .. }] if *txid == Txid(36) && *compare == Some(Txid(0x25))),
        "{effects:?}"
    );
    h.state.toasts.clear();
    assert!(h.press(KeyCode::Char('R')).is_empty());
    assert!(
        h.state.toasts.iter().any(|t| t
            .text
            .contains("use its MCP restore tool (litestream_restore on db2)")),
        "{:?}",
        h.state.toasts
    );
    h.stop().await;
}

/// Calls `ltx_lag` of `host` through the hub: the remote engine's figures of its database.
async fn remote_lag(h: &Harness, host: &str) -> Value {
    let hub = h.session.hub.clone().unwrap();
    let r = hub.call_tool(host, "ltx_lag", None, None).await.unwrap();
    r.structured_content.unwrap()["databases"][0]["replication"].clone()
}

/// Confirms the open question and waits for the host's answer.
async fn confirm(h: &mut Harness) -> ReplicationCommandResult {
    let effects = h.press(KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::RemoteCommand(_)]),
        "{effects:?}"
    );
    let mut answer = None;
    h.until("the host's answer", |m| match m {
        Msg::RemoteCommandDone { result, .. } => {
            answer = Some(result.clone());
            true
        }
        _ => false,
    })
    .await;
    answer
        .unwrap()
        .unwrap_or_else(|e| panic!("the remote command failed: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_actions_and_timeline_reach_a_real_headless_ltx_tui() {
    let (_remote_dir, remote, mut h) = console::remote::attached_to_remote().await;
    let db = remote.db.display().to_string();
    h.press(KeyCode::Char('1'));
    h.press(KeyCode::Char('j'));
    assert_eq!(h.state.selected_remote().unwrap().db.database, db);
    let hub = h.session.hub.clone().unwrap();

    // Cancelled: nothing reaches the host (the hub counted no call of the tool).
    assert!(h.press(KeyCode::Char('s')).is_empty());
    assert!(h.press(KeyCode::Esc).is_empty());
    assert!(matches!(h.state.overlay, Overlay::None));
    let figures = hub.snapshot().server("host1").unwrap().figures.clone();
    assert!(!figures.contains_key("ltx_sync"), "{figures:?}");

    // Pause: the remote engine stops replicating the database; the fleet shows it.
    h.press(KeyCode::Char('P'));
    let paused = confirm(&mut h).await;
    assert_eq!(paused.command, ReplicationCommand::Pause);
    assert_eq!(paused.state, "paused");
    assert_eq!(remote_lag(&h, "host1").await["state"], "paused");
    h.until_hub("the fleet showing the pause", |s| {
        s.server("host1")
            .and_then(|s| s.fleet.as_ref())
            .is_some_and(|f| f.databases.iter().any(|d| d.state == "paused"))
    })
    .await;
    assert!(h.state.selected_remote().unwrap().paused());

    // Rows written while paused stay out of the replica until "sync now" is confirmed.
    let before = ReplicaFiles::read(&remote.replica);
    let mut app = support::sqlite_db::TestDb::open(&remote.db);
    app.insert_rows("t", 10);
    let newest_before = before.all().iter().map(|f| f.max_txid).max().unwrap();
    assert_eq!(
        ReplicaFiles::read(&remote.replica)
            .all()
            .iter()
            .map(|f| f.max_txid)
            .max(),
        Some(newest_before),
        "a paused engine uploads nothing"
    );
    h.press(KeyCode::Char('s'));
    let synced = confirm(&mut h).await;
    assert_eq!(synced.command, ReplicationCommand::Sync);
    assert_eq!(
        synced.state, "paused",
        "a sync while paused leaves it paused"
    );
    let reached = synced.replica_txid.expect("a replica TXID").0;
    assert!(
        reached > newest_before,
        "{synced:?} after {newest_before:x}"
    );
    let after = ReplicaFiles::read(&remote.replica);
    assert!(
        after.all().iter().any(|f| f.max_txid == reached),
        "the replica holds no file reaching TXID {reached:x}: {}",
        after.summary()
    );
    let lag = remote_lag(&h, "host1").await;
    assert_eq!(lag["replica_txid"], Txid(reached).to_string(), "{lag}");
    let toast = h.state.toasts.last().unwrap().text.clone();
    assert!(
        toast.contains("sync now on host1: app.db: synced"),
        "{toast}"
    );
    assert!(h.state.last_error.is_none(), "{:?}", h.state.last_error);

    // Resume: replicating again, on the host and in the fleet.
    h.until_hub("the fleet still paused after the sync", |s| {
        s.server("host1")
            .and_then(|s| s.fleet.as_ref())
            .is_some_and(|f| f.databases.iter().any(|d| d.state == "paused"))
    })
    .await;
    h.press(KeyCode::Char('P'));
    let Overlay::Confirm(asked) = &h.state.overlay else {
        panic!("no confirmation");
    };
    assert_eq!(asked.command, ReplicationCommand::Resume);
    let resumed = confirm(&mut h).await;
    assert_eq!(resumed.state, "replicating");
    assert_eq!(remote_lag(&h, "host1").await["state"], "replicating");
    h.until_hub("the fleet showing the resume", |s| {
        s.server("host1")
            .and_then(|s| s.fleet.as_ref())
            .is_some_and(|f| f.databases.iter().any(|d| d.state == "replicating"))
    })
    .await;

    // The remote timeline holds the remote replica's files, up to the TXID just synced.
    let effects = h.press(KeyCode::Char('3'));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadTimeline(r)] if r.source.remote().is_some()),
        "{effects:?}"
    );
    h.until("the remote timeline", |m| {
        matches!(m, Msg::TimelineLoaded { .. })
    })
    .await;
    let tl = &h.state.timeline;
    assert_eq!(tl.error, None);
    assert!(!tl.loading);
    let newest = tl.files().iter().map(|f| f.max_txid.0).max().unwrap();
    assert_eq!(newest, reached, "the timeline reaches the synced TXID");
    let replica = ReplicaFiles::read(&remote.replica);
    let snapshots: Vec<(u64, u64)> = replica
        .level(9)
        .iter()
        .map(|f| (f.min_txid, f.max_txid))
        .collect();
    let shown: Vec<(u64, u64)> = tl
        .files()
        .iter()
        .filter(|f| f.level == 9)
        .map(|f| (f.min_txid.0, f.max_txid.0))
        .collect();
    assert_eq!(shown, snapshots, "the remote replica's snapshots");
    let screen = h.screen((120, 40));
    assert!(screen.contains("Timeline host1: app.db"), "{screen}");
    assert_eq!(h.state.pane, Pane::Timeline);
    h.stop().await;
    app.close();
    drop(remote);
}
