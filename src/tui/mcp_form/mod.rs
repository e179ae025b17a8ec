//! The call form of an attached MCP server's tool, generated from the tool's `inputSchema`
//! (JSON Schema), as a pure state machine plus a widget. It owns the editing of arguments
//! only: it never calls the tool, never does I/O, and never touches the app's state.
//!
//! Supported: strings (`format`, `minLength`/`maxLength`; `enum` becomes a choice), numbers
//! and integers (`minimum`/`maximum`, exclusive bounds), booleans, enums and `const`, arrays
//! of scalars or objects (add and remove items), nested objects, `required`, `default`,
//! `description`, `title`, `$ref` into `$defs`/`definitions`, nullable types, and
//! `anyOf`/`oneOf` whose variants are all supported (the user picks a variant). Anything else
//! (`allOf` of several schemas, free-form maps, tuples, recursion too deep) is a raw JSON field.
//! The whole argument object can also be edited as JSON text (Ctrl+R), which round-trips with
//! the fields.
//!
//! Wiring it into a pane:
//!
//! ```ignore
//! let mut form = McpForm::new(&tool);                  // rmcp::model::Tool
//! match form.handle_key(key) {                         // crossterm KeyEvent
//!     FormOutcome::Submit(arguments) => { /* call the tool with `arguments` */ }
//!     FormOutcome::Cancel => { /* close the form */ }
//!     FormOutcome::Invalid(_) | FormOutcome::Changed => { /* redraw */ }
//!     FormOutcome::Ignored => { /* the pane's own bindings */ }
//! }
//! frame.render_widget(McpFormWidget::new(&form, &theme).block(block), area);
//! let arguments = form.to_arguments()?;                // Map<String, Value> or FormError
//! ```
//!
//! [`KEY_HINTS`] lists the keys for the hint bar. Errors name the field's path:
//! `items[2].name: expected an integer`.

mod error;
mod field;
mod form;
mod raw_editor;
mod rows;
mod schema;
mod validate;
mod widget;

#[cfg(test)]
mod tests;

pub use error::FormError;
pub use field::{Field, FieldValue};
pub use form::{FormMode, FormOutcome, KEY_HINTS, McpForm};
pub use raw_editor::{RawEdit, RawEditor};
pub use rows::{Row, RowKind};
pub use schema::{FieldSchema, Kind, NumberRules, Property, StringRules, Variant};
pub use widget::{FormLines, McpFormWidget, form_lines};
