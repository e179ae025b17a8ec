//! The values being edited: a tree of [`Field`]s shaped like the schema (an object holds one
//! field per property, an array one per item, a union one per variant so switching back
//! keeps what was typed). Loading JSON into the tree ([`Field::set_value`]) is the inverse of
//! [`super::validate::to_json`]; both are used when the raw JSON editor is toggled.

use serde_json::Value;
use tui_input::Input;

use super::schema::{FieldSchema, Kind};

/// One field: its schema and its current value.
#[derive(Debug, Clone)]
pub struct Field {
    /// The schema it edits.
    pub schema: FieldSchema,
    /// The value being edited.
    pub value: FieldValue,
    /// Edited by the user since the form opened (errors show for touched fields).
    pub touched: bool,
}

/// The value of a field, by the kind of input.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// Strings and numbers, typed as text.
    Text(Input),
    /// A boolean; `None` is unset (omitted when optional).
    Bool(Option<bool>),
    /// The index of the chosen enum value; `None` is unset.
    Choice(Option<usize>),
    /// The items of an array.
    Array(Vec<Field>),
    /// One field per property, in the schema's property order.
    Object(Vec<Field>),
    /// The chosen variant and a field per variant.
    Union {
        /// Index into `variants`.
        selected: usize,
        /// One field per variant of the schema.
        variants: Vec<Field>,
    },
    /// JSON text.
    Raw(Input),
}

impl Field {
    /// A field for `schema`, filled with its `default` when it has one.
    pub fn new(schema: &FieldSchema) -> Field {
        let mut field = Field::empty(schema);
        if let Some(default) = &schema.default {
            // A default that does not fit the schema is ignored: the field stays empty.
            let mut mismatches = Vec::new();
            let mut with_default = field.clone();
            with_default.set_value(default, "", &mut mismatches);
            if mismatches.is_empty() {
                field = with_default;
            }
        }
        field
    }

    /// A field for `schema` with nothing filled in (nested fields take their defaults).
    pub fn empty(schema: &FieldSchema) -> Field {
        let value = match &schema.kind {
            Kind::String(_) | Kind::Number(_) => FieldValue::Text(Input::default()),
            Kind::Boolean => FieldValue::Bool(None),
            Kind::Enum(options) => FieldValue::Choice((options.len() == 1).then_some(0)),
            Kind::Array { .. } => FieldValue::Array(Vec::new()),
            Kind::Object(props) => {
                FieldValue::Object(props.iter().map(|p| Field::new(&p.schema)).collect())
            }
            Kind::Union(variants) => FieldValue::Union {
                selected: 0,
                variants: variants.iter().map(|v| Field::new(&v.schema)).collect(),
            },
            Kind::Raw => FieldValue::Raw(Input::default()),
        };
        Field {
            schema: schema.clone(),
            value,
            touched: false,
        }
    }

    /// A new item for this array field, or `None` if it is not an array.
    pub fn new_item(&self) -> Option<Field> {
        match &self.schema.kind {
            Kind::Array { items, .. } => Some(Field::new(items)),
            _ => None,
        }
    }

    /// True when nothing is filled in (an optional empty field is left out of the call).
    pub fn is_empty(&self) -> bool {
        match &self.value {
            FieldValue::Text(i) | FieldValue::Raw(i) => i.value().is_empty(),
            FieldValue::Bool(b) => b.is_none(),
            FieldValue::Choice(c) => c.is_none(),
            FieldValue::Array(items) => items.is_empty(),
            FieldValue::Object(fields) => fields.iter().all(Field::is_empty),
            FieldValue::Union { selected, variants } => {
                variants.get(*selected).is_none_or(Field::is_empty)
            }
        }
    }

    /// Empties the field (and everything below it).
    pub fn clear(&mut self) {
        let touched = self.touched;
        *self = Field::empty(&self.schema);
        self.touched = touched;
    }

    /// Loads `value` into the field. Parts that do not fit the schema are recorded in
    /// `mismatches` as `path: reason` and left empty, so nothing is silently converted.
    pub fn set_value(&mut self, value: &Value, path: &str, mismatches: &mut Vec<String>) {
        self.touched = true;
        if value.is_null() {
            if !self.schema.nullable && !matches!(self.value, FieldValue::Raw(_)) {
                mismatches.push(format!("{}: null is not allowed", shown(path)));
            }
            self.clear();
            if let FieldValue::Raw(input) = &mut self.value {
                *input = Input::new("null".into());
            }
            return;
        }
        let mut mismatch = |reason: &str| mismatches.push(format!("{}: {reason}", shown(path)));
        match (&self.schema.kind, &mut self.value) {
            (Kind::String(_), FieldValue::Text(input)) => match value {
                Value::String(s) => *input = Input::new(s.clone()),
                _ => mismatch("expected a string"),
            },
            (Kind::Number(rules), FieldValue::Text(input)) => match value {
                Value::Number(n) if !rules.integer || n.is_i64() || n.is_u64() => {
                    *input = Input::new(n.to_string());
                }
                _ if rules.integer => mismatch("expected an integer"),
                _ => mismatch("expected a number"),
            },
            (Kind::Boolean, FieldValue::Bool(b)) => match value {
                Value::Bool(v) => *b = Some(*v),
                _ => mismatch("expected true or false"),
            },
            (Kind::Enum(options), FieldValue::Choice(c)) => {
                match options.iter().position(|o| o == value) {
                    Some(i) => *c = Some(i),
                    None => mismatch("not one of the allowed values"),
                }
            }
            (Kind::Array { items, .. }, FieldValue::Array(fields)) => match value {
                Value::Array(values) => {
                    *fields = values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut item = Field::empty(items);
                            item.set_value(v, &format!("{path}[{i}]"), mismatches);
                            item
                        })
                        .collect();
                }
                _ => mismatch("expected an array"),
            },
            (Kind::Object(props), FieldValue::Object(fields)) => match value {
                Value::Object(map) => {
                    for (prop, field) in props.iter().zip(fields.iter_mut()) {
                        match map.get(&prop.name) {
                            Some(v) => field.set_value(v, &join(path, &prop.name), mismatches),
                            None => field.clear(),
                        }
                    }
                    for key in map.keys() {
                        if !props.iter().any(|p| &p.name == key) {
                            mismatches.push(format!("{}: not in the schema", join(path, key)));
                        }
                    }
                }
                _ => mismatch("expected an object"),
            },
            (Kind::Union(_), FieldValue::Union { selected, variants }) => {
                match variants.iter().position(|v| accepts(&v.schema, value)) {
                    Some(i) => {
                        *selected = i;
                        variants[i].set_value(value, path, mismatches);
                    }
                    None => mismatch("matches none of the variants"),
                }
            }
            (_, FieldValue::Raw(input)) => *input = Input::new(value.to_string()),
            // Field::empty builds the value from the same kind, so the pairs above are all
            // there are; anything else is left as it is.
            _ => mismatch("cannot be edited here"),
        }
    }
}

/// Whether `value` has the JSON type `schema` takes (shallow: picks a union variant).
pub fn accepts(schema: &FieldSchema, value: &Value) -> bool {
    match (&schema.kind, value) {
        (Kind::String(_), Value::String(_)) => true,
        (Kind::Number(r), Value::Number(n)) => !r.integer || n.is_i64() || n.is_u64(),
        (Kind::Boolean, Value::Bool(_)) => true,
        (Kind::Enum(options), v) => options.contains(v),
        (Kind::Array { .. }, Value::Array(_)) => true,
        (Kind::Object(_), Value::Object(_)) => true,
        (Kind::Union(variants), v) => variants.iter().any(|x| accepts(&x.schema, v)),
        (Kind::Raw, _) => true,
        _ => false,
    }
}

/// `path.key`, or `key` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The path as shown in messages (`arguments` for the whole object).
pub fn shown(path: &str) -> &str {
    if path.is_empty() { "arguments" } else { path }
}
