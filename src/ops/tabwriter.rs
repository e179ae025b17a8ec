//! Go's `text/tabwriter` layout, for tables laid out exactly as Litestream prints them
//! (`tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)`: min width 0, padding 2, space padding, left
//! aligned; the tab width only matters for tab padding, which is not supported here).
//!
//! The semantics reproduced: text is split into lines at `\n` and into cells at `\t`; a cell
//! is tab-terminated, and the last cell of a line (the text after its last tab) belongs to no
//! column and never widens one. A column is a block of consecutive lines that all have a
//! cell in it; its width is the widest cell of the block (in characters, as Go counts runes)
//! plus the padding, at least the min width. Blocks nest: the columns to the right of a block
//! are laid out within it. Every cell of a column is padded to the width, except the last
//! cell of each line. The output has a newline wherever the input had one.

/// Lays out `text` as Go's tabwriter with `minwidth`, `padding` and `padchar` (left aligned,
/// no flags) would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabWriter {
    /// Minimum width of a column, padding included.
    pub minwidth: usize,
    /// Added to the widest cell of a column.
    pub padding: usize,
    /// The character cells are padded with (not `\t`).
    pub padchar: char,
}

/// Litestream's table layout: min width 0, padding 2, spaces.
pub const LITESTREAM: TabWriter = TabWriter {
    minwidth: 0,
    padding: 2,
    padchar: ' ',
};

/// One line: its cells; all but the last are tab-terminated (column cells).
type Line<'a> = Vec<&'a str>;

impl TabWriter {
    /// The laid-out text.
    pub fn format(&self, text: &str) -> String {
        let lines = split_lines(text);
        let mut out = String::with_capacity(text.len() * 2);
        let mut widths = Vec::new();
        self.format_block(&lines, 0, lines.len(), &mut widths, &mut out);
        out
    }

    /// Lays out lines `start..end`, whose columns left of `widths.len()` are already known.
    fn format_block(
        &self,
        lines: &[Line<'_>],
        start: usize,
        end: usize,
        widths: &mut Vec<usize>,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut first_unprinted = start;
        let mut this = start;
        while this < end {
            if !has_column(&lines[this], column) {
                this += 1;
                continue;
            }
            // A block of this column starts here: print what came before it.
            self.write_lines(lines, first_unprinted, this, widths, out);
            let block_start = this;
            let mut width = self.minwidth;
            while this < end && has_column(&lines[this], column) {
                width = width.max(lines[this][column].chars().count() + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format_block(lines, block_start, this, widths, out);
            widths.pop();
            first_unprinted = this;
        }
        self.write_lines(lines, first_unprinted, end, widths, out);
    }

    fn write_lines(
        &self,
        lines: &[Line<'_>],
        start: usize,
        end: usize,
        widths: &[usize],
        out: &mut String,
    ) {
        for (i, line) in lines.iter().enumerate().take(end).skip(start) {
            for (j, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if let Some(&width) = widths.get(j) {
                    let used = cell.chars().count();
                    out.extend(std::iter::repeat_n(
                        self.padchar,
                        width.saturating_sub(used),
                    ));
                }
            }
            if i + 1 < lines.len() {
                out.push('\n');
            }
        }
    }
}

/// Whether `line` has a (tab-terminated) cell in `column`: the last cell does not count.
fn has_column(line: &Line<'_>, column: usize) -> bool {
    column + 1 < line.len()
}

/// Splits text into lines of cells the way Go's tabwriter does: a newline always ends a
/// cell (even an empty one); at the end of the text, an empty trailing cell is dropped.
fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut rest = text;
    loop {
        match rest.split_once('\n') {
            Some((line, after)) => {
                lines.push(line.split('\t').collect());
                rest = after;
            }
            None => {
                let mut cells: Line<'_> = rest.split('\t').collect();
                if cells.last().is_some_and(|c| c.is_empty()) {
                    cells.pop();
                }
                lines.push(cells);
                return lines;
            }
        }
    }
}

/// Lays out `rows` (each a list of cells) as Litestream's tables: every row ends with a
/// newline, cells are joined by tabs.
pub fn litestream_table<S: AsRef<str>>(rows: &[Vec<S>]) -> String {
    let mut text = String::new();
    for row in rows {
        let cells: Vec<&str> = row.iter().map(AsRef::as_ref).collect();
        text.push_str(&cells.join("\t"));
        text.push('\n');
    }
    LITESTREAM.format(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tw(minwidth: usize, padding: usize, padchar: char) -> TabWriter {
        TabWriter {
            minwidth,
            padding,
            padchar,
        }
    }

    /// Cases from Go's `text/tabwriter` test table (left aligned, no flags, non-tab padding),
    /// with Go's expected output.
    #[test]
    fn matches_go_tabwriter_outputs() {
        let cases: &[(&str, usize, usize, char, &str, &str)] = &[
            ("1a", 8, 1, '.', "", ""),
            ("2", 8, 1, '.', "\n\n\n", "\n\n\n"),
            ("3", 8, 1, '.', "a\nb\nc", "a\nb\nc"),
            ("4a", 8, 1, '.', "\t", ""),
            ("5", 8, 1, '.', "*\t*", "*.......*"),
            ("5b", 8, 1, '.', "*\t*\n", "*.......*\n"),
            ("5c", 8, 1, '.', "*\t*\t", "*.......*"),
            ("6", 8, 1, '.', "\t\n", "........\n"),
            ("7a", 8, 1, '.', "a) foo", "a) foo"),
            ("7b", 8, 1, ' ', "b) foo\tbar", "b) foo  bar"),
            ("7c", 8, 1, '.', "c) foo\tbar\t", "c) foo..bar"),
            ("7d", 8, 1, '.', "d) foo\tbar\n", "d) foo..bar\n"),
            ("7e", 8, 1, '.', "e) foo\tbar\t\n", "e) foo..bar.....\n"),
            ("8", 8, 1, '*', "Hello, world!\n", "Hello, world!\n"),
            (
                "9a",
                1,
                0,
                '.',
                "1\t2\t3\t4\n11\t222\t3333\t44444\n",
                "1.2..3...4\n11222333344444\n",
            ),
            ("10a", 5, 0, '.', "1\t2\t3\t4\n", "1....2....3....4\n"),
            ("10b", 5, 0, '.', "1\t2\t3\t4\t\n", "1....2....3....4....\n"),
            (
                "11",
                8,
                1,
                '.',
                "本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n",
                "本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n",
            ),
            (
                "12b",
                2,
                0,
                ' ',
                "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n",
                "a  b  c\naa bbbcccc\naaabbbb\n",
            ),
            (
                "12c",
                8,
                1,
                '_',
                "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n",
                "a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n",
            ),
            (
                "13a",
                4,
                1,
                '-',
                "4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
                "4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n",
            ),
            (
                "13b",
                4,
                3,
                '.',
                "4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n",
                "4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n",
            ),
            ("15a", 4, 0, '.', "a\t\tb", "a.......b"),
        ];
        for (name, minwidth, padding, padchar, src, expected) in cases {
            assert_eq!(
                tw(*minwidth, *padding, *padchar).format(src),
                *expected,
                "Go tabwriter case {name}"
            );
        }
    }

    /// What `litestream status` printed for three databases (captured from 0.5.17).
    #[test]
    fn litestream_layout_matches_a_captured_status_table() {
        let rows = vec![
            vec!["database", "status", "local txid", "wal size"],
            vec!["/tmp/opsx/app.db", "ok", "0000000000000003", "25 kB"],
            vec!["/tmp/opsx/missing.db", "no database", "-", "-"],
            vec!["/tmp/opsx/other.db", "not initialized", "-", "0 B"],
        ];
        assert_eq!(
            litestream_table(&rows),
            "database              status           local txid        wal size\n\
             /tmp/opsx/app.db      ok               0000000000000003  25 kB\n\
             /tmp/opsx/missing.db  no database      -                 -\n\
             /tmp/opsx/other.db    not initialized  -                 0 B\n"
        );
    }

    #[test]
    fn a_header_alone_has_no_trailing_padding() {
        let rows = vec![vec!["level", "min_txid", "max_txid", "size", "created"]];
        assert_eq!(
            litestream_table(&rows),
            "level  min_txid  max_txid  size  created\n"
        );
    }
}
