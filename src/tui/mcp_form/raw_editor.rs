//! A small multi-line text editor for the form's raw JSON mode: lines of text and a cursor
//! (row, column in characters). It knows nothing about JSON; the form parses its text.

/// A multi-line text buffer with a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEditor {
    lines: Vec<String>,
    row: usize,
    col: usize,
}

/// An edit or a cursor move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawEdit {
    /// Insert a character at the cursor.
    Insert(char),
    /// Split the line at the cursor.
    Newline,
    /// Delete the character before the cursor (joining lines at column 0).
    Backspace,
    /// Delete the character under the cursor (joining lines at the end).
    Delete,
    /// Move left (to the previous line's end at column 0).
    Left,
    /// Move right (to the next line's start at the end).
    Right,
    /// Move up a line.
    Up,
    /// Move down a line.
    Down,
    /// To the start of the line.
    Home,
    /// To the end of the line.
    End,
}

fn byte_at(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

impl RawEditor {
    /// An editor holding `text`, with the cursor at the start.
    pub fn new(text: &str) -> RawEditor {
        RawEditor {
            lines: text.split('\n').map(str::to_owned).collect(),
            row: 0,
            col: 0,
        }
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The cursor: (line, column in characters), both 0-based.
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// Moves the cursor to (line, column), clamped to the text (0-based).
    pub fn set_cursor(&mut self, row: usize, col: usize) {
        self.row = row.min(self.lines.len().saturating_sub(1));
        self.col = col.min(self.line_len(self.row));
    }

    fn line_len(&self, row: usize) -> usize {
        self.lines.get(row).map_or(0, |l| l.chars().count())
    }

    /// Applies `edit`.
    pub fn apply(&mut self, edit: RawEdit) {
        let len = self.line_len(self.row);
        match edit {
            RawEdit::Insert(c) => {
                let line = &mut self.lines[self.row];
                line.insert(byte_at(line, self.col), c);
                self.col += 1;
            }
            RawEdit::Newline => {
                let line = &mut self.lines[self.row];
                let rest = line.split_off(byte_at(line, self.col));
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
            }
            RawEdit::Backspace if self.col > 0 => {
                let line = &mut self.lines[self.row];
                line.remove(byte_at(line, self.col - 1));
                self.col -= 1;
            }
            RawEdit::Backspace if self.row > 0 => {
                let line = self.lines.remove(self.row);
                self.row -= 1;
                self.col = self.line_len(self.row);
                self.lines[self.row].push_str(&line);
            }
            RawEdit::Delete if self.col < len => {
                let line = &mut self.lines[self.row];
                line.remove(byte_at(line, self.col));
            }
            RawEdit::Delete if self.row + 1 < self.lines.len() => {
                let next = self.lines.remove(self.row + 1);
                self.lines[self.row].push_str(&next);
            }
            RawEdit::Left if self.col > 0 => self.col -= 1,
            RawEdit::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.line_len(self.row);
            }
            RawEdit::Right if self.col < len => self.col += 1,
            RawEdit::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            RawEdit::Up if self.row > 0 => self.set_cursor(self.row - 1, self.col),
            RawEdit::Down => self.set_cursor(self.row + 1, self.col),
            RawEdit::Home => self.col = 0,
            RawEdit::End => self.col = len,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(editor: &mut RawEditor, text: &str) {
        for c in text.chars() {
            editor.apply(if c == '\n' {
                RawEdit::Newline
            } else {
                RawEdit::Insert(c)
            });
        }
    }

    #[test]
    fn typing_newlines_and_backspace_edit_lines() {
        let mut e = RawEditor::new("");
        typed(&mut e, "{\n\"a\": 1\n}");
        assert_eq!(e.text(), "{\n\"a\": 1\n}");
        assert_eq!(e.cursor(), (2, 1));
        e.apply(RawEdit::Home);
        e.apply(RawEdit::Backspace);
        assert_eq!(e.text(), "{\n\"a\": 1}");
        assert_eq!(e.cursor(), (1, 6));
    }

    #[test]
    fn delete_joins_lines_and_moves_clamp_to_line_ends() {
        let mut e = RawEditor::new("héllo\nx");
        e.apply(RawEdit::End);
        e.apply(RawEdit::Delete);
        assert_eq!(e.text(), "héllox");
        e.apply(RawEdit::Left);
        e.apply(RawEdit::Left);
        e.apply(RawEdit::Insert('!'));
        assert_eq!(e.text(), "hél!lox");
        e.apply(RawEdit::Down);
        assert_eq!(e.cursor(), (0, 4), "no line below");
    }

    #[test]
    fn left_and_right_cross_line_boundaries() {
        let mut e = RawEditor::new("ab\ncd");
        e.set_cursor(1, 0);
        e.apply(RawEdit::Left);
        assert_eq!(e.cursor(), (0, 2));
        e.apply(RawEdit::Right);
        assert_eq!(e.cursor(), (1, 0));
        e.apply(RawEdit::Up);
        assert_eq!(e.cursor(), (0, 0));
    }
}
