//! Drives the real console in-process: the real engine on temporary databases with `file://`
//! replicas, the real `AppState`, `update`, effects and views, drawn into a `TestBackend`.
//! Waits are on the engine's watch channel and on the messages effects send back: no sleeps.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ltx_tui::config::{self, LoadOptions};
use ltx_tui::tui::{AppState, Effect, Keymap, Msg, Session, Theme, run_effect, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::support::engine::wait_caught_up;

/// How long a wait for an effect's answer may take.
const WAIT: Duration = Duration::from_secs(30);

#[allow(dead_code)]
pub struct Harness {
    pub tmp: tempfile::TempDir,
    pub dbs: Vec<PathBuf>,
    pub session: Arc<Session>,
    pub state: AppState,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
}

fn create_db(path: &Path, rows: usize) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.execute_batch("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL);")
        .unwrap();
    for i in 0..rows {
        conn.execute(
            "INSERT INTO orders (item) VALUES (?1)",
            [format!("item-{i:04}")],
        )
        .unwrap();
    }
    // Closing the last connection checkpoints and removes the WAL: a quiet, fixed start.
    conn.close().unwrap();
}

// Each test binary uses part of the harness.
#[allow(dead_code)]
impl Harness {
    /// `n` databases of 50 rows each, replicated, caught up; the state at the size given, its
    /// clock fixed 3 s after the newest sync.
    pub async fn start(n: usize, size: (u16, u16)) -> Harness {
        Harness::start_with(n, size, "").await
    }

    /// As [`Harness::start`], with `top` lines at the start of the configuration (e.g.
    /// `mcp-servers:`).
    pub async fn start_with(n: usize, size: (u16, u16), top: &str) -> Harness {
        let tmp = tempfile::tempdir().unwrap();
        let mut yaml = format!("{top}dbs:\n");
        let mut dbs = Vec::new();
        for i in 0..n {
            let db = tmp.path().join(format!("db{i}.db"));
            create_db(&db, 50);
            yaml.push_str(&format!(
                "  - path: {}\n    monitor-interval: 100ms\n    replica:\n      url: file://{}\n",
                db.display(),
                tmp.path().join(format!("replica{i}")).display()
            ));
            dbs.push(db);
        }
        let origin = tmp.path().join("ltx-tui.yml");
        std::fs::write(&origin, &yaml).unwrap();
        let config = config::parse_str(&yaml, &origin, &LoadOptions::new(tmp.path())).unwrap();
        let session = Arc::new(Session::start(config, None).unwrap());
        let mut watch = session.engine.watch();
        for db in &dbs {
            wait_caught_up(&mut watch, db, "the first sync").await;
        }
        let snapshot = session.engine.snapshot();
        let newest = snapshot
            .databases
            .iter()
            .filter_map(|d| d.last_sync)
            .max()
            .unwrap();
        let now = newest + Duration::from_secs(3);
        let mut state = AppState::new(
            now,
            size,
            Theme::named("default", false, false),
            Keymap::default(),
        );
        state.config_origin = Some(origin);
        update(&mut state, Msg::Snapshot(snapshot));
        if let Some(hub) = &session.hub {
            update(&mut state, Msg::Hub(Box::new(hub.snapshot())));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        Harness {
            tmp,
            dbs,
            session,
            state,
            tx,
            rx,
        }
    }

    /// The fixed clock.
    pub fn now(&self) -> SystemTime {
        self.state.now
    }

    /// Applies a message with the fixed clock, runs its effects for real.
    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        let now = self.state.now;
        let effects = update(&mut self.state, msg);
        self.state.now = now;
        for e in &effects {
            run_effect(e.clone(), &self.session, &self.tx);
        }
        effects
    }

    /// Presses a key.
    pub fn press(&mut self, code: KeyCode) -> Vec<Effect> {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// Types text.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Applies messages from finished effects until one satisfies `done`.
    pub async fn until(&mut self, what: &str, mut done: impl FnMut(&Msg) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap();
            let hit = done(&msg);
            self.send(msg);
            if hit {
                return;
            }
        }
    }

    /// The screen as text at `size` (the state keeps its size for layout math).
    pub fn screen(&mut self, size: (u16, u16)) -> String {
        self.state.size = size;
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        terminal.draw(|f| view::draw(&self.state, f)).unwrap();
        terminal.backend().to_string()
    }

    /// The buffer at `size`, for style checks.
    pub fn buffer(&mut self, size: (u16, u16)) -> ratatui::buffer::Buffer {
        self.state.size = size;
        let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        terminal.draw(|f| view::draw(&self.state, f)).unwrap();
        terminal.backend().buffer().clone()
    }

    /// Feeds the hub's snapshots to the state until `done` holds for one.
    pub async fn until_hub(
        &mut self,
        what: &str,
        mut done: impl FnMut(&ltx_tui::mcp::hub::HubSnapshot) -> bool,
    ) {
        let hub = self
            .session
            .hub
            .clone()
            .expect("a hub: mcp-servers configured");
        let found = hub.wait_until(WAIT, |s| done(s)).await;
        let snapshot = found.unwrap_or_else(|s| panic!("timed out waiting for {what}: {s:#?}"));
        self.send(Msg::Hub(Box::new(snapshot)));
    }

    pub async fn stop(self) {
        self.session.stop().await;
    }
}
