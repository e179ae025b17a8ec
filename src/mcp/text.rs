//! The readable text of each tool result: the tables Litestream's CLI prints where one exists
//! (`databases`, `status`, `ltx`), a Litestream-style report for `litestream_info`, and small
//! tables in the same style (lowercase headers, two spaces of padding) for the rest. Assistants
//! read this text; programs read the structured content.

use crate::ops::tabwriter::litestream_table;
use crate::ops::{
    InfoResult, LtxResult, PreviewResult, RestoreResult, StatusResult, humanize_bytes,
    rfc3339_seconds, txid_or_dash,
};

use super::compat::{GenerationsResult, LagResult, SnapshotsResult};

fn owned(row: &[&str]) -> Vec<String> {
    row.iter().map(|s| (*s).to_owned()).collect()
}

/// `litestream_info`: Litestream's report sections, with ltx-tui's level summaries.
pub fn info(r: &InfoResult) -> String {
    let mut out = String::from("=== Litestream Status Report ===\n\n");
    out.push_str(&format!(
        "Version Information:\n{} (ltx-tui, Litestream {} compatible)\n\n",
        r.version.version, r.version.litestream_compatible
    ));
    out.push_str(&format!("Current Config Path:\n{}\n\n", r.config_path));
    let mut rows = vec![owned(&["path", "replica"])];
    rows.extend(
        r.databases
            .iter()
            .map(|d| vec![d.path.clone(), d.replica.clone()]),
    );
    out.push_str(&format!("Databases:\n{}\n", litestream_table(&rows)));
    out.push_str("LTX Files:\n");
    for s in &r.summaries {
        out.push_str(&format!(
            "Database: {} ({})\n",
            s.status.database,
            s.status.status.label()
        ));
        if let Some(e) = &s.replica_error {
            out.push_str(&format!("  replica error: {e}\n"));
            continue;
        }
        let mut rows = vec![owned(&[
            "level", "files", "size", "min_txid", "max_txid", "newest",
        ])];
        rows.extend(s.levels.iter().map(|l| {
            vec![
                l.level.to_string(),
                l.files.to_string(),
                humanize_bytes(l.bytes),
                l.min_txid.to_string(),
                l.max_txid.to_string(),
                l.newest.map_or_else(|| "-".to_owned(), rfc3339_seconds),
            ]
        }));
        out.push_str(&litestream_table(&rows));
        out.push('\n');
    }
    out
}

/// `litestream_status`: Litestream's table, plus the engine's lag when it runs.
pub fn status(r: &StatusResult) -> String {
    let mut out = r.table();
    if r.databases.iter().any(|d| d.replication.is_some()) {
        out.push('\n');
        out.push_str(&lag_rows(
            r.databases
                .iter()
                .map(|d| (d.database.as_str(), d.replication.as_ref())),
        ));
    }
    out
}

/// `litestream_ltx` and `ltx_timeline`: Litestream's table; the cursor of the next page.
pub fn ltx(r: &LtxResult) -> String {
    let with_pages = r.files.iter().any(|f| f.page_count.is_some());
    let mut out = r.table(with_pages);
    if let Some(next) = &r.next {
        out.push_str(&format!(
            "more files: pass cursor {next:?} for the next page\n"
        ));
    }
    out
}

/// `litestream_restore`: the plan (dry run) or what was restored.
pub fn restore(r: &RestoreResult, dry_run: bool) -> String {
    let mut out = String::new();
    if let Some(why) = &r.skipped {
        out.push_str(&format!("nothing restored: {why}\n"));
        return out;
    }
    if dry_run {
        out.push_str(&format!(
            "dry run: would restore {} from {} to TXID {}\n",
            r.db_path, r.replica, r.txid
        ));
    } else {
        out.push_str(&format!(
            "restored {} from {} to TXID {} in {} ms (integrity check: {})\n",
            r.db_path,
            r.replica,
            r.txid,
            r.duration_ms,
            serde_json::to_value(r.integrity_check)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ));
    }
    if !r.plan.is_empty() {
        let mut rows = vec![owned(&["level", "file", "size", "created"])];
        rows.extend(r.plan.iter().map(|p| {
            vec![
                p.level.to_string(),
                p.file.clone(),
                p.size.to_string(),
                p.timestamp.clone(),
            ]
        }));
        out.push_str(&litestream_table(&rows));
    }
    out
}

/// `litestream_generations`.
pub fn generations(r: &GenerationsResult) -> String {
    let mut rows = vec![owned(&["name", "generation", "lag", "start", "end"])];
    rows.extend(r.generations.iter().map(|g| {
        vec![
            g.name.clone(),
            g.generation.clone(),
            format!("{:.0}s", g.lag_seconds),
            g.start.clone(),
            g.end.clone(),
        ]
    }));
    litestream_table(&rows)
}

/// `litestream_snapshots`.
pub fn snapshots(r: &SnapshotsResult) -> String {
    let mut rows = vec![owned(&["level", "min_txid", "max_txid", "size", "created"])];
    rows.extend(r.snapshots.iter().map(|f| {
        vec![
            f.level.to_string(),
            f.min_txid.to_string(),
            f.max_txid.to_string(),
            f.size.to_string(),
            rfc3339_seconds(f.created_at),
        ]
    }));
    litestream_table(&rows)
}

/// `ltx_preview`: the objects at the point, then the difference.
pub fn preview(r: &PreviewResult) -> String {
    let mut out = format!("at TXID {}:\n", r.txid);
    let mut rows = vec![owned(&["name", "kind", "rows"])];
    rows.extend(r.tables.iter().map(|t| {
        vec![
            t.name.clone(),
            t.kind.clone(),
            t.row_count
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        ]
    }));
    out.push_str(&litestream_table(&rows));
    if let Some(diff) = &r.diff {
        out.push_str(&format!(
            "\nfrom TXID {} to TXID {}:\n",
            diff.from_txid, diff.to_txid
        ));
        let mut rows = vec![owned(&[
            "name",
            "change",
            "rows before",
            "rows after",
            "schema",
        ])];
        rows.extend(diff.tables.iter().map(|t| {
            vec![
                t.name.clone(),
                serde_json::to_value(t.change)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                t.rows_before
                    .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                t.rows_after
                    .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                if t.schema_changed { "changed" } else { "same" }.to_owned(),
            ]
        }));
        out.push_str(&litestream_table(&rows));
    }
    out
}

/// `ltx_lag`.
pub fn lag(r: &LagResult) -> String {
    lag_rows(
        r.databases
            .iter()
            .map(|d| (d.database.as_str(), d.replication.as_ref())),
    )
}

fn lag_rows<'a>(
    entries: impl Iterator<Item = (&'a str, Option<&'a crate::ops::ReplicationFigures>)>,
) -> String {
    let mut rows = vec![owned(&[
        "database",
        "state",
        "local txid",
        "replica txid",
        "lag",
        "pending",
        "last upload",
    ])];
    for (db, figures) in entries {
        rows.push(match figures {
            Some(f) => vec![
                db.to_owned(),
                f.state.clone(),
                txid_or_dash(f.local_txid),
                txid_or_dash(f.replica_txid),
                format!("{:.1}s", f.lag_seconds),
                humanize_bytes(f.pending_bytes),
                f.last_upload
                    .map_or_else(|| "-".to_owned(), rfc3339_seconds),
            ],
            None => vec![
                db.to_owned(),
                "not replicated".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
            ],
        });
    }
    litestream_table(&rows)
}
