//! Every command a person can give the console, with its name (for the keymap and the
//! palette), its description (for the hint bar and `?` help) and whether it changes anything
//! (so read-only mode can refuse it in the one dispatcher).

use super::state::Pane;

/// A command of the console. Keys, the palette and the mouse all end up here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave the console (the engine makes its final sync first).
    Quit,
    /// Close the open popup or step back.
    Back,
    /// Show the searchable help.
    Help,
    /// Open the command palette.
    Palette,
    /// Show the next pane.
    NextPane,
    /// Show the previous pane.
    PrevPane,
    /// Show one pane.
    ShowPane(Pane),
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move left (timeline: scrub back).
    Left,
    /// Move right (timeline: scrub forward).
    Right,
    /// A page up / back.
    PageUp,
    /// A page down / forward.
    PageDown,
    /// The first row / oldest point.
    Top,
    /// The last row / newest point.
    Bottom,
    /// Filter the list.
    Filter,
    /// Change the sort column.
    Sort,
    /// Show or hide the detail of the selected database.
    Detail,
    /// Sync the selected database now.
    SyncNow,
    /// Take a snapshot of the selected database now.
    SnapshotNow,
    /// Pause or resume the selected database.
    PauseResume,
    /// Freeze or unfreeze live updates of the pane.
    Freeze,
    /// Zoom the time axis in.
    ZoomIn,
    /// Zoom the time axis out.
    ZoomOut,
    /// Reset the time axis zoom.
    ZoomReset,
    /// Jump to the previous LTX file.
    PrevFile,
    /// Jump to the next LTX file.
    NextFile,
    /// Jump to a typed time (opens the palette with `goto `).
    Goto,
    /// Preview the database at the timeline cursor.
    Preview,
    /// Open the restore wizard (at the timeline cursor on the timeline).
    Restore,
    /// Cycle the log level filter.
    LogLevel,
    /// Follow new log lines, or stop following.
    Follow,
    /// Suspend the console to the shell (Ctrl-Z).
    Suspend,
    /// Switch to the next theme.
    CycleTheme,
    /// MCP pane: open the call form of the selected tool.
    McpCall,
    /// MCP pane: start the selected server.
    McpStart,
    /// MCP pane: stop the selected server.
    McpStop,
    /// MCP pane: restart the selected server.
    McpRestart,
    /// MCP pane: show the next tab (tools, stderr, wire log).
    McpTab,
    /// MCP pane: the timeline of the next database of an attached ltx-tui (`ltx_timeline`).
    McpRemoteTimeline,
}

/// What the registry says about an action.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    /// The name used in the config's `ui.keymap` and in the palette.
    pub name: &'static str,
    /// A short description for hints and help.
    pub description: &'static str,
    /// True when the action changes replication or files (refused in read-only mode).
    pub mutating: bool,
}

impl Action {
    /// Every action, in help order.
    pub const ALL: [Action; 44] = [
        Action::Help,
        Action::Palette,
        Action::Quit,
        Action::Back,
        Action::NextPane,
        Action::PrevPane,
        Action::ShowPane(Pane::Databases),
        Action::ShowPane(Pane::Lag),
        Action::ShowPane(Pane::Timeline),
        Action::ShowPane(Pane::Logs),
        Action::ShowPane(Pane::Mcp),
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Filter,
        Action::Sort,
        Action::Detail,
        Action::SyncNow,
        Action::SnapshotNow,
        Action::PauseResume,
        Action::Freeze,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::ZoomReset,
        Action::PrevFile,
        Action::NextFile,
        Action::Goto,
        Action::Preview,
        Action::Restore,
        Action::LogLevel,
        Action::Follow,
        Action::Suspend,
        Action::CycleTheme,
        Action::McpCall,
        Action::McpStart,
        Action::McpStop,
        Action::McpRestart,
        Action::McpTab,
        Action::McpRemoteTimeline,
    ];

    /// The registry entry of this action.
    pub fn info(self) -> ActionInfo {
        let (name, description, mutating) = match self {
            Action::Quit => ("quit", "quit", false),
            Action::Back => ("back", "close / back", false),
            Action::Help => ("help", "help", false),
            Action::Palette => ("palette", "command palette", false),
            Action::NextPane => ("pane.next", "next pane", false),
            Action::PrevPane => ("pane.prev", "previous pane", false),
            Action::ShowPane(Pane::Databases) => ("pane.databases", "databases pane", false),
            Action::ShowPane(Pane::Lag) => ("pane.lag", "replication lag pane", false),
            Action::ShowPane(Pane::Timeline) => ("pane.timeline", "timeline pane", false),
            Action::ShowPane(Pane::Logs) => ("pane.logs", "logs pane", false),
            Action::ShowPane(Pane::Mcp) => ("pane.mcp", "MCP servers pane", false),
            Action::Up => ("up", "up", false),
            Action::Down => ("down", "down", false),
            Action::Left => ("left", "scrub back", false),
            Action::Right => ("right", "scrub forward", false),
            Action::PageUp => ("page_up", "page up / back", false),
            Action::PageDown => ("page_down", "page down / forward", false),
            Action::Top => ("top", "first / oldest", false),
            Action::Bottom => ("bottom", "last / newest", false),
            Action::Filter => ("filter", "filter", false),
            Action::Sort => ("sort", "sort by next column", false),
            Action::Detail => ("detail", "details", false),
            Action::SyncNow => ("db.sync_now", "sync now", true),
            Action::SnapshotNow => ("db.snapshot_now", "snapshot now", true),
            Action::PauseResume => ("db.pause_resume", "pause / resume", true),
            Action::Freeze => ("freeze", "freeze / unfreeze", false),
            Action::ZoomIn => ("zoom.in", "zoom in", false),
            Action::ZoomOut => ("zoom.out", "zoom out", false),
            Action::ZoomReset => ("zoom.reset", "reset zoom", false),
            Action::PrevFile => ("timeline.prev_file", "previous file", false),
            Action::NextFile => ("timeline.next_file", "next file", false),
            Action::Goto => ("timeline.goto", "go to time", false),
            Action::Preview => ("timeline.preview", "preview at cursor", false),
            Action::Restore => ("restore", "restore wizard", true),
            Action::LogLevel => ("logs.level", "log level filter", false),
            Action::Follow => ("logs.follow", "follow / stop following", false),
            Action::Suspend => ("suspend", "suspend to shell", false),
            Action::CycleTheme => ("theme.next", "next theme", false),
            // Calling a tool of an attached server writes nothing of ours; a destructive tool
            // is confirmed first (see `mcp_pane::confirmation_reason`).
            Action::McpCall => ("mcp.call", "call tool", false),
            Action::McpStart => ("mcp.start", "start server", false),
            Action::McpStop => ("mcp.stop", "stop server", false),
            Action::McpRestart => ("mcp.restart", "restart server", false),
            Action::McpTab => ("mcp.tab", "tools / stderr / wire", false),
            Action::McpRemoteTimeline => ("mcp.remote_timeline", "remote timeline", false),
        };
        ActionInfo {
            name,
            description,
            mutating,
        }
    }

    /// The action named `name` in the registry.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.info().name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.info().name).collect();
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.info().name), Some(a));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
