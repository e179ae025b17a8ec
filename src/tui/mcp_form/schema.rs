//! The part of JSON Schema a call form understands, read from a tool's `inputSchema`: scalar
//! types with their limits, enums, arrays, nested objects, `$ref` into `$defs`/`definitions`,
//! and `anyOf`/`oneOf` of supported variants. Anything else becomes [`Kind::Raw`], a field
//! edited as JSON text, so no schema ever leaves the user without a way to call the tool.

use serde_json::{Map, Value};

/// How deep `$ref`s and nesting are followed before a field falls back to raw JSON (a
/// recursive schema would otherwise never end).
const MAX_DEPTH: usize = 12;

/// One field's schema, reduced to what the form needs.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    /// What kind of input it takes.
    pub kind: Kind,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `default`.
    pub default: Option<Value>,
    /// `null` is allowed (`type: [T, "null"]`, a `null` variant or `null` in `enum`).
    pub nullable: bool,
}

/// The input a field takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `type: string`.
    String(StringRules),
    /// `type: number` or `integer`.
    Number(NumberRules),
    /// `type: boolean`.
    Boolean,
    /// `enum` (or `const`): one of these values.
    Enum(Vec<Value>),
    /// `type: array` with one `items` schema.
    Array {
        /// The schema of every item.
        items: Box<FieldSchema>,
        /// `minItems`.
        min_items: Option<u64>,
        /// `maxItems`.
        max_items: Option<u64>,
    },
    /// `type: object` with `properties` (required ones first, then by name).
    Object(Vec<Property>),
    /// `anyOf`/`oneOf`: the user picks a variant.
    Union(Vec<Variant>),
    /// Anything else: JSON text.
    Raw,
}

/// Limits of a string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StringRules {
    /// `format` (`uri`, `email`, `date-time`, `date` are checked; others are shown only).
    pub format: Option<String>,
    /// `minLength` in characters.
    pub min_length: Option<u64>,
    /// `maxLength` in characters.
    pub max_length: Option<u64>,
    /// `pattern` (shown, not checked).
    pub pattern: Option<String>,
}

/// Limits of a number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberRules {
    /// `type: integer`.
    pub integer: bool,
    /// `minimum` (or `exclusiveMinimum`, with `exclusive_min`).
    pub min: Option<f64>,
    /// `maximum` (or `exclusiveMaximum`, with `exclusive_max`).
    pub max: Option<f64>,
    /// The minimum itself is not allowed.
    pub exclusive_min: bool,
    /// The maximum itself is not allowed.
    pub exclusive_max: bool,
}

/// A property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The key.
    pub name: String,
    /// Listed in `required`.
    pub required: bool,
    /// Its schema.
    pub schema: FieldSchema,
}

/// A variant of a union.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// What the variant selector shows (`title`, else the type).
    pub label: String,
    /// Its schema.
    pub schema: FieldSchema,
}

impl FieldSchema {
    fn of(kind: Kind) -> FieldSchema {
        FieldSchema {
            kind,
            title: None,
            description: None,
            default: None,
            nullable: false,
        }
    }

    /// Reads `schema`, resolving `$ref`s against `root` (the whole `inputSchema`).
    pub fn parse(schema: &Value, root: &Value) -> FieldSchema {
        parse(schema, root, 0)
    }

    /// The schema of a tool's arguments: always an object (a non-object `inputSchema` is
    /// taken as raw JSON of the whole argument object).
    pub fn parse_input(input_schema: &Map<String, Value>) -> FieldSchema {
        let root = Value::Object(input_schema.clone());
        let parsed = parse(&root, &root, 0);
        match parsed.kind {
            Kind::Object(_) | Kind::Raw => parsed,
            _ => FieldSchema::of(Kind::Raw),
        }
    }

    /// A short name of the kind, for labels and variant selectors.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::String(_) => "string",
            Kind::Number(r) if r.integer => "integer",
            Kind::Number(_) => "number",
            Kind::Boolean => "boolean",
            Kind::Enum(_) => "enum",
            Kind::Array { .. } => "array",
            Kind::Object(_) => "object",
            Kind::Union(_) => "union",
            Kind::Raw => "json",
        }
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Copies `title`, `description` and `default` from `from` where `onto` has none.
fn merge_meta(onto: &mut FieldSchema, from: &Map<String, Value>) {
    if let Some(t) = text(from, "title") {
        onto.title = Some(t);
    }
    if let Some(d) = text(from, "description") {
        onto.description = Some(d);
    }
    if let Some(d) = from.get("default") {
        onto.default = Some(d.clone());
    }
}

fn resolve<'a>(reference: &str, root: &'a Value) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}

fn parse(schema: &Value, root: &Value, depth: usize) -> FieldSchema {
    let Some(map) = schema.as_object() else {
        return FieldSchema::of(Kind::Raw);
    };
    if depth > MAX_DEPTH {
        let mut raw = FieldSchema::of(Kind::Raw);
        merge_meta(&mut raw, map);
        return raw;
    }
    let mut field = parse_kind(map, root, depth);
    merge_meta(&mut field, map);
    field
}

fn parse_kind(map: &Map<String, Value>, root: &Value, depth: usize) -> FieldSchema {
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        return match resolve(reference, root) {
            Some(target) => parse(target, root, depth + 1),
            None => FieldSchema::of(Kind::Raw),
        };
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        let nullable = values.iter().any(Value::is_null);
        let options: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
        return FieldSchema {
            nullable,
            ..FieldSchema::of(Kind::Enum(options))
        };
    }
    if let Some(value) = map.get("const") {
        return FieldSchema::of(Kind::Enum(vec![value.clone()]));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(variants) = map.get(key).and_then(Value::as_array) {
            return parse_union(variants, root, depth);
        }
    }
    if let Some(all) = map.get("allOf").and_then(Value::as_array) {
        return match all.as_slice() {
            [only] => parse(only, root, depth + 1),
            _ => FieldSchema::of(Kind::Raw),
        };
    }
    match map.get("type") {
        Some(Value::String(t)) => parse_typed(t, map, root, depth),
        Some(Value::Array(types)) => {
            let nullable = types.iter().any(|t| t == "null");
            let names: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            let mut field = match names.as_slice() {
                [] => FieldSchema::of(Kind::Raw),
                [one] => parse_typed(one, map, root, depth),
                many => FieldSchema::of(Kind::Union(
                    many.iter()
                        .map(|t| Variant {
                            label: (*t).to_owned(),
                            schema: parse_typed(t, map, root, depth),
                        })
                        .collect(),
                )),
            };
            field.nullable |= nullable;
            field
        }
        _ if map.contains_key("properties") => parse_typed("object", map, root, depth),
        _ if map.contains_key("items") => parse_typed("array", map, root, depth),
        _ => FieldSchema::of(Kind::Raw),
    }
}

fn parse_union(variants: &[Value], root: &Value, depth: usize) -> FieldSchema {
    let is_null = |v: &Value| v.get("type").is_some_and(|t| t == "null");
    let nullable = variants.iter().any(is_null);
    let parsed: Vec<FieldSchema> = variants
        .iter()
        .filter(|v| !is_null(v))
        .map(|v| parse(v, root, depth + 1))
        .collect();
    let mut field = match parsed.len() {
        0 => FieldSchema::of(Kind::Raw),
        1 => parsed
            .into_iter()
            .next()
            .unwrap_or_else(|| FieldSchema::of(Kind::Raw)),
        _ if parsed.iter().any(|p| matches!(p.kind, Kind::Raw)) => FieldSchema::of(Kind::Raw),
        _ => FieldSchema::of(Kind::Union(
            parsed
                .into_iter()
                .map(|schema| Variant {
                    label: schema
                        .title
                        .clone()
                        .unwrap_or_else(|| schema.type_name().to_owned()),
                    schema,
                })
                .collect(),
        )),
    };
    field.nullable |= nullable;
    field
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(Value::as_f64)
}

fn count(map: &Map<String, Value>, key: &str) -> Option<u64> {
    map.get(key).and_then(Value::as_u64)
}

fn parse_typed(t: &str, map: &Map<String, Value>, root: &Value, depth: usize) -> FieldSchema {
    let kind = match t {
        "string" => Kind::String(StringRules {
            format: text(map, "format"),
            min_length: count(map, "minLength"),
            max_length: count(map, "maxLength"),
            pattern: text(map, "pattern"),
        }),
        "number" | "integer" => {
            // Draft 4 spells exclusivity as a boolean beside minimum/maximum; later drafts
            // give the bound itself as exclusiveMinimum/exclusiveMaximum.
            let flag = |k: &str| map.get(k).and_then(Value::as_bool).unwrap_or(false);
            let (min, exclusive_min) = match number(map, "exclusiveMinimum") {
                Some(m) => (Some(m), true),
                None => (number(map, "minimum"), flag("exclusiveMinimum")),
            };
            let (max, exclusive_max) = match number(map, "exclusiveMaximum") {
                Some(m) => (Some(m), true),
                None => (number(map, "maximum"), flag("exclusiveMaximum")),
            };
            Kind::Number(NumberRules {
                integer: t == "integer",
                min,
                max,
                exclusive_min,
                exclusive_max,
            })
        }
        "boolean" => Kind::Boolean,
        "array" => match map.get("items") {
            Some(items @ Value::Object(_)) => Kind::Array {
                items: Box::new(parse(items, root, depth + 1)),
                min_items: count(map, "minItems"),
                max_items: count(map, "maxItems"),
            },
            _ => Kind::Raw,
        },
        "object" => parse_object(map, root, depth),
        _ => Kind::Raw,
    };
    FieldSchema::of(kind)
}

fn parse_object(map: &Map<String, Value>, root: &Value, depth: usize) -> Kind {
    let properties = map.get("properties").and_then(Value::as_object);
    let free_form = map
        .get("additionalProperties")
        .is_some_and(|a| a.is_object() || a == &Value::Bool(true));
    let Some(properties) = properties.filter(|p| !p.is_empty()) else {
        // A map with arbitrary keys has no fields to show; an object with no properties and
        // no additional ones is simply empty.
        return if free_form {
            Kind::Raw
        } else {
            Kind::Object(Vec::new())
        };
    };
    let required: Vec<&str> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut props: Vec<Property> = properties
        .iter()
        .map(|(name, schema)| Property {
            name: name.clone(),
            required: required.contains(&name.as_str()),
            schema: parse(schema, root, depth + 1),
        })
        .collect();
    // serde_json's map is sorted by key, so the schema's own order is gone: show required
    // fields first, each group by name.
    props.sort_by_key(|p| !p.required);
    Kind::Object(props)
}
