//! What can be wrong with a call form's input.

use thiserror::Error;

/// Why the form cannot produce arguments (or cannot switch editors).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    /// A field's value does not fit its schema. `path` names the field (`items[2].name`,
    /// `arguments` for the whole object).
    #[error("{path}: {message}")]
    Invalid {
        /// The field's path.
        path: String,
        /// What is wrong, e.g. `expected an integer`.
        message: String,
    },
    /// The raw JSON text does not parse.
    #[error("raw JSON, line {line}, column {column}: {message}")]
    RawJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The raw JSON parses but does not fit the fields (unknown keys, wrong types); the
    /// editor stays in raw mode.
    #[error("raw JSON does not fit the form: {0}")]
    DoesNotFit(String),
}

impl FormError {
    /// The path of the field at fault, if one is.
    pub fn path(&self) -> Option<&str> {
        match self {
            FormError::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}
