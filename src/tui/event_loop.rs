//! The loop: one task owns the terminal and the state. It waits on terminal input, signals,
//! the engine's snapshot watch and events, finished background work and log lines; applies
//! each message with `update`, drains whatever else is already queued, then draws once — at
//! most one frame per 16 ms, only when something visible changed. With nothing changing it
//! sleeps (no timer is armed unless something on screen depends on time) and writes nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::Terminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, mpsc, watch};

use crate::config::{self, ConfigError, LoadOptions};
use crate::engine::{EngineEvent, EngineSnapshot};
use crate::mcp::hub::HubSnapshot;

use super::demo::{self, DemoOptions, Workload};
use super::effect::Effect;
use super::effects::run_effect;
use super::keymap::Keymap;
use super::log_capture::{LogLine, install_log_capture};
use super::msg::Msg;
use super::session::Session;
use super::state::{AppState, Overlay};
use super::terminal::{ConsoleBackend, TerminalGuard};
use super::theme::{Meaning, Theme};
use super::update::update;
use super::view;

/// The shortest time between two frames.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// Messages applied before a frame is drawn, at most (keeps input responsive under floods).
const DRAIN_LIMIT: usize = 256;

/// How the console starts.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// `--config FILE`.
    pub config_path: Option<PathBuf>,
    /// Expand `$VAR` in the configuration.
    pub expand_env: bool,
    /// `--readonly`: refuse every mutating action.
    pub readonly: bool,
    /// Run the demo instead of a configuration.
    pub demo: Option<DemoOptions>,
}

/// Runs the console until the person quits or a signal arrives; returns the exit code
/// (0 ok, 1 failed, 2 configuration error).
pub fn run_console(opts: ConsoleOptions) -> u8 {
    let logs = install_log_capture("info");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ltx-tui: cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(console(opts, logs))
}

/// What the console starts on.
enum Start {
    Config(Box<config::Config>, Option<(PathBuf, f64)>),
    FirstRun,
}

fn resolve(opts: &ConsoleOptions) -> Result<Start, (u8, String)> {
    if let Some(demo_opts) = &opts.demo {
        let (paths, config) = demo::prepare(demo_opts).map_err(|e| (1, e))?;
        return Ok(Start::Config(
            Box::new(config),
            Some((paths.db, demo_opts.rate)),
        ));
    }
    let mut load = LoadOptions::from_process();
    load.expand_env = opts.expand_env;
    match config::locate(opts.config_path.as_deref(), &load) {
        Ok(located) => config::load(&located.path, &load)
            .map(|c| Start::Config(Box::new(c), None))
            .map_err(|e| (2, e.to_string())),
        Err(ConfigError::NotFound { .. }) if opts.config_path.is_none() => Ok(Start::FirstRun),
        Err(e) => Err((2, e.to_string())),
    }
}

async fn console(opts: ConsoleOptions, logs: Option<mpsc::Receiver<LogLine>>) -> u8 {
    let start = match resolve(&opts) {
        Ok(s) => s,
        Err((code, e)) => {
            eprintln!("ltx-tui: {e}");
            return code;
        }
    };
    let ui = match &start {
        Start::Config(c, _) => c.ui.clone(),
        Start::FirstRun => config::UiConfig::default(),
    };
    let (keymap, keymap_problems) = Keymap::with_overrides(&ui.keymap);
    let guard = match TerminalGuard::enter(ui.mouse) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("ltx-tui: cannot set up the terminal: {e}");
            return 1;
        }
    };
    let mut terminal = match Terminal::new(ConsoleBackend::default()) {
        Ok(t) => t,
        Err(e) => {
            drop(guard);
            eprintln!("ltx-tui: cannot set up the terminal: {e}");
            return 1;
        }
    };
    let size = crossterm::terminal::size().unwrap_or((80, 24));
    let mut state = AppState::new(SystemTime::now(), size, Theme::from_env(&ui.theme), keymap);
    state.readonly = opts.readonly;
    state.mouse = ui.mouse;
    for p in keymap_problems {
        state.toast(Meaning::Warn, p);
    }
    // Paint before any replica I/O: the engine starts after the first frame.
    state.first_run = matches!(start, Start::FirstRun);
    if let Start::Config(config, _) = &start {
        state.configured_dbs = config.dbs.len();
    }
    let _ = terminal.draw(|f| view::draw(&state, f));
    state.dirty = false;

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut session: Option<Arc<Session>> = None;
    if let Start::Config(config, demo) = start {
        state.demo = demo.is_some();
        match start_session(*config, demo, &mut state) {
            Ok(s) => session = Some(s),
            Err(e) => {
                drop(guard);
                eprintln!("ltx-tui: {e}");
                return 2;
            }
        }
    }
    let code = run_loop(
        &mut terminal,
        &guard,
        &mut state,
        &mut session,
        (tx, &mut rx),
        logs,
    )
    .await;
    if let Some(s) = &session {
        state.overlay = Overlay::Report {
            title: "Stopping".into(),
            lines: vec!["final sync of every database…".into()],
        };
        let _ = terminal.draw(|f| view::draw(&state, f));
        s.stop().await;
    }
    drop(guard);
    code
}

fn start_session(
    config: config::Config,
    demo: Option<(PathBuf, f64)>,
    state: &mut AppState,
) -> Result<Arc<Session>, String> {
    state.config_origin = Some(config.origin.clone());
    state.mcp_servers = config.mcp_servers.iter().map(|s| s.name.clone()).collect();
    let workload = demo.and_then(|(db, rate)| Workload::start(&db, rate));
    let session = Arc::new(Session::start(config, workload)?);
    state.apply_snapshot(&session.engine.snapshot());
    if let Some(hub) = &session.hub {
        state.mcp.apply(hub.snapshot());
    }
    state.dirty = true;
    Ok(session)
}

async fn next_snapshot(rx: &mut Option<watch::Receiver<EngineSnapshot>>) -> Option<EngineSnapshot> {
    let Some(r) = rx else {
        return std::future::pending().await;
    };
    match r.changed().await {
        Ok(()) => Some(r.borrow_and_update().clone()),
        Err(_) => {
            *rx = None;
            None
        }
    }
}

async fn next_hub(rx: &mut Option<watch::Receiver<HubSnapshot>>) -> Option<HubSnapshot> {
    match rx {
        Some(r) => match r.changed().await {
            Ok(()) => Some(r.borrow_and_update().clone()),
            Err(_) => {
                *rx = None;
                None
            }
        },
        None => std::future::pending().await,
    }
}

async fn next_event(rx: &mut Option<broadcast::Receiver<EngineEvent>>) -> Option<EngineEvent> {
    let Some(r) = rx else {
        return std::future::pending().await;
    };
    match r.recv().await {
        Ok(e) => Some(e),
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *rx = None;
            None
        }
    }
}

async fn next_log(rx: &mut Option<mpsc::Receiver<LogLine>>) -> Option<LogLine> {
    let Some(r) = rx else {
        return std::future::pending().await;
    };
    let line = r.recv().await;
    if line.is_none() {
        *rx = None;
    }
    line
}

fn terminal_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

type Channel<'a> = (
    mpsc::UnboundedSender<Msg>,
    &'a mut mpsc::UnboundedReceiver<Msg>,
);

async fn run_loop(
    terminal: &mut Terminal<ConsoleBackend>,
    guard: &TerminalGuard,
    state: &mut AppState,
    session: &mut Option<Arc<Session>>,
    (tx, rx): Channel<'_>,
    mut logs: Option<mpsc::Receiver<LogLine>>,
) -> u8 {
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        return 1;
    };
    let mut input = EventStream::new();
    let mut snapshots = session.as_ref().map(|s| s.engine.watch());
    let mut events = session.as_ref().map(|s| s.engine.subscribe());
    let mut hub = session
        .as_ref()
        .and_then(|s| s.hub.as_ref().map(|h| h.subscribe()));
    let mut last_frame = Instant::now();
    loop {
        let wake = state
            .next_wakeup()
            .map(|t| t.duration_since(SystemTime::now()).unwrap_or_default());
        let frame_in = state
            .dirty
            .then(|| (last_frame + FRAME_INTERVAL).saturating_duration_since(Instant::now()));
        let msg = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(e)) => terminal_msg(e),
                Some(Err(_)) | None => Some(Msg::Quit),
            },
            _ = term.recv() => Some(Msg::Quit),
            _ = hup.recv() => Some(Msg::Quit),
            _ = int.recv() => Some(Msg::Quit),
            Some(m) = rx.recv() => Some(m),
            s = next_snapshot(&mut snapshots) => s.map(Msg::Snapshot),
            e = next_event(&mut events) => e.map(Msg::Engine),
            l = next_log(&mut logs) => l.map(Msg::Log),
            h = next_hub(&mut hub) => h.map(|h| Msg::Hub(Box::new(h))),
            _ = tokio::time::sleep(wake.unwrap_or_default()), if wake.is_some() && frame_in.is_none() => Some(Msg::Tick),
            _ = tokio::time::sleep(frame_in.unwrap_or_default()), if frame_in.is_some() => None,
        };
        let mut pending = msg.into_iter().collect::<Vec<_>>();
        // Drain what is already queued so a burst costs one frame.
        while pending.len() < DRAIN_LIMIT {
            match rx.try_recv() {
                Ok(m) => pending.push(m),
                Err(_) => break,
            }
        }
        for m in pending {
            state.now = SystemTime::now();
            for effect in update(state, m) {
                match effect {
                    Effect::Quit => return 0,
                    Effect::Suspend => {
                        if guard.suspend().is_ok() {
                            terminal.backend_mut().invalidate();
                            let _ = terminal.clear();
                            state.dirty = true;
                        }
                    }
                    Effect::Mouse(on) => {
                        let _ = guard.set_mouse(on);
                    }
                    Effect::StartDemo => {
                        match demo::prepare(&DemoOptions {
                            reset: false,
                            rate: 3.0,
                            dir: None,
                        })
                        .and_then(|(paths, config)| {
                            start_session(config, Some((paths.db, 3.0)), state)
                        }) {
                            Ok(s) => {
                                state.demo = true;
                                snapshots = Some(s.engine.watch());
                                events = Some(s.engine.subscribe());
                                *session = Some(s);
                            }
                            Err(e) => {
                                state.first_run = true;
                                state.toast(Meaning::Error, format!("demo: {e}"));
                            }
                        }
                    }
                    other => {
                        if let Some(s) = session.as_ref() {
                            run_effect(other, s, &tx);
                        }
                    }
                }
            }
        }
        if state.quitting {
            return 0;
        }
        if state.dirty && last_frame.elapsed() >= FRAME_INTERVAL {
            state.now = SystemTime::now();
            state.timeline.tick(state.now);
            let _ = terminal.draw(|f| view::draw(state, f));
            state.dirty = false;
            last_frame = Instant::now();
        }
    }
}
