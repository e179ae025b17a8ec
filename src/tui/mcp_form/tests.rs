//! Behaviour of the call form, driven by keys as a user would.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use serde_json::{Map, Value, json};

use super::*;
use crate::tui::theme::Theme;

fn form(schema: Value) -> McpForm {
    let Value::Object(map) = schema else {
        panic!("test schemas are objects")
    };
    McpForm::from_schema("tool", &map)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(f: &mut McpForm, text: &str) {
    for c in text.chars() {
        assert_eq!(f.handle_key(key(KeyCode::Char(c))), FormOutcome::Changed);
    }
}

fn focus_on(f: &mut McpForm, path: &str) {
    let rows = f.rows();
    let target = rows
        .iter()
        .position(|r| r.path == path)
        .unwrap_or_else(|| panic!("no row {path} in {rows:?}"));
    for _ in 0..rows.len() {
        f.handle_key(key(KeyCode::Up));
    }
    for _ in 0..target {
        f.handle_key(key(KeyCode::Down));
    }
    assert_eq!(f.focus(), target);
}

fn args(f: &McpForm) -> Value {
    Value::Object(f.to_arguments().expect("valid arguments"))
}

fn err(f: &McpForm) -> String {
    f.to_arguments().expect_err("invalid arguments").to_string()
}

#[test]
fn string_field_takes_typed_text_and_checks_its_length_and_format() {
    let mut f = form(json!({"type": "object", "properties": {
        "message": {"type": "string", "minLength": 2, "maxLength": 5},
        "site": {"type": "string", "format": "uri"}
    }, "required": ["message"]}));
    assert_eq!(err(&f), "message: is required");
    typed(&mut f, "h");
    assert_eq!(err(&f), "message: needs at least 2 characters");
    typed(&mut f, "ello!");
    assert_eq!(err(&f), "message: takes at most 5 characters");
    f.handle_key(key(KeyCode::Backspace));
    assert_eq!(args(&f), json!({"message": "hello"}));
    focus_on(&mut f, "site");
    typed(&mut f, "not a uri");
    assert_eq!(err(&f), "site: expected a uri");
    f.handle_key(ctrl('u'));
    typed(&mut f, "file:///tmp/x");
    assert_eq!(
        args(&f),
        json!({"message": "hello", "site": "file:///tmp/x"})
    );
}

#[test]
fn integer_field_rejects_text_fractions_and_values_out_of_range() {
    let mut f = form(json!({"type": "object", "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": 10}
    }, "required": ["count"]}));
    typed(&mut f, "abc");
    assert_eq!(err(&f), "count: expected an integer");
    f.handle_key(ctrl('u'));
    typed(&mut f, "2.5");
    assert_eq!(err(&f), "count: expected an integer");
    f.handle_key(ctrl('u'));
    typed(&mut f, "0");
    assert_eq!(err(&f), "count: must be at least 1");
    f.handle_key(ctrl('u'));
    typed(&mut f, "11");
    assert_eq!(err(&f), "count: must be at most 10");
    f.handle_key(key(KeyCode::Backspace));
    assert_eq!(args(&f), json!({"count": 1}));
}

#[test]
fn number_field_keeps_fractions_and_sends_whole_numbers_as_integers() {
    let mut f = form(json!({"type": "object", "properties": {
        "ratio": {"type": "number", "exclusiveMinimum": 0}
    }}));
    typed(&mut f, "0");
    assert_eq!(err(&f), "ratio: must be greater than 0");
    f.handle_key(ctrl('u'));
    typed(&mut f, "2.5");
    assert_eq!(args(&f), json!({"ratio": 2.5}));
    f.handle_key(ctrl('u'));
    typed(&mut f, "3");
    assert_eq!(args(&f)["ratio"], json!(3));
    f.handle_key(ctrl('u'));
    typed(&mut f, "NaN");
    assert_eq!(err(&f), "ratio: expected a number");
}

#[test]
fn optional_boolean_cycles_through_unset_and_required_one_only_flips() {
    let mut f = form(json!({"type": "object", "properties": {
        "loud": {"type": "boolean"},
        "force": {"type": "boolean", "default": false}
    }, "required": ["force"]}));
    // Required first: force, then loud.
    assert_eq!(args(&f), json!({"force": false}));
    f.handle_key(key(KeyCode::Char(' ')));
    assert_eq!(args(&f), json!({"force": true}));
    f.handle_key(key(KeyCode::Char(' ')));
    assert_eq!(args(&f), json!({"force": false}));
    focus_on(&mut f, "loud");
    f.handle_key(key(KeyCode::Char(' ')));
    assert_eq!(args(&f)["loud"], json!(true));
    f.handle_key(key(KeyCode::Char(' ')));
    assert_eq!(args(&f)["loud"], json!(false));
    f.handle_key(key(KeyCode::Char(' ')));
    assert_eq!(args(&f), json!({"force": false}), "unset again");
}

#[test]
fn enum_field_is_a_choice_that_must_be_made_when_required() {
    let mut f = form(json!({"type": "object", "properties": {
        "level": {"type": "string", "enum": ["debug", "info", "error"]},
        "mode": {"enum": ["a", "b"]}
    }, "required": ["level"]}));
    assert_eq!(err(&f), "level: choose one of debug, info, error");
    f.handle_key(key(KeyCode::Right));
    assert_eq!(args(&f), json!({"level": "debug"}));
    f.handle_key(key(KeyCode::Left));
    assert_eq!(args(&f), json!({"level": "error"}), "wraps around");
    focus_on(&mut f, "mode");
    f.handle_key(key(KeyCode::Left));
    assert_eq!(args(&f)["mode"], json!("b"));
    f.handle_key(key(KeyCode::Right));
    assert_eq!(
        args(&f).get("mode"),
        None,
        "optional choice can go back to unset"
    );
}

#[test]
fn array_of_scalars_adds_edits_and_removes_items() {
    let mut f = form(json!({"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1}
    }}));
    assert_eq!(args(&f), json!({}), "an empty optional array is left out");
    assert_eq!(f.handle_key(key(KeyCode::Enter)), FormOutcome::Changed);
    assert_eq!(f.rows()[f.focus()].path, "tags[0]");
    typed(&mut f, "a");
    f.handle_key(ctrl('n'));
    typed(&mut f, "b");
    f.handle_key(ctrl('n'));
    typed(&mut f, "c");
    assert_eq!(args(&f), json!({"tags": ["a", "b", "c"]}));
    focus_on(&mut f, "tags[1]");
    f.handle_key(ctrl('d'));
    assert_eq!(args(&f), json!({"tags": ["a", "c"]}));
    f.handle_key(ctrl('d'));
    f.handle_key(ctrl('d'));
    assert_eq!(args(&f), json!({}));
}

#[test]
fn array_of_objects_names_the_item_and_member_at_fault() {
    let mut f = form(json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "qty": {"type": "integer"}
        }, "required": ["name", "qty"]}}
    }, "required": ["items"]}));
    for _ in 0..3 {
        focus_on(&mut f, "items");
        f.handle_key(key(KeyCode::Enter));
    }
    for i in 0..3 {
        assert!(f.set_text(&format!("items[{i}].name"), &format!("n{i}")));
        assert!(f.set_text(&format!("items[{i}].qty"), "1"));
    }
    assert!(f.set_text("items[2].qty", "many"));
    assert_eq!(err(&f), "items[2].qty: expected an integer");
    let FormOutcome::Invalid(e) = f.handle_key(ctrl('s')) else {
        panic!("submit must fail")
    };
    assert_eq!(e.path(), Some("items[2].qty"));
    assert_eq!(
        f.rows()[f.focus()].path,
        "items[2].qty",
        "focus goes to the fault"
    );
    f.handle_key(ctrl('u'));
    typed(&mut f, "7");
    assert_eq!(
        f.handle_key(key(KeyCode::Enter)),
        FormOutcome::Submit(
            json!({"items": [
                {"name": "n0", "qty": 1}, {"name": "n1", "qty": 1}, {"name": "n2", "qty": 7}
            ]})
            .as_object()
            .cloned()
            .unwrap_or_default()
        )
    );
}

#[test]
fn nested_objects_are_left_out_when_empty_and_checked_when_started() {
    let mut f = form(json!({"type": "object", "properties": {
        "target": {"type": "object", "properties": {
            "host": {"type": "string"}, "port": {"type": "integer"}
        }, "required": ["host"]}
    }}));
    assert_eq!(args(&f), json!({}));
    assert!(f.set_text("target.port", "80"));
    assert_eq!(err(&f), "target.host: is required");
    assert!(f.set_text("target.host", "db"));
    assert_eq!(args(&f), json!({"target": {"host": "db", "port": 80}}));
}

#[test]
fn refs_into_defs_are_resolved_with_the_referring_description() {
    let f = form(json!({"type": "object", "properties": {
        "point": {"$ref": "#/$defs/Point", "description": "where"}
    }, "$defs": {"Point": {"type": "object", "properties": {
        "x": {"type": "integer"}, "y": {"type": "integer"}
    }, "required": ["x", "y"]}}}));
    let rows = f.rows();
    let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["point", "point.x", "point.y"]);
    assert_eq!(
        f.field(&rows[0]).and_then(|x| x.schema.description.clone()),
        Some("where".into())
    );
}

#[test]
fn recursive_refs_end_in_a_raw_json_field() {
    let f = form(json!({"type": "object", "properties": {
        "tree": {"$ref": "#/$defs/Node"}
    }, "$defs": {"Node": {"type": "object", "properties": {
        "child": {"$ref": "#/$defs/Node"}
    }}}}));
    let rows = f.rows();
    assert!(rows.len() < 30, "{}", rows.len());
    assert_eq!(rows.last().map(|r| r.kind), Some(RowKind::Raw));
}

#[test]
fn any_of_simple_types_offers_variants_and_keeps_each_value() {
    let mut f = form(json!({"type": "object", "properties": {
        "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]}
    }, "required": ["id", "note"]}));
    let kinds: Vec<RowKind> = f.rows().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RowKind::Union, RowKind::Text, RowKind::Text]);
    assert!(f.set_text("id", "abc"));
    assert_eq!(
        args(&f),
        json!({"id": "abc", "note": null}),
        "null when nullable"
    );
    focus_on(&mut f, "id");
    f.handle_key(key(KeyCode::Right));
    assert_eq!(
        err(&f),
        "id: is required",
        "the integer variant is still empty"
    );
    assert!(f.set_text("id", "42"));
    assert_eq!(args(&f)["id"], json!(42));
    focus_on(&mut f, "id");
    f.handle_key(key(KeyCode::Left));
    assert_eq!(
        args(&f)["id"],
        json!("abc"),
        "the string variant kept its text"
    );
}

#[test]
fn unsupported_schemas_fall_back_to_a_raw_json_field() {
    let mut f = form(json!({"type": "object", "properties": {
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "both": {"allOf": [{"type": "object"}, {"required": ["a"]}]}
    }}));
    let kinds: Vec<RowKind> = f.rows().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RowKind::Raw, RowKind::Raw]);
    assert!(f.set_text("labels", "{\"env\": \"prod\""));
    assert!(err(&f).starts_with("labels: not valid JSON"), "{}", err(&f));
    assert!(f.set_text("labels", "{\"env\": \"prod\"}"));
    assert_eq!(args(&f), json!({"labels": {"env": "prod"}}));
}

#[test]
fn defaults_fill_the_fields_and_a_tool_without_parameters_submits_nothing() {
    let f = form(json!({"type": "object", "properties": {
        "limit": {"type": "integer", "default": 10},
        "order": {"enum": ["asc", "desc"], "default": "desc"}
    }}));
    assert_eq!(args(&f), json!({"limit": 10, "order": "desc"}));
    let mut empty = form(json!({"type": "object", "additionalProperties": false}));
    assert!(empty.rows().is_empty());
    assert_eq!(
        empty.handle_key(key(KeyCode::Enter)),
        FormOutcome::Submit(Map::new())
    );
}

#[test]
fn raw_mode_round_trips_with_the_fields() {
    let mut f = form(json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "integer"}},
        "opts": {"type": "object", "properties": {"deep": {"type": "boolean"}}}
    }}));
    let wanted = json!({"name": "x", "tags": [1, 2], "opts": {"deep": true}});
    f.set_arguments(wanted.as_object().unwrap_or(&Map::new()))
        .expect("fits");
    assert_eq!(f.handle_key(ctrl('r')), FormOutcome::Changed);
    let FormMode::Raw(editor) = f.mode() else {
        panic!("raw mode")
    };
    let shown: Value = serde_json::from_str(&editor.text()).expect("pretty JSON");
    assert_eq!(shown, wanted);
    assert_eq!(args(&f), wanted, "arguments come from the text in raw mode");
    // Edit the text: append a tag.
    let FormMode::Raw(editor) = f.mode() else {
        panic!("raw mode")
    };
    let row = editor
        .lines()
        .iter()
        .position(|l| l.trim() == "2")
        .expect("the line of the last tag");
    for _ in 0..row {
        f.handle_key(key(KeyCode::Down));
    }
    f.handle_key(key(KeyCode::End));
    typed(&mut f, ", 3");
    f.handle_key(ctrl('r'));
    assert_eq!(f.mode(), &FormMode::Fields);
    assert_eq!(args(&f)["tags"], json!([1, 2, 3]));
}

#[test]
fn raw_json_that_does_not_parse_or_fit_keeps_raw_mode_with_the_reason() {
    let mut f = form(json!({"type": "object", "properties": {"n": {"type": "integer"}}}));
    f.handle_key(key(KeyCode::F(2)));
    f.handle_key(key(KeyCode::Delete));
    f.handle_key(key(KeyCode::Delete));
    typed(&mut f, "{\"n\": \"five\", \"zz\": 1}");
    assert!(matches!(f.mode(), FormMode::Raw(_)));
    assert!(f.toggle_raw().is_err());
    assert!(matches!(f.mode(), FormMode::Raw(_)));
    let message = f.error().map(ToString::to_string).unwrap_or_default();
    assert!(message.contains("n: expected an integer"), "{message}");
    assert!(message.contains("zz: not in the schema"), "{message}");
    assert!(matches!(
        f.handle_key(ctrl('s')),
        FormOutcome::Invalid(FormError::DoesNotFit(_))
    ));
}

#[test]
fn esc_cancels_and_unknown_keys_are_left_to_the_pane() {
    let mut f = form(json!({"type": "object", "properties": {"b": {"type": "boolean"}}}));
    assert_eq!(f.handle_key(key(KeyCode::Char('x'))), FormOutcome::Ignored);
    assert_eq!(f.handle_key(key(KeyCode::Esc)), FormOutcome::Cancel);
}

#[test]
fn tool_metadata_feeds_the_form() {
    let tool: rmcp::model::Tool = serde_json::from_value(json!({
        "name": "add", "title": "Add numbers", "description": "Adds a and b",
        "inputSchema": {"type": "object", "properties": {
            "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}
    }))
    .expect("a tool");
    let mut f = McpForm::new(&tool);
    assert_eq!(f.tool, "add");
    assert_eq!(f.title.as_deref(), Some("Add numbers"));
    typed(&mut f, "40");
    f.handle_key(key(KeyCode::Tab));
    typed(&mut f, "2");
    assert_eq!(args(&f), json!({"a": 40, "b": 2}));
}

fn render(f: &McpForm, theme: &Theme, w: u16, h: u16) -> String {
    let backend = TestBackend::new(w, h);
    let mut terminal = Terminal::new(backend).expect("test backend");
    terminal
        .draw(|frame| frame.render_widget(McpFormWidget::new(f, theme), frame.area()))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
            line.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sample_form() -> McpForm {
    let mut f = form(json!({"type": "object", "properties": {
        "query": {"type": "string", "description": "What to search for", "minLength": 1},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "exact": {"type": "boolean"},
        "sort": {"enum": ["relevance", "date"]},
        "filters": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "value": {"type": ["string", "number"]}
        }, "required": ["field"]}}
    }, "required": ["query"]}));
    typed(&mut f, "replica lag");
    f.handle_key(KeyCode::Left.into());
    f
}

#[test]
fn snapshot_of_a_search_form() {
    let f = sample_form();
    insta::assert_snapshot!(
        "search_form_default",
        render(&f, &Theme::named("default", false, false), 70, 12)
    );
}

#[test]
fn snapshot_of_nested_items_with_an_error_in_ascii() {
    let mut f = sample_form();
    focus_on(&mut f, "filters");
    f.handle_key(key(KeyCode::Enter));
    f.handle_key(ctrl('n'));
    assert!(f.set_text("filters[1].field", "name"));
    let outcome = f.handle_key(ctrl('s'));
    assert!(matches!(outcome, FormOutcome::Invalid(_)), "{outcome:?}");
    insta::assert_snapshot!(
        "nested_items_error_ascii",
        render(&f, &Theme::named("ascii", false, true), 70, 16)
    );
}

#[test]
fn snapshot_of_the_raw_editor() {
    let mut f = sample_form();
    f.handle_key(ctrl('r'));
    insta::assert_snapshot!(
        "raw_editor",
        render(&f, &Theme::named("default", false, false), 50, 8)
    );
}

#[test]
fn no_color_theme_draws_the_form_without_colours() {
    let mut f = sample_form();
    f.handle_key(ctrl('s'));
    let theme = Theme::named("default", true, false);
    let lines = form_lines(&f, &theme, 70);
    for line in &lines.lines {
        for span in &line.spans {
            assert!(
                matches!(span.style.fg, None | Some(Color::Reset))
                    && matches!(span.style.bg, None | Some(Color::Reset)),
                "{span:?}"
            );
        }
    }
}

#[test]
fn the_focus_stays_in_view_when_the_form_is_taller_than_its_area() {
    let props: Map<String, Value> = (0..30)
        .map(|i| (format!("f{i:02}"), json!({"type": "string"})))
        .collect();
    let mut f = form(json!({"type": "object", "properties": props}));
    for _ in 0..25 {
        f.handle_key(key(KeyCode::Down));
    }
    let text = render(&f, &Theme::named("ascii", false, true), 40, 6);
    assert!(text.contains("> f25"), "{text}");
}

#[test]
fn control_characters_in_a_schema_never_reach_the_screen() {
    let mut f = form(json!({"type": "object", "properties": {
        "k\u{1b}[2J": {"enum": ["a\u{1b}]0;x\u{7}"], "description": "evil\u{1b}[31m"}
    }}));
    f.handle_key(key(KeyCode::Right));
    let lines = form_lines(&f, &Theme::named("default", false, false), 60);
    for line in &lines.lines {
        for span in &line.spans {
            assert!(!span.content.chars().any(char::is_control), "{span:?}");
        }
    }
}
