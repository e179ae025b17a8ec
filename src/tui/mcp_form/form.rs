//! [`McpForm`]: the call form of one tool as a pure state machine. Keys go in
//! ([`McpForm::handle_key`]), a [`FormOutcome`] comes out; no I/O, no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rmcp::model::Tool;
use serde_json::{Map, Value};
use tui_input::{Input, InputRequest};

use super::error::FormError;
use super::field::{Field, FieldValue};
use super::raw_editor::{RawEdit, RawEditor};
use super::rows::{Row, RowKind, field_at, field_at_mut, rows};
use super::schema::{FieldSchema, Kind};
use super::validate::{object, to_json};

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    /// The form did not use the key (the pane may).
    Ignored,
    /// The form changed (focus, value, mode).
    Changed,
    /// The user asked to call the tool and the arguments are valid.
    Submit(Map<String, Value>),
    /// The user asked to call the tool but a field is invalid; the error is also in
    /// [`McpForm::error`] and focus is on the field at fault.
    Invalid(FormError),
    /// The user backed out (Esc).
    Cancel,
}

/// Which editor is showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormMode {
    /// One row per field.
    Fields,
    /// The whole argument object as JSON text.
    Raw(RawEditor),
}

/// The call form of one tool.
#[derive(Debug, Clone)]
pub struct McpForm {
    /// The tool's name.
    pub tool: String,
    /// The tool's title (from `title` or the `title` annotation), if any.
    pub title: Option<String>,
    /// The tool's description.
    pub description: Option<String>,
    root: Field,
    focus: usize,
    mode: FormMode,
    error: Option<FormError>,
    submitted: bool,
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

impl McpForm {
    /// The form for `tool`, fields filled with their schema defaults.
    pub fn new(tool: &Tool) -> McpForm {
        let title = tool
            .title
            .clone()
            .or_else(|| tool.annotations.as_ref().and_then(|a| a.title.clone()));
        let mut form = McpForm::from_schema(&tool.name, &tool.input_schema);
        form.title = title;
        form.description = tool.description.as_ref().map(|d| d.to_string());
        form
    }

    /// The form for an `inputSchema` alone (no tool metadata).
    pub fn from_schema(name: &str, input_schema: &Map<String, Value>) -> McpForm {
        McpForm {
            tool: name.to_owned(),
            title: None,
            description: None,
            root: Field::new(&FieldSchema::parse_input(input_schema)),
            focus: 0,
            mode: FormMode::Fields,
            error: None,
            submitted: false,
        }
    }

    /// The rows of the field editor (empty for a tool without parameters).
    pub fn rows(&self) -> Vec<Row> {
        rows(&self.root)
    }

    /// The focused row's index into [`McpForm::rows`].
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// The editor showing.
    pub fn mode(&self) -> &FormMode {
        &self.mode
    }

    /// The last submit or mode-switch error, cleared by the next edit.
    pub fn error(&self) -> Option<&FormError> {
        self.error.as_ref()
    }

    /// The field a row edits.
    pub fn field(&self, row: &Row) -> Option<&Field> {
        field_at(&self.root, &row.addr)
    }

    /// The problem with `row`'s own value, shown once the field was edited or a submit was
    /// tried. Problems of nested fields belong to their own rows.
    pub fn row_error(&self, row: &Row) -> Option<FormError> {
        let field = self.field(row)?;
        if !(field.touched || self.submitted) {
            return None;
        }
        let scalar = matches!(
            row.kind,
            RowKind::Text | RowKind::Bool | RowKind::Choice | RowKind::Raw
        );
        let own = |e: &FormError| e.path() == Some(shown_path(&row.path));
        if field.is_empty() && !(row.required && self.submitted) {
            return None;
        }
        if field.is_empty() && scalar {
            return (!field.schema.nullable).then(|| FormError::Invalid {
                path: shown_path(&row.path).to_owned(),
                message: "is required".into(),
            });
        }
        to_json(field, &row.path).err().filter(own)
    }

    /// The call's arguments: every filled field, every required one, never an empty optional
    /// one. In raw mode the JSON text is parsed and checked against the fields.
    pub fn to_arguments(&self) -> Result<Map<String, Value>, FormError> {
        match &self.mode {
            FormMode::Fields => self.fields_arguments(),
            FormMode::Raw(editor) => {
                let mut scratch = self.root.clone();
                load_raw(&mut scratch, &editor.text())?;
                arguments_of(&scratch)
            }
        }
    }

    fn fields_arguments(&self) -> Result<Map<String, Value>, FormError> {
        arguments_of(&self.root)
    }

    /// Fills the fields from `arguments` (e.g. the previous call's), as if typed.
    pub fn set_arguments(&mut self, arguments: &Map<String, Value>) -> Result<(), FormError> {
        let mut mismatches = Vec::new();
        let mut root = self.root.clone();
        root.set_value(&Value::Object(arguments.clone()), "", &mut mismatches);
        if !mismatches.is_empty() {
            return Err(FormError::DoesNotFit(mismatches.join("; ")));
        }
        self.root = root;
        if let FormMode::Raw(_) = self.mode {
            self.mode = FormMode::Raw(RawEditor::new(&self.raw_text()));
        }
        self.clamp_focus();
        Ok(())
    }

    /// The current values as pretty JSON, leniently (unfinished values are left out), as the
    /// raw editor starts.
    pub fn raw_text(&self) -> String {
        let value = Value::Object(lenient(&self.root).unwrap_or_default());
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into())
    }

    /// Switches between the field editor and the raw JSON editor. Leaving raw mode loads the
    /// JSON into the fields; if it does not parse or fit, the form stays in raw mode and the
    /// error is kept.
    pub fn toggle_raw(&mut self) -> Result<(), FormError> {
        match &self.mode {
            FormMode::Fields => {
                self.mode = FormMode::Raw(RawEditor::new(&self.raw_text()));
                self.error = None;
                Ok(())
            }
            FormMode::Raw(editor) => {
                let mut root = self.root.clone();
                match load_raw(&mut root, &editor.text()) {
                    Ok(()) => {
                        self.root = root;
                        self.mode = FormMode::Fields;
                        self.error = None;
                        self.clamp_focus();
                        Ok(())
                    }
                    Err(e) => {
                        self.error = Some(e.clone());
                        Err(e)
                    }
                }
            }
        }
    }

    /// Handles one key. Field mode: Up/Down/Tab/BackTab move; typing edits text; Space,
    /// Left and Right toggle booleans and cycle choices and union variants; Enter on an
    /// array header (or `+`/Space there, or Ctrl+N anywhere inside the array) adds an item;
    /// Ctrl+D removes the item holding the focus; Enter or Ctrl+S submits; Ctrl+R or F2
    /// switches to raw JSON; Esc cancels. Raw mode: keys edit the text; Ctrl+S submits,
    /// Ctrl+R or F2 switches back, Esc cancels.
    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        if key.code == KeyCode::Esc {
            return FormOutcome::Cancel;
        }
        if ctrl(&key, 's') {
            return self.submit();
        }
        if ctrl(&key, 'r') || key.code == KeyCode::F(2) {
            let _ = self.toggle_raw();
            return FormOutcome::Changed;
        }
        if let FormMode::Raw(editor) = &mut self.mode {
            let edit = match key.code {
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    RawEdit::Insert(c)
                }
                KeyCode::Enter => RawEdit::Newline,
                KeyCode::Tab => RawEdit::Insert(' '),
                KeyCode::Backspace => RawEdit::Backspace,
                KeyCode::Delete => RawEdit::Delete,
                KeyCode::Left => RawEdit::Left,
                KeyCode::Right => RawEdit::Right,
                KeyCode::Up => RawEdit::Up,
                KeyCode::Down => RawEdit::Down,
                KeyCode::Home => RawEdit::Home,
                KeyCode::End => RawEdit::End,
                _ => return FormOutcome::Ignored,
            };
            editor.apply(edit);
            self.error = None;
            return FormOutcome::Changed;
        }
        self.handle_field_key(key)
    }

    fn handle_field_key(&mut self, key: KeyEvent) -> FormOutcome {
        let rows = self.rows();
        let count = rows.len();
        match key.code {
            KeyCode::Up | KeyCode::BackTab => {
                self.focus = self.focus.saturating_sub(1);
                return FormOutcome::Changed;
            }
            KeyCode::Down | KeyCode::Tab => {
                self.focus = (self.focus + 1).min(count.saturating_sub(1));
                return FormOutcome::Changed;
            }
            _ => {}
        }
        if ctrl(&key, 'n') {
            return self.add_item(&rows);
        }
        if ctrl(&key, 'd') {
            return self.remove_item(&rows);
        }
        let Some(row) = rows.get(self.focus) else {
            return match key.code {
                KeyCode::Enter => self.submit(),
                _ => FormOutcome::Ignored,
            };
        };
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (row.kind, key.code) {
            (RowKind::Array, KeyCode::Enter | KeyCode::Char('+' | ' ')) if plain => {
                self.add_item(&rows)
            }
            (_, KeyCode::Enter) => self.submit(),
            (RowKind::Text | RowKind::Raw, code) => {
                let request = match code {
                    KeyCode::Char(c) if plain => InputRequest::InsertChar(c),
                    KeyCode::Char('u') if !plain => InputRequest::DeleteLine,
                    KeyCode::Backspace => InputRequest::DeletePrevChar,
                    KeyCode::Delete => InputRequest::DeleteNextChar,
                    KeyCode::Left => InputRequest::GoToPrevChar,
                    KeyCode::Right => InputRequest::GoToNextChar,
                    KeyCode::Home => InputRequest::GoToStart,
                    KeyCode::End => InputRequest::GoToEnd,
                    _ => return FormOutcome::Ignored,
                };
                self.edit_row(row, |field| {
                    if let FieldValue::Text(input) | FieldValue::Raw(input) = &mut field.value {
                        input.handle(request);
                    }
                })
            }
            (RowKind::Bool | RowKind::Choice | RowKind::Union, code) => {
                let step: isize = match code {
                    KeyCode::Char(' ') | KeyCode::Right if plain => 1,
                    KeyCode::Left => -1,
                    _ => return FormOutcome::Ignored,
                };
                let required = row.required;
                self.edit_row(row, |field| cycle(field, step, required))
            }
            _ => FormOutcome::Ignored,
        }
    }

    fn edit_row(&mut self, row: &Row, edit: impl FnOnce(&mut Field)) -> FormOutcome {
        match field_at_mut(&mut self.root, &row.addr) {
            Some(field) => {
                edit(field);
                field.touched = true;
                self.error = None;
                FormOutcome::Changed
            }
            None => FormOutcome::Ignored,
        }
    }

    /// The innermost array at or above the focused row: (its address, the focused item's
    /// index within it, if the focus is inside an item).
    fn enclosing_array(&self, rows: &[Row]) -> Option<(Vec<usize>, Option<usize>)> {
        let row = rows.get(self.focus)?;
        for len in (0..=row.addr.len()).rev() {
            let addr = &row.addr[..len];
            if let Some(Field {
                value: FieldValue::Array(_),
                ..
            }) = field_at(&self.root, addr)
            {
                return Some((addr.to_vec(), row.addr.get(len).copied()));
            }
        }
        None
    }

    fn add_item(&mut self, rows: &[Row]) -> FormOutcome {
        let Some((addr, _)) = self.enclosing_array(rows) else {
            return FormOutcome::Ignored;
        };
        let Some(array) = field_at_mut(&mut self.root, &addr) else {
            return FormOutcome::Ignored;
        };
        let Some(item) = array.new_item() else {
            return FormOutcome::Ignored;
        };
        let FieldValue::Array(items) = &mut array.value else {
            return FormOutcome::Ignored;
        };
        items.push(item);
        let new_index = items.len() - 1;
        array.touched = true;
        self.error = None;
        let mut new_addr = addr;
        new_addr.push(new_index);
        if let Some(i) = self.rows().iter().position(|r| r.addr == new_addr) {
            self.focus = i;
        }
        FormOutcome::Changed
    }

    fn remove_item(&mut self, rows: &[Row]) -> FormOutcome {
        let Some((addr, Some(index))) = self.enclosing_array(rows) else {
            return FormOutcome::Ignored;
        };
        let Some(Field {
            value: FieldValue::Array(items),
            touched,
            ..
        }) = field_at_mut(&mut self.root, &addr)
        else {
            return FormOutcome::Ignored;
        };
        if index < items.len() {
            items.remove(index);
            *touched = true;
        }
        // Focus the item that took its place, else the one before, else the header.
        let left = items.len();
        self.error = None;
        let mut target = addr.clone();
        if left > 0 {
            target.push(index.min(left - 1));
        }
        if let Some(i) = self.rows().iter().position(|r| r.addr == target) {
            self.focus = i;
        }
        self.clamp_focus();
        FormOutcome::Changed
    }

    fn submit(&mut self) -> FormOutcome {
        self.submitted = true;
        match self.to_arguments() {
            Ok(args) => {
                self.error = None;
                FormOutcome::Submit(args)
            }
            Err(e) => {
                if let Some(path) = e.path()
                    && let Some(i) = self.rows().iter().position(|r| shown_path(&r.path) == path)
                {
                    self.focus = i;
                }
                self.error = Some(e.clone());
                FormOutcome::Invalid(e)
            }
        }
    }

    fn clamp_focus(&mut self) {
        self.focus = self.focus.min(self.rows().len().saturating_sub(1));
    }
}

/// The keys of the form, for the pane's hint bar: (keys, what they do).
pub const KEY_HINTS: [(&str, &str); 7] = [
    ("Enter/Ctrl+S", "call"),
    ("Tab/Up/Down", "move"),
    ("Space/Left/Right", "toggle, choose"),
    ("Ctrl+N", "add item"),
    ("Ctrl+D", "remove item"),
    ("Ctrl+R", "raw JSON"),
    ("Esc", "back"),
];

fn shown_path(path: &str) -> &str {
    super::field::shown(path)
}

fn arguments_of(root: &Field) -> Result<Map<String, Value>, FormError> {
    object(root, "")
}

/// Parses raw JSON text into `root` (which must take an object).
fn load_raw(root: &mut Field, text: &str) -> Result<(), FormError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FormError::RawJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if !value.is_object() {
        return Err(FormError::DoesNotFit(
            "arguments: expected an object".into(),
        ));
    }
    let mut mismatches = Vec::new();
    root.set_value(&value, "", &mut mismatches);
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(FormError::DoesNotFit(mismatches.join("; ")))
    }
}

/// The members that are filled and valid, skipping the rest (the raw editor's start).
fn lenient(field: &Field) -> Option<Map<String, Value>> {
    let (Kind::Object(props), FieldValue::Object(fields)) = (&field.schema.kind, &field.value)
    else {
        return match to_json(field, "") {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
    };
    let mut map = Map::new();
    for (prop, child) in props.iter().zip(fields) {
        if child.is_empty() {
            continue;
        }
        let value = match &child.value {
            FieldValue::Object(_) => lenient(child).map(Value::Object),
            _ => to_json(child, &prop.name).ok(),
        };
        if let Some(v) = value {
            map.insert(prop.name.clone(), v);
        }
    }
    Some(map)
}

/// One step of a boolean, choice or union selector. An optional boolean or choice cycles
/// through "unset" too.
fn cycle(field: &mut Field, step: isize, required: bool) {
    let wrap = |i: isize, n: usize| i.rem_euclid(n.max(1) as isize) as usize;
    match (&field.schema.kind, &mut field.value) {
        (_, FieldValue::Bool(b)) => {
            *b = match (*b, required, step > 0) {
                (None, _, true) => Some(true),
                (None, _, false) => Some(false),
                (Some(false), false, true) | (Some(true), false, false) => None,
                (Some(v), _, _) => Some(!v),
            };
        }
        (Kind::Enum(options), FieldValue::Choice(c)) => {
            // Positions 0..n are options; position n is "unset" for optional fields.
            let slots = options.len() + usize::from(!required);
            let now = c.map_or(options.len() as isize, |i| i as isize);
            let next = if c.is_none() && required {
                if step > 0 {
                    0
                } else {
                    options.len().saturating_sub(1)
                }
            } else {
                wrap(now + step, slots)
            };
            *c = (next < options.len()).then_some(next);
        }
        (_, FieldValue::Union { selected, variants }) => {
            *selected = wrap(*selected as isize + step, variants.len());
        }
        _ => {}
    }
}

impl McpForm {
    /// Replaces the text of a text or raw field at `path` (as in messages: `items[2].name`),
    /// as if typed; false if there is no such text field.
    pub fn set_text(&mut self, path: &str, text: &str) -> bool {
        let Some(row) = self
            .rows()
            .into_iter()
            .find(|r| r.path == path && matches!(r.kind, RowKind::Text | RowKind::Raw))
        else {
            return false;
        };
        let Some(field) = field_at_mut(&mut self.root, &row.addr) else {
            return false;
        };
        match &mut field.value {
            FieldValue::Text(input) | FieldValue::Raw(input) => {
                *input = Input::new(text.to_owned());
                field.touched = true;
                true
            }
            _ => false,
        }
    }
}
