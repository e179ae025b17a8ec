#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The hub supervising misbehaving servers (a scripted stdio server,
//! `tests/fixtures/mcp/scripted_server.py`): one that crashes after the handshake is restarted
//! with growing delays; one that never answers a call makes that call time out (and cancels
//! it on the server) while other calls keep being served; stop and start shut the process down
//! and bring it back. Every wait is on the hub's watch, bounded.

mod support;

use std::time::Duration;

use ltx_tui::mcp::hub::{Direction, HubError, HubHandle, ServerState};
use support::hub::{fast_options, first_text, scripted, wait_ready, wait_server};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_crashes_is_restarted_with_exponential_backoff() {
    let hub = HubHandle::start(vec![scripted("crashy", "crash-after-init")], fast_options());
    let snap = wait_server(&hub, "crashy", WAIT, "failed 4 times", |s| {
        s.failures >= 4 && s.state == ServerState::Failed
    })
    .await;
    assert!(snap.restarts >= 3, "{snap:#?}");
    let detail = snap.detail.as_deref().unwrap().to_lowercase();
    assert!(detail.contains("closed"), "{snap:#?}");
    // The states went connecting → failed → connecting → failed …
    let states: Vec<ServerState> = snap.history.iter().map(|c| c.state).collect();
    let cycle = [ServerState::Connecting, ServerState::Failed];
    assert!(
        states.windows(2).filter(|w| *w == cycle).count() >= 4,
        "{states:?}"
    );
    // … and each wait before reconnecting is at least the doubled delay: 100, 200, 400 ms.
    let failed_then_connecting: Vec<i64> = snap
        .history
        .iter()
        .zip(snap.history.iter().skip(1))
        .filter(|(a, b)| a.state == ServerState::Failed && b.state == ServerState::Connecting)
        .map(|(a, b)| b.at_ms - a.at_ms)
        .collect();
    assert!(
        failed_then_connecting.len() >= 3,
        "{failed_then_connecting:?}"
    );
    for (i, gap) in failed_then_connecting.iter().take(3).enumerate() {
        let expected = 100i64 << i;
        assert!(
            *gap >= expected - 2,
            "wait {i} was {gap} ms, expected ≥ {expected}"
        );
    }
    // Its stderr was captured, not printed.
    let stderr: Vec<String> = hub
        .stderr("crashy", 0)
        .unwrap()
        .into_iter()
        .map(|l| l.item)
        .collect();
    assert!(
        stderr.iter().any(|l| l.contains("crashing on purpose")),
        "{stderr:?}"
    );
    hub.shutdown(Duration::from_secs(15)).await;
    assert_eq!(hub.snapshot().servers[0].state, ServerState::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_call_times_out_and_is_cancelled_while_other_calls_are_served() {
    let hub = HubHandle::start(vec![scripted("slow", "hang-calls")], fast_options());
    wait_ready(&hub, "slow", WAIT).await;

    let hanging = {
        let hub = hub.clone();
        tokio::spawn(async move {
            hub.call_tool("slow", "hang", None, Some(Duration::from_millis(1500)))
                .await
        })
    };
    // While it hangs, other calls are answered.
    for _ in 0..3 {
        let quick = hub.call_tool("slow", "quick", None, None).await.unwrap();
        assert_eq!(first_text(&quick), "quick answer");
    }
    let err = hanging.await.unwrap().unwrap_err();
    assert!(
        matches!(err, HubError::Timeout { .. }),
        "{err}\n{:#?}\n{:#?}",
        hub.wire_log("slow", 0).unwrap(),
        hub.stderr("slow", 0).unwrap()
    );
    assert!(err.to_string().contains("no answer within"), "{err}");

    // The call was cancelled on the server, and the server stayed ready.
    let cancelled = wait_server(&hub, "slow", WAIT, "cancel logged", |_| true).await;
    assert_eq!(cancelled.state, ServerState::Ready);
    let wire = hub.wire_log("slow", 0).unwrap();
    assert!(
        wire.iter().any(|e| e.item.direction == Direction::Sent
            && e.item.text.contains("notifications/cancelled")),
        "{wire:#?}"
    );
    let figures = &hub.snapshot().servers[0].figures;
    assert_eq!(figures["hang"].timeouts, 1);
    assert_eq!(figures["quick"].ok, 3);

    // An explicit cancellation ends a call at once. The wire log is a ring: entries are told
    // apart by their numbers, taken before the call starts.
    let seen = hub.wire_log("slow", 0).unwrap().last().map_or(0, |e| e.seq);
    let token = CancellationToken::new();
    let call = {
        let hub = hub.clone();
        let token = token.clone();
        tokio::spawn(async move {
            hub.call_tool_cancellable("slow", "hang", None, None, &token)
                .await
        })
    };
    hub.wait_until(WAIT, |_| {
        hub.wire_log("slow", seen)
            .unwrap()
            .iter()
            .any(|e| e.item.direction == Direction::Sent && e.item.text.contains("\"hang\""))
    })
    .await
    .expect("the second hang call was sent");
    token.cancel();
    let err = call.await.unwrap().unwrap_err();
    assert!(matches!(err, HubError::Cancelled { .. }), "{err}");
    assert_eq!(hub.snapshot().servers[0].figures["hang"].cancelled, 1);
    hub.shutdown(Duration::from_secs(15)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_process_and_start_brings_it_back() {
    let hub = HubHandle::start(vec![scripted("svc", "hang-calls")], fast_options());
    let ready = wait_ready(&hub, "svc", WAIT).await;
    let pid = ready.pid.unwrap();
    hub.stop_server("svc").await.unwrap();
    let stopped = wait_server(&hub, "svc", WAIT, "stopped", |s| {
        s.state == ServerState::Stopped
    })
    .await;
    assert_eq!(stopped.detail.as_deref(), Some("stopped by the operator"));
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} still runs"
    );
    let err = hub.call_tool("svc", "quick", None, None).await.unwrap_err();
    assert!(err.to_string().contains("start it first"), "{err}");

    hub.start_server("svc").await.unwrap();
    let again = wait_ready(&hub, "svc", WAIT).await;
    assert_ne!(again.pid, Some(pid));
    assert_eq!(again.restarts, 0, "an operator start is not a restart");
    let unknown = hub.call_tool("nope", "x", None, None).await.unwrap_err();
    assert_eq!(unknown, HubError::UnknownServer("nope".into()));
    hub.shutdown(Duration::from_secs(15)).await;
}

/// Whether process `pid` has ended (gone, or a zombie waiting for its new parent to reap it).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses: `pid (comm) S …`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_also_ends_what_the_server_started_in_its_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let mut config = scripted("wrapper", "hang-calls");
    config.env.insert(
        "SCRIPTED_GRANDCHILD".into(),
        ltx_tui::config::Secret::new(pid_file.to_string_lossy()),
    );
    let hub = HubHandle::start(vec![config], fast_options());
    wait_ready(&hub, "wrapper", WAIT).await;
    // The server writes the file before it reads its first message: ready means it is there.
    let grandchild: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !ended(grandchild),
        "the helper process should run while the server does"
    );

    hub.stop_server("wrapper").await.unwrap();
    wait_server(&hub, "wrapper", WAIT, "stopped", |s| {
        s.state == ServerState::Stopped
    })
    .await;
    let deadline = std::time::Instant::now() + WAIT;
    while !ended(grandchild) {
        assert!(
            std::time::Instant::now() < deadline,
            "process {grandchild}, started by the stopped server, still runs"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hub.shutdown(Duration::from_secs(15)).await;
}
