//! The MCP pane: the attached servers on the left (state, round trip, tool count); on the
//! right the selected server's tab: its tools with annotation badges, the call form, the
//! confirmation of a destructive call and the last result; or its stderr; or its wire log.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::mcp::hub::{ServerSnapshot, ServerState};

use super::super::mcp_form::McpFormWidget;
use super::super::mcp_pane::{McpFocus, McpPane, McpTab, badges};
use super::super::mcp_result::McpResultWidget;
use super::super::state::AppState;
use super::super::theme::{Meaning, Theme};
use super::{block, centered, field, hms};

/// Draws the pane in `area`.
pub fn draw(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let pane = &state.mcp;
    if pane.servers().is_empty() {
        no_servers(state, frame, area);
        return;
    }
    let left_width = (area.width / 3).clamp(36, 44);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(20)]).areas(area);
    server_list(t, pane, frame, left);
    let Some(server) = pane.selected_server() else {
        return;
    };
    let tabs: Vec<Span> = [McpTab::Tools, McpTab::Stderr, McpTab::Wire]
        .into_iter()
        .flat_map(|tab| {
            let style = t.style(if tab == pane.tab {
                Meaning::Selected
            } else {
                Meaning::Muted
            });
            [
                Span::styled(format!(" {} ", tab.title()), style),
                Span::raw(" "),
            ]
        })
        .collect();
    let mut title = vec![Span::styled(
        format!(" {} ", server.name),
        t.style(Meaning::Title),
    )];
    title.extend(tabs);
    let outer = block(t, Line::from(title));
    let inner = outer.inner(right);
    frame.render_widget(outer, right);
    match pane.tab {
        McpTab::Tools => tools_tab(state, server, frame, inner),
        McpTab::Stderr => stderr_tab(t, pane, frame, inner),
        McpTab::Wire => wire_tab(t, pane, frame, inner),
    }
}

fn no_servers(state: &AppState, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let mut lines = vec![
        Line::styled("No attached MCP server.", t.style(Meaning::Important)),
        Line::raw(""),
        Line::styled(
            "List servers under `mcp-servers:` in the configuration (stdio commands, \
             Streamable HTTP or SSE URLs), or convert a Claude Desktop file with \
             `ltx-tui mcp import FILE`. Their health, tools, calls, stderr and JSON-RPC \
             traffic are shown here.",
            t.style(Meaning::Muted),
        ),
    ];
    if !state.mcp_servers.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Configured:", t.style(Meaning::Muted)));
        lines.extend(
            state
                .mcp_servers
                .iter()
                .map(|n| Line::raw(format!("  {n}"))),
        );
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(t, " MCP servers ")),
        area,
    );
}

fn state_meaning(state: ServerState) -> Meaning {
    match state {
        ServerState::Ready => Meaning::Ok,
        ServerState::Degraded | ServerState::Connecting => Meaning::Warn,
        ServerState::Failed => Meaning::Error,
        ServerState::Stopped => Meaning::Muted,
    }
}

fn state_glyph(theme: &Theme, state: ServerState) -> &'static str {
    match (theme.glyphs.ascii, state) {
        (false, ServerState::Ready) => "●",
        (false, ServerState::Degraded | ServerState::Connecting) => "◐",
        (false, ServerState::Failed) => "✗",
        (false, ServerState::Stopped) => "○",
        (true, ServerState::Ready) => "*",
        (true, ServerState::Degraded | ServerState::Connecting) => "~",
        (true, ServerState::Failed) => "x",
        (true, ServerState::Stopped) => "-",
    }
}

fn round_trip(s: &ServerSnapshot) -> String {
    s.round_trip_ms
        .map_or_else(|| "-".to_owned(), |ms| format!("{:.0} ms", ms.max(1.0)))
}

fn server_list(t: &Theme, pane: &McpPane, frame: &mut Frame, area: Rect) {
    let focused = pane.focus == McpFocus::Servers;
    let title = if focused {
        " MCP servers ◂ "
    } else {
        " MCP servers "
    };
    let title = if t.glyphs.ascii && focused {
        " MCP servers < "
    } else {
        title
    };
    let mut lines = vec![Line::styled(
        format!("  {:<10} {:<10} {:>6} {:>3}", "name", "state", "rtt", "tls"),
        t.style(Meaning::Muted),
    )];
    for (i, s) in pane.servers().iter().enumerate() {
        let selected = i == pane.server.min(pane.servers().len().saturating_sub(1));
        let row = vec![
            Span::styled(
                format!("{} ", state_glyph(t, s.state)),
                t.style(state_meaning(s.state)),
            ),
            Span::raw(format!("{:<10.10} ", s.name)),
            Span::styled(
                format!("{:<10}", s.state.label()),
                t.style(state_meaning(s.state)),
            ),
            Span::raw(format!(" {:>6} {:>3}", round_trip(s), s.tools.len())),
        ];
        let mut line = Line::from(row);
        if selected {
            line = line.style(t.style(if focused {
                Meaning::Selected
            } else {
                Meaning::Important
            }));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).block(block(t, title)), area);
}

fn tools_tab(state: &AppState, server: &ServerSnapshot, frame: &mut Frame, area: Rect) {
    let t = &state.theme;
    let pane = &state.mcp;
    let mut info = vec![field(
        t,
        "state",
        match &server.detail {
            Some(d) => format!("{} — {d}", server.state.label()),
            None => server.state.label().to_owned(),
        },
    )];
    info.push(field(
        t,
        "server",
        format!(
            "{} · {} · protocol {}",
            server.server_info.as_deref().unwrap_or("-"),
            server.transport,
            server.protocol_version.as_deref().unwrap_or("-")
        ),
    ));
    info.push(field(
        t,
        "target",
        format!("{} · restarts {}", server.target, server.restarts),
    ));
    let info_height = info.len() as u16;
    let [head, list, detail] = Layout::vertical([
        Constraint::Length(info_height),
        Constraint::Percentage(45),
        Constraint::Min(3),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(info), head);

    let focused = pane.focus == McpFocus::Tools;
    let selected = pane.tool.min(server.tools.len().saturating_sub(1));
    let visible = usize::from(list.height.max(1));
    let first = selected.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<Line> = server
        .tools
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, tool)| {
            let mut spans = vec![Span::raw(format!("{:<28.28}", tool.name))];
            for b in badges(tool) {
                let meaning = if b == "DESTRUCTIVE" {
                    Meaning::Error
                } else {
                    Meaning::Badge
                };
                spans.push(Span::raw(" "));
                spans.push(Span::styled(format!("[{b}]"), t.style(meaning)));
            }
            if let Some(f) = server.figures.get(tool.name.as_ref()) {
                spans.push(Span::styled(
                    format!("  {} calls", f.calls),
                    t.style(Meaning::Muted),
                ));
            }
            let line = Line::from(spans);
            if i == selected {
                line.style(t.style(if focused {
                    Meaning::Selected
                } else {
                    Meaning::Important
                }))
            } else {
                line
            }
        })
        .collect();
    let rows = if rows.is_empty() {
        vec![Line::styled("(no tools)", t.style(Meaning::Muted))]
    } else {
        rows
    };
    frame.render_widget(Paragraph::new(rows), list);

    if let Some(form) = &pane.form {
        frame.render_widget(
            McpFormWidget::new(form, t).block(block(t, format!(" call {} ", form.tool))),
            detail,
        );
    } else if let Some((server, tool)) = &pane.calling {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("calling {server}/{tool}… (esc cancels)"),
                t.style(Meaning::Warn),
            ))
            .block(block(t, " result ")),
            detail,
        );
    } else if let Some(result) = &pane.result {
        let title = format!(" {} result ", result.tool);
        match &result.outcome {
            Ok(r) => frame.render_widget(
                McpResultWidget::new(r, t)
                    .scroll(result.scroll)
                    .block(block(t, title)),
                detail,
            ),
            Err(e) => frame.render_widget(
                Paragraph::new(Line::styled(e.clone(), t.style(Meaning::Error)))
                    .wrap(Wrap { trim: true })
                    .block(block(t, title)),
                detail,
            ),
        }
    } else if let Some(tool) = pane.selected_tool() {
        let mut lines = vec![Line::styled(
            tool.title.clone().unwrap_or_else(|| tool.name.to_string()),
            t.style(Meaning::Important),
        )];
        lines.push(Line::raw(
            tool.description
                .as_deref()
                .unwrap_or("(no description)")
                .to_owned(),
        ));
        if let Some(f) = server.figures.get(tool.name.as_ref()) {
            let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0} ms"));
            lines.push(Line::styled(
                format!(
                    "calls {} · ok {} · isError {} · protocol errors {} · timeouts {} · latency {} / {} / {}",
                    f.calls,
                    f.ok,
                    f.is_error,
                    f.protocol_errors,
                    f.timeouts,
                    ms(f.latency_min_ms),
                    ms(f.latency_avg_ms),
                    ms(f.latency_max_ms)
                ),
                t.style(Meaning::Muted),
            ));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(block(t, " tool ")),
            detail,
        );
    }
    if let Some(pending) = &pane.confirm {
        let popup = centered(area, 60, 7);
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    format!("Call {}/{}?", pending.server, pending.tool),
                    t.style(Meaning::Important),
                ),
                Line::raw(pending.reason.clone()),
                Line::styled("y: call   any other key: cancel", t.style(Meaning::Key)),
            ])
            .wrap(Wrap { trim: true })
            .block(block(t, " confirm ")),
            popup,
        );
    }
}

fn stderr_tab(t: &Theme, pane: &McpPane, frame: &mut Frame, area: Rect) {
    let height = usize::from(area.height);
    let lines: Vec<Line> = if pane.stderr.is_empty() {
        vec![Line::styled(
            "(nothing on stderr; HTTP servers have none)",
            t.style(Meaning::Muted),
        )]
    } else {
        let skip = pane.stderr.len().saturating_sub(height);
        pane.stderr
            .iter()
            .skip(skip)
            .map(|l| Line::raw(super::super::mcp_result::clean(l)))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), area);
}

fn wire_tab(t: &Theme, pane: &McpPane, frame: &mut Frame, area: Rect) {
    let height = usize::from(area.height);
    let skip = pane.wire.len().saturating_sub(height);
    let lines: Vec<Line> = pane
        .wire
        .iter()
        .skip(skip)
        .map(|e| {
            let at = chrono::DateTime::from_timestamp_millis(e.at_ms).unwrap_or_default();
            let arrow = if t.glyphs.ascii {
                match e.direction {
                    crate::mcp::hub::Direction::Sent => ">",
                    crate::mcp::hub::Direction::Received => "<",
                    crate::mcp::hub::Direction::Note => ".",
                }
            } else {
                e.direction.arrow()
            };
            Line::from(vec![
                Span::styled(format!("{} {arrow} ", hms(at)), t.style(Meaning::Muted)),
                Span::raw(super::super::mcp_result::clean(&e.text)),
            ])
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled("(no messages yet)", t.style(Meaning::Muted))]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines), area);
}
