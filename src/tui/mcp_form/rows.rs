//! The form as a list of rows, one per focusable line: scalar fields, and a header for every
//! nested object, array and union. Focus moves over these rows; the widget draws them. A row
//! addresses its field by the child indices from the root (object property, array item or
//! union variant at each level).

use super::field::{Field, FieldValue, join};
use super::schema::Kind;

/// What a row edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A string or number typed as text.
    Text,
    /// A boolean toggle.
    Bool,
    /// An enum choice.
    Choice,
    /// The header of an array (adds items).
    Array,
    /// The header of a nested object.
    Object,
    /// The variant selector of a union.
    Union,
    /// A JSON text field (schema parts the form cannot show).
    Raw,
}

/// One row of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Child indices from the root to the field.
    pub addr: Vec<usize>,
    /// Nesting depth (for indentation).
    pub depth: usize,
    /// The label: property name, `[i]` for an array item, the variant for a union's value.
    pub label: String,
    /// The field is required.
    pub required: bool,
    /// The field's path in messages (`items[2].name`).
    pub path: String,
    /// What it edits.
    pub kind: RowKind,
}

/// The rows of a form whose root field is `root` (the root object itself has no row).
pub fn rows(root: &Field) -> Vec<Row> {
    let mut out = Vec::new();
    match (&root.schema.kind, &root.value) {
        (Kind::Object(props), FieldValue::Object(fields)) => {
            for (i, (prop, field)) in props.iter().zip(fields).enumerate() {
                let row = Row {
                    addr: vec![i],
                    depth: 0,
                    label: prop.name.clone(),
                    required: prop.required,
                    path: prop.name.clone(),
                    kind: RowKind::Text,
                };
                push(field, row, &mut out);
            }
        }
        _ => push(
            root,
            Row {
                addr: Vec::new(),
                depth: 0,
                label: "arguments".into(),
                required: true,
                path: String::new(),
                kind: RowKind::Raw,
            },
            &mut out,
        ),
    }
    out
}

fn child(parent: &Row, index: usize, label: String, required: bool, path: String) -> Row {
    let mut addr = parent.addr.clone();
    addr.push(index);
    Row {
        addr,
        depth: parent.depth + 1,
        label,
        required,
        path,
        kind: RowKind::Text,
    }
}

fn push(field: &Field, mut row: Row, out: &mut Vec<Row>) {
    row.kind = match &field.value {
        FieldValue::Text(_) => RowKind::Text,
        FieldValue::Bool(_) => RowKind::Bool,
        FieldValue::Choice(_) => RowKind::Choice,
        FieldValue::Raw(_) => RowKind::Raw,
        FieldValue::Array(_) => RowKind::Array,
        FieldValue::Object(_) => RowKind::Object,
        FieldValue::Union { .. } => RowKind::Union,
    };
    let header = row.clone();
    out.push(row);
    match (&field.schema.kind, &field.value) {
        (Kind::Array { .. }, FieldValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{}[{i}]", header.path);
                push(item, child(&header, i, format!("[{i}]"), false, path), out);
            }
        }
        (Kind::Object(props), FieldValue::Object(fields)) => {
            for (i, (prop, f)) in props.iter().zip(fields).enumerate() {
                let path = join(&header.path, &prop.name);
                push(
                    f,
                    child(&header, i, prop.name.clone(), prop.required, path),
                    out,
                );
            }
        }
        (
            Kind::Union(variants),
            FieldValue::Union {
                selected,
                variants: fields,
            },
        ) => {
            if let (Some(variant), Some(f)) = (variants.get(*selected), fields.get(*selected)) {
                let label = variant.label.clone();
                push(
                    f,
                    child(&header, *selected, label, false, header.path.clone()),
                    out,
                );
            }
        }
        _ => {}
    }
}

/// The field at `addr` below `root`.
pub fn field_at<'a>(root: &'a Field, addr: &[usize]) -> Option<&'a Field> {
    let Some((&first, rest)) = addr.split_first() else {
        return Some(root);
    };
    let next = match &root.value {
        FieldValue::Array(items) => items.get(first)?,
        FieldValue::Object(fields) => fields.get(first)?,
        FieldValue::Union { variants, .. } => variants.get(first)?,
        _ => return None,
    };
    field_at(next, rest)
}

/// The field at `addr` below `root`, mutably.
pub fn field_at_mut<'a>(root: &'a mut Field, addr: &[usize]) -> Option<&'a mut Field> {
    let Some((&first, rest)) = addr.split_first() else {
        return Some(root);
    };
    let next = match &mut root.value {
        FieldValue::Array(items) => items.get_mut(first)?,
        FieldValue::Object(fields) => fields.get_mut(first)?,
        FieldValue::Union { variants, .. } => variants.get_mut(first)?,
        _ => return None,
    };
    field_at_mut(next, rest)
}
