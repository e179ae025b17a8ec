//! The MCP pane drawn from the real app state over a real hub: a scripted stdio server
//! (`tests/fixtures/mcp/scripted_server.py`) attached through `mcp-servers`. Snapshots of the
//! server list with the tools and their annotation badges, the call form, a result, the
//! confirmation a destructive tool needs, the stderr tab and a stopped server; at 80×24 and
//! 120×40 in the default theme and 80×24 in the ASCII theme. Every wait is on the hub's watch
//! or on the effect's message, bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console;
mod support;

use crossterm::event::KeyCode;
use ltx_tui::mcp::hub::ServerState;
use ltx_tui::tui::{Effect, Msg, Pane};

use console::harness::Harness;

/// Snapshots the screen without toasts (the repository path and milliseconds filtered too).
fn shoot(h: &mut Harness, name: &str) {
    h.state.toasts.clear();
    let repo = console::shoot::escape(env!("CARGO_MANIFEST_DIR"));
    console::shoot::shoot(h, name, &[(&repo, "[REPO]"), (r"\d+ ms *", "[N] ms ")]);
}

/// The scripted server, started from its own directory so what the pane shows does not depend
/// on where the repository is checked out.
fn scripted_config() -> String {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp");
    format!(
        "mcp-servers:\n  - name: helper\n    command: python3\n    args: [scripted_server.py, hang-calls]\n    cwd: {}\n    timeout: 5s\n",
        fixtures.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_pane_lists_calls_confirms_and_stops() {
    let mut h = Harness::start_with(1, (80, 24), &scripted_config()).await;
    h.until_hub("the helper ready", |s| {
        s.server("helper")
            .is_some_and(|s| s.state == ServerState::Ready)
    })
    .await;
    h.press(KeyCode::Char('5'));
    shoot(&mut h, "mcp_pane_servers");

    // To the tools, open the form of `quick`, type a message, call.
    h.press(KeyCode::Char('l'));
    h.press(KeyCode::Enter);
    assert!(h.state.mcp.form.is_some());
    h.type_text("hello pane");
    shoot(&mut h, "mcp_pane_form");
    let effects = h.press(KeyCode::Enter);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::McpCall { tool, .. } if tool == "quick")),
        "{effects:?}"
    );
    h.until("the call", |m| matches!(m, Msg::McpCallDone { .. }))
        .await;
    shoot(&mut h, "mcp_pane_result");
    let figures = &h.session.hub.as_ref().unwrap().snapshot().servers[0].figures;
    assert_eq!(figures["quick"].ok, 1);

    // `wipe` is destructive: a confirmation comes first; anything but y cancels.
    h.press(KeyCode::Esc);
    h.press(KeyCode::Down);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    let effects = h.press(KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(h.state.mcp.confirm.is_some());
    shoot(&mut h, "mcp_pane_confirm");
    h.press(KeyCode::Char('n'));
    assert!(h.state.mcp.confirm.is_none());
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    let effects = h.press(KeyCode::Char('y'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::McpCall { tool, .. } if tool == "wipe")),
        "{effects:?}"
    );
    h.until("the wipe call", |m| matches!(m, Msg::McpCallDone { .. }))
        .await;
    assert!(h.screen((120, 40)).contains("wiped (not really)"));

    // The stderr tab shows what the server printed (once the hub has drained it).
    let hub = h.session.hub.clone().unwrap();
    hub.wait_until(std::time::Duration::from_secs(30), |_| {
        hub.stderr("helper", 0)
            .unwrap()
            .iter()
            .any(|l| l.item.contains("got tools/call"))
    })
    .await
    .expect("the server's stderr line was captured");
    h.press(KeyCode::Char('t'));
    h.until("the logs", |m| matches!(m, Msg::McpLogs { .. }))
        .await;
    let screen = h.screen((120, 40));
    assert!(
        screen.contains("scripted[hang-calls] got tools/call"),
        "{screen}"
    );
    shoot(&mut h, "mcp_pane_stderr");
    // The wire log shows the JSON-RPC traffic.
    h.press(KeyCode::Char('t'));
    h.until("the logs", |m| matches!(m, Msg::McpLogs { .. }))
        .await;
    assert!(h.screen((120, 40)).contains("\"method\":\"tools/call\""));
    h.press(KeyCode::Char('t'));

    // Stop: the server goes to stopped, calls are refused with the reason.
    h.press(KeyCode::Char('h'));
    let effects = h.press(KeyCode::Char('x'));
    assert!(
        matches!(effects.as_slice(), [Effect::McpServer { .. }]),
        "{effects:?}"
    );
    h.until_hub("the helper stopped", |s| {
        s.server("helper")
            .is_some_and(|s| s.state == ServerState::Stopped)
    })
    .await;
    shoot(&mut h, "mcp_pane_stopped");
    h.press(KeyCode::Char('l'));
    h.press(KeyCode::Enter);
    assert!(h.state.mcp.form.is_none());
    assert!(
        h.state
            .toasts
            .iter()
            .any(|t| t.text.contains("helper is stopped")),
        "{:?}",
        h.state.toasts
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_databases_of_an_attached_ltx_tui_appear_in_the_databases_pane() {
    let (_remote_dir, remote, mut h) = console::remote::attached_to_remote().await;
    h.press(KeyCode::Char('1'));
    let screen = h.screen((120, 40));
    assert!(screen.contains("Fleet: 1 host(s)"), "{screen}");
    assert!(screen.contains("host1"), "{screen}");
    assert!(screen.contains("replicating"), "{screen}");
    let db = remote.db.display().to_string();
    let shown = &db[db.len().saturating_sub(20)..];
    assert!(screen.contains(shown), "{shown} not in\n{screen}");
    // The local table is still there, above the fleet.
    assert!(screen.contains("db0.db"), "{screen}");

    // `b` in the MCP pane opens its timeline in the Timeline pane, with the database selected
    // (listed by the host's `ltx_timeline`; read-only: no confirmation).
    h.press(KeyCode::Char('5'));
    let effects = h.press(KeyCode::Char('b'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadTimeline(r) if r.source.remote().is_some())),
        "{effects:?}"
    );
    assert_eq!(h.state.pane, Pane::Timeline);
    assert_eq!(h.state.selected_remote().unwrap().db.database, db);
    h.until("the remote timeline", |m| {
        matches!(m, Msg::TimelineLoaded { .. })
    })
    .await;
    assert_eq!(h.state.timeline.error, None);
    assert!(
        h.state.timeline.files().iter().any(|f| f.level == 9),
        "the remote replica's snapshot is on the timeline"
    );
    let screen = h.screen((120, 40));
    assert!(screen.contains("Timeline host1: app.db"), "{screen}");
    h.stop().await;
}
