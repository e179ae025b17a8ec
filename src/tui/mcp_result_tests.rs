//! The result viewer's lines: every content type, annotations, errors, untrusted text.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::text::Line;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use super::*;
use crate::tui::theme::Theme;

fn result(v: Value) -> CallToolResult {
    serde_json::from_value(v).expect("a CallToolResult")
}

fn text(lines: &[Line<'_>]) -> String {
    lines
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn plain() -> Theme {
    Theme::named("default", false, false)
}

/// 1,000 zero bytes as base64 (with padding).
fn kilobyte_base64() -> String {
    let mut s = "AAAA".repeat(333);
    s.push_str("AA==");
    s
}

#[test]
fn text_blocks_show_line_by_line_after_an_ok_header() {
    let r = result(json!({"content": [{"type": "text", "text": "one\ntwo"}]}));
    let lines = result_lines(&r, &plain());
    assert_eq!(text(&lines), "ok  1 content block\n── text\n  one\n  two");
}

#[test]
fn is_error_results_are_marked_and_their_text_highlighted() {
    let r = result(json!({"isError": true, "content": [{"type": "text", "text": "boom"}]}));
    let theme = Theme::named("mono", false, false);
    let lines = result_lines(&r, &theme);
    assert!(text(&lines).starts_with(" tool error (isError) "));
    let error = theme.style(Meaning::Error);
    assert_eq!(lines[0].spans[0].style, error);
    assert_eq!(lines[2].spans[0].style, error, "the message itself");
    assert!(error.add_modifier.contains(Modifier::BOLD));
}

#[test]
fn images_and_audio_show_type_and_decoded_size_never_the_data() {
    let data = kilobyte_base64();
    let r = result(json!({"content": [
        {"type": "image", "mimeType": "image/png", "data": data},
        {"type": "audio", "mimeType": "audio/wav", "data": "UklGRg=="}
    ]}));
    let shown = text(&result_lines(&r, &plain()));
    assert!(
        shown.contains("── image  image/png  1.0 kB (1000 bytes)"),
        "{shown}"
    );
    assert!(
        shown.contains("── audio  audio/wav  4 B (4 bytes)"),
        "{shown}"
    );
    assert!(!shown.contains("AAAA"), "no base64 on screen");
}

#[test]
fn decoded_len_counts_padded_unpadded_and_wrapped_base64() {
    assert_eq!(decoded_len(""), 0);
    assert_eq!(decoded_len("QQ=="), 1);
    assert_eq!(decoded_len("QUI="), 2);
    assert_eq!(decoded_len("QUJD"), 3);
    assert_eq!(decoded_len("QUJDRA"), 4);
    assert_eq!(decoded_len("QUJD\nRA==\n"), 4);
}

#[test]
fn resource_links_show_uri_name_type_and_description() {
    let r = result(json!({"content": [{
        "type": "resource_link", "uri": "demo://resource/1", "name": "Resource 1",
        "mimeType": "text/plain", "description": "A text resource", "size": 2048
    }]}));
    let shown = text(&result_lines(&r, &plain()));
    assert!(
        shown.contains(
            "── resource link  Resource 1  text/plain  2.0 kB\n  demo://resource/1\n  A text resource"
        ),
        "{shown}"
    );
    assert!(shown.contains("  A text resource"), "{shown}");
}

#[test]
fn embedded_text_resources_show_an_excerpt_and_blobs_their_size() {
    let long: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    let r = result(json!({"content": [
        {"type": "resource", "resource": {"uri": "file:///a.txt", "mimeType": "text/plain", "text": long}},
        {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": kilobyte_base64()}}
    ]}));
    let shown = text(&result_lines(&r, &plain()));
    assert!(
        shown.contains("── resource  file:///a.txt  text/plain  text, 151 B"),
        "{shown}"
    );
    assert!(shown.contains("  line 12\n  ... 8 more lines"), "{shown}");
    assert!(!shown.contains("line 13"), "{shown}");
    assert!(
        shown.contains("── resource  file:///b.bin  blob, 1.0 kB (1000 bytes)"),
        "{shown}"
    );
}

#[test]
fn annotations_are_listed_under_their_block() {
    let r = result(json!({"content": [{
        "type": "text", "text": "hi",
        "annotations": {"audience": ["user", "assistant"], "priority": 0.5,
                        "lastModified": "2026-11-21T10:00:00Z"}
    }]}));
    let shown = text(&result_lines(&r, &Theme::named("ascii", false, true)));
    assert!(
        shown.contains(
            "-- text\n  audience user, assistant | priority 0.5 | modified 2026-11-21T10:00:00Z\n  hi"
        ),
        "{shown}"
    );
}

#[test]
fn structured_content_is_pretty_json() {
    let r = result(json!({"content": [], "structuredContent": {"sum": 42, "terms": [40, 2]}}));
    let shown = text(&result_lines(&r, &plain()));
    assert!(
        shown.ends_with(
            "── structured content\n  {\n    \"sum\": 42,\n    \"terms\": [\n      40,\n      2\n    ]\n  }"
        ),
        "{shown}"
    );
}

#[test]
fn terminal_escapes_from_a_server_never_reach_the_screen() {
    let r = result(json!({"content": [
        {"type": "text", "text": "\u{1b}[2Jgone\tnow\r"},
        {"type": "resource_link", "uri": "x://\u{1b}]0;title\u{7}", "name": "n"}
    ]}));
    let shown = text(&result_lines(&r, &plain()));
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\n'),
        "{shown:?}"
    );
    assert!(shown.contains("?[2Jgone now?"), "{shown}");
}

#[test]
fn no_color_draws_results_without_colours() {
    let r = result(json!({"isError": true, "content": [{"type": "text", "text": "x"}]}));
    for line in result_lines(&r, &Theme::named("dark", true, false)) {
        for span in line.spans {
            assert!(
                matches!(span.style.fg, None | Some(Color::Reset)),
                "{span:?}"
            );
            assert!(
                matches!(span.style.bg, None | Some(Color::Reset)),
                "{span:?}"
            );
        }
    }
}

fn render(r: &CallToolResult, theme: &Theme, scroll: u16, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal
        .draw(|f| f.render_widget(McpResultWidget::new(r, theme).scroll(scroll), f.area()))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn mixed() -> CallToolResult {
    result(json!({
        "content": [
            {"type": "text", "text": "The sum of 40 and 2 is 42."},
            {"type": "image", "mimeType": "image/png", "data": kilobyte_base64(),
             "annotations": {"audience": ["user"], "priority": 0.9}},
            {"type": "resource_link", "uri": "demo://resource/static/document/architecture.md",
             "name": "architecture.md", "mimeType": "text/markdown"},
            {"type": "resource", "resource": {"uri": "demo://text/1", "mimeType": "text/plain",
             "text": "first line\nsecond line"}}
        ],
        "structuredContent": {"result": 42}
    }))
}

#[test]
fn snapshot_of_a_mixed_result() {
    insta::assert_snapshot!("mixed_result", render(&mixed(), &plain(), 0, 80, 18));
}

#[test]
fn snapshot_of_an_error_result_in_ascii_scrolled() {
    let r = result(json!({"isError": true, "content": [
        {"type": "text", "text": "Tool get-sum failed:\ninvalid arguments\nb: expected a number"}
    ]}));
    let theme = Theme::named("ascii", false, true);
    insta::assert_snapshot!("error_result_ascii", render(&r, &theme, 0, 60, 6));
    insta::assert_snapshot!(
        "mixed_result_scrolled_ascii",
        render(&mixed(), &theme, 6, 80, 8)
    );
}
