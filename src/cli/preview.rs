//! `ltx-tui preview DB|URL [--txid T | --timestamp TS] [--diff-txid T2 | --diff-timestamp TS2]
//! [--json]`: the tables of a database at a point of its replica's history (schema objects
//! with row counts), and how they changed since or until a second point, without touching the
//! live database (`ops::preview`, cached under the user cache directory).

use std::path::Path;

use super::CommandOutcome;
use super::oneshot::{block_on, context, fail, print_json};
use crate::ops::tabwriter::litestream_table;
use crate::ops::{self, PreviewParams, PreviewResult, TableChange};

/// Arguments of `ltx-tui preview`.
#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The point: this TXID (16 hex digits); default the latest.
    #[arg(long, value_name = "TXID", conflicts_with = "timestamp")]
    pub txid: Option<String>,
    /// The point: this time (RFC 3339).
    #[arg(long, value_name = "TIMESTAMP")]
    pub timestamp: Option<String>,
    /// Compare with this TXID.
    #[arg(
        long = "diff-txid",
        value_name = "TXID",
        conflicts_with = "diff_timestamp"
    )]
    pub diff_txid: Option<String>,
    /// Compare with this time (RFC 3339).
    #[arg(long = "diff-timestamp", value_name = "TIMESTAMP")]
    pub diff_timestamp: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// A database path from the configuration, or a replica URL.
    #[arg(value_name = "DB|URL")]
    pub source: String,
}

/// Runs the command.
pub fn run(args: &PreviewArgs, config: Option<&Path>, expand_env: bool) -> CommandOutcome {
    let ctx = context(config, expand_env);
    let params = PreviewParams {
        path: args.source.clone(),
        config: None,
        txid: args.txid.clone(),
        timestamp: args.timestamp.clone(),
        compare_txid: args.diff_txid.clone(),
        compare_timestamp: args.diff_timestamp.clone(),
    };
    let result = match block_on(ops::preview(&ctx, &params)) {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => return fail(&e),
        Err(outcome) => return outcome,
    };
    if args.json {
        return print_json(&result);
    }
    print!("{}", text(&result));
    CommandOutcome::Ok
}

fn opt(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// The tables at the point, then the diff when there is one.
pub fn text(r: &PreviewResult) -> String {
    let mut out = format!(
        "txid {} of {} ({} pages of {} bytes{})\n\n",
        r.txid,
        r.replica,
        r.page_count,
        r.page_size,
        if r.cached { ", cached" } else { "" }
    );
    let mut rows = vec![vec!["name".to_owned(), "type".into(), "rows".into()]];
    rows.extend(
        r.tables
            .iter()
            .map(|t| vec![t.name.clone(), t.kind.clone(), opt(t.row_count)]),
    );
    out.push_str(&litestream_table(&rows));
    if let Some(diff) = &r.diff {
        out.push_str(&format!(
            "\nchanges from {} to {}:\n",
            diff.from_txid, diff.to_txid
        ));
        let mut rows = vec![
            ["name", "change", "rows_before", "rows_after", "schema"]
                .map(String::from)
                .to_vec(),
        ];
        rows.extend(
            diff.tables
                .iter()
                .filter(|t| t.change != TableChange::Unchanged)
                .map(|t| {
                    vec![
                        t.name.clone(),
                        format!("{:?}", t.change).to_lowercase(),
                        opt(t.rows_before),
                        opt(t.rows_after),
                        if t.schema_changed { "changed" } else { "-" }.to_owned(),
                    ]
                }),
        );
        if rows.len() == 1 {
            out.push_str("no changes\n");
        } else {
            out.push_str(&litestream_table(&rows));
        }
    }
    out
}
