//! The `:` command palette: fuzzy search over every action of the registry, plus commands
//! with an argument (`goto 14:03`, `theme dark`, `db app`). Times are UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use tui_input::Input;

use super::action::Action;
use super::fuzzy::fuzzy_score;
use super::theme::Theme;

/// The palette's text and selection.
#[derive(Debug, Clone, Default)]
pub struct Palette {
    /// What was typed.
    pub input: Input,
    /// The highlighted match.
    pub selected: usize,
}

/// What a palette line does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCommand {
    /// Run an action.
    Run(Action),
    /// Move the timeline cursor to a time.
    Goto(String),
    /// Switch theme.
    Theme(&'static str),
    /// Select a database (index into the engine's list).
    Db(usize),
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    /// What is shown.
    pub label: String,
    /// What it does.
    pub command: PaletteCommand,
}

impl Palette {
    /// A palette with `text` already typed.
    pub fn with_text(text: &str) -> Palette {
        Palette {
            input: Input::new(text.to_owned()),
            selected: 0,
        }
    }

    /// The lines matching what was typed, best first. `dbs` are the database names.
    pub fn items(&self, dbs: &[String]) -> Vec<PaletteItem> {
        let query = self.input.value().trim_start();
        if let Some(arg) = query.strip_prefix("goto ") {
            return vec![PaletteItem {
                label: format!("goto {arg}  (timeline cursor, UTC)"),
                command: PaletteCommand::Goto(arg.trim().to_owned()),
            }];
        }
        if let Some(arg) = query.strip_prefix("theme ") {
            return rank(
                arg,
                Theme::NAMES.iter().map(|n| PaletteItem {
                    label: format!("theme {n}"),
                    command: PaletteCommand::Theme(n),
                }),
            );
        }
        if let Some(arg) = query.strip_prefix("db ") {
            return rank(
                arg,
                dbs.iter().enumerate().map(|(i, n)| PaletteItem {
                    label: format!("db {n}"),
                    command: PaletteCommand::Db(i),
                }),
            );
        }
        let actions = Action::ALL.into_iter().map(|a| {
            let info = a.info();
            PaletteItem {
                label: format!("{}  {}", info.name, info.description),
                command: PaletteCommand::Run(a),
            }
        });
        let extra = [
            ("goto HH:MM", PaletteCommand::Goto(String::new())),
            ("theme NAME", PaletteCommand::Theme("default")),
        ]
        .into_iter()
        .map(|(l, c)| PaletteItem {
            label: l.to_owned(),
            command: c,
        });
        rank(query, actions.chain(extra))
    }
}

fn rank(query: &str, items: impl Iterator<Item = PaletteItem>) -> Vec<PaletteItem> {
    let mut scored: Vec<(i32, usize, PaletteItem)> = items
        .enumerate()
        .filter_map(|(i, item)| fuzzy_score(query, &item.label).map(|s| (s, i, item)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, item)| item).collect()
}

/// Parses a time typed by a person, in UTC: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, or
/// `HH:MM[:SS]` (today, or yesterday when that would be in the future).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(d.and_time(NaiveTime::MIN).and_utc());
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()?;
    let today = now.date_naive().and_time(time).and_utc();
    Some(if today > now {
        today - TimeDelta::days(1)
    } else {
        today
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_parse_in_utc_and_never_in_the_future() {
        let now = Utc.with_ymd_and_hms(2026, 8, 1, 14, 30, 0).unwrap();
        assert_eq!(
            parse_time("14:03", now),
            Some(Utc.with_ymd_and_hms(2026, 8, 1, 14, 3, 0).unwrap())
        );
        assert_eq!(
            parse_time("15:00", now),
            Some(Utc.with_ymd_and_hms(2026, 7, 31, 15, 0, 0).unwrap())
        );
        assert_eq!(
            parse_time("2026-07-01T10:00:00Z", now),
            Some(Utc.with_ymd_and_hms(2026, 7, 1, 10, 0, 0).unwrap())
        );
        assert_eq!(parse_time("25:00", now), None);
    }

    #[test]
    fn fuzzy_matches_actions_and_parses_commands() {
        let p = Palette::with_text("snpnow");
        let items = p.items(&[]);
        assert_eq!(items[0].command, PaletteCommand::Run(Action::SnapshotNow));
        let p = Palette::with_text("goto 14:03");
        assert_eq!(
            p.items(&[])[0].command,
            PaletteCommand::Goto("14:03".into())
        );
        let p = Palette::with_text("db ap");
        let items = p.items(&["other.db".into(), "app.db".into()]);
        assert_eq!(items[0].command, PaletteCommand::Db(1));
    }
}
