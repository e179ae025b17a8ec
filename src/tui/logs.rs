//! The Logs pane's model: a ring buffer of the console's own tracing events, a level filter,
//! and follow (stick to the newest line) or a fixed scroll position.

use std::collections::VecDeque;

use tracing::Level;

use super::log_capture::LogLine;

/// Lines kept.
pub const LOG_CAPACITY: usize = 2000;

/// The ring buffer and how it is viewed.
#[derive(Debug, Clone)]
pub struct LogView {
    lines: VecDeque<LogLine>,
    /// Least severe level shown.
    pub level: Level,
    /// Stick to the newest line.
    pub follow: bool,
    /// Lines scrolled up from the newest (when not following).
    pub scroll: usize,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            lines: VecDeque::with_capacity(256),
            level: Level::INFO,
            follow: true,
            scroll: 0,
        }
    }
}

impl LogView {
    /// Adds a line, dropping the oldest beyond [`LOG_CAPACITY`]. While not following, the
    /// view keeps showing the same lines.
    pub fn push(&mut self, line: LogLine) {
        let shown = line.level <= self.level;
        self.lines.push_back(line);
        if self.lines.len() > LOG_CAPACITY {
            self.lines.pop_front();
        }
        if !self.follow && shown {
            self.scroll += 1;
        }
    }

    /// The lines that pass the level filter, oldest first.
    pub fn filtered(&self) -> Vec<&LogLine> {
        self.lines
            .iter()
            .filter(|l| l.level <= self.level)
            .collect()
    }

    /// The next level filter: INFO → DEBUG → TRACE → ERROR → WARN → INFO.
    pub fn cycle_level(&mut self) {
        self.level = match self.level {
            Level::INFO => Level::DEBUG,
            Level::DEBUG => Level::TRACE,
            Level::TRACE => Level::ERROR,
            Level::ERROR => Level::WARN,
            _ => Level::INFO,
        };
        self.scroll = 0;
    }

    /// Follow the newest line, or freeze where the view is.
    pub fn toggle_follow(&mut self) {
        self.follow = !self.follow;
        self.scroll = 0;
    }

    /// Scrolls by `delta` lines (positive = older); stops following.
    pub fn scroll_by(&mut self, delta: isize) {
        self.follow = false;
        let max = self.filtered().len().saturating_sub(1);
        self.scroll = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(level: Level, text: &str) -> LogLine {
        LogLine {
            at: std::time::SystemTime::UNIX_EPOCH,
            level,
            target: "t".into(),
            message: text.into(),
        }
    }

    #[test]
    fn filter_follow_and_freeze() {
        let mut v = LogView::default();
        v.push(line(Level::DEBUG, "d"));
        v.push(line(Level::WARN, "w"));
        assert_eq!(v.filtered().len(), 1);
        v.cycle_level();
        assert_eq!(v.filtered().len(), 2);
        v.toggle_follow();
        v.push(line(Level::INFO, "i"));
        assert_eq!(v.scroll, 1, "a frozen view keeps its lines in place");
        for _ in 0..LOG_CAPACITY + 5 {
            v.push(line(Level::INFO, "x"));
        }
        assert_eq!(v.lines.len(), LOG_CAPACITY);
    }
}
