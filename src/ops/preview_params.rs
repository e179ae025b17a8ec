//! The parameters and result of the `preview` operation (`preview.rs`): what a database held
//! at a point in time, and how two points differ.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Parameters of `preview`: one point in time, and optionally a second to compare with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewParams {
    /// A database path (its configured replica is read) or a replica URL.
    pub path: String,
    /// Configuration file; default: the context's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The point: this TXID (16 hex digits); exclusive with `timestamp`; default latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// The point: this time (RFC 3339); exclusive with `txid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Compare with this TXID (16 hex digits); exclusive with `compare_timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_txid: Option<String>,
    /// Compare with this time (RFC 3339); exclusive with `compare_txid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_timestamp: Option<String>,
}

/// What the database held at the point, and the difference to the compared point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewResult {
    /// The TXID previewed (16 hex digits).
    pub txid: String,
    /// The replica URL read, without secrets.
    pub replica: String,
    /// True when the point came from the preview cache (no restore was needed).
    pub cached: bool,
    /// Database page size at the point.
    pub page_size: u32,
    /// Database size in pages at the point.
    pub page_count: u32,
    /// The tables, indexes, views and triggers (from `sqlite_schema`), by name; Litestream's
    /// bookkeeping tables (`_litestream_seq`, `_litestream_lock`) are left out.
    pub tables: Vec<TablePreview>,
    /// The difference to the compared point, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<PreviewDiff>,
}

/// One schema object at the point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TablePreview {
    /// The object name.
    pub name: String,
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// Its `CREATE` statement.
    pub sql: Option<String>,
    /// Rows (tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_count: Option<u64>,
}

/// How the database differs between two points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewDiff {
    /// The earlier point (16 hex digits).
    pub from_txid: String,
    /// The later point (16 hex digits).
    pub to_txid: String,
    /// One entry per object present at either point.
    pub tables: Vec<TableDiff>,
}

/// How one schema object changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TableDiff {
    /// The object name.
    pub name: String,
    /// What happened to it.
    pub change: TableChange,
    /// Rows at the earlier point (tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_before: Option<u64>,
    /// Rows at the later point (tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_after: Option<u64>,
    /// Whether its `CREATE` statement differs.
    pub schema_changed: bool,
}

/// What happened to a schema object between two points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableChange {
    /// Only at the later point.
    Added,
    /// Only at the earlier point.
    Removed,
    /// At both, with different rows or schema.
    Changed,
    /// At both, the same.
    Unchanged,
}
