//! The call form is usable for every tool of the real server-everything: its live tool list
//! (fetched with the MCP Inspector CLI) parses into `rmcp::model::Tool`s, a form is built for
//! each, its required fields are filled with valid values, and `to_arguments` gives them back.
//! For a few tools the arguments the form produces are sent with the Inspector CLI and the
//! server answers without an error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ltx_tui::tui::mcp_form::{FieldSchema, FormOutcome, Kind, McpForm};
use rmcp::model::Tool;
use serde_json::{Map, Value, json};
use support::ref_servers::{
    EverythingTransport, InspectorRun, RefServerCommand, SERVER_EVERYTHING_TOOLS_WITH_ROOTS,
    inspector_stdio, server_everything,
};

fn live_tools(server: &RefServerCommand, home: &std::path::Path) -> Vec<Tool> {
    let listed = inspector_stdio(server, &["--method", "tools/list"], home).expect_ok("tools/list");
    serde_json::from_value(listed["tools"].clone()).expect("the tool list parses as rmcp Tools")
}

/// A valid value for `schema`: the smallest that satisfies its limits.
fn sample(schema: &FieldSchema) -> Value {
    match &schema.kind {
        Kind::String(rules) => {
            let base = match rules.format.as_deref() {
                Some("uri" | "url") => "data:text/plain,hello".to_owned(),
                Some("email") => "ops@example.invalid".to_owned(),
                Some("date-time") => "2026-11-21T12:00:00Z".to_owned(),
                Some("date") => "2026-11-21".to_owned(),
                _ => "hello".to_owned(),
            };
            let min = rules.min_length.unwrap_or(0) as usize;
            let padded = format!("{base}{}", "x".repeat(min.saturating_sub(base.len())));
            Value::String(padded)
        }
        Kind::Number(rules) => {
            let mut n = rules
                .min
                .map_or(2.0, |m| if rules.exclusive_min { m + 1.0 } else { m });
            if let Some(max) = rules.max {
                n = n.min(max);
            }
            json!(n.ceil() as i64)
        }
        Kind::Boolean => json!(true),
        Kind::Enum(options) => options.first().cloned().unwrap_or(Value::Null),
        Kind::Array {
            items, min_items, ..
        } => Value::Array(
            (0..min_items.unwrap_or(1).max(1))
                .map(|_| sample(items))
                .collect(),
        ),
        Kind::Object(props) => Value::Object(
            props
                .iter()
                .filter(|p| p.required)
                .map(|p| (p.name.clone(), sample(&p.schema)))
                .collect(),
        ),
        Kind::Union(variants) => variants.first().map_or(Value::Null, |v| sample(&v.schema)),
        Kind::Raw => json!({}),
    }
}

#[test]
fn a_form_for_every_tool_of_server_everything_gives_valid_arguments() {
    let home = tempfile::tempdir().unwrap();
    let server = server_everything(EverythingTransport::Stdio);
    let tools = live_tools(&server, home.path());
    assert_eq!(tools.len(), SERVER_EVERYTHING_TOOLS_WITH_ROOTS);
    for tool in &tools {
        let mut form = McpForm::new(tool);
        let schema = FieldSchema::parse_input(&tool.input_schema);
        let Kind::Object(props) = &schema.kind else {
            panic!("{}: input schema is not an object form", tool.name)
        };
        let required = sample(&schema);
        let Value::Object(required) = required else {
            panic!("{}: sample is not an object", tool.name)
        };
        // A fresh form holds the schema's defaults and nothing else.
        let defaults: Map<String, Value> = props
            .iter()
            .filter_map(|p| Some((p.name.clone(), p.schema.default.clone()?)))
            .collect();
        let fresh: Value = serde_json::from_str(&form.raw_text()).unwrap();
        assert_eq!(fresh, Value::Object(defaults.clone()), "{}", tool.name);
        // Filled in: the required fields' samples beside the defaults.
        let mut wanted = defaults;
        wanted.extend(required);
        form.set_arguments(&wanted)
            .unwrap_or_else(|e| panic!("{}: {e}", tool.name));
        let arguments = form
            .to_arguments()
            .unwrap_or_else(|e| panic!("{}: {e}", tool.name));
        assert_eq!(arguments, wanted, "{}", tool.name);
        assert!(
            arguments.keys().all(|k| props.iter().any(|p| &p.name == k)),
            "{}: {arguments:?}",
            tool.name
        );
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Types `text` into the focused field.
fn typed(form: &mut McpForm, text: &str) {
    for c in text.chars() {
        assert_eq!(form.handle_key(key(KeyCode::Char(c))), FormOutcome::Changed);
    }
}

fn submitted(form: &mut McpForm) -> Map<String, Value> {
    match form.handle_key(key(KeyCode::Enter)) {
        FormOutcome::Submit(arguments) => arguments,
        other => panic!("{}: submit gave {other:?}", form.tool),
    }
}

/// Calls `tool` with `arguments` through the Inspector CLI (`--tool-arg k=v`, strings bare,
/// anything else as JSON).
fn call(
    server: &RefServerCommand,
    home: &std::path::Path,
    tool: &str,
    arguments: &Map<String, Value>,
) -> Value {
    let pairs: Vec<String> = arguments
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    let mut extra = vec!["--method", "tools/call", "--tool-name", tool];
    if !pairs.is_empty() {
        extra.push("--tool-arg");
        extra.extend(pairs.iter().map(String::as_str));
    }
    let run: InspectorRun = inspector_stdio(server, &extra, home);
    let result = run.expect_ok(tool);
    assert_ne!(result["isError"], true, "{tool}: {result}");
    result
}

fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("server-everything has no {name}"))
}

#[test]
fn arguments_typed_into_forms_are_accepted_by_server_everything() {
    let home = tempfile::tempdir().unwrap();
    let server = server_everything(EverythingTransport::Stdio);
    let tools = live_tools(&server, home.path());

    let mut echo = McpForm::new(tool(&tools, "echo"));
    typed(&mut echo, "from the form");
    let arguments = submitted(&mut echo);
    assert_eq!(
        Value::Object(arguments.clone()),
        json!({"message": "from the form"})
    );
    let result = call(&server, home.path(), "echo", &arguments);
    assert!(result.to_string().contains("from the form"), "{result}");

    let mut sum = McpForm::new(tool(&tools, "get-sum"));
    typed(&mut sum, "40");
    sum.handle_key(key(KeyCode::Tab));
    typed(&mut sum, "2.5");
    let arguments = submitted(&mut sum);
    assert_eq!(Value::Object(arguments.clone()), json!({"a": 40, "b": 2.5}));
    let result = call(&server, home.path(), "get-sum", &arguments);
    assert!(result.to_string().contains("42.5"), "{result}");

    let mut weather = McpForm::new(tool(&tools, "get-structured-content"));
    weather.handle_key(key(KeyCode::Right));
    weather.handle_key(key(KeyCode::Right));
    let arguments = submitted(&mut weather);
    assert_eq!(
        Value::Object(arguments.clone()),
        json!({"location": "Chicago"})
    );
    let result = call(&server, home.path(), "get-structured-content", &arguments);
    assert!(result["structuredContent"].is_object(), "{result}");

    let mut links = McpForm::new(tool(&tools, "get-resource-links"));
    let arguments = submitted(&mut links);
    assert_eq!(
        Value::Object(arguments.clone()),
        json!({"count": 3}),
        "the default"
    );
    let result = call(&server, home.path(), "get-resource-links", &arguments);
    let kinds: Vec<&str> = result["content"]
        .as_array()
        .map(|c| c.iter().filter_map(|b| b["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds.iter().filter(|k| **k == "resource_link").count(),
        3,
        "{result}"
    );
}
