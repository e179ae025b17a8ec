//! The console: one task owns the terminal and the [`AppState`]; [`update`] turns a [`Msg`]
//! into state changes and [`Effect`]s, [`view::draw`] paints the state. Both are pure: every
//! piece of I/O (engine commands, `ops` calls, the file system, the terminal) happens in the
//! loop (`event_loop.rs`) and the effect runner (`effects.rs`), which feed results back as
//! messages.
//!
//! This room talks to the engine only through [`crate::engine::EngineHandle`] and to replicas
//! only through [`crate::ops`] and [`crate::restore`]; nothing below it imports it.

mod action;
mod demo;
mod dispatch;
mod effect;
mod effects;
mod event_loop;
mod fleet;
mod fuzzy;
mod keymap;
mod lag_history;
mod log_capture;
mod logs;
pub mod mcp_form;
pub mod mcp_pane;
pub mod mcp_result;
mod mcp_update;
mod msg;
mod palette;
mod remote_action;
mod session;
mod state;
mod terminal;
mod theme;
mod timeline;
mod timeline_io;
mod timeline_source;
mod update;
pub mod view;
mod wizard;
mod wizard_io;

pub use action::{Action, ActionInfo};
pub use demo::{DemoOptions, DemoPaths};
pub use dispatch::dispatch;
pub use effect::Effect;
pub use effects::run_effect;
pub use event_loop::{ConsoleOptions, run_console};
pub use fleet::{FleetLine, FleetRow, RemoteDbRef, Selected};
pub use fuzzy::fuzzy_score;
pub use keymap::{Binding, KeyChord, Keymap};
pub use lag_history::{LagHistory, LagSample};
pub use log_capture::{LogLine, LogSink, install_log_capture};
pub use logs::LogView;
pub use msg::Msg;
pub use palette::Palette;
pub use remote_action::RemoteAction;
pub use session::Session;
pub use state::{AppState, Overlay, Pane, SortKey, Toast};
pub use terminal::{TerminalGuard, restore_terminal};
pub use theme::{Glyphs, Meaning, Theme};
pub use timeline::{LaneLevel, LoadedWindow, TimelineState, WindowRequest};
pub use timeline_source::TimelineSource;
pub use update::update;
pub use wizard::{
    Overwrite, PlanSummary, PointChoice, RestoreSummary, WizardEffect, WizardEvent, WizardState,
    WizardStep,
};
