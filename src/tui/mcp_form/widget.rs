//! Drawing a call form: one line per row (indent, label, required marker, value), the focused
//! row's description and limits beneath it, errors in place, and the raw JSON editor. The
//! lines are built by a pure function ([`form_lines`]); [`McpFormWidget`] scrolls them so the
//! focus stays in view.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};
use serde_json::Value;

use super::super::mcp_result::clean;
use super::super::theme::{Meaning, Theme};
use super::field::{Field, FieldValue};
use super::form::{FormMode, McpForm};
use super::raw_editor::RawEditor;
use super::rows::Row;
use super::schema::{Kind, NumberRules};
use super::validate::display_value;

/// The lines of a form and the range of lines (start, end inclusive) of the focus.
#[derive(Debug, Clone)]
pub struct FormLines {
    /// Every line, top to bottom.
    pub lines: Vec<Line<'static>>,
    /// The first line of the focused row.
    pub focus_start: usize,
    /// The last line belonging to the focused row (its description and error).
    pub focus_end: usize,
}

/// The form as lines `width` columns wide (descriptions are wrapped to it).
pub fn form_lines(form: &McpForm, theme: &Theme, width: u16) -> FormLines {
    let mut out = FormLines {
        lines: Vec::new(),
        focus_start: 0,
        focus_end: 0,
    };
    let t = theme;
    let mut head = vec![Span::styled(clean(&form.tool), t.style(Meaning::Title))];
    if let Some(title) = &form.title {
        head.push(Span::styled(
            format!("  {}", clean(title)),
            t.style(Meaning::Muted),
        ));
    }
    if let FormMode::Raw(_) = form.mode() {
        head.push(Span::styled("  raw JSON", t.style(Meaning::Badge)));
    }
    out.lines.push(Line::from(head));
    match form.mode() {
        FormMode::Fields => field_lines(form, t, width, &mut out),
        FormMode::Raw(editor) => raw_lines(editor, t, &mut out),
    }
    if let Some(e) = form.error() {
        let attached = matches!(form.mode(), FormMode::Fields) && e.path().is_some();
        if !attached {
            out.lines.push(Line::from(Span::styled(
                format!("{} {e}", bang(t)),
                t.style(Meaning::Error),
            )));
        }
    }
    out
}

fn bang(t: &Theme) -> &'static str {
    if t.glyphs.ascii { "!" } else { "✗" }
}

fn field_lines(form: &McpForm, t: &Theme, width: u16, out: &mut FormLines) {
    let rows = form.rows();
    if rows.is_empty() {
        out.lines.push(Line::from(Span::styled(
            "no parameters",
            t.style(Meaning::Muted),
        )));
        out.focus_start = out.lines.len() - 1;
        out.focus_end = out.focus_start;
        return;
    }
    for (i, row) in rows.iter().enumerate() {
        let Some(field) = form.field(row) else {
            continue;
        };
        let focused = i == form.focus();
        if focused {
            out.focus_start = out.lines.len();
        }
        out.lines.push(row_line(row, field, focused, t));
        let indent = "  ".repeat(row.depth + 2);
        if focused {
            let mut about = Vec::new();
            if let Some(d) = &field.schema.description {
                about.push(d.clone());
            }
            if let Some(rules) = limits(field) {
                about.push(rules);
            }
            for text in about {
                for part in wrap(
                    &clean(&text),
                    (width as usize).saturating_sub(indent.len()).max(20),
                ) {
                    out.lines.push(Line::from(Span::styled(
                        format!("{indent}{part}"),
                        t.style(Meaning::Muted),
                    )));
                }
            }
        }
        if let Some(e) = form.row_error(row) {
            let message = match &e {
                super::error::FormError::Invalid { message, .. } => message.clone(),
                other => other.to_string(),
            };
            out.lines.push(Line::from(Span::styled(
                format!("{indent}{} {message}", bang(t)),
                t.style(Meaning::Error),
            )));
        }
        if focused {
            out.focus_end = out.lines.len() - 1;
        }
    }
}

fn row_line(row: &Row, field: &Field, focused: bool, t: &Theme) -> Line<'static> {
    let marker = match (focused, t.glyphs.ascii) {
        (false, _) => " ",
        (true, true) => ">",
        (true, false) => "›",
    };
    let mut spans = vec![
        Span::raw("  ".repeat(row.depth)),
        Span::styled(format!("{marker} "), t.style(Meaning::Cursor)),
        Span::styled(
            clean(&row.label),
            t.style(if focused {
                Meaning::Important
            } else {
                Meaning::Base
            }),
        ),
    ];
    if row.required {
        spans.push(Span::styled("*", t.style(Meaning::Warn)));
    }
    spans.push(Span::styled(": ", t.style(Meaning::Muted)));
    spans.extend(value_spans(row, field, focused, t));
    Line::from(spans)
}

fn placeholder(field: &Field) -> String {
    match &field.schema.kind {
        Kind::String(r) => match &r.format {
            Some(f) => format!("<{f}>"),
            None => "<string>".into(),
        },
        Kind::Number(r) if r.integer => "<integer>".into(),
        Kind::Number(_) => "<number>".into(),
        _ => "<json>".into(),
    }
}

fn value_spans(row: &Row, field: &Field, focused: bool, t: &Theme) -> Vec<Span<'static>> {
    let muted = t.style(Meaning::Muted);
    let base = t.style(Meaning::Base);
    match &field.value {
        FieldValue::Text(input) | FieldValue::Raw(input) => {
            let text = input.value();
            if !focused {
                return if text.is_empty() {
                    vec![Span::styled(placeholder(field), muted)]
                } else {
                    vec![Span::styled(clean(text), base)]
                };
            }
            let split = text
                .char_indices()
                .nth(input.cursor())
                .map_or(text.len(), |(b, _)| b);
            let (before, rest) = text.split_at(split);
            let mut chars = rest.chars();
            let mut spans = vec![Span::styled(before.to_owned(), base)];
            match chars.next() {
                Some(c) => {
                    spans.push(Span::styled(c.to_string(), t.style(Meaning::Selected)));
                    spans.push(Span::styled(chars.as_str().to_owned(), base));
                }
                None => spans.push(Span::styled(t.glyphs.caret(), t.style(Meaning::Cursor))),
            }
            spans
        }
        FieldValue::Bool(b) => {
            let (mark, word) = match b {
                Some(true) => ("[x]", "true"),
                Some(false) => ("[ ]", "false"),
                None => ("[-]", "unset"),
            };
            vec![Span::styled(
                format!("{mark} {word}"),
                if b.is_some() { base } else { muted },
            )]
        }
        FieldValue::Choice(c) => {
            let options = match &field.schema.kind {
                Kind::Enum(o) => o.as_slice(),
                _ => &[],
            };
            let shown = match c.and_then(|i| options.get(i)) {
                Some(v) => Span::styled(clean(&display_value(v)), base),
                None if row.required => Span::styled("(choose)", muted),
                None => Span::styled("(unset)", muted),
            };
            let mut spans = arrows(focused, shown, t);
            if focused {
                let all: Vec<String> = options.iter().map(|o| clean(&display_value(o))).collect();
                spans.push(Span::styled(format!("  {}", all.join(" | ")), muted));
            }
            spans
        }
        FieldValue::Array(items) => {
            let n = items.len();
            let mut spans = vec![Span::styled(
                format!("{n} item{}", if n == 1 { "" } else { "s" }),
                base,
            )];
            if focused {
                spans.push(Span::styled("  Enter adds an item", muted));
            }
            spans
        }
        FieldValue::Object(_) => vec![Span::styled("{...}", muted)],
        FieldValue::Union { selected, .. } => {
            let labels: Vec<String> = match &field.schema.kind {
                Kind::Union(v) => v.iter().map(|v| v.label.clone()).collect(),
                _ => Vec::new(),
            };
            let current = clean(&labels.get(*selected).cloned().unwrap_or_default());
            let mut spans = arrows(focused, Span::styled(current, base), t);
            spans.push(Span::styled(
                format!("  one of {}", labels.join(" | ")),
                muted,
            ));
            spans
        }
    }
}

fn arrows(focused: bool, shown: Span<'static>, t: &Theme) -> Vec<Span<'static>> {
    if focused {
        vec![
            Span::styled("< ", t.style(Meaning::Key)),
            shown,
            Span::styled(" >", t.style(Meaning::Key)),
        ]
    } else {
        vec![shown]
    }
}

fn number_range(r: &NumberRules) -> Option<String> {
    let lo = r
        .min
        .map(|m| format!("{}{m}", if r.exclusive_min { ">" } else { ">=" }));
    let hi = r
        .max
        .map(|m| format!("{}{m}", if r.exclusive_max { "<" } else { "<=" }));
    match (lo, hi) {
        (None, None) => None,
        (a, b) => Some([a, b].into_iter().flatten().collect::<Vec<_>>().join(", ")),
    }
}

fn chars(n: u64) -> &'static str {
    if n == 1 { "character" } else { "characters" }
}

/// The limits of a field in words (`integer, >=1, <=100`), if it has any worth showing.
fn limits(field: &Field) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    match &field.schema.kind {
        Kind::String(r) => {
            if let Some(f) = &r.format {
                parts.push(format!("format {f}"));
            }
            match (r.min_length, r.max_length) {
                (Some(a), Some(b)) => parts.push(format!("{a} to {b} {}", chars(b))),
                (Some(a), None) => parts.push(format!("at least {a} {}", chars(a))),
                (None, Some(b)) => parts.push(format!("at most {b} {}", chars(b))),
                (None, None) => {}
            }
            if let Some(p) = &r.pattern {
                parts.push(format!("pattern {p}"));
            }
        }
        Kind::Number(r) => {
            parts.push(if r.integer { "integer" } else { "number" }.into());
            parts.extend(number_range(r));
        }
        Kind::Array {
            min_items,
            max_items,
            ..
        } => {
            if let Some(m) = min_items {
                parts.push(format!("at least {m} items"));
            }
            if let Some(m) = max_items {
                parts.push(format!("at most {m} items"));
            }
        }
        Kind::Raw => parts.push("JSON value".into()),
        _ => {}
    }
    if let Some(d) = &field.schema.default
        && !matches!(d, Value::Null)
    {
        parts.push(format!("default {}", display_value(d)));
    }
    if field.schema.nullable {
        parts.push("may be null".into());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn raw_lines(editor: &RawEditor, t: &Theme, out: &mut FormLines) {
    let (row, col) = editor.cursor();
    let base = t.style(Meaning::Base);
    for (i, line) in editor.lines().iter().enumerate() {
        if i != row {
            out.lines.push(Line::from(Span::styled(line.clone(), base)));
            continue;
        }
        out.focus_start = out.lines.len();
        out.focus_end = out.focus_start;
        let split = line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
        let (before, rest) = line.split_at(split);
        let mut chars = rest.chars();
        let mut spans = vec![Span::styled(before.to_owned(), base)];
        match chars.next() {
            Some(c) => {
                spans.push(Span::styled(c.to_string(), t.style(Meaning::Selected)));
                spans.push(Span::styled(chars.as_str().to_owned(), base));
            }
            None => spans.push(Span::styled(t.glyphs.caret(), t.style(Meaning::Cursor))),
        }
        out.lines.push(Line::from(spans));
    }
}

/// Greedy word wrap to `width` characters (words longer than a line are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// Draws an [`McpForm`], scrolled so the focused row, its description and its error show.
pub struct McpFormWidget<'a> {
    form: &'a McpForm,
    theme: &'a Theme,
    block: Option<Block<'a>>,
}

impl<'a> McpFormWidget<'a> {
    /// The widget for `form` in `theme`.
    pub fn new(form: &'a McpForm, theme: &'a Theme) -> McpFormWidget<'a> {
        McpFormWidget {
            form,
            theme,
            block: None,
        }
    }

    /// Draws inside `block`.
    pub fn block(mut self, block: Block<'a>) -> McpFormWidget<'a> {
        self.block = Some(block);
        self
    }
}

impl Widget for McpFormWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = match &self.block {
            Some(b) => b.inner(area),
            None => area,
        };
        if let Some(b) = self.block {
            b.render(area, buf);
        }
        let lines = form_lines(self.form, self.theme, inner.width);
        let height = inner.height as usize;
        let offset = if lines.focus_end >= height {
            (lines.focus_end + 1 - height).min(lines.focus_start)
        } else {
            0
        };
        let offset = u16::try_from(offset).unwrap_or(u16::MAX);
        Paragraph::new(lines.lines)
            .scroll((offset, 0))
            .render(inner, buf);
    }
}
