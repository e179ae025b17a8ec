//! `preview`: the database as it was at a TXID or a time — its tables with schema and row
//! counts — without touching the live database, and [`preview_diff`] between two points.
//!
//! A point is first planned (as a dry-run restore) to learn its TXID; the preview cache
//! ([`PreviewCache`], per replica and TXID, bounded) answers if it holds that point; otherwise
//! the replica is restored at that TXID into the cache directory, opened read-only
//! (`immutable`, so no `-wal`/`-shm` appears), summarised, and kept for the next call.
//! Litestream's bookkeeping tables (`_litestream_seq`, `_litestream_lock`) change on every sync
//! and are left out, so a diff shows only the application's changes.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::context::ReplicaTarget;
use super::preview_cache::{PointSummary, PreviewCache};
use super::preview_params::{
    PreviewDiff, PreviewParams, PreviewResult, TableChange, TableDiff, TablePreview,
};
use super::restore::parse_target;
use super::{OpsContext, OpsError};
use crate::restore::{self as room, Progress, RestoreOptions, RestoreOutcome, RestoreTarget};

/// What the database held at `params`' point, and, with a compared point, the difference
/// (from the earlier point to the later).
pub async fn preview(ctx: &OpsContext, params: &PreviewParams) -> Result<PreviewResult, OpsError> {
    let source = ctx.replica(&params.path, params.config.as_deref())?;
    let cache = ctx.preview_cache();
    let target = parse_target(params.txid.as_deref(), params.timestamp.as_deref())?;
    let compare = match (&params.compare_txid, &params.compare_timestamp) {
        (None, None) => None,
        (txid, ts) => Some(
            parse_target(txid.as_deref(), ts.as_deref()).map_err(|e| match e {
                OpsError::InvalidParam {
                    param,
                    value,
                    problem,
                } => OpsError::InvalidParam {
                    param: if param == "txid" {
                        "compare_txid"
                    } else {
                        "compare_timestamp"
                    },
                    value,
                    problem,
                },
                other => other,
            })?,
        ),
    };
    let (summary, cached) = point(&source, &cache, target).await?;
    let mut result = result_of(&source, summary, cached);
    if let Some(compare) = compare {
        let (other, other_cached) = point(&source, &cache, compare).await?;
        let other = result_of(&source, other, other_cached);
        result.diff = Some(if other.txid <= result.txid {
            preview_diff(&other, &result)
        } else {
            preview_diff(&result, &other)
        });
    }
    Ok(result)
}

fn result_of(source: &ReplicaTarget, summary: PointSummary, cached: bool) -> PreviewResult {
    PreviewResult {
        txid: summary.txid.to_string(),
        replica: source.url.clone(),
        cached,
        page_size: summary.page_size,
        page_count: summary.page_count,
        tables: summary.tables,
        diff: None,
    }
}

/// The summary of the point `target`, from the cache or from a fresh restore into it; true
/// when it was cached.
async fn point(
    source: &ReplicaTarget,
    cache: &PreviewCache,
    target: RestoreTarget,
) -> Result<(PointSummary, bool), OpsError> {
    let plan = room::plan_restore(&source.client, &target).await?;
    let txid = plan.txid;
    if let Some(summary) = cache.get(&source.url, txid) {
        return Ok((summary, true));
    }
    let scratch = cache.scratch_path(&source.url, txid)?;
    let mut opts = RestoreOptions::new(&scratch);
    opts.target = RestoreTarget::Txid(txid);
    let report = match room::restore(&source.client, &opts, &Progress::none()).await {
        Ok(RestoreOutcome::Restored(report)) => report,
        Ok(other) => {
            return Err(OpsError::Task {
                operation: "restore a preview point",
                message: format!("the restore did not run: {other:?}"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let summarised = {
        let scratch = scratch.clone();
        tokio::task::spawn_blocking(move || summarise(&scratch))
            .await
            .map_err(|e| OpsError::Task {
                operation: "summarise a preview point",
                message: e.to_string(),
            })?
    };
    let tables = match summarised {
        Ok(tables) => tables,
        Err(e) => {
            // Best effort: the scratch file is useless now.
            let _ = std::fs::remove_file(&scratch);
            return Err(e);
        }
    };
    let summary = PointSummary {
        txid,
        page_size: report.page_size,
        page_count: report.page_count,
        tables,
    };
    cache.insert(&source.url, &scratch, &summary)?;
    Ok((summary, false))
}

/// `file:` URI of `path`, with the characters URIs reserve escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.display().to_string().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The schema objects of the database at `path`, with row counts of tables.
pub(crate) fn summarise(path: &Path) -> Result<Vec<TablePreview>, OpsError> {
    let sqlite = |e: rusqlite::Error| OpsError::Io {
        operation: "read the preview database",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let conn = Connection::open_with_flags(
        immutable_uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(sqlite)?;
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema \
             WHERE name NOT IN ('_litestream_seq', '_litestream_lock') ORDER BY name, type",
        )
        .map_err(sqlite)?;
    let objects = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(sqlite)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sqlite)?;
    let mut tables = Vec::with_capacity(objects.len());
    for (kind, name, sql) in objects {
        let row_count = if kind == "table" {
            // A virtual table whose module is not loaded cannot be counted: no count then.
            conn.query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(&name)),
                [],
                |r| r.get::<_, i64>(0),
            )
            .ok()
            .and_then(|n| u64::try_from(n).ok())
        } else {
            None
        };
        tables.push(TablePreview {
            name,
            kind,
            sql,
            row_count,
        });
    }
    Ok(tables)
}

/// How the database changed from `before` to `after`: one entry per schema object at either
/// point, by name.
pub fn preview_diff(before: &PreviewResult, after: &PreviewResult) -> PreviewDiff {
    let index = |r: &PreviewResult| -> BTreeMap<String, TablePreview> {
        r.tables
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let tables = names
        .into_iter()
        .map(|name| {
            let (a, b) = (old.get(name), new.get(name));
            let schema_changed = match (a, b) {
                (Some(a), Some(b)) => a.sql != b.sql || a.kind != b.kind,
                _ => false,
            };
            let rows_before = a.and_then(|t| t.row_count);
            let rows_after = b.and_then(|t| t.row_count);
            let change = match (a, b) {
                (None, _) => TableChange::Added,
                (_, None) => TableChange::Removed,
                _ if schema_changed || rows_before != rows_after => TableChange::Changed,
                _ => TableChange::Unchanged,
            };
            TableDiff {
                name: name.clone(),
                change,
                rows_before,
                rows_after,
                schema_changed,
            }
        })
        .collect();
    PreviewDiff {
        from_txid: before.txid.clone(),
        to_txid: after.txid.clone(),
        tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, sql: &str, rows: Option<u64>) -> TablePreview {
        TablePreview {
            name: name.into(),
            kind: if rows.is_some() { "table" } else { "index" }.into(),
            sql: Some(sql.into()),
            row_count: rows,
        }
    }

    fn at(txid: &str, tables: Vec<TablePreview>) -> PreviewResult {
        PreviewResult {
            txid: txid.into(),
            replica: "file:///r".into(),
            cached: false,
            page_size: 4096,
            page_count: 2,
            tables,
            diff: None,
        }
    }

    #[test]
    fn the_diff_reports_added_removed_rows_and_schema() {
        let before = at(
            "0000000000000002",
            vec![
                table("gone", "CREATE TABLE gone(x)", Some(1)),
                table("same", "CREATE TABLE same(x)", Some(3)),
                table("grows", "CREATE TABLE grows(x)", Some(3)),
                table("altered", "CREATE TABLE altered(x)", Some(3)),
            ],
        );
        let after = at(
            "0000000000000005",
            vec![
                table("same", "CREATE TABLE same(x)", Some(3)),
                table("grows", "CREATE TABLE grows(x)", Some(9)),
                table("altered", "CREATE TABLE altered(x, y)", Some(3)),
                table("new_idx", "CREATE INDEX new_idx ON same(x)", None),
            ],
        );
        let diff = preview_diff(&before, &after);
        assert_eq!(diff.from_txid, "0000000000000002");
        assert_eq!(diff.to_txid, "0000000000000005");
        let by: BTreeMap<_, _> = diff.tables.iter().map(|t| (t.name.as_str(), t)).collect();
        assert_eq!(by["gone"].change, TableChange::Removed);
        assert_eq!(by["gone"].rows_before, Some(1));
        assert_eq!(by["same"].change, TableChange::Unchanged);
        assert_eq!(by["grows"].change, TableChange::Changed);
        assert_eq!(
            (by["grows"].rows_before, by["grows"].rows_after),
            (Some(3), Some(9))
        );
        assert!(!by["grows"].schema_changed);
        assert_eq!(by["altered"].change, TableChange::Changed);
        assert!(by["altered"].schema_changed);
        assert_eq!(by["new_idx"].change, TableChange::Added);
        assert_eq!(diff.tables.len(), 5);
    }

    #[test]
    fn uris_escape_reserved_characters() {
        assert_eq!(
            immutable_uri(Path::new("/a b/x?y#z%.db")),
            "file:/a b/x%3fy%23z%25.db?immutable=1"
        );
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}
