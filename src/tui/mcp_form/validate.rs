//! Turning the edited fields into the call's arguments, checking each value against its
//! schema on the way. The first problem found is reported with the field's path
//! (`items[2].name: expected an integer`); empty optional fields are left out.

use serde_json::{Map, Number, Value};

use super::error::FormError;
use super::field::{Field, FieldValue, join, shown};
use super::schema::{Kind, NumberRules, StringRules};

fn invalid(path: &str, message: impl Into<String>) -> FormError {
    FormError::Invalid {
        path: shown(path).to_owned(),
        message: message.into(),
    }
}

/// The JSON value of `field` at `path`, whether or not it is empty (an empty string is `""`,
/// an empty required boolean is an error).
pub fn to_json(field: &Field, path: &str) -> Result<Value, FormError> {
    match (&field.schema.kind, &field.value) {
        (Kind::String(rules), FieldValue::Text(input)) => string(input.value(), rules, path),
        (Kind::Number(rules), FieldValue::Text(input)) => number(input.value(), rules, path),
        (_, FieldValue::Bool(b)) => b
            .map(Value::Bool)
            .ok_or_else(|| invalid(path, "is required (true or false)")),
        (Kind::Enum(options), FieldValue::Choice(c)) => c
            .and_then(|i| options.get(i).cloned())
            .ok_or_else(|| invalid(path, format!("choose one of {}", choices(options)))),
        (
            Kind::Array {
                min_items,
                max_items,
                ..
            },
            FieldValue::Array(items),
        ) => {
            let len = items.len() as u64;
            if let Some(min) = min_items.filter(|m| len < *m) {
                return Err(invalid(path, format!("needs at least {min} items")));
            }
            if let Some(max) = max_items.filter(|m| len > *m) {
                return Err(invalid(path, format!("takes at most {max} items")));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (Kind::Object(_), FieldValue::Object(_)) => object(field, path).map(Value::Object),
        (_, FieldValue::Union { selected, variants }) => match variants.get(*selected) {
            Some(variant) => to_json(variant, path),
            None => Err(invalid(path, "no variant chosen")),
        },
        (_, FieldValue::Raw(input)) => {
            if input.value().trim().is_empty() {
                return Err(invalid(path, "is required (JSON)"));
            }
            serde_json::from_str(input.value())
                .map_err(|e| invalid(path, format!("not valid JSON: {e}")))
        }
        _ => Err(invalid(path, "cannot be edited here")),
    }
}

/// The members of an object field: filled fields, required ones (an empty required field is
/// `null` when the schema allows it, else an error), and never an empty optional one.
pub fn object(field: &Field, path: &str) -> Result<Map<String, Value>, FormError> {
    let (Kind::Object(props), FieldValue::Object(fields)) = (&field.schema.kind, &field.value)
    else {
        return to_json(field, path).and_then(|v| match v {
            Value::Object(map) => Ok(map),
            _ => Err(invalid(path, "expected an object")),
        });
    };
    let mut map = Map::new();
    for (prop, child) in props.iter().zip(fields) {
        let child_path = join(path, &prop.name);
        let value = if !child.is_empty() {
            to_json(child, &child_path)?
        } else if !prop.required {
            continue;
        } else if child.schema.nullable {
            Value::Null
        } else if matches!(
            child.schema.kind,
            Kind::Object(_) | Kind::Array { .. } | Kind::Enum(_) | Kind::Boolean
        ) {
            // An empty required object still names its own required members, an empty array
            // may be exactly what is meant (its limits are checked), and a choice or toggle
            // says what it wants.
            to_json(child, &child_path)?
        } else {
            return Err(invalid(&child_path, "is required"));
        };
        map.insert(prop.name.clone(), value);
    }
    Ok(map)
}

fn choices(options: &[Value]) -> String {
    options
        .iter()
        .map(display_value)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A JSON value as a label: strings without quotes, anything else as compact JSON.
pub fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn string(text: &str, rules: &StringRules, path: &str) -> Result<Value, FormError> {
    let len = text.chars().count() as u64;
    if let Some(min) = rules.min_length.filter(|m| len < *m) {
        return Err(invalid(path, format!("needs at least {min} characters")));
    }
    if let Some(max) = rules.max_length.filter(|m| len > *m) {
        return Err(invalid(path, format!("takes at most {max} characters")));
    }
    if let Some(format) = rules.format.as_deref()
        && !text.is_empty()
        && !format_ok(format, text)
    {
        return Err(invalid(path, format!("expected a {format}")));
    }
    Ok(Value::String(text.to_owned()))
}

fn format_ok(format: &str, text: &str) -> bool {
    match format {
        "uri" | "url" => text
            .split_once(':')
            .is_some_and(|(scheme, _)| !scheme.is_empty() && scheme.chars().all(scheme_char)),
        "email" => text
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.')),
        "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        _ => true,
    }
}

fn scheme_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
}

fn number(text: &str, rules: &NumberRules, path: &str) -> Result<Value, FormError> {
    let text = text.trim();
    let parsed = if let Ok(i) = text.parse::<i64>() {
        // A whole number is sent as an integer (`2`, not `2.0`), as it was typed.
        Some((Value::from(i), i as f64))
    } else if rules.integer {
        None
    } else {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(|f| Number::from_f64(f).map(|n| (Value::Number(n), f)))
    };
    let Some((value, n)) = parsed else {
        let expected = if rules.integer {
            "expected an integer"
        } else {
            "expected a number"
        };
        return Err(invalid(path, expected));
    };
    if let Some(min) = rules.min {
        if rules.exclusive_min && n <= min {
            return Err(invalid(path, format!("must be greater than {min}")));
        }
        if n < min {
            return Err(invalid(path, format!("must be at least {min}")));
        }
    }
    if let Some(max) = rules.max {
        if rules.exclusive_max && n >= max {
            return Err(invalid(path, format!("must be less than {max}")));
        }
        if n > max {
            return Err(invalid(path, format!("must be at most {max}")));
        }
    }
    Ok(value)
}
