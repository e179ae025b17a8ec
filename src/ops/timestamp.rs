//! Times in operation results and parameters: RFC 3339 text in JSON (UTC, Go's RFC3339Nano
//! form, e.g. `2026-11-21T22:01:39.123Z`), `DateTime<Utc>` in Rust, and parsing of the
//! timestamps users type (any RFC 3339 offset).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

use super::OpsError;
use crate::storage::{format_rfc3339_nano, parse_rfc3339};

/// Parses a user-supplied RFC 3339 timestamp for parameter `param`.
pub fn parse_param(param: &'static str, text: &str) -> Result<DateTime<Utc>, OpsError> {
    parse_rfc3339(text).ok_or_else(|| OpsError::InvalidParam {
        param,
        value: text.to_owned(),
        problem: "is not an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z)",
    })
}

/// serde adapter: `DateTime<Utc>` as RFC3339Nano text.
pub mod rfc3339 {
    use super::*;

    /// Writes the time as RFC3339Nano text.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339_nano(*t))
    }

    /// Reads RFC 3339 text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
    }
}

/// serde adapter: `Option<DateTime<Utc>>` as RFC3339Nano text or null.
pub mod rfc3339_opt {
    use super::*;

    /// Writes the time as RFC3339Nano text, or null.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_rfc3339_nano(*t)),
            None => s.serialize_none(),
        }
    }

    /// Reads RFC 3339 text or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => parse_rfc3339(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}"))),
        }
    }
}
