//! Themes by meaning, not by colour: a view asks for [`Meaning::Warn`], the theme decides what
//! that looks like. `default` uses only the 16 ANSI colours and the terminal's own background,
//! so it follows the terminal's palette over SSH and tmux; `dark` and `light` use the 256-colour
//! palette; `mono` (forced by `NO_COLOR`) uses bold, dim and reverse only; `ascii` (or
//! `LTX_TUI_ASCII=1`) draws with plain ASCII for fonts without box or braille glyphs.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;

/// What a piece of text means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Ordinary text.
    Base,
    /// Less important text (labels, units).
    Muted,
    /// Pane titles.
    Title,
    /// Something to notice.
    Important,
    /// Healthy.
    Ok,
    /// Needs attention.
    Warn,
    /// Broken.
    Error,
    /// The selected row.
    Selected,
    /// The read-only badge and other badges.
    Badge,
    /// Keys in the hint bar and help.
    Key,
    /// The timeline cursor.
    Cursor,
    /// A disabled binding.
    Disabled,
}

/// The glyphs a theme draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    /// ASCII only (borders `+-|`, dot markers).
    pub ascii: bool,
}

impl Glyphs {
    /// Border set for blocks.
    pub fn border(self) -> symbols::border::Set<'static> {
        if self.ascii {
            symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            symbols::border::PLAIN
        }
    }

    /// Marker of chart lines.
    pub fn marker(self) -> symbols::Marker {
        if self.ascii {
            symbols::Marker::Dot
        } else {
            symbols::Marker::Braille
        }
    }

    /// The glyph for a timeline cell holding `n` files.
    pub fn lane(self, n: usize) -> &'static str {
        match (self.ascii, n) {
            (_, 0) => " ",
            (true, 1) => ".",
            (true, 2..=4) => ":",
            (true, _) => "#",
            (false, 1) => "▏",
            (false, 2..=4) => "▌",
            (false, _) => "█",
        }
    }

    /// The separator between status bar items.
    pub fn separator(self) -> &'static str {
        if self.ascii { "|" } else { "│" }
    }

    /// The timeline cursor glyph.
    pub fn cursor(self) -> &'static str {
        if self.ascii { "|" } else { "┃" }
    }

    /// The caret after text being typed.
    pub fn caret(self) -> &'static str {
        if self.ascii { "_" } else { "▏" }
    }

    /// A full block for progress bars.
    pub fn bar(self) -> (&'static str, &'static str) {
        if self.ascii {
            ("#", "-")
        } else {
            ("█", "░")
        }
    }
}

/// A named theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// `default`, `dark`, `light`, `mono` or `ascii`.
    pub name: &'static str,
    palette: Palette,
    /// The glyphs.
    pub glyphs: Glyphs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Palette {
    Ansi16,
    Dark,
    Light,
    Mono,
}

impl Theme {
    /// The theme names, in cycling order.
    pub const NAMES: [&'static str; 5] = ["default", "dark", "light", "mono", "ascii"];

    /// The theme called `name` (unknown names give `default`), adjusted for `NO_COLOR` and
    /// `LTX_TUI_ASCII` as given.
    pub fn named(name: &str, no_color: bool, force_ascii: bool) -> Theme {
        let (name, palette, ascii) = match name {
            "dark" => ("dark", Palette::Dark, false),
            "light" => ("light", Palette::Light, false),
            "mono" => ("mono", Palette::Mono, false),
            "ascii" => ("ascii", Palette::Ansi16, true),
            _ => ("default", Palette::Ansi16, false),
        };
        Theme {
            name,
            palette: if no_color { Palette::Mono } else { palette },
            glyphs: Glyphs {
                ascii: ascii || force_ascii,
            },
        }
    }

    /// The theme from the environment of the process (`NO_COLOR`, `LTX_TUI_ASCII`).
    pub fn from_env(name: &str) -> Theme {
        let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
        Theme::named(name, set("NO_COLOR"), set("LTX_TUI_ASCII"))
    }

    /// The next theme in [`Theme::NAMES`], keeping the `NO_COLOR` choice.
    pub fn next(self) -> Theme {
        let i = Theme::NAMES
            .iter()
            .position(|n| *n == self.name)
            .unwrap_or(0);
        let next = Theme::NAMES[(i + 1) % Theme::NAMES.len()];
        let mut t = Theme::named(next, false, false);
        if self.palette == Palette::Mono && self.name != "mono" {
            t.palette = Palette::Mono;
        }
        t
    }

    /// The style of `meaning`.
    pub fn style(&self, meaning: Meaning) -> Style {
        use Meaning as M;
        let s = Style::default();
        match self.palette {
            Palette::Mono => match meaning {
                M::Base | M::Ok => s,
                M::Muted | M::Disabled => s.add_modifier(Modifier::DIM),
                M::Title | M::Important | M::Key | M::Warn => s.add_modifier(Modifier::BOLD),
                M::Error => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                M::Selected | M::Badge | M::Cursor => s.add_modifier(Modifier::REVERSED),
            },
            Palette::Ansi16 => match meaning {
                M::Base => s,
                M::Muted => s.fg(Color::DarkGray),
                M::Title => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
                M::Important => s.add_modifier(Modifier::BOLD),
                M::Ok => s.fg(Color::Green),
                M::Warn => s.fg(Color::Yellow),
                M::Error => s.fg(Color::Red).add_modifier(Modifier::BOLD),
                M::Selected => s.add_modifier(Modifier::REVERSED),
                M::Badge => s.fg(Color::Black).bg(Color::Yellow),
                M::Key => s.fg(Color::Cyan),
                M::Cursor => s.fg(Color::Magenta).add_modifier(Modifier::BOLD),
                M::Disabled => s.fg(Color::DarkGray).add_modifier(Modifier::CROSSED_OUT),
            },
            Palette::Dark | Palette::Light => {
                let dark = self.palette == Palette::Dark;
                let pick = |d: u8, l: u8| Color::Indexed(if dark { d } else { l });
                match meaning {
                    M::Base => s.fg(pick(252, 236)),
                    M::Muted => s.fg(pick(244, 245)),
                    M::Title => s.fg(pick(117, 25)).add_modifier(Modifier::BOLD),
                    M::Important => s.fg(pick(231, 16)).add_modifier(Modifier::BOLD),
                    M::Ok => s.fg(pick(114, 28)),
                    M::Warn => s.fg(pick(221, 130)),
                    M::Error => s.fg(pick(203, 160)).add_modifier(Modifier::BOLD),
                    M::Selected => s.bg(pick(238, 253)).add_modifier(Modifier::BOLD),
                    M::Badge => s.fg(pick(16, 231)).bg(pick(221, 130)),
                    M::Key => s.fg(pick(117, 25)),
                    M::Cursor => s.fg(pick(213, 127)).add_modifier(Modifier::BOLD),
                    M::Disabled => s.fg(pick(240, 250)).add_modifier(Modifier::CROSSED_OUT),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_makes_every_theme_colourless() {
        for name in Theme::NAMES {
            let t = Theme::named(name, true, false);
            for m in [
                Meaning::Warn,
                Meaning::Error,
                Meaning::Badge,
                Meaning::Title,
            ] {
                let st = t.style(m);
                assert_eq!((st.fg, st.bg), (None, None), "{name} {m:?}");
            }
        }
    }

    #[test]
    fn default_theme_uses_only_the_sixteen_ansi_colours() {
        let t = Theme::named("default", false, false);
        for m in [
            Meaning::Muted,
            Meaning::Warn,
            Meaning::Badge,
            Meaning::Cursor,
        ] {
            let st = t.style(m);
            for c in [st.fg, st.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{m:?}");
            }
        }
    }
}
