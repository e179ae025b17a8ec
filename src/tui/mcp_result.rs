//! A tool call's result ([`CallToolResult`]) as lines for a scrollable viewer: `isError`
//! highlighted, text blocks, images and audio as MIME type and decoded size (never their
//! base64), resource links (URI, name, MIME type), embedded resources (URI with a text
//! excerpt or the blob's size), each block's annotations, and the structured content as
//! pretty JSON.
//!
//! Server output is untrusted: control characters (terminal escapes) are replaced before
//! they reach the screen. Wiring: `result_lines(&result, &theme)` for the lines, or
//! `McpResultWidget::new(&result, &theme).scroll(offset).block(block)` to draw them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};
use rmcp::model::{Annotations, CallToolResult, ContentBlock, ResourceContents};

use super::theme::{Meaning, Theme};
use crate::ops::humanize_bytes;

/// Lines of an embedded text resource shown before the excerpt is cut.
pub const EXCERPT_LINES: usize = 12;

/// The lines of `result` in `theme`.
pub fn result_lines(result: &CallToolResult, theme: &Theme) -> Vec<Line<'static>> {
    let t = theme;
    let mut out = Vec::new();
    let blocks = result.content.len();
    let summary = format!(
        "{blocks} content block{}",
        if blocks == 1 { "" } else { "s" }
    );
    if result.is_error == Some(true) {
        out.push(Line::from(vec![
            Span::styled(" tool error (isError) ", t.style(Meaning::Error)),
            Span::styled(format!("  {summary}"), t.style(Meaning::Muted)),
        ]));
    } else {
        out.push(Line::from(vec![
            Span::styled("ok", t.style(Meaning::Ok)),
            Span::styled(format!("  {summary}"), t.style(Meaning::Muted)),
        ]));
    }
    let text_style = if result.is_error == Some(true) {
        t.style(Meaning::Error)
    } else {
        t.style(Meaning::Base)
    };
    for block in &result.content {
        block_lines(block, t, text_style, &mut out);
    }
    if let Some(structured) = &result.structured_content {
        out.push(heading(t, "structured content", Vec::new()));
        let pretty =
            serde_json::to_string_pretty(structured).unwrap_or_else(|_| structured.to_string());
        for line in pretty.lines() {
            out.push(indented(line, t.style(Meaning::Base)));
        }
    }
    out
}

fn heading(t: &Theme, kind: &str, rest: Vec<Span<'static>>) -> Line<'static> {
    let rule = if t.glyphs.ascii { "--" } else { "──" };
    let mut spans = vec![Span::styled(
        format!("{rule} {kind}"),
        t.style(Meaning::Title),
    )];
    spans.extend(rest);
    Line::from(spans)
}

fn indented(text: &str, style: ratatui::style::Style) -> Line<'static> {
    Line::from(Span::styled(format!("  {}", clean(text)), style))
}

fn field(t: &Theme, text: String) -> Span<'static> {
    Span::styled(format!("  {}", clean(&text)), t.style(Meaning::Base))
}

fn muted(t: &Theme, text: String) -> Span<'static> {
    Span::styled(format!("  {}", clean(&text)), t.style(Meaning::Muted))
}

fn block_lines(
    block: &ContentBlock,
    t: &Theme,
    text_style: ratatui::style::Style,
    out: &mut Vec<Line<'static>>,
) {
    match block {
        ContentBlock::Text(text) => {
            out.push(heading(t, "text", Vec::new()));
            push_annotations(text.annotations.as_ref(), t, out);
            for line in text.text.lines() {
                out.push(indented(line, text_style));
            }
        }
        ContentBlock::Image(image) => {
            out.push(binary_heading(t, "image", &image.mime_type, &image.data));
            push_annotations(image.annotations.as_ref(), t, out);
        }
        ContentBlock::Audio(audio) => {
            out.push(binary_heading(t, "audio", &audio.mime_type, &audio.data));
            push_annotations(audio.annotations.as_ref(), t, out);
        }
        ContentBlock::ResourceLink(link) => {
            let mut rest = vec![field(t, link.name.clone())];
            if let Some(mime) = &link.mime_type {
                rest.push(muted(t, mime.clone()));
            }
            if let Some(size) = link.size {
                rest.push(muted(t, humanize_bytes(size)));
            }
            out.push(heading(t, "resource link", rest));
            out.push(indented(&link.uri, t.style(Meaning::Key)));
            if let Some(title) = &link.title {
                out.push(indented(title, t.style(Meaning::Base)));
            }
            if let Some(d) = &link.description {
                out.push(indented(d, t.style(Meaning::Muted)));
            }
            push_annotations(link.annotations.as_ref(), t, out);
        }
        ContentBlock::Resource(embedded) => {
            embedded_lines(&embedded.resource, t, out);
            push_annotations(embedded.annotations.as_ref(), t, out);
        }
        // ContentBlock is non-exhaustive: a block type this viewer does not know yet.
        other => {
            let kind = serde_json::to_value(other)
                .ok()
                .and_then(|v| v.get("type").and_then(|k| k.as_str()).map(str::to_owned))
                .unwrap_or_else(|| "unknown".into());
            out.push(heading(t, &kind, vec![muted(t, "not shown".into())]));
        }
    }
}

fn embedded_lines(resource: &ResourceContents, t: &Theme, out: &mut Vec<Line<'static>>) {
    match resource {
        ResourceContents::TextResourceContents {
            uri,
            mime_type,
            text,
            ..
        } => {
            let mut rest = vec![field(t, uri.clone())];
            rest.extend(mime_type.clone().map(|m| muted(t, m)));
            rest.push(muted(
                t,
                format!("text, {}", humanize_bytes(text.len() as u64)),
            ));
            out.push(heading(t, "resource", rest));
            let total = text.lines().count();
            for line in text.lines().take(EXCERPT_LINES) {
                out.push(indented(line, t.style(Meaning::Base)));
            }
            if total > EXCERPT_LINES {
                out.push(indented(
                    &format!("... {} more lines", total - EXCERPT_LINES),
                    t.style(Meaning::Muted),
                ));
            }
        }
        ResourceContents::BlobResourceContents {
            uri,
            mime_type,
            blob,
            ..
        } => {
            let mut rest = vec![field(t, uri.clone())];
            rest.extend(mime_type.clone().map(|m| muted(t, m)));
            rest.push(muted(t, format!("blob, {}", size_text(blob))));
            out.push(heading(t, "resource", rest));
        }
        // ResourceContents is non-exhaustive.
        #[allow(unreachable_patterns)]
        _ => out.push(heading(t, "resource", vec![muted(t, "not shown".into())])),
    }
}

fn binary_heading(t: &Theme, kind: &str, mime: &str, data: &str) -> Line<'static> {
    heading(
        t,
        kind,
        vec![field(t, mime.to_owned()), muted(t, size_text(data))],
    )
}

fn size_text(base64: &str) -> String {
    let n = decoded_len(base64);
    format!("{} ({n} bytes)", humanize_bytes(n))
}

/// The number of bytes `base64` decodes to, counted without decoding (padding and
/// whitespace do not count).
pub fn decoded_len(base64: &str) -> u64 {
    let symbols = base64
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count() as u64;
    symbols * 3 / 4
}

fn push_annotations(annotations: Option<&Annotations>, t: &Theme, out: &mut Vec<Line<'static>>) {
    let Some(a) = annotations else {
        return;
    };
    let mut parts = Vec::new();
    if let Some(audience) = &a.audience {
        let names: Vec<String> = audience
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        parts.push(format!("audience {}", names.join(", ")));
    }
    if let Some(p) = a.priority {
        parts.push(format!("priority {p}"));
    }
    if let Some(m) = &a.last_modified {
        parts.push(format!("modified {m}"));
    }
    if !parts.is_empty() {
        let sep = if t.glyphs.ascii { " | " } else { " · " };
        out.push(indented(&parts.join(sep), t.style(Meaning::Muted)));
    }
}

/// `text` with control characters (terminal escapes, carriage returns) replaced by `?` and
/// tabs by spaces: server output must not drive the terminal.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// Draws a [`CallToolResult`] from line `scroll` on.
pub struct McpResultWidget<'a> {
    result: &'a CallToolResult,
    theme: &'a Theme,
    scroll: u16,
    block: Option<Block<'a>>,
}

impl<'a> McpResultWidget<'a> {
    /// The widget for `result` in `theme`, from the top.
    pub fn new(result: &'a CallToolResult, theme: &'a Theme) -> McpResultWidget<'a> {
        McpResultWidget {
            result,
            theme,
            scroll: 0,
            block: None,
        }
    }

    /// Starts drawing at line `scroll` (see [`result_lines`] for the count).
    pub fn scroll(mut self, scroll: u16) -> McpResultWidget<'a> {
        self.scroll = scroll;
        self
    }

    /// Draws inside `block`.
    pub fn block(mut self, block: Block<'a>) -> McpResultWidget<'a> {
        self.block = Some(block);
        self
    }
}

impl Widget for McpResultWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut paragraph =
            Paragraph::new(result_lines(self.result, self.theme)).scroll((self.scroll, 0));
        if let Some(b) = self.block {
            paragraph = paragraph.block(b);
        }
        paragraph.render(area, buf);
    }
}

#[cfg(test)]
#[path = "mcp_result_tests.rs"]
mod tests;
