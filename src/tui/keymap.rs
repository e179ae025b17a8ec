//! The one registry of key bindings: each binding is a key chord, an [`Action`] and the panes
//! where it applies (none = everywhere). The hint bar, the `?` help and the palette all read
//! it; the config's `ui.keymap` replaces an action's keys (`"db.sync_now": "ctrl-s"`, several
//! keys separated by commas, `""` unbinds).

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::state::Pane;

/// A key with its modifiers (Shift is folded into the character for printable keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift only for non-character keys).
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// A chord of a plain key.
    pub const fn plain(code: KeyCode) -> KeyChord {
        KeyChord {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    /// A chord of a character.
    pub const fn ch(c: char) -> KeyChord {
        KeyChord::plain(KeyCode::Char(c))
    }

    /// A Ctrl chord.
    pub const fn ctrl(c: char) -> KeyChord {
        KeyChord {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// The chord of a terminal key event.
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        let mut mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::BackTab => KeyCode::BackTab,
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        if !matches!(code, KeyCode::Char(_)) && event.modifiers.contains(KeyModifiers::SHIFT) {
            mods |= KeyModifiers::SHIFT;
        }
        KeyChord { code, mods }
    }

    /// Parses `q`, `Q`, `ctrl-z`, `alt-x`, `enter`, `esc`, `tab`, `shift-tab`, `space`,
    /// `up`, `pgdn`, `f1`, `?`.
    pub fn parse(text: &str) -> Option<KeyChord> {
        let text = text.trim();
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
        };
        Some(KeyChord { code, mods })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One key binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The key.
    pub key: KeyChord,
    /// What it does.
    pub action: Action,
    /// Where it applies; empty means every pane.
    pub panes: Vec<Pane>,
    /// Shown in the hint bar.
    pub hint: bool,
}

/// The registry of bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

const DB: &[Pane] = &[Pane::Databases];
const LAG: &[Pane] = &[Pane::Lag];
const TL: &[Pane] = &[Pane::Timeline];
const LOGS: &[Pane] = &[Pane::Logs];
const LAG_TL: &[Pane] = &[Pane::Lag, Pane::Timeline];
const DB_TL: &[Pane] = &[Pane::Databases, Pane::Timeline];
const MCP: &[Pane] = &[Pane::Mcp];

/// The default bindings: vim keys and arrows; no destructive action on a bare Ctrl letter.
const DEFAULTS: &[(&str, Action, &[Pane], bool)] = &[
    ("?", Action::Help, &[], true),
    (":", Action::Palette, &[], true),
    ("q", Action::Quit, &[], true),
    ("ctrl-c", Action::Quit, &[], false),
    ("esc", Action::Back, &[], false),
    ("tab", Action::NextPane, &[], false),
    ("shift-tab", Action::PrevPane, &[], false),
    ("1", Action::ShowPane(Pane::Databases), &[], false),
    ("2", Action::ShowPane(Pane::Lag), &[], false),
    ("3", Action::ShowPane(Pane::Timeline), &[], false),
    ("4", Action::ShowPane(Pane::Logs), &[], false),
    ("5", Action::ShowPane(Pane::Mcp), &[], false),
    ("k", Action::Up, &[], false),
    ("up", Action::Up, &[], false),
    ("j", Action::Down, &[], false),
    ("down", Action::Down, &[], false),
    ("h", Action::Left, TL, false),
    ("left", Action::Left, TL, false),
    ("l", Action::Right, TL, false),
    ("right", Action::Right, TL, false),
    ("pgup", Action::PageUp, &[], false),
    ("H", Action::PageUp, TL, false),
    ("pgdn", Action::PageDown, &[], false),
    ("L", Action::PageDown, TL, false),
    ("g", Action::Top, &[], false),
    ("home", Action::Top, &[], false),
    ("G", Action::Bottom, &[], false),
    ("end", Action::Bottom, &[], false),
    ("/", Action::Filter, DB, true),
    ("o", Action::Sort, DB, true),
    ("enter", Action::Detail, DB, true),
    ("s", Action::SyncNow, DB, true),
    ("n", Action::SnapshotNow, DB, true),
    ("P", Action::PauseResume, DB, true),
    ("f", Action::Freeze, LAG, true),
    ("+", Action::ZoomIn, LAG_TL, true),
    ("-", Action::ZoomOut, LAG_TL, true),
    ("=", Action::ZoomReset, LAG_TL, true),
    ("[", Action::PrevFile, TL, true),
    ("]", Action::NextFile, TL, true),
    ("t", Action::Goto, TL, true),
    ("p", Action::Preview, TL, true),
    ("enter", Action::Restore, TL, true),
    ("R", Action::Restore, DB_TL, true),
    ("v", Action::LogLevel, LOGS, true),
    ("F", Action::Follow, LOGS, true),
    ("h", Action::Left, MCP, false),
    ("left", Action::Left, MCP, false),
    ("l", Action::Right, MCP, false),
    ("right", Action::Right, MCP, false),
    ("enter", Action::McpCall, MCP, true),
    ("t", Action::McpTab, MCP, true),
    ("s", Action::McpStart, MCP, true),
    ("x", Action::McpStop, MCP, true),
    ("r", Action::McpRestart, MCP, true),
    ("b", Action::McpRemoteTimeline, MCP, true),
    ("ctrl-z", Action::Suspend, &[], false),
    ("T", Action::CycleTheme, &[], false),
];

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: DEFAULTS
                .iter()
                .filter_map(|(key, action, panes, hint)| {
                    Some(Binding {
                        key: KeyChord::parse(key)?,
                        action: *action,
                        panes: panes.to_vec(),
                        hint: *hint,
                    })
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with the config's overrides applied; returns the problems found (unknown
    /// action names, unreadable keys), which the console shows as toasts.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> (Keymap, Vec<String>) {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (name, keys) in overrides {
            let Some(action) = Action::from_name(name) else {
                problems.push(format!("ui.keymap: unknown action {name:?}"));
                continue;
            };
            let template = map.bindings.iter().find(|b| b.action == action).cloned();
            map.bindings.retain(|b| b.action != action);
            for key in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                match KeyChord::parse(key) {
                    Some(chord) => map.bindings.push(Binding {
                        key: chord,
                        action,
                        panes: template
                            .as_ref()
                            .map(|t| t.panes.clone())
                            .unwrap_or_default(),
                        hint: template.as_ref().is_some_and(|t| t.hint),
                    }),
                    None => problems.push(format!("ui.keymap: {name}: cannot read key {key:?}")),
                }
            }
        }
        (map, problems)
    }

    /// The action of `key` in `pane`: a pane's own binding wins over a global one.
    pub fn lookup(&self, key: KeyChord, pane: Pane) -> Option<Action> {
        let mut global = None;
        for b in self.bindings.iter().filter(|b| b.key == key) {
            if b.panes.contains(&pane) {
                return Some(b.action);
            }
            if b.panes.is_empty() && global.is_none() {
                global = Some(b.action);
            }
        }
        global
    }

    /// Every binding, in registry order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The keys of `action` (in `pane`, or anywhere when `pane` is None), as text.
    pub fn keys_for(&self, action: Action, pane: Option<Pane>) -> Vec<KeyChord> {
        self.bindings
            .iter()
            .filter(|b| b.action == action)
            .filter(|b| pane.is_none_or(|p| b.panes.is_empty() || b.panes.contains(&p)))
            .map(|b| b.key)
            .collect()
    }

    /// The bindings shown in the hint bar for `pane`: the globals (help, palette, quit), then
    /// the pane's own.
    pub fn hints(&self, pane: Pane) -> Vec<&Binding> {
        let own = self
            .bindings
            .iter()
            .filter(|b| b.hint && b.panes.contains(&pane));
        let global = self
            .bindings
            .iter()
            .filter(|b| b.hint && b.panes.is_empty());
        global.chain(own).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_parse_and_print() {
        for text in ["q", "ctrl-z", "enter", "shift-tab", "?", "f1", "space", "G"] {
            let chord = KeyChord::parse(text).unwrap();
            assert_eq!(chord.to_string(), text);
        }
        assert_eq!(KeyChord::parse("ctrl-Z"), Some(KeyChord::ctrl('z')));
        assert_eq!(KeyChord::parse("nope"), None);
    }

    #[test]
    fn pane_bindings_win_over_globals_and_overrides_replace_keys() {
        let map = Keymap::default();
        assert_eq!(
            map.lookup(KeyChord::plain(KeyCode::Enter), Pane::Timeline),
            Some(Action::Restore)
        );
        assert_eq!(
            map.lookup(KeyChord::plain(KeyCode::Enter), Pane::Databases),
            Some(Action::Detail)
        );
        let overrides = BTreeMap::from([
            ("db.sync_now".to_owned(), "ctrl-s, S".to_owned()),
            ("quit".to_owned(), String::new()),
            ("nope".to_owned(), "x".to_owned()),
        ]);
        let (map, problems) = Keymap::with_overrides(&overrides);
        assert_eq!(problems.len(), 1);
        assert_eq!(map.lookup(KeyChord::ch('s'), Pane::Databases), None);
        assert_eq!(
            map.lookup(KeyChord::ctrl('s'), Pane::Databases),
            Some(Action::SyncNow)
        );
        assert_eq!(map.lookup(KeyChord::ch('q'), Pane::Databases), None);
    }
}
