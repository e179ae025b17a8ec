//! Snapshots of the console at the sizes every pane is checked at (80×24, 120×40, and 80×24 in
//! the ASCII theme), with the temp directory and clock times filtered out, and the colour and
//! ASCII rules checked on each screen.

use insta::Settings;
use ltx_tui::tui::Theme;
use ratatui::style::Color;

use super::harness::Harness;

/// The sizes every snapshot is taken at (plus 80×24 in the ASCII theme).
pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// `text` as a regex matching it literally.
pub fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Insta settings for console screens: the temp directory, then `filters` (regex,
/// replacement), then clock times filtered; snapshots in `tests/snapshots`.
pub fn settings(h: &Harness, filters: &[(&str, &str)]) -> Settings {
    let mut s = Settings::clone_current();
    s.add_filter(&escape(&h.tmp.path().display().to_string()), "[TMP]");
    for (regex, replacement) in filters {
        s.add_filter(regex, *replacement);
    }
    s.add_filter(r"\d{2}:\d{2}:\d{2}", "[TIME]");
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Snapshots the screen as `NAME_80x24`, `NAME_120x40` and `NAME_ascii_80x24` with
/// [`settings`]; checks the default theme uses only the 16 ANSI colours and the ASCII theme
/// only ASCII. (The harness's clock is fixed, so toasts never expire: clear them first to
/// show what is under them.)
pub fn shoot(h: &mut Harness, name: &str, filters: &[(&str, &str)]) {
    let s = settings(h, filters);
    for size in SIZES {
        let text = h.screen(size);
        s.bind(|| insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), text));
        for cell in h.buffer(size).content() {
            for c in [cell.fg, cell.bg] {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}: a colour outside the 16 ANSI ones: {c:?}"
                );
            }
        }
    }
    let theme = h.state.theme;
    h.state.theme = Theme::named("ascii", false, false);
    let text = h.screen((80, 24));
    assert!(
        text.is_ascii(),
        "{name}: non-ASCII in the ASCII theme:\n{text}"
    );
    s.bind(|| insta::assert_snapshot!(format!("{name}_ascii_80x24"), text));
    h.state.theme = theme;
}
